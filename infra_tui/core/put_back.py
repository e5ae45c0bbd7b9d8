"""Putting back a file that a write replaced, without losing what others wrote to either file.

A write that is rolled back (something changed the replaced file while it was being written, or
another file of the write failed) puts the replaced file back at its path. Until then the path
holds the new text, and any process may have written to that file meanwhile: an ``echo >>``
appends to it, an editor or ``git checkout`` puts a whole other file there. So the file at the
path is first moved aside atomically while the replaced one comes back (``renameat2`` exchange;
elsewhere a hard link of it to a hidden name, then a rename), then compared once no process
holds it open for writing:

* exactly the bytes written: it goes;
* those bytes and more after them (an append): the added tail is appended to the restored file,
  so it ends as it was plus everything appended meanwhile, and the new-text file goes;
* anything else (rewritten, replaced, still held open for writing): it is someone's newer write,
  so it goes back at the path, and the replaced file is kept beside it under a visible name
  ``<name>.infra-tui-conflict`` for the user to merge (``Kept``).

Before a tail is appended, its offset is recorded (``mark``), so that a process killed while
appending is finished by the journal's recovery instead of appending the tail twice.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

from infra_tui.core import dirfd

CONFLICT = ".infra-tui-conflict"


@dataclass(frozen=True)
class Written:
    """What a write put at a path: the sha256 (hex) and length of its bytes."""

    digest: str
    size: int | None = None

    def tail(self, raw: bytes) -> bytes | None:
        """What follows the written bytes in ``raw`` (``b""``: exactly them; ``None``: ``raw``
        does not start with them)."""
        if hashlib.sha256(raw).hexdigest() == self.digest:
            return b""
        if self.size is None or len(raw) <= self.size:
            return None
        if hashlib.sha256(raw[: self.size]).hexdigest() != self.digest:
            return None
        return raw[self.size :]


@dataclass(frozen=True)
class Kept:
    """Both versions were kept: ``side`` (a name in the same folder) holds the replaced file."""

    name: str
    side: str


Mark = Callable[[int], None]
"""Records the offset at which a carried tail is about to be appended (the journal's line)."""


Step = Callable[[], None]
"""A numbered step of the write (``apply``'s test pause points)."""


def _no_step() -> None:
    pass


def swap_back(dir_fd: int, name: str, hidden: str, spare: str, step: Step = _no_step) -> str:
    """Put the file at hidden name ``hidden`` at ``name``, and keep the file that was at ``name``
    under a hidden name, which is returned (``hidden`` after an exchange, else ``spare``)."""
    if dirfd.exchange(dir_fd, hidden, name):
        return hidden
    dirfd.link(dir_fd, name, spare)  # the file at the path keeps a name throughout
    step()
    dirfd.rename(dir_fd, hidden, name)
    return spare


def restore(
    dir_fd: int,
    name: str,
    original: str,
    spare: str,
    written: Written,
    mark: Mark,
    step: Step = _no_step,
) -> Kept | None:
    """``name`` holds a written file (changed since, perhaps), ``original`` (hidden) the file it
    replaced: put that back, carrying over what was appended meanwhile (``None``), or keep both
    when the file at ``name`` was changed in any other way (``Kept``). ``spare``: a free hidden
    name in the same folder."""
    moved = swap_back(dir_fd, name, original, spare, step)
    step()
    keep_theirs = original if moved == spare else spare  # the hidden name now free
    return settle(dir_fd, name, moved, written, mark, keep_theirs=keep_theirs, step=step)


def settle(
    dir_fd: int,
    name: str,
    moved: str,
    written: Written,
    mark: Mark,
    *,
    keep_theirs: str | None = None,
    carried_at: int | None = None,
    step: Step = _no_step,
) -> Kept | None:
    """``moved`` (hidden) is the file that was at ``name`` after a write, ``name`` holds the
    restored one. Drop ``moved`` if it holds just the written bytes, carry its appended tail into
    ``name``; else keep both: with ``keep_theirs`` (a free hidden name) ``moved`` goes back to
    ``name`` and the restored file beside it, without, ``moved`` goes beside it. ``carried_at``:
    the offset of ``name`` where a tail was being appended when a process was killed."""
    try:
        raw = dirfd.settled(dir_fd, moved)
    except dirfd.StillWriting:
        raw, tail = b"", None  # someone may still write to it: it must stay reachable
    else:
        if raw is None:
            return None
        tail = written.tail(raw)
    if tail is not None and _carry(dir_fd, name, tail, mark, carried_at, step):
        dirfd.unlink(dir_fd, moved)
        return None
    if keep_theirs is not None:
        moved = swap_back(dir_fd, name, moved, keep_theirs, step)
    return Kept(name, keep_aside(dir_fd, moved, name))


def _carry(dir_fd: int, name: str, tail: bytes, mark: Mark, carried_at: int | None, step: Step) -> bool:
    """Append ``tail`` to ``name`` (``False``: it cannot be done without a doubt)."""
    if not tail:
        return True
    if carried_at is not None:  # a killed process was appending it: finish, never repeat
        now = dirfd.read_bytes(dir_fd, name) or b""
        done = now[carried_at:]
        if done.startswith(tail):
            return True
        if not tail.startswith(done):
            return False
        tail = tail[len(done) :]
    fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        if carried_at is None:
            mark(os.fstat(fd).st_size)
            step()
        view = memoryview(tail)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    step()
    return True


def keep_aside(dir_fd: int, hidden: str, name: str) -> str:
    """Give hidden file ``hidden`` the visible name ``<name>.infra-tui-conflict[-N]`` (never over
    an existing file; not ``*.yaml``, so no generated kustomization picks it up) and return it."""
    for n in range(1000):
        side = f"{name}{CONFLICT}" + (f"-{n}" if n else "")
        try:
            dirfd.link(dir_fd, hidden, side)
        except FileExistsError:
            continue
        dirfd.unlink(dir_fd, hidden)
        return side
    return hidden
