"""The one helper that runs every subprocess in infra-tui.

Every child gets: stdin closed (or fed the given bytes, then closed), stdout and stderr captured,
a timeout, its own session and process group (so it has no controlling TTY and can be killed
together with everything it started), and on cancel or timeout the whole group is killed:
``SIGTERM``, a short grace, then ``SIGKILL``. Live groups are also killed at interpreter exit, so
no child outlives the app.

It is built on ``asyncio.create_subprocess_exec(start_new_session=True)``: cancelling the
awaiting task kills the group, and no helper threads are started per command. One child runs
outside an event loop: ``start_background``, started before the TUI's event loop exists (the
start-up's repo reader, ``services.preread``), with the same session, group and exit rules.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Any

KILL_GRACE = 2.0
"""Seconds between SIGTERM to the process group and SIGKILL."""

_READ_CHUNK = 1 << 16

_live_groups: set[int] = set()
"""Process groups started by ``run_command`` that have not been reaped yet (killed at exit)."""


@dataclass
class Command:
    """A subprocess to run, as data (modelled on flux-local's ``Command``)."""

    argv: list[str]
    """Program and arguments; never passed through a shell."""
    stdin: bytes | None = None
    """Bytes written to the child's stdin, which is then closed. ``None``: stdin is /dev/null."""
    timeout: float | None = 60.0
    """Seconds before the whole process group is killed and ``Result.timed_out`` is set."""
    cwd: str | os.PathLike[str] | None = None
    """Working directory; ``None``: the current one."""
    env: dict[str, str] | None = None
    """The child's complete environment; ``None``: inherit this process's environment."""


@dataclass
class Result:
    """What a finished (or killed) subprocess left behind."""

    argv: list[str]
    """The argv that was run."""
    returncode: int | None
    """Exit status; negative for a signal (``-15``), ``None`` if it could not be collected."""
    stdout: str
    """Captured stdout (UTF-8, undecodable bytes replaced); partial if the command was killed."""
    stderr: str
    """Captured stderr, same rules as ``stdout``."""
    elapsed: float
    """Wall-clock seconds from start to exit or kill."""
    timed_out: bool = False
    """True when the timeout killed the process group."""

    @property
    def ok(self) -> bool:
        """Exit status 0 and not killed."""
        return self.returncode == 0 and not self.timed_out


class CommandNotFound(Exception):
    """The program is not on PATH (or not executable). The message names it and what to do."""

    def __init__(self, program: str, hint: str | None = None):
        self.program = program
        self.hint = hint
        what = hint or f"install it or put it on PATH (PATH={os.environ.get('PATH', '')})"
        super().__init__(f"{program}: program not found; {what}")


PROGRAM_HINTS: dict[str, str] = {
    "ssh": "install the OpenSSH client (Debian/Ubuntu: apt-get install openssh-client)",
    "sshpass": "install sshpass (Debian/Ubuntu: apt-get install sshpass) or log in with a key",
    "kubectl": "install kubectl (https://kubernetes.io/docs/tasks/tools/) or put it on PATH",
    "kustomize": "install kustomize, or kubectl (it bundles kustomize as `kubectl kustomize`)",
}
"""One-line install hints for the programs infra-tui runs, by program name."""


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@atexit.register
def kill_live_groups() -> None:
    """SIGKILL every process group ``run_command`` started that is still alive (runs at exit)."""
    for pgid in list(_live_groups):
        _signal_group(pgid, signal.SIGKILL)
    _live_groups.clear()


async def _terminate_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the child's process group, wait up to ``KILL_GRACE`` for the leader, then SIGKILL
    the group: children that ignored SIGTERM or outlived the leader die too."""
    pgid = proc.pid  # start_new_session=True: the child leads its own group
    _signal_group(pgid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), KILL_GRACE)
    except TimeoutError:
        pass
    finally:
        # Also runs when a second cancel interrupts the grace period.
        _signal_group(pgid, signal.SIGKILL)


async def _drain(stream: asyncio.StreamReader | None, into: bytearray) -> None:
    if stream is None:
        return
    while chunk := await stream.read(_READ_CHUNK):
        into += chunk


async def _feed(proc: asyncio.subprocess.Process, data: bytes) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
        await proc.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the child exited without reading everything: its exit status tells the story
    finally:
        proc.stdin.close()


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _decode(data: bytearray) -> str:
    return bytes(data).decode("utf-8", errors="replace")


async def run_command(cmd: Command) -> Result:
    """Run ``cmd`` to completion, timeout or cancellation; see the module docstring for guarantees.

    "Completion" means the child exited *and* its stdout/stderr reached EOF: a background
    grandchild that keeps the pipes open counts as still running, and the timeout kills it.

    Raises ``CommandNotFound`` when the program does not exist. Re-raises ``CancelledError`` after
    the process group is killed.
    """
    argv = [os.fspath(a) for a in cmd.argv]
    if not argv:
        raise ValueError("Command.argv is empty")
    start = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if cmd.stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cmd.cwd,
            env=cmd.env,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        if cmd.cwd is not None and not os.path.isdir(cmd.cwd):
            raise
        name = os.path.basename(argv[0])
        raise CommandNotFound(argv[0], PROGRAM_HINTS.get(name)) from exc
    except PermissionError as exc:
        if shutil.which(argv[0]) is None and not os.access(argv[0], os.X_OK):
            raise CommandNotFound(argv[0], f"{argv[0]} is not executable; check its permissions") from exc
        raise

    _live_groups.add(proc.pid)
    out, err = bytearray(), bytearray()
    tasks = [_drain(proc.stdout, out), _drain(proc.stderr, err)]
    if cmd.stdin is not None:
        tasks.append(_feed(proc, cmd.stdin))
    timed_out = False
    try:
        try:
            gathered = asyncio.gather(*tasks, proc.wait())
            # a cancel leaves the gather holding a CancelledError: mark it seen (no "never retrieved")
            gathered.add_done_callback(_retrieve)
            await asyncio.wait_for(gathered, cmd.timeout)
        except TimeoutError:
            timed_out = True
            await _terminate_group(proc)
        except BaseException:  # CancelledError, KeyboardInterrupt: kill, then let it propagate
            await _terminate_group(proc)
            raise
    finally:
        if proc.returncode is not None:
            _live_groups.discard(proc.pid)
    if timed_out:
        # The group is dead, so the pipes reach EOF: collect what is left without waiting long.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(_drain(proc.stdout, out), _drain(proc.stderr, err)), 1.0)
    return Result(
        argv=argv,
        returncode=proc.returncode,
        stdout=_decode(out),
        stderr=_decode(err),
        elapsed=time.monotonic() - start,
        timed_out=timed_out,
    )


def run_command_sync(cmd: Command) -> Result:
    """``run_command`` for plain CLI paths (no running event loop). Ctrl-C kills the child's group."""
    return asyncio.run(run_command(cmd))


class Background:
    """A child started with ``start_background``: it runs while the caller does other work; its
    stdout is taken once with ``output``."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc

    def output(self, timeout: float) -> bytes | None:
        """Wait up to ``timeout`` seconds for the child to end: its stdout if it exited 0, else
        None (a failed child, or one not done in time: its group is killed). Blocks: call it from
        a thread, not the event loop."""
        try:
            out, _ = self._proc.communicate(timeout=timeout)
        except (subprocess.TimeoutExpired, OSError, ValueError):
            self.stop()
            return None
        finally:
            if self._proc.returncode is not None:
                _live_groups.discard(self._proc.pid)
        return out if self._proc.returncode == 0 else None

    def stop(self) -> None:
        """Kill the child's group if it still runs, and reap it."""
        if self._proc.returncode is None:
            _signal_group(self._proc.pid, signal.SIGKILL)
            with contextlib.suppress(OSError, ValueError, subprocess.TimeoutExpired):
                self._proc.communicate(timeout=KILL_GRACE)
        _live_groups.discard(self._proc.pid)


def start_background(argv: list[str]) -> Background | None:
    """Start ``argv`` (no shell) in its own session and process group, stdin from /dev/null,
    stdout to a pipe (``Background.output``), stderr discarded; killed at exit if still live.
    None if it cannot be started."""
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        return None
    _live_groups.add(proc.pid)
    return Background(proc)
