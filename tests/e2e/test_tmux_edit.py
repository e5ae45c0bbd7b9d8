"""End to end: `infra-tui edit redis` (no --spec, no --plain) opens the TUI on redis, in tmux, on a
copy of the demo repo: change the chart version, write, check the file."""

from __future__ import annotations

import difflib
import subprocess

from tests.e2e.test_tmux import SCRIPT, demo_copy, pytestmark, send, tmux, wait_for  # noqa: F401


def test_edit_redis_bumps_the_version(tmux, demo_copy) -> None:  # noqa: F811
    assert SCRIPT.exists(), f"{SCRIPT} is not installed (pip install -e .)"
    hr = demo_copy / "namespaces/redis/helm-release.yaml"
    before = hr.read_text()
    s = tmux(f"{SCRIPT} edit redis", demo_copy)
    wait_for(s, "Edit redis")
    wait_for(s, "nothing changed yet")
    send(s, "End", "C-u")  # the version field has the focus
    send(s, "21.x", literal=True)
    screen = wait_for(s, "plan valid: 1 file change")
    assert "Recreate: NO" in screen
    send(s, "F3")
    wait_for(s, '+      version: "21.x"')
    send(s, "C-s")
    wait_for(s, "Write 1 files to demo-repo/")
    assert "~ namespaces/redis/helm-release.yaml  (modified)" in wait_for(s, "(modified)")
    send(s, "y")
    wait_for(s, "wrote 1 files")
    send(s, "Escape")
    send(s, "C-q")
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), hr.read_text().splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ['-      version: "20.x"', '+      version: "21.x"']
    status = subprocess.run(
        ["git", "-C", str(demo_copy), "status", "--short"], capture_output=True, text=True
    )
    assert status.stdout.strip() == "M namespaces/redis/helm-release.yaml"
