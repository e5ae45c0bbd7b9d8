"""Nothing outlives infra-tui: SIGTERM and SIGHUP clean up as SIGINT does.

Real signals to the real CLI: ``status --watch`` and the TUI (on a pty) with a host on the real
sshd, ``validate --all`` over ssh while the remote dry-runs hang, ``new`` while its validation
builds. Afterwards no ssh master or client, no kustomize process group, no ``itui-ssh-*`` dir and
no scratch repo copy may be left. Each run gets a private TMPDIR so that only its own leftovers
are looked at (other test runs may share the machine).
"""

from __future__ import annotations

import os
import pty
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infra_tui.commands.demo import copy_demo
from tests.processes import processes_naming

SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGHUP, id="SIGHUP")]
CLI = [sys.executable, "-m", "infra_tui.cli"]


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    # short: the ssh ControlPath (a unix socket) under it must stay below ~104 bytes
    path = Path(tempfile.mkdtemp(prefix="itui-sig-", dir="/tmp"))
    yield path
    for pid, _ in processes_naming(str(path)):  # by pid, only what names this dir
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def repo(private_tmp: Path, monkeypatch) -> Path:
    monkeypatch.delenv("INFRA_TUI_SSH_PASSWORD", raising=False)
    return copy_demo(private_tmp / "repo")


def settings_for(sshd, where: Path) -> Path:
    path = where / "settings.yaml"  # named by INFRA_TUI_CONFIG: the user's own file
    path.write_text(
        "clusters:\n  local-kube:\n"
        f"    host: {sshd.host}\n    identity_file: {sshd.client_key}\n"
        f"    known_hosts_file: {sshd.known_hosts}\n    ssh_config: /dev/null\n    poll_interval: 1s\n"
    )
    return path


def env_for(private_tmp: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(private_tmp), "NO_COLOR": "1", **extra}


def wait_until(condition: Callable[[], object], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def leftovers(private_tmp: Path) -> list[str]:
    procs = [cmd for _, cmd in processes_naming(str(private_tmp))]
    dirs = [p.name for p in private_tmp.iterdir() if p.name.startswith(("itui-ssh-", "infra-tui-scratch-"))]
    return procs + dirs


def assert_clean_exit(proc: subprocess.Popen, sig: int, private_tmp: Path) -> None:
    proc.send_signal(sig)
    proc.wait(30)
    assert proc.returncode == 128 + sig, proc.returncode
    try:
        wait_until(lambda: not leftovers(private_tmp), 10, "the clean-up")
    except AssertionError:
        raise AssertionError(f"left behind: {leftovers(private_tmp)}") from None


def ssh_running(private_tmp: Path) -> bool:
    return any("ControlPath=" in cmd or "[mux]" in cmd for _, cmd in processes_naming(str(private_tmp)))


@pytest.mark.sshd
@pytest.mark.parametrize("sig", SIGNALS)
def test_status_watch(repo, sshd, private_tmp, sig):
    proc = subprocess.Popen(
        [*CLI, "status", "--watch", "--repo", str(repo)], cwd=repo, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env_for(private_tmp, INFRA_TUI_CONFIG=str(settings_for(sshd, private_tmp))),
    )  # fmt: skip
    try:
        wait_until(lambda: sshd.kubectl_calls() and ssh_running(private_tmp), 30, "the first poll")
        assert_clean_exit(proc, sig, private_tmp)
    finally:
        proc.kill()


@pytest.mark.sshd
@pytest.mark.kubectl
@pytest.mark.parametrize("sig", SIGNALS)
def test_validate_all_over_ssh(repo, sshd, private_tmp, sig):
    sshd.set_delay(60)  # every remote dry-run hangs: the run is busy when the signal comes
    proc = subprocess.Popen(
        [*CLI, "validate", "--all", "--dry-run", "ssh", "--no-progress", "--jobs", "2", "--repo", str(repo)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env_for(private_tmp, INFRA_TUI_CONFIG=str(settings_for(sshd, private_tmp))),
    )  # fmt: skip
    try:
        wait_until(lambda: sshd.kubectl_calls() and ssh_running(private_tmp), 60, "a remote dry-run")
        assert_clean_exit(proc, sig, private_tmp)
    finally:
        proc.kill()


@pytest.mark.parametrize("sig", SIGNALS)
def test_new_while_validating(repo, private_tmp, sig):
    slow = private_tmp / "slow-kustomize"
    slow.write_text("#!/bin/sh\nsleep 60\n")
    slow.chmod(0o755)
    spec = private_tmp / "spec.yaml"
    spec.write_text(
        "name: redis-cache\nchart:\n  name: redis\n  version: '19.x'\n"
        "  repository: {name: bitnami-https, url: https://charts.bitnami.com/bitnami}\n"
    )
    proc = subprocess.Popen(
        [*CLI, "new", "--spec", str(spec), "--repo", str(repo)], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env_for(private_tmp, INFRA_TUI_KUSTOMIZE=str(slow)),
    )  # fmt: skip
    try:
        wait_until(lambda: processes_naming(str(slow)), 60, "the validation's build")
        assert list(private_tmp.glob("infra-tui-scratch-*")), "the build runs in a scratch copy"
        assert_clean_exit(proc, sig, private_tmp)
        assert not (repo / "namespaces" / "redis-cache").exists()
    finally:
        proc.kill()


@pytest.mark.sshd
@pytest.mark.parametrize("sig", SIGNALS)
def test_tui_with_a_host(repo, sshd, private_tmp, sig):
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    proc = subprocess.Popen(
        [*CLI, "--repo", str(repo)], cwd=repo, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        env=env_for(private_tmp, INFRA_TUI_CONFIG=str(settings_for(sshd, private_tmp)), TERM="xterm-256color",
                    COLUMNS="120", LINES="40"),
    )  # fmt: skip
    os.close(slave)
    stop = threading.Event()

    def drain() -> None:  # a terminal reads what the app writes
        while not stop.is_set():
            try:
                os.read(master, 65536)
            except BlockingIOError:
                time.sleep(0.02)
            except OSError:
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        wait_until(lambda: sshd.kubectl_calls() and ssh_running(private_tmp), 60, "the TUI's first poll")
        if sig == signal.SIGHUP:  # the terminal goes away, as when its window is closed
            stop.set()
            reader.join()
            os.close(master)
            master = -1
        assert_clean_exit(proc, sig, private_tmp)
    finally:
        stop.set()
        proc.kill()
        if master >= 0:
            os.close(master)
