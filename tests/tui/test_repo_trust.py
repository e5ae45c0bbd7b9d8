"""A repo's ``.infra-tui.yaml`` is untrusted input: nothing in it runs a local program until the
user trusts that exact file (``infra-tui trust`` or the TUI's confirmation).

The hostile repo names ``clusters.local-kube.ssh_config: .ssh_config_evil`` whose ``Host *`` has a
``ProxyCommand`` that writes a marker file: the marker must not appear for ``infra-tui status``,
``validate --dry-run ssh`` or the TUI's start-up, until the file is trusted; after an edit it is
untrusted again. Real CLI processes, a real sshd on 127.0.0.1, the real TUI under Pilot.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra_tui.app import InfraApp
from infra_tui.commands.demo import copy_demo
from infra_tui.core import trust
from infra_tui.core.settings import load_settings
from infra_tui.screens.modals import TrustScreen
from tests.apprepo import settle, wait_for

CLI = [sys.executable, "-m", "infra_tui.cli"]


@pytest.fixture
def hostile(tmp_path: Path, sshd, monkeypatch) -> tuple[Path, Path]:
    """A demo repo copy whose settings reach the test sshd through an evil ssh config."""
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    monkeypatch.delenv("INFRA_TUI_SSH_PASSWORD", raising=False)
    root = copy_demo(tmp_path / "repo")
    monkeypatch.chdir(root)  # as a user runs it: in the repo (the relative ssh_config resolves here too)
    marker = tmp_path / "pwned"
    (root / ".ssh_config_evil").write_text(f'Host *\n  ProxyCommand sh -c "touch {marker}; exec false"\n')
    (root / ".infra-tui.yaml").write_text(
        "clusters:\n"
        "  local-kube:\n"
        f"    host: {sshd.host}\n"
        f"    identity_file: {sshd.client_key}\n"
        f"    known_hosts_file: {sshd.known_hosts}\n"
        "    ssh_config: .ssh_config_evil\n"
        "    poll_interval: 1s\n"
        "rules:\n"
        "  required_dependencies: [{component: redis, depends_on: cilium}]\n"
    )
    return root, marker


def cli(root: Path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *argv, "--repo", str(root)], cwd=root, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip


@pytest.mark.sshd
def test_status_does_not_run_an_untrusted_proxycommand(hostile):
    root, marker = hostile
    done = cli(root, "status")
    assert not marker.exists(), "the repo's ProxyCommand ran"
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "not trusted" in lines[0] and "clusters.local-kube.ssh_config" in lines[0]
    assert "clusters.local-kube.host" in lines[0] and "infra-tui trust" in lines[0]


@pytest.mark.sshd
def test_status_with_host_flag_still_ignores_the_repo_ssh_config(hostile, sshd):
    root, marker = hostile
    done = cli(root, "status", "--host", sshd.host, "--identity-file", str(sshd.client_key),
               "--known-hosts", str(sshd.known_hosts), "--format", "json")  # fmt: skip
    assert not marker.exists()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kustomizations"]
    # said in one line, naming only what the flags did not replace
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "not trusted" in done.stderr and "clusters.local-kube.ssh_config" in done.stderr
    assert "clusters.local-kube.host" not in done.stderr and "infra-tui trust" in done.stderr


@pytest.mark.sshd
@pytest.mark.kubectl
def test_validate_dry_run_ssh_does_not_run_an_untrusted_proxycommand(hostile):
    root, marker = hostile
    done = cli(root, "validate", "reloader", "--dry-run", "ssh", "--no-progress")
    assert not marker.exists(), "the repo's ProxyCommand ran"
    assert done.returncode == 2
    assert "not trusted" in done.stderr and "infra-tui trust" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.sshd
def test_trust_applies_the_settings_and_an_edit_untrusts_them(hostile):
    root, marker = hostile
    done = cli(root, "trust")
    assert done.returncode == 0, done.stderr
    assert "clusters.local-kube.ssh_config: " in done.stdout and ".ssh_config_evil" in done.stdout
    record = json.loads((trust.user_config_dir() / trust.TRUST_FILE).read_text())
    settings_file = str((root / ".infra-tui.yaml").resolve())
    assert record["files"][settings_file]["sha256"] == trust.digest((root / ".infra-tui.yaml").read_bytes())

    cli(root, "status", "--timeout", "10s")
    assert marker.exists(), "trusted settings must apply (the ProxyCommand is the user's choice now)"

    marker.unlink()
    with (root / ".infra-tui.yaml").open("a") as f:
        f.write("# one more line\n")
    done = cli(root, "status")
    assert not marker.exists()
    assert done.returncode == 2 and "changed since it was trusted" in done.stderr

    done = cli(root, "trust", "--revoke")
    assert (
        done.returncode == 0
        and settings_file not in json.loads((trust.user_config_dir() / trust.TRUST_FILE).read_text())["files"]
    )


def test_untrusted_file_keeps_the_keys_that_run_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    (tmp_path / ".infra-tui.yaml").write_text(
        "clusters:\n  local-kube:\n    host: kube@10.0.0.1\n    kubectl: k3s kubectl\n    poll_interval: 30s\n"
        "rules:\n  required_dependencies: [{component: redis, depends_on: cilium}]\n"
    )
    settings = load_settings(tmp_path)
    local = settings.clusters["local-kube"]
    assert local.host is None and local.kubectl == "kubectl" and local.poll_interval == 30
    assert settings.rules == {"required_dependencies": [{"component": "redis", "depends_on": "cilium"}]}
    assert settings.ignored == ("clusters.local-kube.host", "clusters.local-kube.kubectl")
    line = trust.notice(settings, "local-kube")
    assert line and "not trusted yet" in line and "\n" not in line
    assert trust.notice(settings, "local-kube", overridden=["host", "kubectl"]) is None


def test_user_config_is_trusted_and_the_repo_file_goes_over_it_once_trusted(
    tmp_path, monkeypatch, user_config_dir
):
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    (user_config_dir / "config.yaml").write_text(
        "clusters:\n  local-kube:\n    host: me@127.0.0.1:2222\n    identity_file: ~/.ssh/lab\n"
    )
    repo_file = tmp_path / ".infra-tui.yaml"
    repo_file.write_text("clusters:\n  local-kube:\n    host: them@10.0.0.9\n    ssh_config: cfg\n")
    local = load_settings(tmp_path).clusters["local-kube"]
    assert (local.host, local.ssh_config) == ("me@127.0.0.1:2222", None)
    assert local.identity_file == os.path.expanduser("~/.ssh/lab")
    trust.record_trust(repo_file, repo_file.read_bytes())
    local = load_settings(tmp_path).clusters["local-kube"]
    assert local.host == "them@10.0.0.9"
    assert local.ssh_config == str(tmp_path / "cfg")  # a repo's relative path is a file of the repo


def test_the_user_configs_kubernetes_version_applies_unless_the_repo_names_one(
    tmp_path, monkeypatch, user_config_dir
):
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    (user_config_dir / "config.yaml").write_text('kubernetes_version: "1.31"\n')
    (tmp_path / ".infra-tui.yaml").write_text("clusters: {}\n")
    assert load_settings(tmp_path).kubernetes_version == "1.31"
    (tmp_path / ".infra-tui.yaml").write_text('kubernetes_version: "1.32"\n')
    assert load_settings(tmp_path).kubernetes_version == "1.32"


def test_xdg_config_home_is_honoured(tmp_path, monkeypatch):
    monkeypatch.delenv("INFRA_TUI_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert trust.user_config_dir() == tmp_path / "xdg" / "infra-tui"


def test_trust_without_a_settings_file_is_one_line_exit_2(tmp_path):
    root = copy_demo(tmp_path / "repo")
    done = cli(root, "trust")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and ".infra-tui.yaml" in done.stderr


# ------------------------------------------------------------------ the TUI


def _wait_file(path: Path, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.05)
    return path.exists()


def asking(app) -> bool:
    return isinstance(app.screen, TrustScreen) and bool(app.screen.query("#without"))


@pytest.mark.sshd
async def test_tui_start_up_asks_and_continuing_without_runs_nothing(hostile) -> None:
    root, marker = hostile
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: asking(app), what="the trust question")
        shown = str(app.screen.query_one("#trust-keys").render())
        assert "clusters.local-kube.ssh_config" in shown and ".ssh_config_evil" in shown
        assert not marker.exists()
        await pilot.press("escape")  # continue without them
        await settle(pilot)
        await pilot.pause(2.5)  # more than two poll intervals
        assert not marker.exists(), "the repo's ProxyCommand ran"
        assert not isinstance(app.screen, TrustScreen)
        note = str(app.screen.query_one("#cluster-status").render())
        assert "not trusted" in note and "infra-tui trust" in note
    assert not trust.is_trusted(root / ".infra-tui.yaml", (root / ".infra-tui.yaml").read_bytes())


@pytest.mark.sshd
async def test_tui_trust_once_applies_the_settings(hostile) -> None:
    root, marker = hostile
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: asking(app), what="the trust question")
        await pilot.press("t")
        await wait_for(pilot, marker.exists, timeout=20, what="the trusted ProxyCommand")
    assert trust.is_trusted(root / ".infra-tui.yaml", (root / ".infra-tui.yaml").read_bytes())
