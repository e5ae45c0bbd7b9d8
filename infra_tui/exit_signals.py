"""SIGTERM and SIGHUP end infra-tui the way Ctrl-C (SIGINT) does: with the clean-up.

Closing the terminal (SIGHUP), ``tmux kill-session`` or ``kill`` (SIGTERM) used to end the
process on the spot: the ssh master connection, kustomize process groups, ``/tmp/itui-ssh-*``
and scratch repo copies stayed behind. Handled like SIGINT instead, the running asyncio task is
cancelled (``asyncio.run`` turns SIGINT into a cancel), so ``services.proc`` kills its process
groups, transports close their master connection and ``finally`` blocks remove temp dirs. The TUI
asks the app to exit instead (``InfraApp``), which unmounts the cluster watch.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
received: int | None = None
"""The ending signal that arrived, if any (the exit status is then 128 + it)."""


@contextlib.contextmanager
def like_sigint() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP act like SIGINT (left alone where ignored, e.g. under
    ``nohup``); the previous handlers come back after it and ``received`` starts at ``None``."""
    global received
    received = None
    previous = {}
    for sig in ENDING_SIGNALS:
        current = signal.getsignal(sig)
        if current is not signal.SIG_IGN:
            previous[sig] = current
            signal.signal(sig, _like_sigint)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _like_sigint(signum: int, frame: FrameType | None) -> None:
    global received
    received = signum
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler) and handler is not _like_sigint:
        handler(signal.SIGINT, frame)  # asyncio.run's (cancel the main task) or Python's default
    else:
        raise KeyboardInterrupt


def exit_status(default: int) -> int:
    """``128 + signal`` when an ending signal stopped the run, else ``default``."""
    return 128 + received if received is not None else default


def terminal_gone(fd: int = 1) -> bool:
    """True when ``fd`` is a terminal that hung up (its pane killed, its window closed): every
    call on it fails with EIO. A pipe or file (ENOTTY) is not a terminal that went away."""
    import errno
    import termios

    try:
        termios.tcgetattr(fd)
    except termios.error as exc:
        return bool(exc.args) and exc.args[0] == errno.EIO
    except (OSError, ValueError):
        return False
    return False


def leave_dead_terminal() -> None:
    """Point stdin, stdout and stderr at /dev/null once the terminal is gone: a TUI shutting down
    writes its restore sequences, and a write to a hung-up terminal fails (EIO), which can stop
    Textual's output thread with its queue full and ``App.exit`` waiting on it forever."""
    import os

    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):
            if terminal_gone(fd):
                os.dup2(null, fd)
    finally:
        os.close(null)


def exit_within(seconds: float, status: int) -> None:
    """End the process with ``status`` after ``seconds`` unless it has ended by then: the backstop
    that no clean shutdown which got stuck can outlive (a daemon thread; ``os._exit``)."""
    import os
    import threading

    def later() -> None:
        import time

        time.sleep(seconds)
        os._exit(status)

    threading.Thread(target=later, name="exit-deadline", daemon=True).start()
