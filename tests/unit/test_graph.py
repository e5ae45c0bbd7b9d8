"""Bootstrap layers, cycles, missing and cross-kind dependencies, queries and output formats."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from infra_tui.core import graph
from infra_tui.core.model import DependsOn, Env, FluxKustomization, short_name


def ks(name: str, *deps: str, ns: str = "flux-system") -> FluxKustomization:
    return FluxKustomization(
        name=name,
        namespace=ns,
        file="clusters/t/infrastructure.yaml",
        line=1,
        api_version="kustomize.toolkit.fluxcd.io/v1",
        env="t",
        path=f"./namespaces/{name}",
        depends_on=[DependsOn(d if "/" in d else f"{ns}/{d}", 2) for d in deps],
    )


def env(*kss: FluxKustomization, helmreleases: set[str] | None = None) -> Env:
    return Env("t", list(kss), helmrelease_ids=helmreleases or set())


def test_layers_are_longest_chains():
    g = graph.build(
        env(
            ks("secrets"),
            ks("cilium"),
            ks("longhorn", "secrets", "cilium"),
            ks("db", "longhorn"),
            ks("app", "db", "cilium"),
        )
    )
    assert g.layers == [
        ["flux-system/cilium", "flux-system/secrets"],
        ["flux-system/longhorn"],
        ["flux-system/db"],
        ["flux-system/app"],
    ]
    assert g.layer["flux-system/app"] == 3  # not 1, although it depends on cilium directly
    assert g.critical_path() == [
        "flux-system/cilium",
        "flux-system/longhorn",
        "flux-system/db",
        "flux-system/app",
    ]


def test_ancestors_and_descendants():
    g = graph.build(env(ks("a"), ks("b", "a"), ks("c", "b"), ks("d", "a"), ks("e")))
    assert g.ancestors("flux-system/c") == {"flux-system/a", "flux-system/b"}
    assert g.descendants("flux-system/a") == {"flux-system/b", "flux-system/c", "flux-system/d"}
    assert g.descendants("flux-system/e") == set()


def test_cycle_is_reported_as_its_full_path_and_layering_still_finishes():
    g = graph.build(env(ks("a", "c"), ks("b", "a"), ks("c", "b"), ks("d", "c"), ks("x")))
    assert g.cycles == [["flux-system/a", "flux-system/c", "flux-system/b", "flux-system/a"]]
    assert g.layer["flux-system/a"] == g.layer["flux-system/b"] == g.layer["flux-system/c"] == 0
    assert g.layer["flux-system/d"] == 1
    assert g.in_cycle("flux-system/b") and not g.in_cycle("flux-system/d")


def test_self_dependency_is_a_cycle():
    g = graph.build(env(ks("a", "a")))
    assert g.cycles == [["flux-system/a", "flux-system/a"]]


def test_missing_and_cross_kind_dependencies():
    g = graph.build(env(ks("app", "redis", "nope"), helmreleases={"flux-system/redis"}))
    assert [(m.target, m.cross_kind) for m in g.missing] == [
        ("flux-system/redis", True),
        ("flux-system/nope", False),
    ]


def test_dependency_namespace_defaults_to_the_dependants():
    g = graph.build(env(ks("a", ns="apps"), ks("b", "a", ns="apps")))
    assert g.deps["apps/b"] == ["apps/a"] and not g.missing


def test_deep_chain_needs_no_recursion():
    chain = [ks("n0")] + [ks(f"n{i}", f"n{i - 1}") for i in range(1, 3000)]
    g = graph.build(env(*chain))
    assert g.depth == 2999


def test_output_formats():
    g = graph.build(env(ks("cilium"), ks("cilium-config", "cilium"), ks("app", "gone")))
    d = graph.to_dict(g)
    assert d["layers"] == [["flux-system/app", "flux-system/cilium"], ["flux-system/cilium-config"]]
    assert d["missing"] == [{"from": "flux-system/app", "to": "flux-system/gone", "cross_kind": False}]
    mermaid = graph.to_mermaid(g)
    assert (
        mermaid.startswith("flowchart BT")
        and "n_flux_system_cilium_config --> n_flux_system_cilium" in mermaid
    )
    dot = graph.to_dot(g)
    assert '"flux-system/cilium-config" -> "flux-system/cilium";' in dot and "style=dashed" in dot


def test_dot_and_mermaid_escape_names_from_the_repo():
    evil = 'x"]; click n_a "https://evil" ;["'
    g = graph.build(env(ks(evil), ks("a-b"), ks("a_b", evil), ks("dep", 'gone"\\')))
    dot = graph.to_dot(g)
    assert '"flux-system/x\\"]; click n_a \\"https://evil\\" ;[\\""' in dot
    assert '"flux-system/gone\\"\\\\"' in dot
    # every quote in the output is either an opening/closing one or escaped
    for line in dot.splitlines():
        unescaped = line.replace("\\\\", "").replace('\\"', "")
        assert unescaped.count('"') % 2 == 0, line
    mermaid = graph.to_mermaid(g)
    assert "click" not in mermaid.replace("#34;", "").split("[")[0]
    for line in mermaid.splitlines():
        assert line.count('"') in (0, 2), line  # a label's own quotes are entity codes
    ids = [ln.split("[")[0].strip() for ln in mermaid.splitlines() if '["' in ln and "subgraph" not in ln]
    assert len(ids) == len(set(ids))  # a-b and a_b stay two nodes


@settings(max_examples=200, deadline=None)
@given(
    edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=30),
    acyclic=st.booleans(),
)
def test_layers_are_the_longest_chains_and_cycles_share_one(edges, acyclic):
    if acyclic:  # only edges to a smaller number: a DAG
        edges = [(a, b) for a, b in edges if b < a]
    names = [f"k{i}" for i in range(12)]
    deps = {n: [names[b] for a, b in edges if names[a] == n] for n in names}
    g = graph.build(env(*(ks(n, *dict.fromkeys(deps[n])) for n in names)))
    assert list(g.layer) == [f"flux-system/{n}" for n in names]

    def longest(n: str, seen: frozenset[str]) -> int:
        return max((longest(d, seen | {n}) + 1 for d in deps[n] if d not in seen | {n}), default=0)

    if acyclic:
        assert not g.cycles
        assert {short_name(n): layer for n, layer in g.layer.items()} == {
            n: longest(n, frozenset()) for n in names
        }
    for cycle in g.cycles:
        assert cycle[0] == cycle[-1]
        assert len({g.layer[n] for n in cycle}) == 1
    for n, ds in g.deps.items():  # a dependency never sits above its dependant (same layer: a cycle)
        for d in ds:
            assert g.layer[d] < g.layer[n] or (g.cycles and g.layer[d] == g.layer[n])
