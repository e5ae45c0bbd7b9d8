"""The write journal: what a multi-file write was doing, so that a killed one is undone next time.

``core.apply`` records every file it is about to change (its hidden temp name, the name the
replaced file is kept under, the sha256 of the bytes before and after) and every folder it may
create, before it touches anything; it marks the journal ``committed`` once every file is in
place, and removes it when done. A process killed in between (``kill -9``, power loss) leaves
the journal; the next infra-tui command that loads the repo calls ``recover``: before the mark
it rolls the write back (each file's earlier bytes put back with ``core.put_back``, which keeps
what other processes wrote meanwhile, created files, hidden temp files and folders it made
removed), after the mark it finishes it (the hidden files go), and says so in one line. A
roll-back that appends a carried tail records ``carry <entry> <offset>`` first, so a roll-back
killed midway is finished without appending it twice.

Where: ``.git/infra-tui-journal`` when the repo root holds a ``.git`` folder (nothing under
``.git`` shows as a change to commit), else ``.infra-tui-journal`` in the root (a dotfile that
exists only while a write runs or after one was killed). The journal is written under a temp
name, locked (``flock``) and then linked into place, so a second process sees it only complete
and locked while its writer lives; the lock dies with the process.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from infra_tui.core import dirfd, put_back
from infra_tui.core.journal_where import where

COMMITTED = b"committed\n"
CARRY = "carry"


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
    size: int | None = None
    """Length of the bytes written (tells an append to them from any other change)."""


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


def part_name(tmp: str) -> str:
    """Where the text of hidden file ``tmp`` is written before it is renamed to ``tmp``, so that
    ``tmp`` only ever holds whole text (a write killed midway leaves only a ``.part``)."""
    return tmp + ".part"


def location(root: Path) -> Path:
    """The journal's path for the repo at ``root``."""
    fd = dirfd.open_root(root)
    try:
        parts, name = where(fd)
    finally:
        os.close(fd)
    return Path(os.path.realpath(root), *parts, name)


class Open:
    """A journal written and locked by this process."""

    def __init__(self, root_fd: int, journal: Journal):
        parts, self.name = where(root_fd)
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

    def mark(self, index: int, offset: int) -> None:
        """Entry ``index``: a tail is about to be appended to the restored file at ``offset``."""
        _mark(self.fd, index, offset)

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
        parts, name = where(root_fd)
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
        if committed:
            kept = _finish(root_fd, journal)
        else:
            wfd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=jdir)
            try:
                kept = _roll_back(root_fd, journal, _carried(rest), lambda i, at: _mark(wfd, i, at))
            except OSError as exc:
                return f"an interrupted write (started {journal.started}) could not be rolled back yet ({exc}); the next command tries again"
            finally:
                os.close(wfd)
        dirfd.unlink(jdir, name)
    finally:
        os.close(fd)
    n = len(journal.entries)
    what = f"an interrupted write of {n} file{'s' if n != 1 else ''} (started {journal.started})"
    if committed:
        return f"{what} was finished: every file had been written; its hidden leftovers were removed"
    if kept:
        return (
            f"{what} was rolled back except {'; '.join(kept)}: merge what you need, delete the "
            f"*{put_back.CONFLICT} file, then re-run"
        )
    return f"{what} was rolled back: the repo is as it was before it; re-run it"


def _mark(fd: int, index: int, offset: int) -> None:
    os.write(fd, f"{CARRY} {index} {offset}\n".encode())
    os.fsync(fd)


def _carried(rest: bytes) -> dict[int, int]:
    """Entry index -> offset of each tail that a killed roll-back had started to append."""
    out = {}
    for line in rest.splitlines():
        words = line.decode(errors="replace").split()
        if len(words) == 3 and words[0] == CARRY and words[1].isdigit() and words[2].isdigit():
            out[int(words[1])] = int(words[2])
    return out


def _finish(root_fd: int, journal: Journal) -> list[str]:
    for e in journal.entries:
        with _folder(root_fd, e.path) as (fd, _):
            if fd is not None:
                for hidden in (e.tmp, part_name(e.tmp), e.old):
                    dirfd.unlink(fd, hidden)
    return []


