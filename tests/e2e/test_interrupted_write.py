"""kill -9 of the real CLI in the middle of a multi-file write; the next command recovers.

``INFRA_TUI_TEST_WRITE_PAUSE=N`` (core/apply.py) stops the write at its N-th step with a line on
stderr, so the kill lands at a known moment: after the journal, after each staged file, after the
last check, after each swap, after the verification, after the commit mark. The next command
(`graph`, the TUI) must roll the write back (or finish it, once every file was swapped in) and say
so in one line, leaving no hidden temp file, no empty folder and no journal; a re-run then works.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from infra_tui.app import InfraApp
from infra_tui.commands.demo import copy_demo
from infra_tui.core import apply as apply_mod
from tests.apprepo import settle

CLI = [sys.executable, "-m", "infra_tui.cli"]
EDIT_SPEC = "chart: {version: '20.x'}\nwebhook: true\ntimeout: 15m\n"  # 1 created, 4 modified
NEW_SPEC = "name: my-cache\nchart:\n  name: redis\n  version: '19.x'\n  repository: {name: bitnami-https, url: https://charts.bitnami.com/bitnami}\n"
LAST_STEP = 14  # journal, 5 staged, checked, 5 swapped, verified, committed


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) of the work tree, .git left out."""
    out: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] == ".git":
            continue
        out[rel.as_posix()] = None if p.is_dir() else p.read_bytes()
    return out


def leftovers(root: Path) -> list[str]:
    hidden = [
        p
        for p in root.rglob("*")
        if "infra-tui" in p.name and (p.name.startswith(".") or "journal" in p.name)
    ]
    return sorted(p.relative_to(root).as_posix() for p in hidden)


def killed_at(step: int, argv: list[str], repo: Path) -> bool:
    """Run ``argv`` paused at write step ``step`` and kill -9 it there; False if it never got there."""
    env = {**os.environ, apply_mod.PAUSE_ENV: str(step)}
    proc = subprocess.Popen(
        [*CLI, *argv, "--repo", str(repo)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr
    try:
        for line in proc.stderr:
            if f"test pause at write step {step}" in line:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
                return True
        proc.wait(60)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def reset(repo: Path) -> None:
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "--", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "clean", "-qfd"], check=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo-repo")


@pytest.mark.parametrize(
    ("command", "steps"),
    [
        pytest.param(["edit", "redis"], range(1, LAST_STEP + 2), id="edit"),
        pytest.param(["new"], [1, 4, 7, 9, 12, 13, 14, 15], id="new"),
    ],
)
def test_kill_9_midway_is_undone_or_finished_by_the_next_command(
    repo: Path, tmp_path: Path, command, steps
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(EDIT_SPEC if command[0] == "edit" else NEW_SPEC)
    argv = [*command, "--spec", str(spec), "--write", "--no-validate"]
    before = tree(repo)
    done = subprocess.run([*CLI, *argv, "--repo", str(repo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    after = tree(repo)
    assert after != before and leftovers(repo) == []
    reset(repo)
    reached = []
    for step in steps:
        if not killed_at(step, argv, repo):
            assert step == LAST_STEP + 1, f"the write has fewer steps than {LAST_STEP}: update LAST_STEP"
            assert tree(repo) == after  # it ran to the end
            reset(repo)
            continue
        reached.append(step)
        assert leftovers(repo), f"step {step}: the journal should be there"
        recovered = subprocess.run([*CLI, "graph", "--repo", str(repo)], capture_output=True, text=True)
        assert recovered.returncode == 0, recovered.stderr
        notes = [line for line in recovered.stderr.splitlines() if "interrupted write of 5 files" in line]
        assert len(notes) == 1, f"step {step}: {recovered.stderr}"
        if step == LAST_STEP:
            assert "was finished" in notes[0]
            assert tree(repo) == after, f"step {step}: not finished"
        else:
            assert "was rolled back" in notes[0]
            assert tree(repo) == before, f"step {step}: not rolled back"
        assert leftovers(repo) == [], f"step {step}"
        again = subprocess.run([*CLI, "graph", "--repo", str(repo)], capture_output=True, text=True)
        assert "interrupted" not in again.stderr  # said once, done once
        if step == 7:  # a re-run of the same write is not blocked by anything the kill left
            rerun = subprocess.run([*CLI, *argv, "--repo", str(repo)], capture_output=True, text=True)
            assert rerun.returncode == 0, rerun.stderr
            assert tree(repo) == after
        reset(repo)
    assert reached == [s for s in steps if s <= LAST_STEP]


async def test_the_tui_recovers_at_start_and_says_so(repo: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(NEW_SPEC)
    before = tree(repo)
    assert killed_at(9, ["new", "--spec", str(spec), "--write", "--no-validate"], repo)
    assert tree(repo) != before
    app = InfraApp(repo, blink=False)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settle(pilot)
        await pilot.pause(0.3)  # the toast is mounted on the next refresh
        toasts = " ".join(str(toast.render()) for toast in app.screen.query("Toast"))
    assert tree(repo) == before and leftovers(repo) == []
    assert "Interrupted write" in toasts and "was rolled back" in toasts, toasts
