"""The write journal: what a multi-file write was doing, so that a killed one is undone next time.

``core.apply`` records every file it is about to change (its hidden temp name, the name the
replaced file is kept under, the sha256 of the bytes before and after) and every folder it may
create, before it touches anything; it marks the journal ``committed`` once every file is in
place, and removes it when done. A process killed in between (``kill -9``, power loss) leaves
the journal; the next infra-tui command that loads the repo calls ``recover``: before the mark
it rolls the write back (each file's earlier bytes put back, created files, hidden temp files
and folders it made removed), after the mark it finishes it (the hidden files go), and says so in
one line.

Where: ``.git/infra-tui-journal`` when the repo root holds a ``.git`` folder (nothing under
``.git`` shows as a change to commit), else ``.infra-tui-journal`` in the root (a dotfile that
exists only while a write runs or after one was killed). The journal is written under a temp
name, locked (``flock``) and then linked into place, so a second process sees it only complete
and locked while its writer lives; the lock dies with the process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from infra_tui.core import dirfd

NAME = "infra-tui-journal"
COMMITTED = b"committed\n"


class Busy(Exception):
    """Another live infra-tui process is writing this repo."""


@dataclass
class Entry:
    """One file of a write; ``path`` is relative to the repo root, symlinks resolved."""

    path: str
    kind: str  # "modify" | "create" | "delete"
    tmp: str
    """Hidden name of the new text in the same folder (after an exchange: of the old one)."""
    old: str
    """Hidden name the replaced file is kept under until the write is done."""
    before: str | None = None
    """sha256 of the bytes the file held when the plan was checked."""
    after: str | None = None
    """sha256 of the bytes written."""


@dataclass
class Journal:
    entries: list[Entry]
    dirs: list[str] = field(default_factory=list)
    """Folders (relative) that did not exist and this write may create."""
    started: str = ""
    pid: int = 0


def digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def hidden_names(name: str) -> tuple[str, str]:
    """A fresh hidden temp name and keep-aside name for file ``name`` (same folder)."""
    token = secrets.token_hex(4)
    return f".{name}.{token}.infra-tui.tmp", f".{name}.{token}.infra-tui.old"


def _where(root_fd: int) -> tuple[tuple[str, ...], str]:
    try:
        st = os.stat(".git", dir_fd=root_fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            return (".git",), NAME
    except OSError:
        pass
    return (), "." + NAME


def location(root: Path) -> Path:
    """The journal's path for the repo at ``root``."""
    fd = dirfd.open_root(root)
    try:
        parts, name = _where(fd)
    finally:
        os.close(fd)
    return Path(os.path.realpath(root), *parts, name)


class Open:
    """A journal written and locked by this process."""

    def __init__(self, root_fd: int, journal: Journal):
        parts, self.name = _where(root_fd)
        self.dir_fd, _ = dirfd.open_dir(root_fd, parts)
        tmp = f"{self.name}.{secrets.token_hex(4)}.tmp"
        journal.started = journal.started or time.strftime("%Y-%m-%d %H:%M:%S")
        journal.pid = os.getpid()
        data = (json.dumps(asdict(journal), separators=(",", ":")) + "\n").encode()
        self.fd = os.open(
            tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=self.dir_fd
        )
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(self.fd, data)
            os.fsync(self.fd)
            dirfd.link(self.dir_fd, tmp, self.name)
        except BaseException as exc:
            dirfd.unlink(self.dir_fd, tmp)
            os.close(self.fd)
            os.close(self.dir_fd)
            if isinstance(exc, FileExistsError):
                raise Busy(self.name) from None
            raise
        dirfd.unlink(self.dir_fd, tmp)

    def commit(self) -> None:
        """Every file is in place: from here a recovery finishes the write instead of undoing it."""
        os.write(self.fd, COMMITTED)
        os.fsync(self.fd)

    def close(self, *, remove: bool = True) -> None:
        if remove:
            dirfd.unlink(self.dir_fd, self.name)
        os.close(self.fd)
        os.close(self.dir_fd)


