"""Where the write journal (``core.write_journal``) lives, and whether one may be there.

Only ``os`` and ``stat``: the TUI's loader thread asks ``may_exist`` before it imports
``core.write_journal`` (its modules: ctypes, the put-back, the journal's records; ~7 ms of the
GIL while the event loop mounts the preview pane at start-up), and imports it only when there is
something to recover.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

NAME = "infra-tui-journal"


def where(root_fd: int) -> tuple[tuple[str, ...], str]:
    """The journal's folder below the repo root (as parts) and its name: ``.git/infra-tui-journal``
    when the root holds a ``.git`` folder, else ``.infra-tui-journal`` in the root."""
    try:
        st = os.stat(".git", dir_fd=root_fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            return (".git",), NAME
    except OSError:
        pass
    return (), "." + NAME


def may_exist(root: Path | str) -> bool:
    """A journal, or a journal's temp file, may be in its folder (an entry named like it): what
    ``write_journal.recover`` finishes, rolls back or sweeps. False only when there is none (or
    no root to look in, where ``recover`` does nothing either); a folder that cannot be listed is
    a maybe."""
    top = os.path.realpath(root)
    try:
        fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        parts, name = where(fd)
        return any(entry.startswith(name) for entry in os.listdir(os.path.join(top, *parts)))
    except OSError:
        return True
    finally:
        os.close(fd)
