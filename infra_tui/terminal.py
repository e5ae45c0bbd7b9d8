"""The terminal driver: Textual's, except that a terminal which went away cannot keep it alive.

Closing the terminal (``tmux kill-session``, a closed window, a dropped SSH session) hangs up the
pty: writes to it fail with EIO. Textual's writer thread, the only reader of a bounded queue of
output, dies on the first such error; the next 30 writes fill the queue and the one after blocks
the event loop for good, so the SIGHUP that asks the app to exit (``infra_tui.exit_signals``)
ends in a process that never exits (``WriterThread.stop`` waits on the full queue). Here output
to a terminal that is gone is dropped instead, and the exit runs to its end.
"""

from __future__ import annotations

from typing import IO, Any

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver


class TerminalOutput:
    """A text stream that drops what it cannot write once the terminal is gone."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.gone = False
        """True after a write or flush failed: the terminal hung up."""

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self.stream.write(text)
            except OSError:  # EIO: the pty was hung up; EPIPE: the reader left
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except OSError:
                self.gone = True

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class HangupSafeDriver(LinuxDriver):
    """Textual's Linux driver writing through ``TerminalOutput``."""

    def __init__(self, app: App[Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._file = TerminalOutput(self._file)  # type: ignore[arg-type,assignment]
