"""Changing files of a repo through directory file descriptors, never through a symlink.

A path walked by name can be redirected between the moment it is checked and the moment it is
used: a folder swapped for a symlink out of the repo takes the next write with it. Here every
folder is opened from the repo root's descriptor one component at a time with ``O_NOFOLLOW``
(a symlink met on the way is refused, never followed), and each file is created, renamed and
removed relative to its folder's descriptor, so the folder checked is the folder written.

``exchange`` swaps two names of one folder atomically (Linux ``renameat2(RENAME_EXCHANGE)``): the
file that was replaced stays reachable under the other name, to be compared and put back.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import signal
import stat
import time

from infra_tui.core.textfile import NotRegularFile

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
RENAME_EXCHANGE = 2


class Redirected(OSError):
    """A folder on the way is a symlink or not a folder (it may have been swapped meanwhile)."""

    def __init__(self, rel: str):
        super().__init__(errno.ELOOP, f"{rel}: is a symlink or not a folder")
        self.rel = rel


def open_root(root: str | os.PathLike[str]) -> int:
    """A descriptor of the repo root (the root itself may be reached through symlinks)."""
    return os.open(os.path.realpath(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def open_dir(root_fd: int, parts: tuple[str, ...], *, create: bool = False) -> tuple[int, list[str]]:
    """A descriptor of the folder ``parts`` below ``root_fd`` and the folders made on the way
    (``create``), as ``/``-joined relative paths. Raises ``Redirected`` at a symlink."""
    fd = os.dup(root_fd)
    made: list[str] = []
    try:
        for i, name in enumerate(parts):
            rel = "/".join(parts[: i + 1])
            try:
                nfd = os.open(name, DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(name, 0o777, dir_fd=fd)
                    made.append(rel)
                except FileExistsError:
                    pass  # made meanwhile by someone else: opened below, if it is a folder
                try:
                    nfd = os.open(name, DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    raise Redirected(rel) from exc
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise Redirected(rel) from exc
                raise
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd, made


def still_at(root_fd: int, parts: tuple[str, ...], fd: int) -> bool:
    """Whether the folder open as ``fd`` is still the one found at ``parts`` (no symlink, not
    moved away or replaced)."""
    try:
        now, _ = open_dir(root_fd, parts)
    except OSError:
        return False
    try:
        a, b = os.fstat(now), os.fstat(fd)
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
    finally:
        os.close(now)


def read_bytes(dir_fd: int, name: str) -> bytes | None:
    """The bytes of regular file ``name`` in ``dir_fd`` (``None``: no such file); never follows
    a symlink, never blocks on a FIFO (``textfile.NotRegularFile``)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(name, stat.S_IFLNK) from exc
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(name, st.st_mode)
        return _read_fd(fd)
    finally:
        os.close(fd)


class StillWriting(OSError):
    """A process still holds the file open for writing: its bytes may not be final."""

    def __init__(self, name: str):
        super().__init__(errno.EBUSY, "held open for writing by another process", name)


def settled(dir_fd: int, name: str, within: float = 2.0) -> bytes | None:
    """The bytes of ``name`` once no process holds it open for writing (``None``: no such file).

    A process that opened the file before it was swapped aside may still be writing to it
    (``echo >> f``: open, then write). A Linux read lease is granted only while nobody has the file
    open for writing, and an open for writing while it is held breaks it: so the bytes read under
    a lease that is still whole are final. A writer still there after ``within`` seconds raises
    ``StillWriting`` (what it writes later must not land in a file about to be dropped). Where
    leases are refused (not the file's owner, a file system without them) a short pause stands in."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    try:
        deadline = time.monotonic() + within
        try:
            # a lease break is signalled: SIGURG (ignored by default) rather than SIGIO (fatal)
            fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        except OSError:
            pass
        while True:
            try:
                fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
            except OSError as exc:
                if exc.errno != errno.EAGAIN:
                    time.sleep(LEASELESS_PAUSE)
                    return _read_fd(fd)
                if time.monotonic() >= deadline:
                    raise StillWriting(name) from None
                time.sleep(0.001)  # a writer has it open: wait for it to finish
                continue
            try:
                data = _read_fd(fd)
                whole = fcntl.fcntl(fd, fcntl.F_GETLEASE) == fcntl.F_RDLCK
            finally:
                with contextlib.suppress(OSError):  # a broken lease may be gone already
                    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
            if whole:
                return data
            if time.monotonic() >= deadline:
                raise StillWriting(name)
    finally:
        os.close(fd)


LEASELESS_PAUSE = 0.05
"""Seconds given to a writer that may hold a swapped-out file open, where no lease can tell."""


def _read_fd(fd: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def exists(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def write_new(dir_fd: int, name: str, data: bytes, mode: int) -> None:
    """Create ``name`` (it must not exist), write ``data``, fsync, set ``mode``."""
    fd = os.open(
        name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd
    )
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        unlink(dir_fd, name)
        raise
    os.close(fd)


def unlink(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def rename(dir_fd: int, src: str, dst: str) -> None:
    os.rename(src, dst, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)


NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


def link(dir_fd: int, src: str, dst: str) -> None:
    """A second name ``dst`` for ``src`` (``FileExistsError`` when ``dst`` exists, never replacing
    it). On a file system without hard links ``src`` is renamed to ``dst`` instead, after a check
    that ``dst`` does not exist (the one place a file appearing meanwhile could be replaced)."""
    try:
        os.link(src, dst, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
        if exists(dir_fd, dst):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), dst) from None
        rename(dir_fd, src, dst)


_renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)


def exchange(dir_fd: int, a: str, b: str) -> bool:
    """Swap names ``a`` and ``b`` atomically; ``False`` where the kernel, libc or file system
    cannot (the caller then links the old file aside and renames)."""
    if _renameat2 is None:
        return False
    rc = _renameat2(dir_fd, os.fsencode(a), dir_fd, os.fsencode(b), RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)


def mode_of(dir_fd: int, name: str) -> int:
    return stat.S_IMODE(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)


def remove_empty_dirs(root_fd: int, rels: list[str]) -> None:
    """``rmdir`` each folder of ``rels`` that is empty, deepest first; others are left."""
    for rel in sorted(set(rels), key=lambda r: r.count("/"), reverse=True):
        parts = tuple(rel.split("/"))
        try:
            parent, _ = open_dir(root_fd, parts[:-1])
        except OSError:
            continue
        try:
            os.rmdir(parts[-1], dir_fd=parent)
        except OSError:
            pass
        finally:
            os.close(parent)
