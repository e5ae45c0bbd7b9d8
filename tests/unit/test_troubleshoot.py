"""HelmReleases, events, the two-level root cause and chart-version drift (no SSH here).

Fixtures: tests/data/status/troubleshoot/ (provenance in tests/data/status/README.md) and the Git
side written by tests/troubleshoot_repo.py.
"""

from __future__ import annotations

import pytest

from infra_tui.core import repo as repo_mod
from infra_tui.core.troubleshoot import (
    StatusError,
    chart_version_allows,
    git_helmreleases,
    parse_events,
    parse_helmreleases,
)
from infra_tui.services.cluster import (
    JsonFileSource,
    cause_chain,
    changes,
    drift,
    parse_kustomizations,
    root_cause_lines,
)
from tests.troubleshoot_repo import TROUBLESHOOT, write_troubleshoot_repo


def snapshot_with_git(tmp_path):
    root = write_troubleshoot_repo(tmp_path / "repo")
    repo = repo_mod.load(root)
    git = git_helmreleases(repo, "local-kube")
    snap = parse_kustomizations((TROUBLESHOOT / "kustomizations.json").read_text(), "test")
    snap.helmreleases = parse_helmreleases((TROUBLESHOOT / "helmreleases.json").read_text(), "test")
    for hr in snap.helmreleases:
        hr.kustomization = None  # prove the repo model maps them, not the cluster's labels
    snap.map_helmreleases(git)
    ids = {k.id: k.depends_on_ids for k in repo.env("local-kube").kustomizations}
    return snap, drift(snap, ids, git)


def hrs():
    return {h.id: h for h in parse_helmreleases((TROUBLESHOOT / "helmreleases.json").read_text(), "test")}


def test_the_five_helmrelease_shapes_get_their_state_and_cause():
    by_id = hrs()
    postgre = by_id["database/postgre"]  # install failure, retries exhausted
    assert postgre.state == "stalled" and postgre.exhausted and postgre.install_failures == 4
    assert postgre.chart_version is None and postgre.attempted_version == "15.5.38"
    assert postgre.cause() == "install retries exhausted (3/3): timed out waiting for the condition"
    redis = by_id["cache/redis"]  # upgrade failure remediated by a rollback
    assert (
        redis.state == "failed" and redis.rolled_back_to == "redis@19.6.4" and redis.chart_version == "19.6.4"
    )
    assert (
        redis.cause()
        == "upgrade failed (attempt 1/4), rolled back to redis@19.6.4: timed out waiting for the condition"
    )
    keycloak = by_id["auth/keycloak"]  # chart version that does not exist: HelmChart not ready
    assert keycloak.state == "failed" and keycloak.reason == "HelmChartNotReady"
    assert keycloak.cause() == "chart not ready: HelmChart 'flux-system/auth-keycloak' is not ready"
    podinfo = by_id["podinfo/podinfo"]
    assert podinfo.state == "suspended" and podinfo.cause() == "suspended" and not podinfo.failing
    cilium = by_id["kube-system/cilium"]
    assert cilium.state == "ready" and cilium.chart_version == "1.16.3" and not cilium.failing


def test_the_corpus_helmrelease_reads_as_ready():
    [hr] = parse_helmreleases((TROUBLESHOOT / "helmrelease-flux2-trace.json").read_text(), "corpus")
    assert (
        hr.state == "ready"
        and hr.chart_version == "6.3.5"
        and hr.kustomization == "flux-system/infrastructure"
    )


def test_root_cause_reads_through_both_levels(tmp_path):
    snap, _ = snapshot_with_git(tmp_path)
    assert cause_chain(snap, "flux-system/netcorp-app") == (
        "netcorp-app waiting <- postgre: HealthCheckFailed <- HelmRelease database/postgre: "
        "install retries exhausted (3/3): timed out waiting for the condition"
    )
    lines = root_cause_lines(snap)
    assert lines[0] == (
        "1 waiting <- flux-system/postgre: HealthCheckFailed <- HelmRelease database/postgre: "
        "install retries exhausted (3/3): timed out waiting for the condition"
    )
    # a HelmRelease failing under a Kustomization that is still progressing is a cause too
    assert any(
        line.startswith("redis progressing <- HelmRelease cache/redis: upgrade failed") for line in lines
    )
    assert cause_chain(snap, "flux-system/cilium") is None


def test_graph_paints_a_failed_helmrelease_red_while_its_kustomization_progresses(tmp_path):
    snap, _ = snapshot_with_git(tmp_path)
    assert snap.by_id()["flux-system/redis"].state == "progressing"
    states = snap.graph_states()
    assert states["flux-system/redis"] == "failed" and states["flux-system/netcorp-app"] == "waiting"
    assert states["flux-system/podinfo"] == "ready"  # a suspended HelmRelease is no failure


