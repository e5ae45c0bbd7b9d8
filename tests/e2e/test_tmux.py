"""End to end: the INSTALLED ``infra-tui`` console script driven in tmux, as a user would.

Skipped where tmux is missing. Each test runs its own tmux session (a unique name) and kills it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from infra_tui.commands.demo import copy_demo
from tests.processes import dead, processes_naming, wait_dead

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

SCRIPT = Path(sys.executable).with_name("infra-tui")


@pytest.fixture
def tmux():
    name = f"infra-tui-test-{uuid.uuid4().hex[:8]}"
    sessions: list[str] = []

    def start(command: str, cwd: Path) -> str:
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env["TERM"] = "xterm-256color"
        subprocess.run(
            ["tmux", "new-session", "-d", "-x", "160", "-y", "48", "-s", name, "-c", str(cwd), command],
            check=True,
            env=env,
        )
        sessions.append(name)
        return name

    yield start
    for s in sessions:
        subprocess.run(["tmux", "kill-session", "-t", s], capture_output=True)


def capture(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
    ).stdout


def send(session: str, *keys: str, literal: bool = False) -> None:
    """Send keys, then give the app a human's pause (focus moves are processed in between)."""
    for key in keys:
        subprocess.run(["tmux", "send-keys", "-t", session, *(["-l"] if literal else []), key], check=True)
        time.sleep(0.15)


def wait_for(session: str, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(session)
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} did not appear within {timeout}s; screen:\n{screen}")


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo-repo")


def test_type_a_component_and_write_it(tmux, demo_copy: Path) -> None:
    assert SCRIPT.exists(), f"{SCRIPT} is not installed (pip install -e .)"
    before = {p for p in demo_copy.rglob("*") if p.is_file() and ".git" not in p.parts}
    s = tmux(f"{SCRIPT}", demo_copy)
    wait_for(s, "New component")
    wait_for(s, "needs: name, chart, repo url")
    send(s, "redis-cache", literal=True)
    send(s, "Tab", "Tab", "Tab")
    send(s, "redis", literal=True)
    send(s, "Tab", "Tab")
    send(s, "https://charts.bitnami.com/bitnami", literal=True)
    wait_for(s, "plan valid")
    screen = wait_for(s, "+redis-cache")
    assert "layer" in screen
    send(s, "C-s")
    wait_for(s, "Write 5 files to demo-repo/")
    send(s, "y")
    screen = wait_for(s, "wrote 5 files")
    assert "?? namespaces/redis-cache/" in screen
    send(s, "Escape")
    send(s, "C-q")
    after = {p for p in demo_copy.rglob("*") if p.is_file() and ".git" not in p.parts}
    created = {p.relative_to(demo_copy).as_posix() for p in after - before}
    assert created == {
        "namespaces/redis-cache/namespace.yaml",
        "namespaces/redis-cache/helm-repository.yaml",
        "namespaces/redis-cache/helm-release.yaml",
        "namespaces/redis-cache/kustomization.yaml",
    }
    infra = (demo_copy / "clusters/local-kube/infrastructure.yaml").read_text()
    assert "name: redis-cache" in infra and "path: ./namespaces/redis-cache" in infra
    status = subprocess.run(
        ["git", "-C", str(demo_copy), "status", "--short"], capture_output=True, text=True
    ).stdout
    assert " M clusters/local-kube/infrastructure.yaml" in status


def test_demo_plays_to_the_end_with_everything_ready(tmux, tmp_path: Path) -> None:
    from infra_tui.core import repo as repo_mod

    into = tmp_path / "demo"
    s = tmux(f"{SCRIPT} demo --into {into}", tmp_path)
    wait_for(s, "demo space")
    total = len(repo_mod.load(into).env(None).kustomizations)
    send(s, "+", "+", "+")  # x8
    screen = wait_for(s, f"✓ {total} ready", timeout=60)
    bar = next(line for line in screen.splitlines() if f"✓ {total} ready" in line)
    assert "waiting" not in bar and "failed" not in bar and "progressing" not in bar
    send(s, "C-q")


BURST = [
    "-l:my-cache",
    "Tab",
    "Tab",
    "Tab",
    "-l:redis",
    "Tab",
    "-l:bitnami-https",
    "Tab",
    "-l:https://charts.bitnami.com/bitnami",
]
"""The issue's burst (the demo repo already has a HelmRepository ``bitnami`` with an oci:// url, so the
repository gets another name): one ``tmux send-keys`` per word or key, back to back, no pause."""

