"""Read-only questions to git, through the one subprocess helper, without running the repo's code.

A repo's own git config (``.git/config``, a shared folder, an unpacked archive) can make a plain
``git status`` run programs: ``core.fsmonitor`` (a command run on every status), hooks
(``post-index-change`` runs when status refreshes the index; ``core.hooksPath`` can point
anywhere) and filter drivers (``filter.<name>.clean`` runs when a file's stat changed but its size
did not). So every git run here passes ``-c core.fsmonitor=false -c core.hooksPath=/dev/null``,
``--no-optional-locks`` (status writes no index, so no hook and no change to the user's ``.git``),
empties the filter drivers defined in the repo's own config (local / worktree scope; the user's
global ones, e.g. git-lfs, stay), and does not recurse into submodules' work trees (their config is
the submodule's). Checked with git 2.39: each of these ran its command on a plain ``git status``
and none does with these options (tests/test_git_safety.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from infra_tui.services.proc import Command, CommandNotFound, Result, run_command

SAFE_OPTIONS = ["--no-optional-locks", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"]
"""Options before every git command infra-tui runs."""
REPO_SCOPES = {"local", "worktree"}


async def _repo_filter_overrides(root: Path) -> list[str]:
    """``-c filter.<name>.<cmd>=`` for every filter command set in the repo's own config.
    (``git config`` only reads files; it runs nothing.)"""
    result = await run_command(
        Command(
            [
                "git",
                *SAFE_OPTIONS,
                "-C",
                str(root),
                "config",
                "--includes",
                "--show-scope",
                "-z",
                "--get-regexp",
                r"^filter\..*\.(clean|smudge|process)$",
            ],
            timeout=10,
        )  # fmt: skip
    )
    fields = result.stdout.split("\0")  # -z --show-scope: scope NUL key LF value NUL ...
    overrides: list[str] = []
    for scope, entry in zip(fields[0::2], fields[1::2], strict=False):
        key = entry.split("\n", 1)[0]
        if scope in REPO_SCOPES and key:
            overrides += ["-c", f"{key}="]
    return overrides


async def run_git(root: Path, args: list[str], *, timeout: float = 10) -> Result:
    """``git -C root ARGS`` with the repo's own commands switched off (see the module docstring).
    Raises ``CommandNotFound`` without git."""
    overrides = await _repo_filter_overrides(root)
    return await run_command(
        Command(["git", *SAFE_OPTIONS, *overrides, "-C", str(root), *args], timeout=timeout)
    )


STATUS_ARGS = ["status", "--ignore-submodules=dirty"]


def changed_paths(root: Path) -> list[str] | None:
    """Repo-relative paths with uncommitted changes (``git status --porcelain``), or None if git
    cannot say (not installed, not a checkout)."""
    try:
        result = asyncio.run(run_git(root, [*STATUS_ARGS, "--porcelain", "--untracked-files=all", "--", "."]))
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


async def short_status(root: Path) -> str:
    """``git status --short`` of the repo, or why it could not run."""
    try:
        result = await run_git(root, [*STATUS_ARGS, "--short"])
    except CommandNotFound:
        return "(git is not installed)"
    if result.returncode != 0:
        return (result.stderr.strip() or "git status failed").splitlines()[0]
    return result.stdout.rstrip()
