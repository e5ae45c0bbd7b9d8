"""``validate --dry-run ssh`` never reports a check that did not run as a pass (real sshd).

A changed host key is a possible man-in-the-middle: one line, exit 2. A command the allow-list
refuses: one line, exit 2 (nothing was sent). A remote that hangs past ``--timeout``: a failed
check, exit 1. The summary counts skipped apart from passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra_tui.commands.demo import copy_demo
from tests.sshd import _keygen

pytestmark = [pytest.mark.sshd, pytest.mark.kubectl]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("INFRA_TUI_SSH_PASSWORD", raising=False)
    return copy_demo(tmp_path / "repo")


def settings(tmp_path: Path, sshd, *, known_hosts: Path | None = None, kubectl: str = "kubectl") -> Path:
    path = tmp_path / "settings.yaml"  # named by INFRA_TUI_CONFIG: the user's own file, trusted
    path.write_text(
        "clusters:\n  local-kube:\n"
        f"    host: {sshd.host}\n    identity_file: {sshd.client_key}\n"
        f"    known_hosts_file: {known_hosts or sshd.known_hosts}\n    ssh_config: /dev/null\n"
        f"    kubectl: {kubectl}\n"
    )
    return path


def validate(repo: Path, config: Path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra_tui.cli", "validate", "reloader", "--dry-run", "ssh", "--no-progress",
         "--repo", str(repo), *argv],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        env={**os.environ, "INFRA_TUI_CONFIG": str(config)},
    )  # fmt: skip


def test_a_dry_run_that_ran_passes(repo, sshd, tmp_path):
    done = validate(repo, settings(tmp_path, sshd), "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["results"][0]["dry_run"] == "pass"
    assert doc["summary"] == {"passed": 1, "failed": 0, "skipped": 0}


def test_host_key_mismatch_is_an_error_in_one_line(repo, sshd, tmp_path):
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[127.0.0.1]:{sshd.port} {_keygen(tmp_path / 'impostor', 'impostor')}\n")
    done = validate(repo, settings(tmp_path, sshd, known_hosts=wrong))
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        done.stderr.count("\n") == 1
        and "does not match" in done.stderr
        and "man-in-the-middle" in done.stderr
    )
    assert "passed" not in done.stdout
    assert sshd.last_stdin() is None


def test_a_refused_remote_command_is_an_error_in_one_line(repo, sshd, tmp_path):
    done = validate(repo, settings(tmp_path, sshd, kubectl="sudo kubectl"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "refused to send" in done.stderr
    assert "passed" not in done.stdout and sshd.raw_commands() == []


def test_a_remote_hang_is_a_failed_check(repo, sshd, tmp_path):
    sshd.set_delay(30)
    start = time.monotonic()
    done = validate(repo, settings(tmp_path, sshd), "--timeout", "2s")
    assert time.monotonic() - start < 25
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL" in done.stdout and "did not run" in done.stdout and "within 2s" in done.stdout
    assert "0 passed, 1 failed, 0 skipped" in done.stdout


def test_skipped_is_counted_apart_from_passed(repo, tmp_path, monkeypatch):
    empty = tmp_path / "kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\n")
    done = subprocess.run(
        [sys.executable, "-m", "infra_tui.cli", "validate", "reloader", "--dry-run", "local", "--no-progress",
         "--repo", str(repo)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "KUBECONFIG": str(empty)},
    )  # fmt: skip
    assert done.returncode == 0
    assert "skip namespaces/reloader" in done.stdout and "0 passed, 0 failed, 1 skipped" in done.stdout