def recover(root: Path | str) -> str | None:
    """Finish or roll back a write that was killed, and say what was done (``None``: there was
    none, or another live process is writing). Never raises for a journal it cannot use."""
    try:
        root_fd = dirfd.open_root(root)
    except OSError:
        return None
    try:
        parts, name = _where(root_fd)
        try:
            jdir, _ = dirfd.open_dir(root_fd, parts)
        except OSError:
            return None
        try:
            _sweep_journal_temps(jdir, name)
            return _recover_at(root_fd, jdir, name)
        finally:
            os.close(jdir)
    finally:
        os.close(root_fd)


def _sweep_journal_temps(jdir: int, name: str) -> None:
    """Journal temp files of a process killed before it linked its journal into place."""
    for entry in os.listdir(jdir):
        if entry.startswith(name + ".") and entry.endswith(".tmp"):
            with contextlib.suppress(OSError):
                fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=jdir)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # its writer is gone
                    dirfd.unlink(jdir, entry)
                finally:
                    os.close(fd)


def _recover_at(root_fd: int, jdir: int, name: str) -> str | None:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=jdir)
    except FileNotFoundError:
        return None
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # its writer is alive
        raw = dirfd.read_bytes(jdir, name) or b""
        first, _, rest = raw.partition(b"\n")
        try:
            data = json.loads(first)
            journal = Journal(
                [Entry(**e) for e in data["entries"]],
                list(data["dirs"]),
                data.get("started", ""),
                data.get("pid", 0),
            )
        except (ValueError, TypeError, KeyError):
            dirfd.unlink(jdir, name)  # torn before it was complete: nothing had been touched
            return None
        committed = rest.startswith(COMMITTED)
        kept = _finish(root_fd, journal) if committed else _roll_back(root_fd, journal)
        if not kept:
            dirfd.unlink(jdir, name)
    finally:
        os.close(fd)
    n = len(journal.entries)
    what = f"an interrupted write of {n} file{'s' if n != 1 else ''} (started {journal.started})"
    if committed:
        return f"{what} was finished: every file had been written; its hidden leftovers were removed"
    if kept:
        return (
            f"{what} was rolled back except {', '.join(kept)}, changed since by someone else; "
            f"its earlier text is kept beside it as a hidden *.infra-tui.old/.tmp file"
        )
    return f"{what} was rolled back: the repo is as it was before it; re-run it"


def _finish(root_fd: int, journal: Journal) -> list[str]:
    for e in journal.entries:
        with _folder(root_fd, e.path) as (fd, _):
            if fd is not None:
                dirfd.unlink(fd, e.tmp)
                dirfd.unlink(fd, e.old)
    return []


def _roll_back(root_fd: int, journal: Journal) -> list[str]:
    """Put every file back as it was; the paths whose state matches neither side are kept."""
    kept: list[str] = []
    for e in journal.entries:
        with _folder(root_fd, e.path) as (fd, name):
            if fd is None:
                continue
            current = digest(_read(fd, name))
            if e.kind == "create":
                if current is not None and current == e.after:
                    dirfd.unlink(fd, name)
                dirfd.unlink(fd, e.tmp)
                continue
            original = next((h for h in (e.old, e.tmp) if digest(_read(fd, h)) == e.before), None)
            if original is None or current == e.before:
                dirfd.unlink(fd, e.tmp)  # never swapped in, or already back
                if current == e.before:
                    dirfd.unlink(fd, e.old)
                continue
            if current is None or current == e.after:
                dirfd.rename(fd, original, name)
                for h in (e.old, e.tmp):
                    dirfd.unlink(fd, h)
            else:
                kept.append(e.path)
    dirfd.remove_empty_dirs(root_fd, journal.dirs)
    return kept


def _read(fd: int, name: str) -> bytes | None:
    try:
        return dirfd.read_bytes(fd, name)
    except OSError:
        return None


@contextlib.contextmanager
def _folder(root_fd: int, path: str) -> Iterator[tuple[int | None, str]]:
    parts = tuple(path.split("/"))
    try:
        fd, _ = dirfd.open_dir(root_fd, parts[:-1])
    except OSError:
        yield None, parts[-1]
        return
    try:
        yield fd, parts[-1]
    finally:
        os.close(fd)
