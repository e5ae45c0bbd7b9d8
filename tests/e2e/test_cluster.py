"""services.cluster: states, root cause, drift, garbage, the poller (no SSH here)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from infra_tui.services.cluster import (
    STATES,
    ClusterSnapshot,
    JsonFileSource,
    Poller,
    StatusError,
    classify,
    drift,
    parse_kustomizations,
    root_cause,
    root_cause_lines,
)
from tests.sshd import DATA, synthetic_kustomization_list


def load(name: str) -> ClusterSnapshot:
    return asyncio.run(JsonFileSource(DATA / name).fetch())


def test_corpus_objects_are_ready():
    snapshot = load("flux2-testdata.json")
    assert [k.id for k in snapshot.items] == [
        "flux-system/flux-system",
        "flux-system/infrastructure",
        "flux-system/empty",
        "flux-system/podinfo",
    ]
    assert {k.state for k in snapshot.items} == {"ready"}
    assert (
        snapshot.by_id()["flux-system/podinfo"].revision
        == "main@sha1:696f056df216eea4f9401adbee0ff744d4df390f"
    )


EXPECTED = {
    "flux-system/flux-system": ("ready", "ReconciliationSucceeded", None),
    "flux-system/cilium": ("ready", "ReconciliationSucceeded", None),
    "flux-system/cert-manager": ("failed", "HealthCheckFailed", None),
    "flux-system/cert-manager-issuers": ("waiting", "DependencyNotReady", "flux-system/cert-manager"),
    "flux-system/ingress-nginx": ("waiting", "DependencyNotReady", "flux-system/cert-manager"),
    "flux-system/monitoring-crds": ("failed", "BuildFailed", None),
    "flux-system/monitoring": ("waiting", "DependencyNotReady", "flux-system/monitoring-crds"),
    "flux-system/external-secrets": ("stalled", "InvalidCELExpression", None),
    "flux-system/longhorn": ("progressing", "Progressing", None),
    "flux-system/podinfo": ("suspended", "ReconciliationSucceeded", None),
    "flux-system/apps": ("waiting", "DependencyNotReady", "flux-system/redis"),
    "flux-system/new-component": ("unknown", None, None),
    "team-a/backend": ("failed", "ValidationFailed", None),
    "flux-system/legacy": ("failed", "ArtifactFailed", None),
}


def test_states_reasons_and_root_causes():
    snapshot = load("bootstrap.json")
    got = {k.id: (k.state, k.reason, k.root_cause) for k in snapshot.items}
    assert got == EXPECTED
    assert set(snapshot.counts()) == set(STATES)
    assert root_cause(snapshot, "flux-system/ingress-nginx") == "flux-system/cert-manager"
    assert root_cause(snapshot, "flux-system/cert-manager") is None
    podinfo = snapshot.by_id()["flux-system/podinfo"]
    assert podinfo.suspended and podinfo.depends_on == ["flux-system/ingress-nginx"]
    assert snapshot.by_id()["flux-system/cert-manager"].message.startswith("health check failed after")


def test_root_cause_lines_group_the_waiting():
    lines = root_cause_lines(load("bootstrap.json"))
    assert lines[0].startswith(
        "2 waiting <- flux-system/cert-manager: HealthCheckFailed: health check failed"
    )
    assert "1 waiting <- flux-system/redis: not in the cluster" in lines


def _ks(name, ready=None, deps=(), **extra):
    obj = {"kind": "Kustomization", "metadata": {"name": name, "namespace": "flux-system"}, "spec": {}}
    if deps:
        obj["spec"]["dependsOn"] = [{"name": d} for d in deps]
    if ready:
        status, reason, message = ready
        obj["status"] = {
            "conditions": [{"type": "Ready", "status": status, "reason": reason, "message": message}]
        }
    obj.update(extra)
    return obj


def test_waiting_cycle_and_message_without_name_terminate():
    doc = {
        "items": [
            _ks("a", ("False", "DependencyNotReady", "dependency 'flux-system/b' is not ready"), ["b"]),
            _ks("b", ("False", "DependencyNotReady", "dependency 'flux-system/a' is not ready"), ["a"]),
            _ks("c", ("False", "DependencyNotReady", "dependencies not ready"), ["d", "e"]),
            _ks("d", ("True", "ReconciliationSucceeded", "ok")),
            _ks("e", ("False", "BuildFailed", "kustomize build failed: x")),
        ]
    }
    snapshot = parse_kustomizations(json.dumps(doc), "test")
    by_id = snapshot.by_id()
    assert by_id["flux-system/a"].root_cause in {"flux-system/a", "flux-system/b"}
    assert by_id["flux-system/c"].root_cause == "flux-system/e"  # the first dependency not ready


def test_classify_edge_cases():
    assert classify({"spec": {"suspend": True}, "status": {}})[0] == "suspended"
    stale = {
        "metadata": {"generation": 3},
        "status": {
            "observedGeneration": 2,
            "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded"}],
        },
    }
    assert classify(stale)[0] == "progressing"
    reconciling_only = {
        "status": {"conditions": [{"type": "Reconciling", "status": "True", "reason": "Progressing"}]}
    }
    assert classify(reconciling_only)[0] == "progressing"
    assert classify({})[0] == "unknown"
    # Stalled wins over the Ready verdict; ProgressingWithRetry does not hide a failure.
    stalled = {
        "status": {
            "conditions": [
                {"type": "Ready", "status": "False", "reason": "AccessDenied"},
                {"type": "Stalled", "status": "True", "reason": "AccessDenied"},
            ]
        }
    }
    assert classify(stalled)[0] == "stalled"
    retry = {
        "status": {
            "conditions": [
                {"type": "Reconciling", "status": "True", "reason": "ProgressingWithRetry"},
                {"type": "Ready", "status": "False", "reason": "BuildFailed"},
            ]
        }
    }
    assert classify(retry)[0] == "failed"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is not JSON (line 1 column 1: Expecting value); it was empty"),
        ("<html>502 Bad Gateway</html>", "it starts with '<html>502 Bad Gateway</html>'"),
        ('{"kind": "Status", "status": "Failure"}', "not a Kustomization list (got 'Status')"),
        ("[1, 2]", "not a Kustomization list (got 'list')"),
        ('{"items": "oops"}', "'items' is str, not a list"),
        ('{"items": [42]}', "item 0 is int, not an object"),
        (
            '{"items": [{"kind": "Kustomization", "metadata": {}}]}',
            "item 0: a Kustomization without metadata.name",
        ),
    ],
)
def test_garbage_gives_one_clear_line(text, fragment):
    with pytest.raises(StatusError) as info:
        parse_kustomizations(text, "ssh://kube@host:22")
    assert fragment in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("status from ssh://kube@host:22")


def test_garbage_files():
    with pytest.raises(StatusError, match="is not JSON .*You must be logged in"):
        load("garbage.txt")
    with pytest.raises(StatusError, match="'items' is str"):
        load("bad-shape.json")
    assert load("empty.json").items == []
    with pytest.raises(StatusError, match="cannot read"):
        asyncio.run(JsonFileSource(DATA / "nope.json").fetch())


def test_json_keys_are_the_contract():
    doc = load("bootstrap.json").to_json()
    assert set(doc) >= {"source", "fetched_at", "kustomizations", "drift"}
    assert doc["fetched_at"].endswith("Z")
    for k in doc["kustomizations"]:
        assert set(k) >= {
            "name",
            "namespace",
            "state",
            "reason",
            "message",
            "revision",
            "suspended",
            "root_cause",
        }
        assert k["state"] in STATES
    assert set(doc["drift"]) >= {"only_in_cluster", "only_in_git"}


def test_drift():
    snapshot = load("bootstrap.json")
    repo_ids = {k.id: list(k.depends_on) for k in snapshot.items if k.name not in {"legacy", "new-component"}}
    repo_ids["flux-system/redis"] = []
    repo_ids["flux-system/monitoring"] = ["flux-system/monitoring-crds", "flux-system/cilium"]
    d = drift(snapshot, repo_ids)
    assert d.only_in_cluster == ["flux-system/legacy", "flux-system/new-component"]
    assert d.only_in_git == ["flux-system/redis"]
    assert d.depends_on_differs == [
        {
            "id": "flux-system/monitoring",
            "cluster": ["flux-system/monitoring-crds"],
            "git": ["flux-system/cilium", "flux-system/monitoring-crds"],
        }
    ]


def test_synthetic_two_hundred():
    snapshot = parse_kustomizations(json.dumps(synthetic_kustomization_list(200)), "x")
    assert len(snapshot.items) == 200 and snapshot.counts()["ready"] == 200
    assert snapshot.by_id()["flux-system/component-150"].depends_on == ["flux-system/component-140"]


# ------------------------------------------------------------------ poller


class ScriptedSource:
    """Returns or raises what the script says, slowly, and records overlapping calls."""

    source = "scripted"

    def __init__(self, script, delay=0.02):
        self.script = list(script)
        self.delay = delay
        self.active = 0
        self.max_active = 0
        self.calls = 0

    async def fetch(self):
        self.calls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(self.delay)
            step = self.script.pop(0) if self.script else "ok"
            if step == "ok":
                return ClusterSnapshot("scripted", datetime.now(UTC), [])
            if step == "hang":
                await asyncio.sleep(3600)
            raise StatusError(step)
        finally:
            self.active -= 1


def test_poller_never_overlaps_backs_off_and_keeps_the_last_snapshot():
    source = ScriptedSource(["ok", "boom", "boom", "boom", "boom", "ok"], delay=0.03)
    seen = []

    async def scenario():
        poller = Poller(
            source,
            interval=0.01,
            timeout=1,
            max_backoff=0.05,
            on_update=lambda s: seen.append(
                (s.failures, s.stale_since is not None, s.next_delay, s.snapshot is not None, s.error)
            ),
        )
        # Manual refreshes fired while polls run must queue, not overlap.
        for _ in range(3):
            asyncio.get_running_loop().call_later(0.01, poller.poll_soon)
        await asyncio.gather(poller.poll_once(), poller.poll_once())
        task = poller.start()
        while source.calls < 6:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        await poller.stop()
        assert task.done()
        return poller

    poller = asyncio.run(scenario())
    assert source.max_active == 1
    assert seen[0] == (0, False, 0.01, True, None)
    assert seen[1][:4] == (1, True, 0.02, True) and seen[1][4] == "boom"
    assert [s[2] for s in seen[1:5]] == [0.02, 0.04, 0.05, 0.05]  # exponential, capped
    assert seen[5][:2] == (0, False)
    assert poller.state.error is None


def test_poller_timeout_marks_stale_instead_of_hanging():
    source = ScriptedSource(["ok", "hang", "ok"], delay=0)

    async def scenario():
        poller = Poller(source, interval=1, timeout=0.2)
        first = (await poller.poll_once()).snapshot
        state = await poller.poll_once()
        assert state.snapshot is first and state.stale_since is not None
        assert "no status within 0.2s; showing the last good data" == state.error
        stale_since = state.stale_since
        # still failing: stale_since keeps the first failure's time
        source.script.insert(0, "hang")
        assert (await poller.poll_once()).stale_since == stale_since
        return await poller.poll_once()

    state = asyncio.run(asyncio.wait_for(scenario(), 5))
    assert state.stale_since is None and state.failures == 0
