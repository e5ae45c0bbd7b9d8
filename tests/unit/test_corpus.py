"""The parser, graph and lint against the real public Flux repos of ../shared/corpus.

Expected numbers come from corpus/SOURCES.md (counted there with an independent script over every
file), except where that count includes what Flux does not deploy or misses what it does
(test_fluxtree_corpus.py renders both with kubectl kustomize): multi-tenancy/production also
deploys its nested kyverno-controller and the dev-team tenant Kustomization; ricsanfre/prod's
infra/nginx-app.yaml is in no kustomization.yaml.
"""

from __future__ import annotations

import json

import pytest

from infra_tui.cli import main
from infra_tui.core import graph, repo, rules
from tests.corpus import corpus_paths

# cluster -> (Flux Kustomizations, dependsOn edges, depth in edges)
EXPECTED = {
    "kustomize-helm/production": (3, 2, 2),
    "kustomize-helm/staging": (3, 2, 2),
    "kustomize-helm@d54e250/production": (3, 2, 2),
    "multi-tenancy/production": (5, 2, 2),
    "hub-spoke/staging": (4, 3, 3),
    "onedr0p": (78, 19, 2),
    "ricsanfre/prod": (60, 109, 13),
    "ricsanfre/dev": (9, 5, 1),
    "joryirving/main": (160, 60, None),
    "joryirving/test": (31, 12, None),
}


def load(cluster: str):
    r = repo.load(paths=corpus_paths(cluster))
    assert len(r.envs) == 1
    return r, next(iter(r.envs.values()))


@pytest.mark.parametrize("cluster", sorted(EXPECTED))
def test_counts_match_sources(cluster):
    r, env = load(cluster)
    n_ks, n_edges, depth = EXPECTED[cluster]
    assert len(env.kustomizations) == n_ks
    assert sum(len(k.depends_on) for k in env.kustomizations) == n_edges
    g = graph.build(env)
    if depth is not None:
        assert g.depth == depth
    assert not g.cycles
    if cluster.startswith("kustomize-helm@d54e250"):
        # gotk-components.yaml was left out of the copy (SOURCES.md): reported, not fatal
        assert [p.message.split("'")[1] for p in r.problems] == ["gotk-components.yaml"]
        assert (
            r.problems[0].file == "clusters/production/flux-system/kustomization.yaml"
            and r.problems[0].line == 4
        )
    else:
        assert r.problems == []


@pytest.mark.parametrize(
    "cluster", ["onedr0p", "joryirving/main", "joryirving/test", "ricsanfre/prod", "hub-spoke/staging"]
)
def test_no_false_missing_dependencies(cluster):
    """Namespace inheritance from the enclosing kustomization.yaml resolves every dependsOn."""
    _, env = load(cluster)
    assert graph.build(env).missing == []


def test_onedr0p_namespaces_are_inherited():
    _, env = load("onedr0p")
    by_name = {k.name: k for k in env.kustomizations}
    assert by_name["cilium"].namespace == "kube-system"
    flux_system = {k.name for k in env.kustomizations if k.namespace == "flux-system"}
    assert flux_system == {"cluster-apps", "flux-instance", "flux-operator", "konflate"}
    cross = [d for k in env.kustomizations for d in k.depends_on_ids if d.split("/")[0] != k.namespace]
    assert sorted(set(cross)) == ["kube-system/multus-networks"] and len(cross) == 3
    assert [len(layer) for layer in graph.build(env).layers] == [60, 14, 4]


def test_ricsanfre_dev_has_the_one_real_dangling_dependency():
    _, env = load("ricsanfre/dev")
    g = graph.build(env)
    assert [(m.source, m.target) for m in g.missing] == [
        ("flux-system/envoy-gateway-config", "flux-system/cert-manager-config")
    ]


def test_ricsanfre_prod_critical_path_is_depth_13():
    _, env = load("ricsanfre/prod")
    path = [p.split("/")[1] for p in graph.build(env).critical_path()]
    assert path[0] == "vault-app" and path[-1] == "e-commerce-app" and len(path) == 14


def test_joryirving_toolhive_file_holds_13_kustomizations():
    _, env = load("joryirving/main")
    in_file = [k for k in env.kustomizations if k.file.endswith("apps/main/llm/toolhive.yaml")]
    assert len(in_file) == 13
    assert sum(len(k.depends_on) for k in in_file) == 21
    assert all(k.namespace == "llm" for k in in_file)


def test_multi_tenancy_patch_documents_are_not_objects():
    r = repo.load(paths=corpus_paths("multi-tenancy/production")[0].parents[1:2])  # the whole repo
    env = next(iter(r.envs.values()))
    # 10 documents minus the 2 partial patches; from the repo top both clusters are built, so the
    # staging copies of kyverno, kyverno-policies and tenants are duplicates of the production ones
    assert len(env.kustomizations) + len(env.duplicates) == 8
    assert len(env.duplicates) == 3
    assert not any(k.file.endswith("dev-team-patch.yaml") for k in env.kustomizations)


def test_v1beta2_kustomizations_are_read():
    _, env = load("kustomize-helm@d54e250/production")
    assert {k.api_version for k in env.kustomizations} == {"kustomize.toolkit.fluxcd.io/v1beta2"}


