"""Read-only questions to git, through the one subprocess helper."""

from __future__ import annotations

from pathlib import Path

from infra_tui.services.proc import Command, CommandNotFound, run_command_sync


def changed_paths(root: Path) -> list[str] | None:
    """Repo-relative paths with uncommitted changes (``git status --porcelain``), or None if git
    cannot say (not installed, not a checkout)."""
    try:
        result = run_command_sync(
            Command(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all", "--", "."], timeout=10)
        )
    except CommandNotFound:
        return None
    if result.returncode != 0 or result.timed_out:
        return None
    paths = []
    for line in result.stdout.splitlines():
        path = line[3:]
        if " -> " in path:
            path = path.split(" -> ", 1)[1]
        paths.append(path.strip('"'))
    return paths