def _roll_back(
    root_fd: int, journal: Journal, carried: dict[int, int], mark: Callable[[int, int], None]
) -> list[str]:
    """Put every file back as it was, keeping what other processes wrote meanwhile
    (``put_back``); one line per path that had to be kept in two versions."""
    kept: list[str] = []
    for i, e in enumerate(journal.entries):
        with _folder(root_fd, e.path) as (fd, name):
            if fd is None:
                continue
            dirfd.unlink(fd, part_name(e.tmp))
            if e.kind == "create":
                side = _undo_create(fd, name, e)
            elif e.kind == "delete":
                side = _undo_delete(fd, name, e)
            else:
                side = _undo_modify(fd, name, e, carried.get(i), functools.partial(mark, i))
            if side:
                folder = e.path.rpartition("/")[0]
                other = (
                    f", the other version kept as {folder + '/' if folder else ''}{side}"
                    if side != name
                    else ""
                )
                kept.append(f"{e.path} (changed meanwhile by another process: left as it is{other})")
    dirfd.remove_empty_dirs(root_fd, journal.dirs)
    return kept


def _undo_create(fd: int, name: str, e: Entry) -> str | None:
    """``name`` itself when the created file is there with more than this write's text."""
    dirfd.unlink(fd, e.tmp)
    current = _read(fd, name)
    if current is None:
        return None
    tail = put_back.Written(e.after or "", e.size).tail(current)
    if tail == b"":
        dirfd.unlink(fd, name)
    return name if tail else None  # anything else is not this write's file


def _undo_delete(fd: int, name: str, e: Entry) -> str | None:
    dirfd.unlink(fd, e.tmp)
    deleted = _read(fd, e.old)
    if deleted is None:
        return None  # never moved aside
    try:
        dirfd.link(fd, e.old, name)
    except FileExistsError:
        if _read(fd, name) != deleted:
            return put_back.keep_aside(fd, e.old, name)
    dirfd.unlink(fd, e.old)
    return None


@dataclass
class _Seen:
    data: bytes
    ino: int


def _look(fd: int, name: str) -> _Seen | None:
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        data = dirfd.read_bytes(fd, name)
    except OSError:
        return None
    return None if data is None else _Seen(data, st.st_ino)


def _undo_modify(fd: int, name: str, e: Entry, carried_at: int | None, mark: put_back.Mark) -> str | None:
    """Whatever step the write or its roll-back was killed at: the replaced file back at ``name``
    with what was appended meanwhile (or, changed otherwise, the two versions side by side)."""
    written = put_back.Written(e.after or "", e.size)
    now, tmp, old = _look(fd, name), _look(fd, e.tmp), _look(fd, e.old)
    if now and old and old.ino == now.ino:  # linked aside, the new text not renamed in (or back)
        dirfd.unlink(fd, e.old)
        old = None
    if now and tmp and tmp.ino == now.ino:  # the new text linked aside, the old not renamed back
        if old:
            dirfd.rename(fd, e.old, name)
            now, old = old, None
        else:
            dirfd.unlink(fd, e.tmp)
            tmp = None
    hidden = []
    for h, seen in ((e.tmp, tmp), (e.old, old)):
        if seen and written.tail(seen.data) == b"":
            dirfd.unlink(fd, h)  # just the text this write staged
        elif seen:
            hidden.append(h)
    if not hidden:
        return None
    if now is None:  # nothing at the path: the replaced file goes back (never over a newcomer)
        try:
            dirfd.link(fd, hidden[0], name)
        except FileExistsError:
            return put_back.keep_aside(fd, hidden[0], name)
        dirfd.unlink(fd, hidden[0])
        return None
    if written.tail(now.data) is not None:  # this write's text is at the path: put the old back
        spare = e.old if hidden[0] == e.tmp else e.tmp
        kept = put_back.restore(fd, name, hidden[0], spare, written, mark)
        return kept.side if kept else None
    sides = [put_back.settle(fd, name, h, written, mark, carried_at=carried_at) for h in hidden]
    return ", ".join(k.side for k in sides if k) or None


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