def test_parser_robustness_fixtures_load_without_problems():
    """Application tags, the '=' key and a re-defined anchor are YAML, not errors."""
    from infra_tui.core import yamlio

    base = corpus_paths("onedr0p")[0]
    for rel in (
        "apps/default/recyclarr/app/resources/recyclarr.yml",
        "apps/network/cloudflare-dns/app/helmrelease.yaml",
        "apps/o11y/kube-prometheus-stack/app/alertmanagerconfig.yaml",
    ):
        docs, errors = yamlio.load_documents((base / rel).read_text(), rel)
        assert errors == [] and docs, rel


def findings(cluster: str) -> list[rules.Finding]:
    r, env = load(cluster)
    return rules.lint(r, env.name)


def test_onedr0p_colocated_prometheus_rule_is_found():
    found = [f for f in findings("onedr0p") if f.rule == "monitoring-split"]
    assert [(f.file, f.line) for f in found] == [
        ("kubernetes/apps/cert-manager/cert-manager/app/prometheusrule.yaml", 3)
    ]
    assert found[0].severity == "error" and found[0].kustomization == "cert-manager/cert-manager"


def test_ricsanfre_cleanup_on_fail_in_helmreleases_is_found():
    found = [f for f in findings("ricsanfre/prod") if f.rule == "helm-cleanup-on-fail"]
    assert len(found) == 3
    assert all(f.file.endswith("helm.yaml") and f.severity == "error" for f in found)
    remediate = [f for f in findings("ricsanfre/prod") if f.rule == "helm-remediate-last-failure"]
    assert {f.file for f in remediate} == {"kubernetes/platform/cert-manager/webhook-ionos/base/helm.yaml"}


@pytest.mark.parametrize(
    ("cluster", "file"),
    [
        ("onedr0p", "kubernetes/flux/cluster/ks.yaml"),
        ("joryirving/main", "kubernetes/clusters/main/apps.yaml"),
    ],
)
def test_antipatterns_inside_patch_strings_are_found(cluster, file):
    found = [f for f in findings(cluster) if f.file == file and f.rule.startswith("helm-")]
    assert {f.rule for f in found} == {"helm-cleanup-on-fail", "helm-remediate-last-failure"}
    assert len([f for f in found if f.rule == "helm-cleanup-on-fail"]) == 2  # upgrade and rollback
    assert len({f.line for f in found}) == 3  # each points at its own key


def test_graph_json_cli_on_corpus(capsys):
    paths = [str(p) for p in corpus_paths("ricsanfre/dev")]
    rc = main(["graph", "--format", "json", *[a for p in paths for a in ("--path", p)]])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1  # a missing dependency
    assert out["env"] == "dev"
    assert out["missing"] == [
        {
            "from": "flux-system/envoy-gateway-config",
            "to": "flux-system/cert-manager-config",
            "cross_kind": False,
        }
    ]
    assert {k["name"] for k in out["kustomizations"]} >= {"cilium-app", "cilium-config"}
    assert all(
        {"name", "namespace", "path", "file", "line", "dependsOn", "layer"} <= set(k)
        for k in out["kustomizations"]
    )


def test_joryirving_envs_are_found_from_the_flux_instance_sync(capsys):
    """No gotk-sync.yaml: the flux-operator's FluxInstance values name each cluster's entry."""
    root = corpus_paths("joryirving/main")[0].parents[2]
    r = repo.load(root)
    assert sorted(r.envs) == ["main", "test"] and not r.flat
    for cluster in ("joryirving/main", "joryirving/test"):
        _, env = load(cluster)
        assert {k.id for k in r.envs[cluster.split("/")[1]].kustomizations} == {
            k.id for k in env.kustomizations
        }
    rc = main(["graph", "--repo", str(root), "--env", "test", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["envs"] == ["main", "test"] and len(out["kustomizations"]) == 31


def test_ricsanfre_chart_servicemonitors_in_values_from_files_are_found():
    """external-secrets' HelmRelease takes its values from a configMapGenerator's values.yaml."""
    found = [f for f in findings("ricsanfre/prod") if f.rule == "chart-servicemonitor"]
    assert [(f.kustomization, f.file, f.line) for f in found] == [
        (
            "flux-system/external-secrets-app",
            "kubernetes/platform/external-secrets/app/base/values.yaml",
            line,
        )
        for line in (7, 11, 14)
    ]


def test_ricsanfre_dev_env_is_found_from_its_sync_objects_in_config_cluster_yaml(capsys):
    """No gotk-sync.yaml: kubernetes/clusters/dev/config/cluster.yaml holds the flux-system
    GitRepository and the Kustomization that syncs the cluster; prod has no sync objects."""
    root = corpus_paths("ricsanfre/dev")[0].parents[2]
    rc = main(["graph", "--repo", str(root), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1  # the one real dangling dependency (envoy-gateway-config -> cert-manager-config)
    assert out["envs"] == ["dev"] and out["env"] == "dev"
    _, env = load("ricsanfre/dev")
    assert {k["namespace"] + "/" + k["name"] for k in out["kustomizations"]} == {
        k.id for k in env.kustomizations
    }
    assert {"cluster", "cilium-app", "flux-operator-instance"} <= {k["name"] for k in out["kustomizations"]}
    rc = main(["graph", "--repo", str(root)])
    assert "env dev: 9 Kustomizations" in capsys.readouterr().out
