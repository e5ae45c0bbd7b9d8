"""scaffold.plan: what it generates, what it infers, and what it refuses (writing nothing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from infra_tui.core import repo as repo_mod
from infra_tui.core import rules as rules_mod
from infra_tui.core import scaffold
from infra_tui.core import spec as spec_mod
from infra_tui.core.yamlio import split_documents
from tests.paths import DEMO

CHART = {
    "name": "app",
    "version": "1.x",
    "repository": {"name": "app-charts", "url": "https://charts.example.com"},
}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scaffold") / "demo"
    shutil.copytree(DEMO, root)
    return root


@pytest.fixture(scope="module")
def repo(demo_dir: Path):
    return repo_mod.load(demo_dir)


def plan_for(repo, **data):
    return scaffold.plan(repo, spec_mod.parse({"name": "app", "chart": CHART, **data}))


def file_of(plan, suffix):
    return next(f for f in plan.files if f.path.endswith(suffix))


def docs(text):
    return list(yaml.safe_load_all(text))


# --------------------------------------------------------------------------- generated content


def test_plain_component_follows_the_patterns(repo):
    plan = plan_for(repo, values={"a": {"b": 1}})
    assert plan.ok, plan.refusals
    assert plan.created == [
        "namespaces/app/namespace.yaml",
        "namespaces/app/helm-repository.yaml",
        "namespaces/app/helm-release.yaml",
        "namespaces/app/kustomization.yaml",
    ]
    assert plan.modified == ["clusters/local-kube/infrastructure.yaml"]
    ns = yaml.safe_load(file_of(plan, "namespace.yaml").after)
    assert ns["metadata"]["labels"] == {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
    }
    hr = yaml.safe_load(file_of(plan, "helm-release.yaml").after)
    assert hr["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    assert hr["spec"]["interval"] == "1h"
    assert hr["spec"]["chart"]["spec"] == {
        "chart": "app",
        "version": "1.x",
        "sourceRef": {"kind": "HelmRepository", "name": "app-charts", "namespace": "flux-system"},
    }
    assert hr["spec"]["install"]["remediation"]["retries"] == 3
    assert hr["spec"]["upgrade"]["remediation"]["retries"] == 3
    assert hr["spec"]["values"] == {"a": {"b": 1}}  # no serviceMonitor switch without monitoring
    hrepo = yaml.safe_load(file_of(plan, "helm-repository.yaml").after)
    assert hrepo["metadata"] == {"name": "app-charts", "namespace": "flux-system"}
    assert "type" not in hrepo["spec"]
    infra = file_of(plan, "infrastructure.yaml")
    (ks,) = docs(infra.after[len(infra.before) :])
    assert ks["spec"] == {
        "interval": "5m",
        "path": "./namespaces/app",
        "prune": False,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        "wait": True,
        "timeout": "10m",
    }


def test_appended_text_is_the_only_change(repo):
    plan = plan_for(repo)
    infra = file_of(plan, "infrastructure.yaml")
    assert infra.after.startswith(infra.before)
    assert infra.after[len(infra.before) :].startswith("---\n")


def test_oci_repository_gets_type_oci(repo):
    plan = plan_for(
        repo, chart={"name": "podinfo", "repository": {"url": "oci://ghcr.io/stefanprodan/charts"}}
    )
    hrepo = yaml.safe_load(file_of(plan, "helm-repository.yaml").after)
    assert hrepo["spec"]["type"] == "oci" and hrepo["spec"]["url"] == "oci://ghcr.io/stefanprodan/charts"


def test_webhook_component_gets_the_cnp_and_depends_on_cilium(repo):
    plan = plan_for(repo, webhook=True)
    assert "namespaces/app/cilium-network-policies/allow-k8s-api.yaml" in plan.created
    kust = yaml.safe_load(file_of(plan, "app/kustomization.yaml").after)
    assert "cilium-network-policies/allow-k8s-api.yaml" in kust["resources"]
    cnp = yaml.safe_load(file_of(plan, "allow-k8s-api.yaml").after)
    assert cnp["metadata"] == {"name": "allow-k8s-api", "namespace": "app"}
    assert cnp["spec"]["egress"][0]["toEntities"] == ["kube-apiserver"]
    (p,) = plan.placement
    assert p.depends_on == ["flux-system/cilium"]
    assert p.inferred == {"flux-system/cilium": "CiliumNetworkPolicy"}


def test_known_webhook_component_is_inferred_with_a_review_note(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    shutil.rmtree(root / "namespaces" / "kyverno")
    for env in ("local-kube", "staging"):
        p = root / "clusters" / env / "infrastructure.yaml"
        chunks = [
            c.text
            for c in split_documents(p.read_text())
            if "name: kyverno\n  namespace: flux-system" not in c.text
        ]
        p.write_text("".join(chunks).replace("    - name: kyverno\n", ""))
    repo = repo_mod.load(root)
    plan = scaffold.plan(
        repo,
        spec_mod.parse(
            {
                "name": "kyverno",
                "chart": {
                    **CHART,
                    "repository": {"name": "kyverno-x", "url": "https://kyverno.github.io/kyverno/"},
                },
            }
        ),
    )
    assert plan.ok, plan.refusals
    assert "namespaces/kyverno/cilium-network-policies/allow-k8s-api.yaml" in plan.created
    assert any("known webhook component" in a for a in plan.assumptions)


def test_monitoring_split(repo):
    plan = plan_for(
        repo,
        monitoring={"serviceMonitor": True, "prometheusRule": True},
        values={"serviceMonitor": {"interval": "1m"}},
    )
    assert {
        "namespaces/app-monitoring/kustomization.yaml",
        "namespaces/app-monitoring/prometheus-rules.yaml",
        "namespaces/app-monitoring/servicemonitor-app.yaml",
    } <= set(plan.created)
    comp_kust = yaml.safe_load(file_of(plan, "namespaces/app/kustomization.yaml").after)
    assert all("servicemonitor" not in r and "prometheus" not in r for r in comp_kust["resources"])
    hr = yaml.safe_load(file_of(plan, "helm-release.yaml").after)
    assert hr["spec"]["values"]["serviceMonitor"] == {"interval": "1m", "enabled": False}
    sm = yaml.safe_load(file_of(plan, "servicemonitor-app.yaml").after)
    assert sm["metadata"]["namespace"] == "app" and sm["spec"]["namespaceSelector"] == {"matchNames": ["app"]}
    pr = yaml.safe_load(file_of(plan, "prometheus-rules.yaml").after)
    alerts = [r["alert"] for r in pr["spec"]["groups"][0]["rules"]]
    assert alerts == ["AppTargetDown", "AppPodsNotReady"]
    infra = file_of(plan, "infrastructure.yaml")
    ks, mon = docs(infra.after[len(infra.before) :])
    assert mon["metadata"]["name"] == "app-monitoring"
    assert mon["spec"]["dependsOn"] == [{"name": "monitoring"}, {"name": "app"}]
    assert mon["spec"]["wait"] is False and mon["spec"]["timeout"] == "5m"
    assert [p.name for p in plan.placement] == ["app", "app-monitoring"]
    assert plan.placement[1].layer > plan.placement[0].layer


def test_only_a_prometheus_rule(repo):
    plan = plan_for(repo, monitoring={"prometheusRule": True})
    assert "namespaces/app-monitoring/prometheus-rules.yaml" in plan.created
    assert not any("servicemonitor" in p for p in plan.created)
    hr = yaml.safe_load(file_of(plan, "helm-release.yaml").after)
    assert "values" not in hr["spec"]  # the chart's ServiceMonitor only matters when one is requested


def test_creates_infers_providers_and_records_why(repo):
    plan = plan_for(repo, creates=["RecurringJob", "Certificate"], dependsOn=["cluster-secrets"])
    (p,) = plan.placement
    assert p.depends_on == [
        "flux-system/cluster-secrets",
        "flux-system/longhorn-system",
        "flux-system/cert-manager",
    ]
    assert p.inferred == {
        "flux-system/longhorn-system": "RecurringJob",
        "flux-system/cert-manager": "Certificate",
    }
    infra = file_of(plan, "infrastructure.yaml")
    added = infra.after[len(infra.before) :]
    assert (
        "- name: longhorn-system  # REVIEW: Placed after longhorn-system in bootstrap order: RecurringJob needs its CRDs; "
        "learned: chart longhorn at namespaces/longhorn-system/helm-release.yaml:1"
    ) in added
    assert "- name: cluster-secrets\n" in added  # stated by the user: no REVIEW
    assert yaml.safe_load(added.removeprefix("---\n"))["metadata"]["annotations"] == {
        scaffold.CREATES_ANNOTATION: "RecurringJob, Certificate"
    }


def test_required_dependency_from_the_rules(repo):
    rules = rules_mod.load_rules(repo)
    rules.required_dependencies.append(
        rules_mod.RequiredDependency("app", "cilium", "app chains into cilium")
    )
    plan = scaffold.plan(repo, spec_mod.parse({"name": "app", "chart": CHART}), rules=rules)
    assert plan.placement[0].inferred == {"flux-system/cilium": "app chains into cilium"}


def test_env_values_become_patches_in_the_non_primary_env(repo):
    plan = plan_for(
        repo, envs=["local-kube", "staging"], values={"replicas": 3}, env_values={"staging": {"replicas": 1}}
    )
    assert plan.ok, plan.refusals
    local = file_of(plan, "local-kube/infrastructure.yaml")
    staging = file_of(plan, "staging/infrastructure.yaml")
    assert "patches" not in yaml.safe_load(local.after[len(local.before) :].removeprefix("---\n"))["spec"]
    ks = yaml.safe_load(staging.after[len(staging.before) :].removeprefix("---\n"))
    (patch,) = ks["spec"]["patches"]
    assert patch["target"] == {"kind": "HelmRelease", "name": "app", "namespace": "app"}
    assert yaml.safe_load(patch["patch"])["spec"] == {"values": {"replicas": 1}}
    assert not any("overlays" in f.path for f in plan.files)
    assert {p.env for p in plan.placement} == {"local-kube", "staging"}


def test_review_comments_and_assumptions_match(repo):
    plan = plan_for(repo, chart={"name": "app", "repository": {"url": "https://charts.example.com"}})
    text = "".join(f.after if f.created else f.after[len(f.before) :] for f in plan.files)
    reviews = [line.split("# REVIEW: ", 1)[1] for line in text.splitlines() if "# REVIEW: " in line]
    assert sorted(reviews) == sorted(plan.assumptions)
    assert any('chart version not stated: "*"' in a for a in plan.assumptions)
    assert any("namespace not stated" in a for a in plan.assumptions)
    assert any("timeout not stated" in a for a in plan.assumptions)
    assert any("chart repository name not stated" in a for a in plan.assumptions)
    assert any("envs not stated" in a for a in plan.assumptions)
    hr = yaml.safe_load(file_of(plan, "helm-release.yaml").after)
    assert hr["spec"]["chart"]["spec"]["version"] == "*"


def test_stated_values_have_no_review_notes(repo):
    plan = plan_for(repo, namespace="apps", envs=["local-kube"], timeout="15m")
    assert plan.assumptions == []


def test_plan_adds_no_lint_finding_and_is_placed(repo):
    plan = plan_for(repo, webhook=True, monitoring=True, creates=["Certificate"])
    assert plan.ok and plan.findings == []
    assert plan.recreate_required is False


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"name": "Bad_Name"}, "not a DNS-1123 label"),
        ({"name": "cilium"}, "Kustomization 'cilium' already exists"),
        ({"name": "cilium"}, "`infra-tui edit cilium`"),
        (
            {"dependsOn": ["ciluim"]},
            "dependsOn 'ciluim' does not exist in env local-kube; did you mean 'cilium'?",
        ),
        (
            {"chart": {"name": "x", "repository": {"url": "http://x.example.com"}}},
            "must start with https:// or oci://",
        ),
        ({"values": ["a"]}, "values: must be a mapping"),
        ({"dependson": ["x"]}, "did you mean 'dependsOn'?"),
        ({"envs": ["stagin"]}, "env 'stagin' does not exist"),
        ({"env_values": {"staging": {"a": 1}}}, "not one of the component's envs"),
        ({"envs": ["local-kube"], "env_values": {"local-kube": {"a": 1}}}, "is the primary env"),
        ({"namespace": "cilium"}, "namespace 'cilium' is already created"),
        ({"creates": ["ServiceMonitor"]}, "belongs in the app-monitoring split"),
        ({"values": {"serviceMonitor": {"enabled": True}}}, "turns on the chart's own ServiceMonitor"),
        (
            {"chart": {"name": "x", "repository": {"name": "cilium", "url": "https://other.example.com"}}},
            "HelmRepository flux-system/cilium already exists",
        ),
        ({"dependsOn": ["kyverno"]}, "would add lint finding webhook-dependency"),
    ],
)
def test_refusals_write_nothing(repo, data, fragment):
    plan = plan_for(repo, **data)
    assert not plan.ok
    assert plan.files == []
    assert any(fragment in r for r in plan.refusals), plan.refusals


def test_missing_provider_is_refused(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    repo = repo_mod.load(root)
    del repo.envs["staging"].kustomizations[
        [k.name for k in repo.envs["staging"].kustomizations].index("longhorn-system")
    ]
    plan = plan_for(repo, envs=["staging"], creates=["RecurringJob"])
    assert any(
        "whose CRD comes from longhorn-system, but env staging has no Kustomization" in r
        for r in plan.refusals
    )


def test_cycle_through_a_dangling_dependency_is_refused(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    infra = root / "clusters" / "local-kube" / "infrastructure.yaml"
    infra.write_text(
        infra.read_text().replace(
            "  name: reloader\n  namespace: flux-system\nspec:\n",
            "  name: reloader\n  namespace: flux-system\nspec:\n  dependsOn:\n    - name: app\n",
            1,
        )
    )
    repo = repo_mod.load(root)
    assert "flux-system/app" in repo.envs["local-kube"].find("reloader").depends_on_ids
    plan = plan_for(repo, dependsOn=["reloader"])
    assert any("dependsOn cycle" in r and "app" in r and "reloader" in r for r in plan.refusals), (
        plan.refusals
    )


def test_existing_folder_is_refused(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    (root / "namespaces" / "app").mkdir()
    plan = plan_for(repo_mod.load(root))
    assert any("namespaces/app/ already exists" in r for r in plan.refusals)


def test_every_spec_problem_is_reported_at_once(repo):
    plan = scaffold.plan(
        repo,
        spec_mod.parse({"name": "X", "chart": {"name": "a", "repository": {"url": "ftp://x"}}, "values": 3}),
    )
    assert len(plan.refusals) == 3


def test_memoised_renders_are_reused_and_identical(repo):
    scaffold.clear_cache()
    a = plan_for(repo, values={"x": 1})
    b = plan_for(repo, values={"x": 2})
    assert [f.path for f in a.files] == [f.path for f in b.files]
    same = [f.path for f, g in zip(a.files, b.files, strict=True) if f.after == g.after]
    assert "namespaces/app/helm-release.yaml" not in same and "namespaces/app/namespace.yaml" in same
    scaffold.clear_cache()
    c = plan_for(repo, values={"x": 1})
    assert [f.after for f in c.files] == [f.after for f in a.files]
