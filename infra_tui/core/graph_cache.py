"""The bootstrap graph of the last start, kept on disk so that the next start draws it at once.

Reading a repo costs the TUI's start-up ~115 ms (the repo model's imports and the parse) before
the graph can be drawn (issue 12: the graph within +250 ms of a bare Textual app). The graph of
the last load is kept in the user's cache folder with a fingerprint of the repo's tree, and the
next start of the TUI on the same repo and env draws it while the repo is read again. The read
goes on as always and its graph replaces the kept one, so the kept one is only ever a first
picture of the same files.

A kept graph is used only if nothing under the repo changed since it was made: the fingerprint
covers every folder (path, mtime; a file added, removed or renamed changes its folder's mtime)
and every file (path, mtime, size, inode) below the root, ``.git`` left out, plus the code of the
model that made the graph. A tree with a symlinked folder (changes behind the link would not
show), more than ``MAX_ENTRIES`` entries or an entry changed in the last two seconds (its mtime
may not change again within the clock's tick; git's "racy" rule) is not kept. The cache folder is the user's own
(``$INFRA_TUI_CACHE_DIR``, else ``$XDG_CACHE_HOME/infra-tui``, else ``~/.cache/infra-tui``,
created 0700); a file in it that is not owned by the user or is readable by others is ignored,
never unpickled. Every failure (unreadable, corrupt, another version) is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

from infra_tui.core.graph import Graph
from infra_tui.core.user_dirs import user_dir

CACHE_DIR_ENV = "INFRA_TUI_CACHE_DIR"
MAX_ENTRIES = 5_000
"""Folders and files a fingerprint walks at most (~10 ms, before the TUI's first frame); a larger
repo is not kept."""
KEEP = 32
"""Kept graphs (repo x env) at most: the least recently written go first."""
RACY_NS = 2_000_000_000
"""A tree with an entry changed less than this long ago (ns) gets no fingerprint."""
_FORMAT = b"infra-tui graph cache 1\n"
_MAX_BYTES = 64 << 20


@dataclass(frozen=True)
class Kept:
    """What a start found: this start's ``fingerprint`` of the tree and the graph kept with it
    (None: none, or a changed tree)."""

    print_: bytes | None
    graph: Graph | None


def look_up(root: Path | str, env: str | None) -> Kept:
    """This start's fingerprint of ``root`` and the graph the last start kept for ``env``."""
    print_ = fingerprint(root)
    return Kept(print_, load(root, env, print_))


def cache_dir() -> Path:
    """``$INFRA_TUI_CACHE_DIR``, else ``$XDG_CACHE_HOME/infra-tui``, else ``~/.cache/infra-tui``."""
    return user_dir(CACHE_DIR_ENV, "XDG_CACHE_HOME", ".cache")


def fingerprint(root: Path | str) -> bytes | None:
    """What the repo under ``root`` looks like on disk, as a digest; None if it cannot be kept:
    a symlinked folder, too many entries, or an entry changed in the last ``RACY_NS`` (a file
    changed twice within the clock's tick keeps its mtime: as git does, such a tree is not
    trusted to a fingerprint)."""
    top = os.path.realpath(root)
    digest = hashlib.sha256(_code_key())
    recent = time.time_ns() - RACY_NS
    entries = 0
    unreadable: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(top, onerror=unreadable.append):
        if unreadable:  # a folder that cannot be listed: what is in it cannot be fingerprinted
            return None
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        rel = os.path.relpath(dirpath, top)
        try:
            mtime = os.stat(dirpath).st_mtime_ns
        except OSError:
            return None
        if mtime > recent or any(os.path.islink(os.path.join(dirpath, d)) for d in dirnames):
            return None
        digest.update(f"D {rel} {mtime}\n".encode("utf-8", "surrogateescape"))
        for name in sorted(filenames):
            try:
                st = os.stat(os.path.join(dirpath, name))
            except OSError:
                digest.update(f"F {rel}/{name} unreadable\n".encode("utf-8", "surrogateescape"))
                continue
            if st.st_mtime_ns > recent:
                return None
            line = f"F {rel}/{name} {st.st_mtime_ns} {st.st_size} {st.st_ino}\n"
            digest.update(line.encode("utf-8", "surrogateescape"))
        entries += len(dirnames) + len(filenames) + 1
        if entries > MAX_ENTRIES:
            return None
    return None if unreadable else digest.digest()


def load(root: Path | str, env: str | None, print_: bytes | None) -> Graph | None:
    """The kept graph of ``root``'s ``env`` (None: the primary env) if ``print_`` (this start's
    ``fingerprint``) is the one it was kept with; else None."""
    if print_ is None:
        return None
    try:
        fd = os.open(_entry(root, env), os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.getuid() or st.st_mode & 0o077 or st.st_size > _MAX_BYTES:
            return None  # not the user's own private file: never unpickled
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read()
    except OSError:
        return None
    finally:
        os.close(fd)
    head = _FORMAT + print_
    if not data.startswith(head):
        return None
    try:
        graph = pickle.loads(data[len(head) :])  # the user's own file (checked above)
    except Exception:
        return None
    return graph if isinstance(graph, Graph) else None


def store(root: Path | str, env: str | None, print_: bytes | None, graph: Graph) -> None:
    """Keep ``graph`` for ``root``'s ``env`` with ``print_``, the fingerprint taken before the
    files were read (a file changed meanwhile makes the next start's fingerprint differ: a miss,
    never a stale graph). Quietly does nothing if the cache folder cannot be written."""
    if print_ is None:
        return
    import tempfile  # here: start-up reads the cache before it writes it (~5 ms of imports)

    tmp: str | None = None
    try:
        entry = _entry(root, env)
        folder = entry.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")  # 0600
        with os.fdopen(fd, "wb") as f:
            f.write(_FORMAT + print_ + pickle.dumps(graph, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, entry)
    except Exception:  # a folder that cannot be written, a graph that cannot be pickled: no cache
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return
    _prune(folder)


def _entry(root: Path | str, env: str | None) -> Path:
    """The cache file of ``root``'s ``env`` (``OSError`` if there is no cache folder to name:
    no home directory)."""
    key = f"{os.path.realpath(root)}\0{env or ''}".encode("utf-8", "surrogateescape")
    try:
        folder = cache_dir() / "graphs"
    except (KeyError, RuntimeError) as exc:  # Path.home() without HOME nor a passwd entry
        raise OSError(str(exc)) from None
    return folder / (hashlib.sha256(key).hexdigest()[:32] + ".pickle")


def _prune(folder: Path) -> None:
    """Keep the ``KEEP`` most recently written graphs."""
    with contextlib.suppress(OSError):
        kept = sorted(
            (e for e in os.scandir(folder) if e.name.endswith(".pickle")),
            key=lambda e: e.stat().st_mtime_ns,
            reverse=True,
        )
        for old in kept[KEEP:]:
            with contextlib.suppress(OSError):
                os.unlink(old.path)


_CODE_KEY: bytes | None = None


def _code_key() -> bytes:
    """The model's code as it is installed: a kept graph made by other code is a miss."""
    global _CODE_KEY
    if _CODE_KEY is None:
        here = Path(__file__).resolve().parent
        parts = []
        for name in sorted(os.listdir(here)):
            if name.endswith(".py"):
                st = os.stat(here / name)
                parts.append(f"{name} {st.st_mtime_ns} {st.st_size}")
        _CODE_KEY = "\n".join(parts).encode()
    return _CODE_KEY
