"""Where a flat repo's root is, with nothing but the file system: cheap enough for start-up.

``core.repo.find_root`` uses it first; the TUI's command asks it before the app starts, so the
repo model's modules (fluxtree, kustree, PyYAML) are imported only when the repo is read.
"""

from __future__ import annotations

import os
from pathlib import Path


def norm(path: Path) -> Path:
    """Absolute and normalised, without resolving symlinks (resolve() costs a syscall per part)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def flat_root(start: Path) -> Path | None:
    """The nearest folder from ``start`` up holding ``clusters/*/infrastructure.yaml`` (the flat
    shape), or None."""
    start = norm(start)
    for candidate in (start, *start.parents):
        clusters = candidate / "clusters"
        if clusters.is_dir() and any(clusters.glob("*/infrastructure.yaml")):
            return candidate
    return None
