"""HelmReleases and events over the real sshd: the stand-in kubectl replays the objects of
tests/data/status/troubleshoot/ (helm-controller v2 and core/v1 Event shapes) through the same code
path as a cluster; every command it logs is on the allow-list."""

from __future__ import annotations

import asyncio
import json

import pytest

from infra_tui.cli import main
from infra_tui.services.cluster import SshKubectlSource
from infra_tui.services.ssh import DisallowedCommand, SshTransport, check_allowed
from tests.e2e.test_ssh_sshd import target
from tests.troubleshoot_repo import TROUBLESHOOT, write_troubleshoot_repo

pytestmark = pytest.mark.sshd


@pytest.fixture
def cluster(sshd, tmp_path, monkeypatch):
    sshd.replay(TROUBLESHOOT / "kustomizations.json")
    sshd.replay_helmreleases(TROUBLESHOOT / "helmreleases.json")
    sshd.replay_events(TROUBLESHOOT / "events")
    root = write_troubleshoot_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    monkeypatch.delenv("INFRA_TUI_SSH_PASSWORD", raising=False)
    return sshd


def flags(sshd) -> list[str]:
    return [
        "--host", f"{sshd.user}@127.0.0.1:{sshd.port}", "--identity-file", str(sshd.client_key),
        "--known-hosts", str(sshd.known_hosts), "--ssh-config", "/dev/null",
    ]  # fmt: skip


def all_allowed(sshd) -> None:
    calls = sshd.kubectl_calls()
    assert calls
    for argv in calls:
        check_allowed(["kubectl", *argv])


def test_status_json_has_helmreleases_root_cause_and_drift(cluster, capsys):
    assert main(["status", *flags(cluster), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    hrs = {f"{h['namespace']}/{h['name']}": h for h in doc["helmreleases"]}
    assert {k: h["state"] for k, h in hrs.items()} == {
        "kube-system/cilium": "ready",
        "database/postgre": "stalled",
        "cache/redis": "failed",
        "auth/keycloak": "failed",
        "podinfo/podinfo": "suspended",
    }
    assert hrs["database/postgre"]["kustomization"] == "flux-system/postgre"
    assert hrs["cache/redis"]["chart_version"] == "19.6.4"
    ks = {k["name"]: k for k in doc["kustomizations"]}
    assert ks["netcorp-app"]["root_cause"] == "flux-system/postgre"
    assert ks["netcorp-app"]["root_cause_chain"] == (
        "netcorp-app waiting <- postgre: HealthCheckFailed <- HelmRelease database/postgre: "
        "install retries exhausted (3/3): timed out waiting for the condition"
    )
    assert ks["redis"]["helmreleases"] == ["cache/redis"]
    assert [c["id"] for c in doc["drift"]["chart_version_differs"]] == [
        "auth/keycloak",
        "cache/redis",
        "database/postgre",
    ]
    assert doc["drift"]["only_in_git"] == ["flux-system/grafana"]
    assert cluster.kubectl_calls() == [
        ["get", "kustomizations.kustomize.toolkit.fluxcd.io", "-A", "-o", "json"],
        ["get", "helmreleases.helm.toolkit.fluxcd.io", "-A", "-o", "json"],
    ]
    all_allowed(cluster)


def test_status_text_shows_the_helmrelease_cause_and_drift(cluster, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["status", *flags(cluster)]) == 0
    out = capsys.readouterr().out
    assert (
        "1 waiting <- flux-system/postgre: HealthCheckFailed <- HelmRelease database/postgre: "
        "install retries exhausted (3/3): timed out waiting for the condition"
    ) in out
    assert "HELMRELEASE" in out and "cache/redis" in out and "rolled back to redis@19.6.4" in out
    assert "chart version differs for HelmRelease auth/keycloak (keycloak): Git 99.x / deployed 24.0.5" in out
    all_allowed(cluster)


def test_events_of_one_object_cross_the_allow_list(cluster):
    async def body():
        transport = SshTransport(target(cluster))
        source = SshKubectlSource(transport)
        try:
            hr = await source.events("HelmRelease", "database", "postgre")
            ks = await source.events("Kustomization", "flux-system", "postgre")
            none = await source.events("HelmRelease", "cache", "nothing-here")
            sent = transport.commands_sent
            # a field selector on anything but events, or on other fields, never leaves the machine
            for argv in (
                [
                    "kubectl",
                    "get",
                    "helmreleases",
                    "-A",
                    "--field-selector",
                    "involvedObject.name=x",
                    "-o",
                    "json",
                ],
                ["kubectl", "get", "events", "-A", "--field-selector", "type=Warning", "-o", "json"],
                [
                    "kubectl",
                    "get",
                    "events",
                    "-n",
                    "database",
                    "--field-selector",
                    "involvedObject.name=$(id)",
                    "-o",
                    "json",
                ],
            ):
                with pytest.raises(DisallowedCommand):
                    await transport.run(argv)
            return hr, ks, none, sent, transport.commands_sent
        finally:
            await transport.close()

    hr, ks, none, sent_before, sent_after = asyncio.run(body())
    assert [e.reason for e in hr] == ["InstallFailed", "UninstallSucceeded"]
    assert [e.reason for e in ks] == ["HealthCheckFailed", "Progressing"] and none == []
    assert sent_after == sent_before
    assert cluster.kubectl_calls() == [
        [
            "get",
            "events",
            "-n",
            "database",
            "--field-selector",
            "involvedObject.kind=HelmRelease,involvedObject.name=postgre",
            "-o",
            "json",
        ],
        [
            "get",
            "events",
            "-n",
            "flux-system",
            "--field-selector",
            "involvedObject.kind=Kustomization,involvedObject.name=postgre",
            "-o",
            "json",
        ],
        [
            "get",
            "events",
            "-n",
            "cache",
            "--field-selector",
            "involvedObject.kind=HelmRelease,involvedObject.name=nothing-here",
            "-o",
            "json",
        ],
    ]
    all_allowed(cluster)
    assert not any("type=Warning" in c or "$(id)" in c for c in cluster.raw_commands())
