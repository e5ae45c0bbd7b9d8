"""Reading repo files as text: regular files only, and their line endings and BOM remembered.

* A FIFO, socket or device named ``x.yaml`` is never opened for a blocking read (opening a FIFO
  waits for a writer forever): files are opened non-blocking and must be regular (``fstat``).
* Planners work on text with ``\\n`` line ends and no BOM. ``TextForm`` records how the file
  stores it (CRLF, a UTF-8 BOM) so that a write puts the same form back and the "changed since
  the plan" check compares like with like.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

BOM = "\ufeff"


class NotRegularFile(OSError):
    """A path that names something other than a regular file (FIFO, socket, device, folder)."""

    def __init__(self, path: str, mode: int):
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "a folder"
            if stat.S_ISDIR(mode)
            else "a device"
        )
        super().__init__(f"not a regular file ({kind})")
        self.kind = kind
        self.path = path


@dataclass(frozen=True)
class TextForm:
    """How a file stores its text: ``crlf`` when every line ends with CRLF, ``bom`` with a BOM."""

    crlf: bool = False
    bom: bool = False

    def store(self, text: str) -> str:
        """``text`` (``\\n`` line ends, no BOM) in this form."""
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return BOM + text if self.bom and not text.startswith(BOM) else text


def split_form(raw: str) -> tuple[str, TextForm]:
    """The text of ``raw`` (decoded, not newline-translated) as planners see it, and its form.

    A file with mixed line ends is left as it is (its CR bytes stay part of the lines)."""
    bom = raw.startswith(BOM)
    if bom:
        raw = raw[1:]
    lf = raw.count("\n")
    crlf = lf > 0 and raw.count("\r\n") == lf
    if crlf:
        raw = raw.replace("\r\n", "\n")
    return raw, TextForm(crlf=crlf, bom=bom)


def read_raw(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of a regular file exactly as stored. Raises ``NotRegularFile`` (never
    blocks on a FIFO), ``OSError`` or ``UnicodeDecodeError``."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(str(path), st.st_mode)
        chunks = []
        while True:
            chunk = os.read(fd, max(st.st_size + 1, 65536))
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


def read(path: str | os.PathLike[str]) -> tuple[str, TextForm]:
    """The text of a regular file as planners see it (``\\n`` line ends, no BOM), and its form."""
    return split_form(read_raw(path))


def read_text(path: str | os.PathLike[str]) -> str:
    """``read(path)[0]``: what ``Path.read_text`` gives, minus the BOM, for regular files only."""
    return read(path)[0]


def why_unreadable(exc: BaseException) -> str:
    """One short phrase for a read failure, for messages that name the file."""
    if isinstance(exc, NotRegularFile):
        return f"{exc.kind}, not a regular file; remove it or rename it to something other than *.yaml"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start}); save it as UTF-8"
    if isinstance(exc, PermissionError):
        return "permission denied; make it readable (chmod) or run as its owner"
    if isinstance(exc, FileNotFoundError):
        return "no such file; check the path"
    if isinstance(exc, IsADirectoryError):
        return "a folder, not a file; name a file"
    return f"cannot read it ({exc.__class__.__name__}: {getattr(exc, 'strerror', None) or exc})"
