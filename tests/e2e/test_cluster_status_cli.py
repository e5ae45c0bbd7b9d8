"""``infra-tui status`` end to end: settings file + flags, real sshd, JSON and text output."""

from __future__ import annotations

import json

import pytest

from infra_tui.cli import main
from infra_tui.core.trust import record_trust
from tests.sshd import DATA

INFRA = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cilium
  namespace: flux-system
spec:
  interval: 10m
  path: ./namespaces/cilium
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cert-manager
  namespace: flux-system
spec:
  dependsOn:
    - name: cilium
  interval: 10m
  path: ./namespaces/cert-manager
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: redis
  namespace: flux-system
spec:
  interval: 10m
  path: ./namespaces/redis
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / "clusters" / "local-kube").mkdir(parents=True)
    (root / "clusters" / "local-kube" / "infrastructure.yaml").write_text(INFRA)
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    monkeypatch.delenv("INFRA_TUI_SSH_PASSWORD", raising=False)
    monkeypatch.chdir(root)
    return root


def write_settings(root, sshd, **extra):
    lines = [
        "clusters:",
        "  local-kube:",
        f"    host: {sshd.user}@127.0.0.1:{sshd.port}",
        f"    identity_file: {sshd.client_key}",
        f"    known_hosts_file: {sshd.known_hosts}",
        "    ssh_config: /dev/null",
    ] + [f"    {k}: {v}" for k, v in extra.items()]
    text = "\n".join(lines) + "\n"
    (root / ".infra-tui.yaml").write_text(text)
    record_trust(root / ".infra-tui.yaml", text.encode())  # the user trusted this file


@pytest.mark.sshd
def test_status_json_from_settings_with_drift(repo, sshd, capsys):
    write_settings(repo, sshd, context="admin@local")
    assert main(["status", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"] == f"ssh://{sshd.user}@127.0.0.1:{sshd.port}"
    states = {f"{k['namespace']}/{k['name']}": k["state"] for k in doc["kustomizations"]}
    assert states["flux-system/cert-manager"] == "failed" and states["flux-system/ingress-nginx"] == "waiting"
    ingress = next(k for k in doc["kustomizations"] if k["name"] == "ingress-nginx")
    assert ingress["root_cause"] == "flux-system/cert-manager"
    assert doc["drift"]["only_in_git"] == ["flux-system/redis"]
    assert "flux-system/monitoring" in doc["drift"]["only_in_cluster"]
    assert sshd.kubectl_calls() == [
        ["--context", "admin@local", "get", "kustomizations.kustomize.toolkit.fluxcd.io", "-A", "-o", "json"],
        ["--context", "admin@local", "get", "helmreleases.helm.toolkit.fluxcd.io", "-A", "-o", "json"],
    ]


@pytest.mark.sshd
def test_flags_override_settings_and_text_output(repo, sshd, capsys, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    write_settings(repo, sshd)
    # a flag pointing at an empty known_hosts wins over the settings file: refused, exit 2
    assert main(["status", "--known-hosts", str(empty)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"infra-tui: host key for 127.0.0.1:{sshd.port} is not in known_hosts {empty}; "
        "verify it and add it, or pass --accept-new-host-key"
    )
    assert main(["status", "--known-hosts", str(empty), "--accept-new-host-key"]) == 0
    out = capsys.readouterr().out
    assert (
        "cert-manager" in out
        and "HealthCheckFailed" in out
        and "2 waiting <- flux-system/cert-manager" in out
    )


@pytest.mark.sshd
def test_host_flag_without_settings_and_clear_failures(tmp_path, sshd, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    base = [
        "status",
        "--host",
        sshd.host,
        "--identity-file",
        str(sshd.client_key),
        "--known-hosts",
        str(sshd.known_hosts),
        "--ssh-config",
        "/dev/null",
        "--format",
        "json",
    ]
    assert main(base) == 0
    assert len(json.loads(capsys.readouterr().out)["kustomizations"]) == 14
    sshd.replay(DATA / "garbage.txt")
    assert main(base) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not JSON" in err and "Traceback" not in err
    sshd.replay(DATA / "bootstrap.json")
    sshd.set_delay(10)
    assert main([*base, "--timeout", "1s"]) == 1
    assert "no answer from 127.0.0.1" in capsys.readouterr().err


def test_from_json_needs_no_host(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    assert main(["status", "--from-json", str(DATA / "flux2-testdata.json"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"].startswith("file:") and len(doc["kustomizations"]) == 4
    assert doc["drift"] == {
        "only_in_cluster": [],
        "only_in_git": [],
        "depends_on_differs": [],
        "chart_version_differs": [],
    }
    assert doc["helmreleases"] == [] and all(k["helmreleases"] == [] for k in doc["kustomizations"])


def test_no_host_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    assert main(["status"]) == 2
    assert "no cluster host: pass --host" in capsys.readouterr().err


def test_bad_settings_file_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "clusters").mkdir()
    (tmp_path / ".infra-tui.yaml").write_text("clusters:\n  local-kube:\n    hots: x\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith(
        ".infra-tui.yaml:3: unknown key 'hots' in clusters.local-kube; did you mean 'host'?"
    )