RUNS = int(os.environ.get("INFRA_TUI_TMUX_RUNS", "20"))


def burst(session: str, keys: list[str]) -> None:
    for key in keys:
        args = ["-l", key[3:]] if key.startswith("-l:") else [key]
        subprocess.run(["tmux", "send-keys", "-t", session, *args], check=True)


def test_a_burst_and_a_bracketed_paste_land_every_time(tmux, demo_copy: Path, tmp_path: Path) -> None:
    """RUNS fresh apps in a row (one tmux session, the pane respawned; the repo reset by git): the
    burst with no pauses, the URL as a bracketed paste (``paste-buffer -p``) right behind it."""
    url = tmp_path / "url.txt"
    url.write_text("https://charts.bitnami.com/bitnami\nsecond line: never spills\n")
    s = tmux("sh", demo_copy)
    for run in range(RUNS):
        subprocess.run(["git", "-C", str(demo_copy), "checkout", "-q", "--", "."], check=True)
        subprocess.run(["git", "-C", str(demo_copy), "clean", "-qfd"], check=True)
        subprocess.run(["tmux", "respawn-pane", "-k", "-t", s, f"{SCRIPT}"], check=True)
        wait_for(s, "needs: name, chart, repo url")
        burst(s, BURST[:-1])
        subprocess.run(["tmux", "load-buffer", str(url)], check=True)
        subprocess.run(["tmux", "paste-buffer", "-p", "-t", s], check=True)
        wait_for(s, "plan valid", timeout=40)
        send(s, "C-s")
        wait_for(s, "Write 5 files to demo-repo/")
        send(s, "y")
        wait_for(s, "wrote 5 files")
        send(s, "Escape", "C-q")
        release = (demo_copy / "namespaces/my-cache/helm-release.yaml").read_text()
        repository = (demo_copy / "namespaces/my-cache/helm-repository.yaml").read_text()
        assert "name: my-cache" in release and "chart: redis" in release, f"run {run}"
        assert (
            "url: https://charts.bitnami.com/bitnami\n" in repository and "name: bitnami-https" in repository
        ), f"run {run}"


def test_killing_its_pane_leaves_no_infra_tui_behind(tmux, demo_copy: Path) -> None:
    """``respawn-pane -k`` and ``kill-session`` hang up the pane's terminal (SIGHUP, then EIO on
    every write): the app must end, at any moment of its life, not idle on with no terminal.
    (Textual's output thread dies on EIO with its queue full, and the exit waited on it forever.)"""
    command = f"{SCRIPT} --repo {demo_copy}"  # the repo path marks this test's processes
    s = tmux("sh", demo_copy)
    for delay in (0.3, 0.8, 1.5, 2.5, 0.5, 1.2, 2.0, 3.0, 1.0, 4.0):
        subprocess.run(["tmux", "respawn-pane", "-k", "-t", s, command], check=True)
        time.sleep(delay)
    wait_for(s, "needs: name, chart, repo url", timeout=40)
    subprocess.run(["tmux", "kill-session", "-t", s], check=True)
    left = processes_naming(str(demo_copy))
    if left and not wait_dead([pid for pid, _ in left], within=10):  # the app allows itself 5 s
        still = [line for pid, line in left if not dead(pid)]
        for pid, _ in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        pytest.fail(f"infra-tui outlived its terminal: {still}")


def test_closing_the_terminal_ends_the_tui(tmux, demo_copy: Path) -> None:
    """``tmux kill-session`` hangs up the terminal: infra-tui exits (it used to hang for good, its
    output queue full behind Textual's dead writer thread). Three times: it was a race."""
    for _ in range(3):
        s = tmux(f"{SCRIPT}", demo_copy)
        wait_for(s, "L0 ")  # the graph is up: the app has written plenty
        pid = int(
            subprocess.run(
                ["tmux", "display-message", "-p", "-t", s, "#{pane_pid}"], capture_output=True, text=True
            ).stdout
        )
        subprocess.run(["tmux", "kill-session", "-t", s], check=True)
        try:
            assert wait_dead([pid], within=20), "infra-tui still runs after its terminal was closed"
        finally:
            if not dead(pid):
                os.kill(pid, 9)
