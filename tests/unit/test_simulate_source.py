"""objects_at through the one status parser, SimClock, SimulatedSource, and `infra-tui simulate`."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from infra_tui import cli
from infra_tui.core import repo as repo_mod
from infra_tui.core import simulate as sim
from tests.unit.test_simulate import ID, NO_MATCH_CCNP, first, make_repo

cluster = pytest.importorskip("infra_tui.services.cluster")
simulated = pytest.importorskip("infra_tui.services.simulated")


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def root(tmp_path):
    return make_repo(tmp_path / "repo")


@pytest.fixture
def repo(root):
    return repo_mod.load(root)


def parse(obj) -> dict:
    snap = cluster.parse_kustomizations(json.dumps(obj), source="simulated")
    return {k.id: k for k in snap.items}


# --------------------------------------------------------------------------- objects_at


def test_objects_round_trip_to_the_simulated_state_at_every_step(repo):
    g, tl = sim.simulate_repo(repo, remove_deps={"cilium-config": ["cilium"]}, fail=["monitoring"])
    for t in sorted({s.t for s in tl.steps}):
        parsed = parse(sim.objects_at(tl, g, t))
        assert set(parsed) == set(g.nodes)
        for nid in g.nodes:
            step = tl.state_at(nid, t)
            assert parsed[nid].state == step.state, (t, nid)
            assert parsed[nid].reason == (step.reason if step.state != "progressing" else parsed[nid].reason)
            if step.state in ("waiting", "failed", "ready"):
                assert parsed[nid].message == step.message


def test_list_shape_is_what_kubectl_prints(repo):
    g, tl = sim.simulate_repo(repo)
    doc = sim.objects_at(tl, g, 30)
    assert doc["apiVersion"] == "v1" and doc["kind"] == "List" and doc["metadata"] == {"resourceVersion": ""}
    app = next(o for o in doc["items"] if o["metadata"]["name"] == "app")
    assert app["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
    assert app["spec"]["dependsOn"] == [
        {"name": "cluster-secrets", "namespace": "flux-system"},
        {"name": "cilium", "namespace": "flux-system"},
        {"name": "cert-manager", "namespace": "flux-system"},
    ]
    (ready,) = app["status"]["conditions"]
    assert ready == {
        "lastTransitionTime": "2025-01-06T09:00:00Z",
        "message": "dependency 'flux-system/cilium' is not ready",
        "observedGeneration": 1,
        "reason": "DependencyNotReady",
        "status": "False",
        "type": "Ready",
    }


def test_progressing_ready_and_failed_conditions(repo):
    g, tl = sim.simulate_repo(repo, fail=["cilium"])
    run = next(r for r in tl.runs if r.name == ID("cert-manager"))
    mid = sim.objects_at(tl, g, (run.applied + run.end) / 2)
    cm = next(o for o in mid["items"] if o["metadata"]["name"] == "cert-manager")
    types = {c["type"]: c for c in cm["status"]["conditions"]}
    assert types["Ready"]["status"] == "Unknown" and types["Ready"]["message"] == "Reconciliation in progress"
    assert types["Reconciling"]["message"].startswith(
        f"Running health checks for revision {tl.revision} with a timeout of 10m0s"
    )
    assert "lastAppliedRevision" not in cm["status"]

    done = sim.objects_at(tl, g, tl.end_time)
    cm = next(o for o in done["items"] if o["metadata"]["name"] == "cert-manager")
    assert cm["status"]["lastAppliedRevision"] == tl.revision and tl.revision.startswith("main@sha1:")
    assert cm["status"]["observedGeneration"] == 1
    assert [c["type"] for c in cm["status"]["conditions"]] == ["Ready", "Healthy"]
    assert cm["status"]["conditions"][0]["message"] == f"Applied revision: {tl.revision}"

    ci = next(o for o in done["items"] if o["metadata"]["name"] == "cilium")
    types = {c["type"]: c for c in ci["status"]["conditions"]}
    assert types["Ready"]["reason"] == "HealthCheckFailed"
    assert types["Reconciling"]["reason"] == "ProgressingWithRetry"
    assert types["Healthy"]["message"].startswith("timeout waiting for: [HelmRelease/cilium/cilium")


def test_root_cause_of_waiting_ones_is_the_failed_one(repo):
    g, tl = sim.simulate_repo(repo, fail=["cilium"])
    parsed = parse(sim.objects_at(tl, g, tl.end_time))
    for nid in g.descendants(ID("cilium")):
        assert parsed[nid].state == "waiting"
        assert parsed[nid].root_cause == ID("cilium")
    assert parsed[ID("cilium")].state == "failed"


def test_suspended_round_trips(tmp_path):
    root = make_repo(tmp_path / "r", {"a": (True, "5m", [], ["ns"]), "b": (True, "5m", ["a"], ["ns"])})
    infra = root / "clusters/local-kube/infrastructure.yaml"
    infra.write_text(
        infra.read_text().replace("  path: ./namespaces/a\n", "  path: ./namespaces/a\n  suspend: true\n")
    )
    g, tl = sim.simulate_repo(repo_mod.load(root))
    parsed = parse(sim.objects_at(tl, g, tl.end_time))
    assert parsed[ID("a")].state == "suspended"
    assert parsed[ID("b")].state == "waiting" and parsed[ID("b")].root_cause == ID("a")


def test_before_the_start_there_is_no_status(repo):
    g, tl = sim.simulate_repo(repo)
    parsed = parse(sim.objects_at(tl, g, -1))
    assert {k.state for k in parsed.values()} == {"unknown"}


from tests.corpus import CORPUS  # noqa: E402


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not available")
@pytest.mark.parametrize(
    "tree", ["fluxcd__flux2-kustomize-helm-example/clusters/production", "onedr0p__home-ops"]
)
def test_corpus_repos_simulate_and_round_trip(tree):
    r = repo_mod.load(paths=[CORPUS / tree])
    g, tl = sim.simulate_repo(r)
    assert tl.final and tl.end_time > 0
    parsed = parse(sim.objects_at(tl, g, tl.end_time))
    assert {nid: k.state for nid, k in parsed.items()} == tl.final


# --------------------------------------------------------------------------- clock and source


def test_clock_plays_pauses_seeks_and_changes_speed():
    mono = FakeMonotonic()
    clock = simulated.SimClock(mono, rate=10.0, end=500.0)
    assert clock.now() == 0.0 and not clock.playing
    mono.now += 5
    assert clock.now() == 0.0  # paused: time stands still
    clock.play()
    mono.now += 2
    assert clock.now() == 20.0
    clock.speed = 4
    mono.now += 1
    assert clock.now() == 60.0
    assert clock.faster() == 8.0 and clock.faster() == 8.0
    assert clock.slower() == 4.0
    clock.speed = 0.3
    assert clock.speed == 0.5
    clock.pause()
    mono.now += 100
    assert clock.now() == 60.0
    clock.seek(490)
    clock.play()
    mono.now += 10
    assert clock.now() == 500.0 and clock.finished and not clock.playing
    clock.play()  # at the end: starts over
    assert clock.now() == 0.0
    clock.restart()
    assert clock.now() == 0.0


def test_source_fetch_follows_the_clock(root):
    mono = FakeMonotonic()
    src = simulated.SimulatedSource(root, monotonic=mono, rate=10.0)
    snap = asyncio.run(src.fetch())
    assert snap.source == "simulated"
    states = {k.id: k.state for k in snap.items}
    assert states[ID("cilium")] == "progressing" and states[ID("app")] == "waiting"
    src.clock.play()
    mono.now += src.end_time / 10 + 1
    snap = asyncio.run(src.fetch())
    assert {k.state for k in snap.items} == {"ready"}
    assert snap.fetched_at == sim.EPOCH + timedelta(seconds=src.end_time)


def test_step_jumps_from_event_to_event(root):
    src = simulated.SimulatedSource(root, monotonic=FakeMonotonic())
    times = []
    while True:
        before = src.clock.now()
        t = src.step()
        if t == before:
            break
        times.append(t)
    assert times == [t for t in src.timeline.event_times() if t > 0]
    assert src.step_back() == times[-2]


def test_replay_with_what_ifs_and_reload_after_a_new_component(root):
    src = simulated.SimulatedSource(root, monotonic=FakeMonotonic())
    assert src.blast_radius("cilium") == {ID("cilium-config"), ID("app"), ID("app-monitoring")}
    src.clock.seek(100)
    tl = src.replay(remove_deps={"cilium-config": ["cilium"]})
    assert src.clock.now() == 0.0
    assert first(tl, ID("cilium-config"), "failed").message.splitlines()[0] == NO_MATCH_CCNP
    snap = src.snapshot_at(first(tl, ID("cilium-config"), "failed").t)
    cc = snap.by_id()[ID("cilium-config")]
    assert cc.state == "failed" and cc.reason == "ReconciliationFailed"
    tl = src.replay(fail=["cert-manager"], remove_deps={})
    assert tl.final[ID("cilium-config")] == "ready" and tl.final[ID("cert-manager")] == "failed"
    with pytest.raises(KeyError):
        src.replay(fail=["nope"])
    assert src.fail == ["cert-manager"]  # a refused replay keeps the last good what-ifs

    # the wizard wrote a new component: it joins the next replay
    infra = root / "clusters/local-kube/infrastructure.yaml"
    infra.write_text(
        infra.read_text()
        + (
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: redis\n"
            "  namespace: flux-system\nspec:\n  interval: 5m\n  path: ./namespaces/redis\n  prune: false\n"
            "  sourceRef: {kind: GitRepository, name: flux-system}\n  wait: true\n  timeout: 10m\n"
            "  dependsOn:\n    - name: cilium\n"
        )
    )
    cilium_ready = first(src.replay(fail=[]), ID("cilium"), "ready").t
    tl = src.reload()
    assert first(tl, ID("cilium"), "ready").t == cilium_ready  # the others keep their durations
    assert ID("redis") in tl.final and ID("redis") in src.graph.nodes
    assert tl.final[ID("redis")] == "ready"
    assert first(tl, ID("redis"), "progressing").t >= first(tl, ID("cilium"), "ready").t


# --------------------------------------------------------------------------- CLI


def test_cli_text(root, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    assert cli.main(["simulate", "--repo", str(root)]) == 0
    out = capsys.readouterr().out
    assert "layer 0" in out and "layer 2" in out
    assert "7 ready, 0 failed, 0 waiting" in out.splitlines()[-1]


def test_cli_text_with_what_ifs(root, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code = cli.main(
        ["simulate", "--repo", str(root), "--fail", "cilium", "--remove-dep", "cilium-config:cilium"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "what-if: cilium fails its health check" in out
    assert "what-if: cilium-config without dependsOn cilium" in out
    assert NO_MATCH_CCNP in out
    assert "dependency 'flux-system/cilium' is not ready" in out
    assert out.splitlines()[-1].strip() == "3 ready, 2 failed, 2 waiting"


def test_cli_json(root, capsys):
    assert cli.main(["simulate", "--repo", str(root), "--format", "json", "--seed", "3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["seed"] == 3
    assert doc["final"] == {nid: "ready" for nid in doc["final"]} and len(doc["final"]) == 7
    assert all({"t", "name", "state"} <= set(s) for s in doc["steps"])
    assert doc["layers"][0] == [ID("cert-manager"), ID("cilium"), ID("cluster-secrets")]


def test_cli_unknown_fail_name_suggests_the_closest(root, capsys):
    assert cli.main(["simulate", "--repo", str(root), "--fail", "cilum"]) == 2
    err = capsys.readouterr().err
    assert "--fail cilum" in err and "did you mean 'cilium'?" in err


def test_cli_remove_dep_that_is_not_an_edge(root, capsys):
    assert cli.main(["simulate", "--repo", str(root), "--remove-dep", "app:monitoring"]) == 2
    err = capsys.readouterr().err
    assert "app does not dependsOn 'monitoring'" in err
    assert cli.main(["simulate", "--repo", str(root), "--remove-dep", "app"]) == 2
    assert "write FROM:TO" in capsys.readouterr().err


def test_cli_finds_the_repo_from_the_cwd(root, capsys, monkeypatch):
    monkeypatch.chdir(root / "namespaces")
    assert cli.main(["simulate", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["final"]) == 7


def test_cli_demo_repo_bootstraps_completely(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no repo here: --demo picks the bundled one
    code = cli.main(["simulate", "--demo", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert len(doc["final"]) > 20 and set(doc["final"].values()) == {"ready"}


def test_demo_what_if_cilium_config_without_cilium(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["simulate", "--demo", "--remove-dep", "cilium-config:cilium", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    steps = [s for s in doc["steps"] if s["name"] == ID("cilium-config")]
    failed = next(s for s in steps if s["state"] == "failed")
    assert 'dry-run failed: no matches for kind "Cilium' in failed["message"]
    assert steps[-1]["state"] == "ready"  # recovered on the retry after cilium became Ready
