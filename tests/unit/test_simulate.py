"""core.simulate: bootstrap order, blast radius, missing CRD providers, retries, determinism, and
Flux-shaped objects that the one status parser reads back to the same states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra_tui.core import repo as repo_mod
from infra_tui.core import simulate as sim
from infra_tui.core.graph import Graph

KS = """---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 5m
  path: ./namespaces/{name}
  prune: false
  sourceRef:
    kind: GitRepository
    name: flux-system
  wait: {wait}
  timeout: {timeout}
{deps}"""

# name: (wait, timeout, dependsOn, manifests)
COMPONENTS: dict[str, tuple[bool, str, list[str], list[str]]] = {
    "cluster-secrets": (False, "5m", [], ["secret"]),
    "cilium": (True, "10m", [], ["ns", "hr"]),
    "cert-manager": (True, "10m", [], ["ns", "hr"]),
    "cilium-config": (True, "5m", ["cilium"], ["cnp", "ccnp"]),
    "monitoring": (True, "15m", ["cluster-secrets"], ["ns", "hr"]),
    "app": (True, "10m", ["cluster-secrets", "cilium", "cert-manager"], ["ns", "hr", "cnp", "cert"]),
    "app-monitoring": (False, "5m", ["monitoring", "app"], ["sm"]),
}


def _manifest(kind: str, comp: str) -> str:
    ns = comp.removesuffix("-monitoring")
    return {
        "ns": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n",
        "hr": (
            f"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {comp}\n  namespace: {ns}\n"
            f"spec:\n  interval: 1h\n  chart:\n    spec:\n      chart: {comp}\n      version: '1.x'\n"
            f"      sourceRef: {{kind: HelmRepository, name: {comp}, namespace: flux-system}}\n"
        ),
        "secret": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {comp}\n  namespace: flux-system\nstringData:\n  a: b\n",
        "cnp": f"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: allow-k8s-api\n  namespace: {ns}\nspec:\n  endpointSelector: {{}}\n",
        "ccnp": "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: default-deny\nspec:\n  endpointSelector: {}\n",
        "cert": f"apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: {comp}-tls\n  namespace: {ns}\nspec:\n  secretName: {comp}-tls\n",
        "sm": f"apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: {comp}\n  namespace: {ns}\nspec:\n  endpoints: []\n",
    }[kind]


def make_repo(root: Path, components: dict | None = None) -> Path:
    """A small flat repo: clusters/local-kube/infrastructure.yaml + namespaces/<component>/."""
    components = COMPONENTS if components is None else components
    env = root / "clusters" / "local-kube"
    env.mkdir(parents=True, exist_ok=True)
    docs = []
    for name, (wait, timeout, deps, kinds) in components.items():
        dep_lines = ("  dependsOn:\n" + "".join(f"    - name: {d}\n" for d in deps)) if deps else ""
        docs.append(KS.format(name=name, wait=str(wait).lower(), timeout=timeout, deps=dep_lines))
        comp = root / "namespaces" / name
        comp.mkdir(parents=True, exist_ok=True)
        for k in kinds:
            (comp / f"{k}.yaml").write_text(_manifest(k, name))
        (comp / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
            + "".join(f"  - {k}.yaml\n" for k in kinds)
        )
    (env / "infrastructure.yaml").write_text("".join(docs))
    return root


@pytest.fixture
def repo(tmp_path):
    return repo_mod.load(make_repo(tmp_path / "repo"))


def run(repo, **kw) -> tuple[Graph, sim.Timeline]:
    return sim.simulate_repo(repo, **kw)


def first(tl: sim.Timeline, name: str, state: str) -> sim.Step | None:
    return next((s for s in tl.steps if s.name == name and s.state == state), None)


ID = "flux-system/{}".format


# --------------------------------------------------------------------------- order


def test_every_kustomization_becomes_ready_and_none_before_its_dependencies(repo):
    g, tl = run(repo)
    assert set(tl.final.values()) == {"ready"}
    ready_at = {n: first(tl, n, "ready").t for n in g.nodes}
    started_at = {n: first(tl, n, "progressing").t for n in g.nodes}
    for n in g.nodes:
        for d in g.deps[n]:
            assert started_at[n] >= ready_at[d], f"{n} started before {d} was ready"
            assert ready_at[n] >= ready_at[d]
    # a dependant starts the moment its last dependency is Ready (the controller watches them)
    assert started_at[ID("app")] == max(ready_at[d] for d in g.deps[ID("app")])


def test_waiting_names_the_first_unready_dependency_in_spec_order(repo):
    _, tl = run(repo)
    app = [s for s in tl.steps if s.name == ID("app") and s.state == "waiting"]
    assert app[0].t == 0.0
    assert app[0].reason == "DependencyNotReady"
    assert app[0].message == "dependency 'flux-system/cluster-secrets' is not ready"
    # cluster-secrets (wait: false) is Ready first, so the message moves on to cilium
    assert app[1].message == "dependency 'flux-system/cilium' is not ready"


def test_wait_false_is_ready_right_after_apply_and_helmreleases_take_longer(repo):
    g, tl = run(repo)
    secrets = next(r for r in tl.runs if r.name == ID("cluster-secrets"))
    assert not secrets.health_checked and secrets.end == secrets.applied
    assert secrets.end < 15
    cilium = next(r for r in tl.runs if r.name == ID("cilium"))
    assert cilium.health_checked and cilium.end - cilium.applied >= 30


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("name", ["cilium", "cluster-secrets", "monitoring", "app"])
def test_a_failure_blocks_exactly_its_descendants(repo, name):
    g, tl = run(repo, fail=[name])
    nid = ID(name)
    blocked = g.descendants(nid)
    assert tl.final[nid] == "failed"
    for n, state in tl.final.items():
        if n in blocked:
            assert state == "waiting", n
        elif n != nid:
            assert state == "ready", n
    # each blocked one says which dependency it waits for, the real controller message
    for n in blocked:
        last = tl.steps_for(n)[-1]
        assert last.reason == "DependencyNotReady"
        assert last.message.startswith("dependency 'flux-system/") and last.message.endswith("' is not ready")


def test_forced_failure_is_a_health_check_timeout_and_is_retried(repo):
    g, tl = run(repo, fail=["cilium"])
    fails = [s for s in tl.steps_for(ID("cilium")) if s.state == "failed"]
    assert fails[0].reason == "HealthCheckFailed"
    assert fails[0].message.startswith("health check failed after 10m0.")
    assert fails[0].message.endswith(
        ": timeout waiting for: [HelmRelease/cilium/cilium status: 'InProgress']"
    )
    runs = [r for r in tl.runs if r.name == ID("cilium")]
    assert len(runs) >= 2, "Flux retries a failed Kustomization"
    # retryInterval defaults to interval (5m): the next run starts 5m after the failure
    assert runs[1].start == pytest.approx(runs[0].end + 300, abs=0.2)
    assert tl.end_time < 4 * 3600, "a permanent failure must not simulate forever"


def test_wait_false_forced_failure_fails_at_apply(repo):
    _, tl = run(repo, fail=["cluster-secrets"])
    step = first(tl, ID("cluster-secrets"), "failed")
    assert step.reason == "ReconciliationFailed"
    assert step.message.startswith("Secret/flux-system/cluster-secrets dry-run failed (BadRequest): ")


def test_unknown_names_raise_keyerror(repo):
    g = sim.simulate_repo(repo)[0]
    with pytest.raises(KeyError):
        sim.simulate(g, fail=["nope"])
    with pytest.raises(KeyError):
        sim.simulate(g, remove_deps={"nope": ["cilium"]})


# --------------------------------------------------------------------------- CRD providers


NO_MATCH_CCNP = (
    "CiliumClusterwideNetworkPolicy/default-deny dry-run failed: "
    'no matches for kind "CiliumClusterwideNetworkPolicy" in version "cilium.io/v2"'
)


def test_removed_provider_edge_fails_with_no_matches_for_kind_then_recovers_on_retry(repo):
    g, tl = run(repo, remove_deps={ID("cilium-config"): [ID("cilium")]})
    steps = tl.steps_for(ID("cilium-config"))
    assert steps[0].state == "progressing" and steps[0].t == 0.0  # nothing holds it back any more
    failed = first(tl, ID("cilium-config"), "failed")
    assert failed.reason == "ReconciliationFailed"
    # ssa DryRunErr + NoKindMatchError; the controller appends the change-set log after a newline
    assert failed.message.splitlines()[0] == NO_MATCH_CCNP
    cilium_ready = first(tl, ID("cilium"), "ready").t
    assert failed.t < cilium_ready
    ready = first(tl, ID("cilium-config"), "ready")
    assert ready is not None and ready.t > cilium_ready
    runs = [r for r in tl.runs if r.name == ID("cilium-config")]
    assert [r.outcome for r in runs] == ["failed", "ready"]
    assert runs[1].start == pytest.approx(runs[0].end + 300, abs=0.2)  # the retry, not the watch
    assert tl.final[ID("cilium-config")] == "ready"


def test_removed_provider_edge_stays_failed_while_the_provider_fails(repo):
    g, tl = run(repo, remove_deps={"cilium-config": ["cilium"]}, fail=["cilium"])
    assert tl.final[ID("cilium")] == "failed"
    assert tl.final[ID("cilium-config")] == "failed"
    fails = [s for s in tl.steps_for(ID("cilium-config")) if s.state == "failed"]
    assert len(fails) >= 2 and all(s.message.splitlines()[0] == NO_MATCH_CCNP for s in fails)


def test_namespaced_custom_resource_message_names_its_namespace(tmp_path):
    comps = dict(COMPONENTS)
    comps["cilium-config"] = (True, "5m", [], ["cnp"])  # the house rule broken on purpose
    r = repo_mod.load(make_repo(tmp_path / "r", comps))
    _, tl = run(r)
    failed = first(tl, ID("cilium-config"), "failed")
    assert failed.message.splitlines()[0] == (
        "CiliumNetworkPolicy/cilium-config/allow-k8s-api dry-run failed: "
        'no matches for kind "CiliumNetworkPolicy" in version "cilium.io/v2"'
    )
    assert tl.final[ID("cilium-config")] == "ready"


def test_a_crd_shipped_by_another_component_is_a_provider_too(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "crds": (True, "5m", [], []),
            "widgets": (True, "5m", [], []),
        },
    )
    (root / "namespaces/crds/crd.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n"
        "spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n"
    )
    (root / "namespaces/crds/kustomization.yaml").write_text("resources: [crd.yaml]\n")
    (root / "namespaces/widgets/w.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: widgets\n"
    )
    (root / "namespaces/widgets/kustomization.yaml").write_text("resources: [w.yaml]\n")
    _, tl = run(repo_mod.load(root))
    failed = first(tl, ID("widgets"), "failed")
    assert failed is not None
    assert failed.message.startswith(
        'Widget/widgets/w1 dry-run failed: no matches for kind "Widget" in version "example.com/v1"'
    )


def test_missing_dependency_waits_with_the_not_found_message(tmp_path):
    comps = {"a": (True, "5m", ["ghost"], ["ns"])}
    _, tl = run(repo_mod.load(make_repo(tmp_path / "r", comps)))
    assert tl.final[ID("a")] == "waiting"
    assert tl.steps_for(ID("a"))[-1].message == (
        "dependency 'flux-system/ghost' not found: kustomizations.kustomize.toolkit.fluxcd.io \"ghost\" not found"
    )


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_timeline_different_seed_different_durations(repo):
    a = run(repo, seed=7)[1]
    b = run(repo, seed=7)[1]
    c = run(repo, seed=8)[1]
    assert a.to_dict() == b.to_dict()
    assert [s.to_dict() for s in a.steps] == [s.to_dict() for s in b.steps]
    assert [r.end for r in a.runs] != [r.end for r in c.runs]
    # the order of the graph holds whatever the seed
    assert set(c.final.values()) == {"ready"}


def test_a_what_if_does_not_reshuffle_the_others(repo):
    base = run(repo)[1]
    what_if = run(repo, fail=["monitoring"])[1]
    assert first(base, ID("cilium"), "ready").t == first(what_if, ID("cilium"), "ready").t


def test_json_shape_of_design(repo):
    _, tl = run(repo)
    doc = json.loads(json.dumps(tl.to_dict()))
    assert {"steps", "final"} <= set(doc)
    assert {"t", "name", "state"} <= set(doc["steps"][0])
    assert doc["final"][ID("cilium")] == "ready"


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("text", "seconds"), [("10m", 600), ("1h30m", 5400), ("90s", 90), ("5m0s", 300), ("500ms", 0.5)]
)
def test_parse_go_duration(text, seconds):
    assert sim.parse_go_duration(text, -1) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(600.052705702, "10m0.052706s"), (90, "1m30s"), (45.2, "45.2s"), (3600, "1h0m0s"), (0.5, "500ms")],
)
def test_go_duration(seconds, text):
    assert sim.go_duration(seconds) == text


def test_timestamps_come_from_the_fixed_epoch():
    assert sim.timestamp(0) == "2025-01-06T09:00:00Z"
    assert sim.timestamp(61.9) == "2025-01-06T09:01:01Z"


def test_a_cycle_waits_forever_and_ends(tmp_path):
    comps = {
        "a": (True, "5m", ["b"], ["ns"]),
        "b": (True, "5m", ["a"], ["ns"]),
        "c": (True, "5m", [], ["ns"]),
    }
    _, tl = run(repo_mod.load(make_repo(tmp_path / "r", comps)))
    assert tl.final[ID("a")] == tl.final[ID("b")] == "waiting"
    assert tl.final[ID("c")] == "ready"


def test_suspended_blocks_its_dependants(tmp_path):
    root = make_repo(tmp_path / "r", {"a": (True, "5m", [], ["ns"]), "b": (True, "5m", ["a"], ["ns"])})
    infra = root / "clusters/local-kube/infrastructure.yaml"
    infra.write_text(
        infra.read_text().replace("  path: ./namespaces/a\n", "  path: ./namespaces/a\n  suspend: true\n")
    )
    g, tl = run(repo_mod.load(root))
    assert tl.final == {ID("a"): "suspended", ID("b"): "waiting"}
    assert not [r for r in tl.runs if r.name == ID("a")]
