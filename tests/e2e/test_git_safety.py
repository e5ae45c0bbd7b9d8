"""Every git command infra-tui runs leaves the repo's own programs alone: ``core.fsmonitor``,
hooks (``post-index-change`` runs on a plain ``git status``) and filter drivers from the repo's
``.git/config``. A plain ``git status`` runs each of them (the control), the write path's does not.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import pytest

from infra_tui.app import git_status
from infra_tui.services.git import changed_paths


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


@pytest.fixture
def hostile_git(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "repo"
    root.mkdir()
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\ncat\n')
    script.chmod(0o755)
    _git(root, "init", "-q")
    (root / "a.yaml").write_text("a: 1\n")
    (root / ".gitattributes").write_text("*.yaml filter=evil\n")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    _git(root, "config", "core.fsmonitor", str(script))
    _git(root, "config", "filter.evil.clean", str(script))
    hooks = root / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "post-index-change").write_text(f"#!/bin/sh\necho hook >> {marker}\n")
    (hooks / "post-index-change").chmod(0o755)
    return root, marker


def _dirty_stat(root: Path) -> None:
    """Same size, newer mtime: git must look at the content (and would run the clean filter)."""
    path = root / "a.yaml"
    later = time.time() + 5
    os.utime(path, (later, later))


def test_a_plain_git_status_runs_the_repo_commands(hostile_git):
    root, marker = hostile_git
    _dirty_stat(root)
    _git(root, "status", "--porcelain")
    assert marker.exists()  # the control: this repo really does run code on git status


def test_the_write_path_git_status_runs_none_of_them(hostile_git):
    root, marker = hostile_git
    (root / "new.yaml").write_text("b: 2\n")
    _dirty_stat(root)
    assert changed_paths(root) == ["new.yaml"]
    _dirty_stat(root)
    shown = asyncio.run(git_status(root))
    assert "?? new.yaml" in shown
    assert not marker.exists(), marker.read_text()