def test_drift_names_git_and_cluster_differences(tmp_path):
    snap, d = snapshot_with_git(tmp_path)
    assert d.only_in_git == ["flux-system/grafana"] and d.only_in_cluster == ["flux-system/legacy-app"]
    assert d.depends_on_differs == [
        {
            "id": "flux-system/netcorp-app",
            "cluster": ["flux-system/postgre"],
            "git": ["flux-system/postgre", "flux-system/redis"],
        }
    ]
    charts = {c.id: (c.git, c.cluster) for c in d.chart_version_differs}
    assert charts == {
        "auth/keycloak": ("99.x", "24.0.5"),
        "cache/redis": ("20.x", "19.6.4"),
        "database/postgre": ("15.x", None),
    }
    assert d.for_node("flux-system/redis") == [
        "chart version of HelmRelease cache/redis: Git 20.x / deployed 19.6.4 (last tried 20.1.0)"
    ]
    doc = snap.to_json(d)
    assert doc["drift"]["chart_version_differs"][0] == {
        "id": "auth/keycloak",
        "kustomization": "flux-system/keycloak",
        "git": "99.x",
        "cluster": "24.0.5",
        "attempted": "24.0.5",
    }
    netcorp = next(k for k in doc["kustomizations"] if k["name"] == "postgre")
    assert netcorp["helmreleases"] == ["database/postgre"]
    postgre = next(h for h in doc["helmreleases"] if h["name"] == "postgre")
    assert {
        k: postgre[k]
        for k in ("name", "namespace", "kustomization", "state", "reason", "chart_version", "failures")
    } == {
        "name": "postgre",
        "namespace": "database",
        "kustomization": "flux-system/postgre",
        "state": "stalled",
        "reason": "RetriesExceeded",
        "chart_version": None,
        "failures": {"install": 4, "upgrade": 0, "retries": 3},
    }


@pytest.mark.parametrize(
    ("constraint", "deployed", "allowed"),
    [
        ("1.x", "1.16.3", True),
        ("1.x", "2.0.0", False),
        ("1.16.x", "1.16.3", True),
        ("1.16.x", "1.17.0", False),
        ("^1.2", "1.9.0", True),
        ("^1.2", "2.0.0", False),
        ("~1.2", "1.2.9", True),
        ("~1.2", "1.3.0", False),
        (">=1.0 <2.0", "1.5.0", True),
        (">=1.0, <2.0", "2.0.0", False),
        ("1.2.3", "1.2.3", True),
        ("1.2.3", "1.2.4", False),
        ("1.x || 3.x", "3.1.0", True),
        ("*", "0.1.0", True),
        ("20.x", None, False),
        (None, None, True),
    ],
)
def test_chart_version_constraints(constraint, deployed, allowed):
    assert chart_version_allows(constraint, deployed) is allowed


def test_events_newest_first_with_their_controller():
    events = parse_events((TROUBLESHOOT / "events" / "HelmRelease.database.postgre.json").read_text(), "test")
    assert [e.reason for e in events] == ["InstallFailed", "UninstallSucceeded"]
    first = events[0]
    assert first.type == "Warning" and first.count == 4 and first.controller == "helm-controller"
    assert first.message.startswith(
        "Helm install failed for release database/postgre with chart postgresql@15.5.38"
    )


def test_events_k8s_io_shape_is_read_too():
    text = (
        '{"apiVersion":"events.k8s.io/v1","kind":"Event","regarding":{"kind":"HelmRelease","name":"x","namespace":"y"},'
        '"reason":"InstallSucceeded","note":"ok","type":"Normal","eventTime":"2026-11-27T09:00:00.000000Z",'
        '"reportingController":"helm-controller","metadata":{"name":"x.1","namespace":"y"}}'
    )
    [event] = parse_events(text, "test")
    assert (event.kind, event.namespace, event.name, event.message, event.controller) == (
        "HelmRelease",
        "y",
        "x",
        "ok",
        "helm-controller",
    )
    assert event.last_seen is not None


def test_garbage_helmreleases_are_one_line():
    with pytest.raises(StatusError) as info:
        parse_helmreleases("<html>", "ssh://h")
    assert "is not JSON" in str(info.value) and "\n" not in str(info.value)


def test_changes_between_polls(tmp_path):
    before, _ = snapshot_with_git(tmp_path)
    after, _ = snapshot_with_git(tmp_path / "again")
    after.items[3].state = "failed"  # redis
    after.helmreleases[1].state = "failed"  # postgre
    assert changes(before, after) == [
        "redis: progressing -> failed",
        "HelmRelease database/postgre: stalled -> failed",
    ]


async def test_a_saved_list_may_mix_kinds_and_carry_events(tmp_path):
    import json

    mixed = tmp_path / "mixed.json"
    items = []
    for name in ("kustomizations.json", "helmreleases.json", "events/HelmRelease.database.postgre.json"):
        items += json.loads((TROUBLESHOOT / name).read_text())["items"]
    mixed.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    source = JsonFileSource(mixed)
    snap = await source.fetch()
    assert len(snap.items) == 7 and len(snap.helmreleases) == 5
    events = await source.events("HelmRelease", "database", "postgre")
    assert [e.reason for e in events] == ["InstallFailed", "UninstallSucceeded"]
