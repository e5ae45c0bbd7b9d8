"""Every command against generated hostile repos (tests/hostile_repos.py): one line naming the
file and line, exit 2, no traceback, nothing written, and no hang (each run has a timeout)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_repos import ALIAS_CASES, CASES, build, tree_hash

SPEC = "name: newcomp\nchart:\n  name: newcomp\n  version: '1.x'\n  repository: {name: newcomp, url: https://charts.example.com}\n"
EDIT = "chart: {version: '2.x'}\n"

COMMANDS: dict[str, list[str]] = {
    "graph": ["graph"],
    "lint": ["lint"],
    "lint --fix": ["lint", "--fix", "--write"],
    "new --spec": ["new", "--spec", "{spec}", "--write", "--no-validate"],
    "edit --spec": ["edit", "app", "--spec", "{edit}", "--write", "--no-validate"],
    "remove": ["remove", "app", "--write"],
    "validate": ["validate", "app", "--dry-run", "offline"],
    "simulate": ["simulate"],
}


def cli(root: Path, argv: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    spec, edit = tmp / "spec.yaml", tmp / "edit.yaml"
    spec.write_text(SPEC)
    edit.write_text(EDIT)
    argv = [a.format(spec=spec, edit=edit) for a in argv]
    return subprocess.run(
        [sys.executable, "-m", "infra_tui.cli", *argv, "--repo", str(root)],
        capture_output=True,
        text=True,
        timeout=20,
        stdin=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp), "NO_COLOR": "1"},
    )


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(CASES))
def test_every_command_refuses_the_hostile_repo(case, command, tmp_path):
    root = build(tmp_path / "repos", case)
    before = tree_hash(root)
    proc = cli(root, COMMANDS[command], tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    hits = [ln for ln in lines if CASES[case][1] in ln]
    assert len(hits) == 1, proc.stderr[-2000:]
    if case in ALIAS_CASES:
        assert "alias expansion too large" in hits[0]
    assert tree_hash(root) == before  # nothing written
