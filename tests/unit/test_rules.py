"""The house-pattern lint (core/rules.py), rule by rule: a positive and a negative fixture each.

Every repo here is written by ``tests/repo_builder.py``. A positive case asserts rule, severity,
Kustomization id, file and the exact line: the offending key when there is one (a dependsOn entry,
``force: true``, an annotation), else the first line of the offending document (a Flux
Kustomization that lacks a dependsOn, a Namespace without labels). Lines are found through
``# <-- tag`` markers, so a finding that points at a look-alike key elsewhere fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra_tui import cli
from infra_tui.core import graph as graph_mod
from infra_tui.core import repo as repo_mod
from infra_tui.core import rules
from tests.repo_builder import FlatRepo, component, helm_release_yaml, ks, line_of, namespace_yaml

INFRA = "clusters/local-kube/infrastructure.yaml"
FS = "flux-system/"


@pytest.fixture(autouse=True)
def _no_config_override(monkeypatch):
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)


def run_lint(root: Path, env: str | None = None) -> list[rules.Finding]:
    repo = repo_mod.load(root)
    assert repo.problems == []
    try:
        from infra_tui.core.settings import load_settings
    except ImportError:  # pragma: no cover - settings land separately
        pass
    else:
        repo.settings = load_settings(repo.root)
    return rules.lint(repo, env)


def of(findings: list[rules.Finding], rule: str) -> list[rules.Finding]:
    return [f for f in findings if f.rule == rule]


def one(findings: list[rules.Finding], rule: str) -> rules.Finding:
    got = of(findings, rule)
    assert len(got) == 1, (
        f"expected one {rule}, got {[(f.severity, f.kustomization, f.line, f.message) for f in findings]}"
    )
    return got[0]


def ks_line(root: Path, name: str, env: str = "local-kube") -> int:
    """First line (``apiVersion:``) of the Flux Kustomization document named ``name``."""
    lines = (root / f"clusters/{env}/infrastructure.yaml").read_text().splitlines()
    n = lines.index(f"  name: {name}") + 1
    start = n
    while not lines[start - 1].startswith("apiVersion:"):
        start -= 1
    return start


def infra(root: Path) -> Path:
    return root / INFRA


def base(tmp_path: Path) -> FlatRepo:
    """cilium and monitoring, both house-shaped: lints clean."""
    return FlatRepo(tmp_path).house("cilium").house("monitoring")


# --------------------------------------------------------------------------- manifests

CNP_ALLOW_APISERVER = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-k8s-api
  namespace: {ns}
spec:
  endpointSelector: {{}}
  egress:
    - toEntities:
        - kube-apiserver
      toPorts:
        - ports:
            - port: "443"
              protocol: TCP
            - port: "6443"
              protocol: TCP
  ingress:
    - fromEntities:
        - kube-apiserver
        - host
"""


def monitor(kind: str, name: str, ns: str | None) -> str:
    meta = f"  name: {name}\n" + (f"  namespace: {ns}\n" if ns else "")
    return f"apiVersion: monitoring.coreos.com/v1\nkind: {kind}\nmetadata:\n{meta}spec: {{}}\n"


def split(name: str, ns: str | None, kind: str = "ServiceMonitor") -> dict:
    """``component`` arguments of a ``<x>-monitoring`` folder: only a ServiceMonitor in ``ns``."""
    return {
        "helm": False,
        "files": {"namespace.yaml": None, "service-monitor.yaml": monitor(kind, name, ns)},
    }


# --------------------------------------------------------------------------- baseline


def test_house_repo_is_clean(tmp_path):
    root = base(tmp_path).house("app", ["cilium"]).write()
    assert run_lint(root) == []


def test_builder_layout_lines_are_what_the_docs_say(tmp_path):
    """Pin the builder's layout once with literal numbers, so marker-based lines are trusted."""
    root = FlatRepo(tmp_path).house("a", ["b"]).house("b").write()
    repo = repo_mod.load(root)
    a = repo.env(None).find("a")
    assert a.line == 3  # header comment, ---, apiVersion
    assert a.depends_on[0].line == 18  # 15 lines of house shape, dependsOn:, - name: b
    assert ks_line(root, "a") == 3 and ks_line(root, "b") == 20


# --------------------------------------------------------------------------- graph rules


def test_dependency_cycle_reported_as_full_path(tmp_path):
    root = base(tmp_path).house("a", ["b"]).house("b", ["c"]).house("c", ["a"]).house("d", ["a"]).write()
    findings = run_lint(root)
    f = one(findings, "dependency-cycle")
    assert (f.severity, f.kustomization, f.file) == ("error", FS + "a", INFRA)
    assert "a -> b -> c -> a" in f.message
    # the offending key: a's dependsOn entry that opens the cycle
    assert f.line == line_of(infra(root), "- name: b")
    g = graph_mod.build(repo_mod.load(root).env(None))
    assert g.cycles == [[FS + "a", FS + "b", FS + "c", FS + "a"]]  # d only leads into it


def test_self_dependency_is_a_cycle(tmp_path):
    root = base(tmp_path).ks("a", ["a"], comment="depends on itself").component("a").write()
    f = one(run_lint(root), "dependency-cycle")
    assert "a -> a" in f.message
    assert f.line == line_of(infra(root), "- name: a")


def test_no_cycle_in_a_chain(tmp_path):
    root = base(tmp_path).house("a", ["b"]).house("b", ["c"]).house("c").write()
    assert of(run_lint(root), "dependency-cycle") == []


def test_dependency_missing_points_at_the_entry(tmp_path):
    root = base(tmp_path).house("app", ["cilium", "cilum"]).write()
    f = one(run_lint(root), "dependency-missing")
    assert (f.severity, f.kustomization, f.file) == ("error", FS + "app", INFRA)
    assert f.line == line_of(infra(root), "- name: cilum")
    assert "did you mean 'flux-system/cilium'" in f.message


def test_dependency_missing_in_another_namespace(tmp_path):
    root = base(tmp_path).house("app", ["other/cilium"]).write()
    f = one(run_lint(root), "dependency-missing")
    assert "other/cilium" in f.message


def test_dependency_missing_line_after_a_two_line_entry(tmp_path):
    root = base(tmp_path).house("app", ["flux-system/cilium", "nope"]).write()
    f = one(run_lint(root), "dependency-missing")
    assert f.line == line_of(infra(root), "- name: nope")


def test_dependency_present_is_not_missing(tmp_path):
    root = base(tmp_path).house("app", ["flux-system/cilium", "monitoring"]).write()
    findings = run_lint(root)
    assert of(findings, "dependency-missing") == [] and of(findings, "dependency-cross-kind") == []


def test_dependency_cross_kind_same_namespace_id(tmp_path):
    # Kustomization "cache" deploys HelmRelease redis/redis; app depends on redis/redis
    root = (
        base(tmp_path)
        .ks("cache")
        .component("cache", files={"helm-release.yaml": helm_release_yaml("redis", "cache")})
        .house("app", ["cache/redis"])
        .write()
    )
    findings = run_lint(root)
    f = one(findings, "dependency-cross-kind")
    assert (f.severity, f.kustomization, f.file) == ("error", FS + "app", INFRA)
    assert f.line == line_of(infra(root), "- name: redis")
    assert of(findings, "dependency-missing") == []


def test_dependency_cross_kind_by_name(tmp_path):
    # the usual mistake: dependsOn the HelmRelease's name, which lives in the component's namespace
    root = (
        base(tmp_path)
        .ks("cache")
        .component("cache", files={"helm-release.yaml": helm_release_yaml("redis-ha", "cache")})
        .house("app", ["redis-ha"])
        .write()
    )
    findings = run_lint(root)
    f = one(findings, "dependency-cross-kind")
    assert f.line == line_of(infra(root), "- name: redis-ha")
    assert "cache" in f.message  # says which Kustomization to depend on instead
    assert of(findings, "dependency-missing") == []


def test_dependency_on_the_kustomization_is_not_cross_kind(tmp_path):
    root = (
        base(tmp_path)
        .ks("cache")
        .component("cache", files={"helm-release.yaml": helm_release_yaml("redis", "cache")})
        .house("app", ["cache"])
        .write()
    )
    assert of(run_lint(root), "dependency-cross-kind") == []


# --------------------------------------------------------------------------- CRD providers

CNP_FILES = {"cilium-network-policies/allow-k8s-api.yaml": CNP_ALLOW_APISERVER.format(ns="app")}


def test_crd_dependency_error_when_provider_is_no_ancestor(tmp_path):
    root = base(tmp_path).house("app", ["monitoring"], files=CNP_FILES).write()
    f = one(run_lint(root), "crd-dependency")
    assert (f.severity, f.kustomization, f.file, f.line) == ("error", FS + "app", INFRA, ks_line(root, "app"))
    assert "CiliumNetworkPolicy" in f.message
    assert "namespaces/app/cilium-network-policies/allow-k8s-api.yaml:1" in f.message
    assert f.fixable and f.info["add"] == FS + "cilium"


def test_crd_dependency_warning_when_provider_is_only_indirect(tmp_path):
    root = base(tmp_path).house("mid", ["cilium"]).house("app", ["mid"], files=CNP_FILES).write()
    f = one(run_lint(root), "crd-dependency")
    assert (f.severity, f.kustomization, f.line) == ("warning", FS + "app", ks_line(root, "app"))
    assert "indirectly" in f.message


def test_crd_dependency_nothing_when_direct(tmp_path):
    root = base(tmp_path).house("mid", ["cilium"]).house("app", ["mid", "cilium"], files=CNP_FILES).write()
    assert of(run_lint(root), "crd-dependency") == []


def test_crd_dependency_when_env_has_no_such_provider_is_a_warning_until_confirmed(tmp_path):
    """A kind nothing in the env provides: installed before Flux (bootstrap), or missing. A warning,
    not an error, until it is confirmed in .infra-tui.yaml (or the learned file)."""
    job = "apiVersion: longhorn.io/v1beta2\nkind: RecurringJob\nmetadata:\n  name: backup\n  namespace: app\nspec: {}\n"
    root = base(tmp_path).house("app", files={"recurring-job.yaml": job}).write()
    f = one(run_lint(root), "crd-dependency")
    assert (
        f.severity == "warning"
        and "longhorn.io, whose CRDs no Kustomization in env local-kube provides" in f.message
    )
    assert not f.fixable
    (root / ".infra-tui.yaml").write_text("rules:\n  bootstrap_provided: [longhorn.io]\n")
    assert of(run_lint(root), "crd-dependency") == []


@pytest.mark.parametrize(
    ("api", "kind", "provider"),
    [
        ("cert-manager.io/v1", "Certificate", "cert-manager"),
        ("cert-manager.io/v1", "ClusterIssuer", "cert-manager"),
        ("longhorn.io/v1beta2", "RecurringJob", "longhorn-system"),
        ("templates.gatekeeper.sh/v1", "ConstraintTemplate", "gatekeeper-system"),
        ("kyverno.io/v1", "ClusterPolicy", "kyverno"),
        ("cilium.io/v2", "CiliumClusterwideNetworkPolicy", "cilium"),
    ],
)
def test_crd_dependency_table(tmp_path, api, kind, provider):
    doc = f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: x\nspec: {{}}\n"
    r = base(tmp_path).house(provider).house("app", files={"crd-user.yaml": doc})
    f = one(run_lint(r.write()), "crd-dependency")
    assert f.severity == "error" and kind in f.message and f.info["add"] == FS + provider
    tmp2 = tmp_path / "ok"
    root = base(tmp2).house(provider).house("app", [provider], files={"crd-user.yaml": doc}).write()
    assert of(run_lint(root), "crd-dependency") == []


# --------------------------------------------------------------------------- monitoring


def test_monitoring_split_flags_colocated_rule(tmp_path):
    rules_file = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n# alerts\n" + monitor(
        "PrometheusRule", "app", "app"
    )
    root = base(tmp_path).house("app", files={"rules.yaml": rules_file}).write()
    f = one(run_lint(root), "monitoring-split")
    assert (f.severity, f.kustomization, f.file) == ("error", FS + "app", "namespaces/app/rules.yaml")
    assert f.line == line_of(root / "namespaces/app/rules.yaml", "monitoring.coreos.com")
    assert f.line == 7


def test_monitoring_split_not_flagged_in_a_split_or_when_unlisted(tmp_path):
    root = (
        base(tmp_path)
        .house(
            "app",
            files={"service-monitor.yaml": monitor("ServiceMonitor", "app", "app")},
            unlisted=["service-monitor.yaml"],
        )
        .ks("app-monitoring", ["monitoring", "app"], wait=False, timeout="5m")
        .component("app-monitoring", **split("app", "app"))
        .write()
    )
    assert run_lint(root) == []


def test_monitoring_deps_missing_parent_found_by_namespace(tmp_path):
    root = (
        base(tmp_path)
        .house("app")
        .ks("app-monitoring", ["monitoring"], wait=False, timeout="5m")
        .component("app-monitoring", **split("app", "app"))
        .write()
    )
    f = one(run_lint(root), "monitoring-deps")
    assert (f.severity, f.kustomization, f.file, f.line) == (
        "error",
        FS + "app-monitoring",
        INFRA,
        ks_line(root, "app-monitoring"),
    )
    assert f.info["add"] == (FS + "app",)


def test_monitoring_deps_missing_monitoring(tmp_path):
    root = (
        base(tmp_path)
        .house("app")
        .ks("app-monitoring", ["app"], wait=False, timeout="5m")
        .component("app-monitoring", **split("app", "app"))
        .write()
    )
    f = one(run_lint(root), "monitoring-deps")
    assert f.severity == "error" and f.info["add"] == (FS + "monitoring",)


def test_monitoring_deps_parent_is_a_differently_named_kustomization(tmp_path):
    # netcorp-app creates Namespace netcorp; the split netcorp-monitoring watches namespace netcorp
    r = (
        base(tmp_path)
        .ks("netcorp-app")
        .component("netcorp-app", namespace="netcorp")
        .ks("netcorp-monitoring", ["monitoring"], wait=False, timeout="5m")
        .component("netcorp-monitoring", **split("netcorp", "netcorp"))
    )
    f = one(run_lint(r.write()), "monitoring-deps")
    assert f.info["add"] == (FS + "netcorp-app",)
    assert "netcorp-app" in f.message
    root = (
        base(tmp_path / "ok")
        .ks("netcorp-app")
        .component("netcorp-app", namespace="netcorp")
        .ks("netcorp-monitoring", ["monitoring", "netcorp-app"], wait=False, timeout="5m")
        .component("netcorp-monitoring", **split("netcorp", "netcorp"))
        .write()
    )
    assert run_lint(root) == []


def test_monitoring_deps_namespace_wins_over_name(tmp_path):
    # foo-monitoring depends on foo (same name) but its ServiceMonitor lives in bar's namespace
    root = (
        base(tmp_path)
        .house("foo")
        .house("bar")
        .ks("foo-monitoring", ["monitoring", "foo"], wait=False, timeout="5m")
        .component("foo-monitoring", **split("bar", "bar"))
        .write()
    )
    f = one(run_lint(root), "monitoring-deps")
    assert f.info["add"] == (FS + "bar",)


def test_monitoring_deps_name_is_the_fallback(tmp_path):
    # nobody creates kube-system: the parent is cilium by name
    r = (
        base(tmp_path)
        .ks("cilium-monitoring", ["monitoring"], wait=False, timeout="5m")
        .component("cilium-monitoring", **split("cilium", "kube-system"))
    )
    f = one(run_lint(r.write()), "monitoring-deps")
    assert f.info["add"] == (FS + "cilium",)
    root = (
        base(tmp_path / "ok")
        .ks("cilium-monitoring", ["monitoring", "cilium"], wait=False, timeout="5m")
        .component("cilium-monitoring", **split("cilium", "kube-system"))
        .write()
    )
    assert of(run_lint(root), "monitoring-deps") == []


def test_monitoring_deps_split_shape(tmp_path):
    root = (
        base(tmp_path)
        .house("app")
        .ks("app-monitoring", ["monitoring", "app"], wait=True, timeout="5m")
        .component("app-monitoring", **split("app", "app"))
        .write()
    )
    findings = run_lint(root)
    f = one(findings, "monitoring-deps")
    assert (f.severity, f.kustomization) == ("warning", FS + "app-monitoring")
    start = ks_line(root, "app-monitoring")
    wait_line = next(
        n for n, t in enumerate(infra(root).read_text().splitlines(), 1) if n > start and t == "  wait: true"
    )
    assert f.line == wait_line
    assert of(findings, "ks-shape") == []  # the split's shape is monitoring-deps' business


def test_chart_servicemonitor(tmp_path):
    values = (
        "    metrics:\n"
        "      serviceMonitor:\n"
        "        enabled: false\n"
        "    serviceMonitor:\n"
        "      enabled: true  # <-- top\n"
        "    operator:\n"
        "      serviceMonitor:\n"
        "        enabled: true  # <-- nested\n"
    )
    root = (
        base(tmp_path)
        .house("app", files={"helm-release.yaml": helm_release_yaml("app", values=values)})
        .write()
    )
    found = of(run_lint(root), "chart-servicemonitor")
    hr = root / "namespaces/app/helm-release.yaml"
    assert [(f.severity, f.kustomization, f.file, f.line) for f in found] == [
        ("warning", FS + "app", "namespaces/app/helm-release.yaml", line_of(hr, "<-- top")),
        ("warning", FS + "app", "namespaces/app/helm-release.yaml", line_of(hr, "<-- nested")),
    ]
    assert found[1].info["values_path"] == ("operator", "serviceMonitor", "enabled")


def test_chart_servicemonitor_disabled_is_fine(tmp_path):
    values = "    serviceMonitor:\n      enabled: false\n"
    root = (
        base(tmp_path)
        .house("app", files={"helm-release.yaml": helm_release_yaml("app", values=values)})
        .write()
    )
    assert run_lint(root) == []


# --------------------------------------------------------------------------- Helm anti-patterns

BAD_HELM_SPEC = """\
  values:
    upgrade:
      force: true
      cleanupOnFail: true
  install:
    remediation:
      retries: 3
      remediateLastFailure: true  # <-- install-rlf
  upgrade:
    force: true  # <-- force
    cleanupOnFail: true  # <-- upgrade-cof
    remediation:
      retries: 3
      strategy: uninstall  # <-- strategy
      remediateLastFailure: true  # <-- upgrade-rlf
  rollback:
    cleanupOnFail: true  # <-- rollback-cof
"""

EXPECTED_HELM = [
    ("helm-remediate-last-failure", "install-rlf", ("install", "remediation", "remediateLastFailure")),
    ("helm-force", "force", ("upgrade", "force")),
    ("helm-cleanup-on-fail", "upgrade-cof", ("upgrade", "cleanupOnFail")),
    ("helm-uninstall-strategy", "strategy", ("upgrade", "remediation", "strategy")),
    ("helm-remediate-last-failure", "upgrade-rlf", ("upgrade", "remediation", "remediateLastFailure")),
    ("helm-cleanup-on-fail", "rollback-cof", ("rollback", "cleanupOnFail")),
]
HELM_RULES = {r for r, _, _ in EXPECTED_HELM}


def test_helm_antipatterns_in_a_helmrelease(tmp_path):
    hr_text = helm_release_yaml("app", retries=False, spec=BAD_HELM_SPEC)
    root = base(tmp_path).house("app", files={"helm-release.yaml": hr_text}).write()
    hr = root / "namespaces/app/helm-release.yaml"
    found = [f for f in run_lint(root) if f.rule in HELM_RULES]
    got = sorted((f.line, f.rule, f.info["path"]) for f in found)
    assert got == sorted((line_of(hr, f"<-- {tag}"), rule, path) for rule, tag, path in EXPECTED_HELM)
    assert all(
        (f.severity, f.kustomization, f.file) == ("error", FS + "app", "namespaces/app/helm-release.yaml")
        for f in found
    )
    assert all(f.fixable for f in found)


def test_helm_compliant_values_are_fine(tmp_path):
    spec = """\
  install:
    remediation:
      retries: 3
      remediateLastFailure: false
  upgrade:
    force: false
    cleanupOnFail: false
    remediation:
      retries: 3
      strategy: rollback
  rollback:
    cleanupOnFail: false
"""
    root = (
        base(tmp_path)
        .house("app", files={"helm-release.yaml": helm_release_yaml("app", retries=False, spec=spec)})
        .write()
    )
    assert run_lint(root) == []


def test_helm_antipattern_as_a_string_value(tmp_path):
    spec = '  upgrade:\n    force: "true"  # <-- force\n    remediation:\n      retries: 3\n      strategy: Uninstall\n'
    spec = "  install:\n    remediation:\n      retries: 3\n" + spec
    root = (
        base(tmp_path)
        .house("app", files={"helm-release.yaml": helm_release_yaml("app", retries=False, spec=spec)})
        .write()
    )
    found = run_lint(root)
    assert one(found, "helm-force").line == line_of(root / "namespaces/app/helm-release.yaml", "<-- force")
    one(found, "helm-uninstall-strategy")


def _patches(*items: str) -> str:
    return "  patches:\n" + "".join(items)


def hr_patch(spec_body: str, *, target: str = "HelmRelease", indent: int = 4) -> str:
    """A Flux patches item whose patch string is a strategic-merge document of ``target``."""
    pad = " " * indent
    api = {"HelmRelease": "helm.toolkit.fluxcd.io/v2", "Kustomization": "kustomize.toolkit.fluxcd.io/v1"}.get(
        target, "apps/v1"
    )
    doc = f"apiVersion: {api}\nkind: {target}\nmetadata:\n  name: _\nspec:\n" + spec_body
    body = "".join(f"{pad}    {line}\n" if line else "\n" for line in doc.splitlines())
    return f"{pad}- target:\n{pad}    kind: {target}\n{pad}  patch: |\n{body}"


PATCH_SPEC = """\
  install:
    remediation:
      remediateLastFailure: true  # <-- install-rlf
  upgrade:
    force: true  # <-- force
    cleanupOnFail: true  # <-- upgrade-cof
    remediation:
      strategy: uninstall  # <-- strategy
      remediateLastFailure: true  # <-- upgrade-rlf
  rollback:
    cleanupOnFail: true  # <-- rollback-cof
"""


def test_helm_antipatterns_in_flux_patches(tmp_path):
    quiet = "  upgrade:\n    remediation:\n      retries: 5\n"
    extra = _patches(hr_patch(quiet), hr_patch(PATCH_SPEC))
    root = base(tmp_path).ks("app", extra=extra).component("app").write()
    found = [f for f in run_lint(root) if f.rule in HELM_RULES]
    got = sorted((f.line, f.rule, f.info["path"]) for f in found)
    assert got == sorted(
        (line_of(infra(root), f"<-- {tag}"), rule, path) for rule, tag, path in EXPECTED_HELM
    )
    assert all((f.severity, f.kustomization, f.file) == ("error", FS + "app", INFRA) for f in found)
    assert {f.info["patch_index"] for f in found} == {1}


def test_helm_antipatterns_in_patches_nested_through_a_kustomization_patch(tmp_path):
    inner = _patches(hr_patch(PATCH_SPEC, indent=4))
    extra = _patches(hr_patch(inner, target="Kustomization"))
    root = base(tmp_path).ks("apps", path="./namespaces/apps", extra=extra).component("apps").write()
    found = [f for f in run_lint(root) if f.rule in HELM_RULES]
    got = sorted((f.line, f.rule) for f in found)
    assert got == sorted((line_of(infra(root), f"<-- {tag}"), rule) for rule, tag, _ in EXPECTED_HELM)


def test_same_antipattern_in_two_patches_points_at_each(tmp_path):
    first = "  upgrade:\n    cleanupOnFail: true  # <-- one\n"
    second = "  upgrade:\n    cleanupOnFail: true  # <-- two\n"
    root = (
        base(tmp_path).ks("app", extra=_patches(hr_patch(first), hr_patch(second))).component("app").write()
    )
    found = of(run_lint(root), "helm-cleanup-on-fail")
    assert sorted(f.line for f in found) == [line_of(infra(root), "<-- one"), line_of(infra(root), "<-- two")]


def test_patches_not_targeting_helmreleases_are_ignored(tmp_path):
    extra = _patches(
        hr_patch(PATCH_SPEC, target="Deployment"),
        hr_patch("  upgrade:\n    force: false\n    cleanupOnFail: false\n"),
    )
    root = base(tmp_path).ks("app", extra=extra).component("app").write()
    assert run_lint(root) == []


def test_json6902_patch_targeting_helmreleases(tmp_path):
    extra = (
        "  patches:\n"
        "    - target:\n"
        "        kind: HelmRelease\n"
        "      patch: |\n"
        "        - op: add\n"
        "          path: /spec/upgrade/force  # <-- force\n"
        "          value: true\n"
        "        - op: replace\n"
        "          path: /spec/rollback\n"
        "          value:\n"
        "            cleanupOnFail: true  # <-- rollback-cof\n"
        "        - op: add\n"
        "          path: /spec/install/remediation/remediateLastFailure\n"
        "          value: false\n"
    )
    root = base(tmp_path).ks("app", extra=extra).component("app").write()
    found = [f for f in run_lint(root) if f.rule in HELM_RULES]
    assert sorted((f.rule, f.line) for f in found) == [
        ("helm-cleanup-on-fail", line_of(infra(root), "<-- rollback-cof")),
        ("helm-force", line_of(infra(root), "<-- force")),
    ]


def test_helm_remediation_retries(tmp_path):
    spec = "  install:\n    remediation:\n      retries: 3\n"
    root = (
        base(tmp_path)
        .house("app", files={"helm-release.yaml": helm_release_yaml("app", retries=False, spec=spec)})
        .write()
    )
    f = one(run_lint(root), "helm-remediation-retries")
    assert (f.severity, f.kustomization, f.file, f.line) == (
        "warning",
        FS + "app",
        "namespaces/app/helm-release.yaml",
        1,
    )
    assert "upgrade.remediation.retries" in f.message and "install.remediation" not in f.message


def test_helm_remediation_retries_present(tmp_path):
    root = base(tmp_path).house("app").write()
    assert of(run_lint(root), "helm-remediation-retries") == []


# --------------------------------------------------------------------------- resources


def test_namespace_pss(tmp_path):
    ns = "# the app's namespace\n" + namespace_yaml("app", pss=False)
    root = base(tmp_path).house("app", files={"namespace.yaml": ns}).write()
    f = one(run_lint(root), "namespace-pss")
    assert (f.severity, f.kustomization, f.file, f.line) == (
        "warning",
        FS + "app",
        "namespaces/app/namespace.yaml",
        2,
    )


def test_namespace_pss_present(tmp_path):
    root = base(tmp_path).house("app").write()
    assert of(run_lint(root), "namespace-pss") == []


def test_base_overlays(tmp_path):
    root = (
        base(tmp_path)
        .house("app")
        .file("namespaces/app/base/kustomization.yaml", "resources: []\n")
        .file("namespaces/app/overlays/prod/kustomization.yaml", "resources: [../../base]\n")
        .write()
    )
    f = one(run_lint(root), "base-overlays")
    assert (f.severity, f.kustomization, f.file, f.line) == ("error", None, "namespaces/app/overlays", 0)


def test_base_alone_is_not_base_overlays(tmp_path):
    root = base(tmp_path).house("app").file("namespaces/app/base/notes.yaml", "a: 1\n").write()
    assert of(run_lint(root), "base-overlays") == []


NETPOL_APISERVER = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-apiserver
  namespace: app
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector: {}
    - to:
        - ipBlock:
            cidr: 192.168.50.100/32
      ports:
        - port: 6443
          protocol: TCP
"""

NETPOL_DNS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns
  namespace: app
spec:
  podSelector: {}
  egress:
    - to:
        - namespaceSelector: {}
      ports:
        - port: 53
          protocol: UDP
    - to:
        - ipBlock:
            cidr: 10.0.0.0/8
      ports:
        - port: 5432
"""


def test_networkpolicy_apiserver(tmp_path):
    root = base(tmp_path).house("app", files={"netpol.yaml": NETPOL_APISERVER}).write()
    f = one(run_lint(root), "networkpolicy-apiserver")
    assert (f.severity, f.kustomization, f.file, f.line) == (
        "warning",
        FS + "app",
        "namespaces/app/netpol.yaml",
        1,
    )


def _egress_policy(to: str, ports: str = "") -> str:
    return (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: egress\n  namespace: app\n"
        f"spec:\n  podSelector: {{}}\n  egress:\n    - to:\n        - ipBlock:\n{to}{ports}"
    )


@pytest.mark.parametrize(
    ("to", "ports", "flagged"),
    [
        # port-less to the pod CIDR (issue 14: was flagged) and to an external range: not the API server
        ("            cidr: 10.244.0.0/16\n", "", False),
        ("            cidr: 203.0.113.0/24\n", "", False),
        # port-less to a block holding the kubernetes Service address (10.96.0.1)
        ("            cidr: 10.96.0.0/12\n", "", True),
        ("            cidr: 10.96.0.1/32\n", "", True),
        # ... unless that address is excluded
        ("            cidr: 0.0.0.0/0\n            except: [10.0.0.0/8]\n", "", False),
        # on the API server's ports, wherever it is
        ("            cidr: 192.168.50.100/32\n", "      ports:\n        - port: 443\n", True),
        ("            cidr: 10.244.0.0/16\n", "      ports:\n        - port: 8080\n", False),
    ],
)
def test_networkpolicy_apiserver_decides_by_the_api_servers_endpoints(tmp_path, to, ports, flagged):
    root = base(tmp_path).house("app", files={"netpol.yaml": _egress_policy(to, ports)}).write()
    assert bool(of(run_lint(root), "networkpolicy-apiserver")) is flagged


def test_networkpolicy_without_apiserver_and_cnp_are_fine(tmp_path):
    files = {"netpol.yaml": NETPOL_DNS, **CNP_FILES}
    root = base(tmp_path).house("app", ["cilium"], files=files).write()
    assert run_lint(root) == []


def test_restart_annotations(tmp_path):
    deploy = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: app
  annotations:
    kubectl.kubernetes.io/restartedAt: "2024-01-01"
spec:
  template:
    metadata:
      annotations:
        prometheus.io/scrape: "true"
        kubectl.kubernetes.io/restartedAt: "2024-01-01T00:00:00Z"  # <-- deploy
"""
    values = (
        "    podAnnotations:\n"
        '      rollme: "abc"  # <-- values\n'
        "    controller:\n"
        "      podAnnotations:\n"
        '        force-restart: "1"  # <-- nested\n'
    )
    files = {"deployment.yaml": deploy, "helm-release.yaml": helm_release_yaml("app", values=values)}
    root = base(tmp_path).house("app", files=files).write()
    found = of(run_lint(root), "restart-annotation")
    dep, hr = root / "namespaces/app/deployment.yaml", root / "namespaces/app/helm-release.yaml"
    assert sorted((f.file, f.line) for f in found) == sorted(
        [
            ("namespaces/app/deployment.yaml", line_of(dep, "<-- deploy")),
            ("namespaces/app/helm-release.yaml", line_of(hr, "<-- values")),
            ("namespaces/app/helm-release.yaml", line_of(hr, "<-- nested")),
        ]
    )
    assert all((f.severity, f.kustomization) == ("warning", FS + "app") for f in found)


def test_ordinary_annotations_are_fine(tmp_path):
    values = '    podAnnotations:\n      prometheus.io/scrape: "true"\n      checksum/config: abc\n'
    root = (
        base(tmp_path)
        .house("app", files={"helm-release.yaml": helm_release_yaml("app", values=values)})
        .write()
    )
    assert run_lint(root) == []


# --------------------------------------------------------------------------- webhooks


def test_webhook_cnp_missing(tmp_path):
    root = base(tmp_path).house("kyverno", ["cilium"]).write()
    f = one(run_lint(root), "webhook-cnp")
    assert (f.severity, f.kustomization, f.file, f.line) == (
        "warning",
        FS + "kyverno",
        INFRA,
        ks_line(root, "kyverno"),
    )


def test_webhook_cnp_detected_by_webhook_configuration(tmp_path):
    vwc = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: x\nwebhooks: []\n"
    root = base(tmp_path).house("policy-engine", ["cilium"], files={"webhook.yaml": vwc}).write()
    one(run_lint(root), "webhook-cnp")


def test_webhook_cnp_present_or_no_cilium(tmp_path):
    files = {"cilium-network-policies/allow-k8s-api.yaml": CNP_ALLOW_APISERVER.format(ns="kyverno")}
    root = base(tmp_path).house("kyverno", ["cilium"], files=files).write()
    assert run_lint(root) == []
    root2 = FlatRepo(tmp_path / "nocilium").house("monitoring").house("kyverno").write()
    assert of(run_lint(root2), "webhook-cnp") == []


def test_webhook_dependency_without_using_crds(tmp_path):
    root = (
        base(tmp_path)
        .house("kyverno", ["cilium"], files=CNP_FILES)
        .house("app", ["cilium", "kyverno"])
        .write()
    )
    f = one(run_lint(root), "webhook-dependency")
    assert (f.severity, f.kustomization, f.file) == ("warning", FS + "app", INFRA)
    assert f.line == line_of(infra(root), "- name: kyverno")


def test_webhook_dependency_allowed_for_crd_consumers_and_monitoring(tmp_path):
    policy = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: p\nspec: {}\n"
    root = (
        base(tmp_path)
        .house(
            "kyverno",
            ["cilium"],
            files={"cilium-network-policies/allow-k8s-api.yaml": CNP_ALLOW_APISERVER.format(ns="kyverno")},
        )
        .ks("kyverno-config", ["kyverno"])
        .component("kyverno-config", helm=False, files={"policy.yaml": policy})
        .ks("policies", ["kyverno"])
        .component("policies", helm=False, files={"policy.yaml": policy})
        .ks("kyverno-monitoring", ["monitoring", "kyverno"], wait=False, timeout="5m")
        .component("kyverno-monitoring", **split("kyverno", "kyverno"))
        .write()
    )
    assert of(run_lint(root), "webhook-dependency") == []


# --------------------------------------------------------------------------- required deps, shape


def test_required_dependency_linkerd_cilium(tmp_path):
    root = base(tmp_path).house("linkerd", ["monitoring"]).write()
    f = one(run_lint(root), "required-dependency")
    assert (f.severity, f.kustomization, f.file, f.line) == (
        "error",
        FS + "linkerd",
        INFRA,
        ks_line(root, "linkerd"),
    )
    assert f.fixable and f.info["add"] == FS + "cilium"


def test_required_dependency_met(tmp_path):
    root = base(tmp_path).house("linkerd", ["cilium"]).write()
    assert of(run_lint(root), "required-dependency") == []


@pytest.mark.parametrize(
    ("kw", "key", "wants"),
    [
        ({"prune": True}, "  prune: true", "prune: false"),
        ({"wait": False}, "  wait: false", "wait: true"),
        ({"timeout": None}, None, "timeout: 10m"),
        ({"source": "other-repo"}, "  sourceRef:", "sourceRef: GitRepository/flux-system"),
        ({"prune": None}, None, "prune: false"),
    ],
)
def test_ks_shape(tmp_path, kw, key, wants):
    root = base(tmp_path).ks("app", **kw).component("app").write()
    f = one(run_lint(root), "ks-shape")
    start = ks_line(root, "app")
    lines = infra(root).read_text().splitlines()
    expected = next(n for n, t in enumerate(lines, 1) if n > start and t == key) if key else start
    assert (f.severity, f.kustomization, f.file, f.line) == ("warning", FS + "app", INFRA, expected)
    assert wants in f.message


def test_ks_shape_only_for_namespaces_paths(tmp_path):
    root = (
        base(tmp_path).ks("flux-config", path="./clusters/local-kube/config", prune=True, wait=False).write()
    )
    assert of(run_lint(root), "ks-shape") == []


# --------------------------------------------------------------------------- settings and tables

VELERO_SCHEDULE = (
    "apiVersion: velero.io/v1\nkind: Schedule\nmetadata:\n  name: nightly\n  namespace: app\nspec: {}\n"
)
VELERO_SETTINGS = """\
rules:
  crd_providers:
    - kinds: [Schedule, Backup]
      group: velero.io
      provider: velero
"""


def velero_unknown_chart(tmp_path: Path) -> FlatRepo:
    """velero running a chart the learned chart table does not know: only settings can teach it."""
    release = helm_release_yaml("velero").replace("chart: velero", "chart: backup-operator")
    return (
        base(tmp_path)
        .house("velero", files={"helm-release.yaml": release})
        .house("app", files={"schedule.yaml": VELERO_SCHEDULE})
    )


def test_settings_rules_extend_crd_providers(tmp_path):
    root = velero_unknown_chart(tmp_path).write()
    assert [f.severity for f in of(run_lint(root), "crd-dependency")] == [
        "warning"
    ]  # provided by nothing known
    (root / ".infra-tui.yaml").write_text(VELERO_SETTINGS)
    f = one(run_lint(root), "crd-dependency")
    assert (f.severity, f.kustomization) == ("error", FS + "app")
    assert "Schedule" in f.message and f.info["add"] == FS + "velero"
    # the defaults are still there: a CNP still needs cilium
    (root / "namespaces/app/cnp.yaml").write_text(CNP_ALLOW_APISERVER.format(ns="app"))
    (root / "namespaces/app/kustomization.yaml").write_text(
        (root / "namespaces/app/kustomization.yaml").read_text() + "  - cnp.yaml\n"
    )
    assert {f.info["add"] for f in of(run_lint(root), "crd-dependency")} == {FS + "velero", FS + "cilium"}


def test_settings_rules_extend_required_and_webhooks(tmp_path):
    settings = """\
rules:
  webhook_components: [policy-engine]
  required_dependencies:
    - component: app
      depends_on: monitoring
      reason: it scrapes itself
"""
    root = (
        base(tmp_path)
        .house("policy-engine", ["cilium"])
        .house("app", ["cilium"])
        .file(".infra-tui.yaml", settings)
        .write()
    )
    found = run_lint(root)
    assert one(found, "webhook-cnp").kustomization == FS + "policy-engine"
    f = one(found, "required-dependency")
    assert f.kustomization == FS + "app" and "it scrapes itself" in f.message
    assert rules.load_rules().webhook_components >= {"kyverno", "linkerd"}  # defaults untouched


def test_merge_tables_semantics():
    base_t = {"list": [1], "map": {"x": 1, "inner": [1], "deep": {"a": 1}}, "scalar": "a", "keep": True}
    extra = {"list": [2], "map": {"inner": [2], "deep": {"b": 2}, "y": 2}, "scalar": "b", "new": [3]}
    merged = rules.merge_tables(base_t, extra)
    assert merged == {
        "list": [1, 2],
        "map": {"x": 1, "inner": [1, 2], "deep": {"a": 1, "b": 2}, "y": 2},
        "scalar": "b",
        "keep": True,
        "new": [3],
    }
    assert base_t == {
        "list": [1],
        "map": {"x": 1, "inner": [1], "deep": {"a": 1}},
        "scalar": "a",
        "keep": True,
    }
    assert rules.merge_tables(base_t, None) == base_t


def test_rules_from_merged_tables_direct():
    t = rules.merge_tables(
        rules.default_tables(),
        {"crd_providers": [{"kinds": ["Backup"], "provider": "velero"}], "monitoring": {"timeout": "7m"}},
    )
    r = rules.rules_from_tables(t)
    assert r.provider_for_kind("Backup") == "velero"
    assert r.provider_for_kind("CiliumNetworkPolicy") == "cilium"
    assert r.monitoring_timeout == "7m" and r.monitoring_suffix == "-monitoring"
    assert rules.load_rules().provider_for_kind("Backup") is None


def test_lint_accepts_explicit_rules(tmp_path):
    root = base(tmp_path).house("velero").house("app", files={"schedule.yaml": VELERO_SCHEDULE}).write()
    r = rules.rules_from_tables(
        rules.merge_tables(
            rules.default_tables(), {"crd_providers": [{"kinds": ["Schedule"], "provider": "velero"}]}
        )
    )
    assert one(rules.lint(repo_mod.load(root), None, rules=r), "crd-dependency").severity == "error"


# --------------------------------------------------------------------------- the command


def lint_json(capsys, root: Path, *extra: str) -> tuple[int, dict]:
    rc = cli.main(["lint", "--repo", str(root), "--format", "json", *extra])
    out = capsys.readouterr().out
    return rc, json.loads(out)


def test_cli_lint_clean_exits_0(tmp_path, capsys):
    rc, data = lint_json(capsys, base(tmp_path).house("app", ["cilium"]).write())
    assert rc == 0 and data["findings"] == []


def test_cli_lint_warnings_only_exit_0(tmp_path, capsys):
    ns = namespace_yaml("app", pss=False)
    rc, data = lint_json(
        capsys, base(tmp_path).house("app", ["cilium"], files={"namespace.yaml": ns}).write()
    )
    assert rc == 0
    assert [(f["rule"], f["severity"]) for f in data["findings"]] == [("namespace-pss", "warning")]
    assert set(data["findings"][0]) >= {
        "rule",
        "severity",
        "kustomization",
        "file",
        "line",
        "message",
        "fixable",
    }


def test_cli_lint_error_exits_1(tmp_path, capsys):
    root = (
        base(tmp_path)
        .house("app", ["cilum"], files={"namespace.yaml": namespace_yaml("app", pss=False)})
        .write()
    )
    rc, data = lint_json(capsys, root)
    assert rc == 1
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert by_rule["dependency-missing"]["severity"] == "error"
    assert by_rule["dependency-missing"]["line"] == line_of(infra(root), "- name: cilum")
    assert by_rule["dependency-missing"]["kustomization"] == FS + "app"
    assert by_rule["namespace-pss"]["severity"] == "warning"


def test_cli_lint_reads_settings_rules(tmp_path, capsys):
    root = velero_unknown_chart(tmp_path).write()
    assert lint_json(capsys, root)[0] == 0
    (root / ".infra-tui.yaml").write_text(VELERO_SETTINGS)
    rc, data = lint_json(capsys, root)
    assert rc == 1 and [f["rule"] for f in data["findings"]] == ["crd-dependency"]


def test_cli_lint_other_env(tmp_path, capsys):
    root = base(tmp_path).house("app", ["cilium"]).ks("app", ["nothing"], env="staging").write()
    assert lint_json(capsys, root)[0] == 0
    rc, data = lint_json(capsys, root, "--env", "staging")
    assert rc == 1 and data["env"] == "staging"
    f = next(f for f in data["findings"] if f["rule"] == "dependency-missing")
    assert f["file"] == "clusters/staging/infrastructure.yaml"


def test_findings_are_sorted_and_unique(tmp_path):
    root = (
        base(tmp_path)
        .house("b", ["nope"])
        .house("a", ["nada"], files={"namespace.yaml": namespace_yaml("a", pss=False)})
        .write()
    )
    found = run_lint(root)
    keys = [(f.file, f.line) for f in found]
    assert keys == sorted(keys) and len(set(found)) == len(found)


def test_component_used_by_two_envs_reported_once_per_env(tmp_path):
    bad = helm_release_yaml("app", retries=False, spec="  upgrade:\n    force: true\n")
    root = base(tmp_path).house("app", files={"helm-release.yaml": bad}).ks("app", env="staging").write()
    assert len(of(run_lint(root), "helm-force")) == 1
    assert len(of(run_lint(root, "staging"), "helm-force")) == 1


def test_component_helper_shapes():
    files = component("x", namespace="y", files={"helm-repository.yaml": None, "extra.yaml": "a: 1\n"})
    assert set(files) == {"namespace.yaml", "helm-release.yaml", "extra.yaml"}
    assert "name: y" in files["namespace.yaml"] and "namespace: y" in files["helm-release.yaml"]
    assert ks("x", ["a", "ns/b"]).endswith("    - name: a\n    - name: b\n      namespace: ns\n")


def test_monitoring_deps_parent_from_kustomize_namespace(tmp_path):
    # the split's ServiceMonitor has no metadata.namespace: its kustomization.yaml sets it
    files = {
        "namespace.yaml": None,
        "service-monitor.yaml": monitor("ServiceMonitor", "netcorp", None),
        "kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "namespace: netcorp\nresources:\n  - service-monitor.yaml\n",
    }
    r = (
        base(tmp_path)
        .ks("netcorp-app")
        .component("netcorp-app", namespace="netcorp")
        .ks("netcorp-monitoring", ["monitoring"], wait=False, timeout="5m")
        .component("netcorp-monitoring", helm=False, files=files)
    )
    assert one(run_lint(r.write()), "monitoring-deps").info["add"] == (FS + "netcorp-app",)


def test_monitoring_deps_parent_from_target_namespace(tmp_path):
    extra = "  targetNamespace: netcorp\n"
    r = (
        base(tmp_path)
        .ks("netcorp-app")
        .component("netcorp-app", namespace="netcorp")
        .ks("netcorp-monitoring", ["monitoring"], wait=False, timeout="5m", extra=extra)
        .component("netcorp-monitoring", **split("netcorp", "elsewhere"))
    )
    assert one(run_lint(r.write()), "monitoring-deps").info["add"] == (FS + "netcorp-app",)


def test_webhook_dependency_not_for_a_split_of_a_differently_named_parent(tmp_path):
    # gatekeeper-monitoring must depend on gatekeeper-system (its parent): not webhook-dependency
    root = (
        base(tmp_path)
        .house(
            "gatekeeper-system",
            ["cilium"],
            namespace="gatekeeper",
            files={"cilium-network-policies/allow-k8s-api.yaml": CNP_ALLOW_APISERVER.format(ns="gatekeeper")},
        )
        .ks("gatekeeper-monitoring", ["monitoring", "gatekeeper-system"], wait=False, timeout="5m")
        .component("gatekeeper-monitoring", **split("gatekeeper", "gatekeeper"))
        .write()
    )
    assert run_lint(root) == []


# the rule ids of DESIGN.md "Lint rule ids"
DESIGN_RULE_IDS = {
    "dependency-cycle",
    "dependency-missing",
    "dependency-cross-kind",
    "crd-dependency",
    "monitoring-split",
    "monitoring-deps",
    "chart-servicemonitor",
    "helm-force",
    "helm-cleanup-on-fail",
    "helm-uninstall-strategy",
    "helm-remediate-last-failure",
    "helm-remediation-retries",
    "namespace-pss",
    "base-overlays",
    "networkpolicy-apiserver",
    "webhook-cnp",
    "webhook-dependency",
    "required-dependency",
    "restart-annotation",
    "ks-shape",
}


def test_every_design_rule_id_fires_on_one_repo(tmp_path):
    values = "    serviceMonitor:\n      enabled: true\n    podAnnotations:\n      rollme: x\n"
    # one `values:` key (a second one would be a duplicate key, refused like Kubernetes does)
    spec = BAD_HELM_SPEC.replace("      retries: 3\n", "", 1).replace(
        "  values:\n", "  values:\n" + values, 1
    )
    hr = helm_release_yaml("app", retries=False, spec=spec)
    files = {
        "helm-release.yaml": hr,
        "namespace.yaml": namespace_yaml("app", pss=False),
        "rules.yaml": monitor("PrometheusRule", "app", "app"),
        "netpol.yaml": NETPOL_APISERVER,
        **CNP_FILES,
    }
    root = (
        base(tmp_path)
        .house("a", ["b"])
        .house("b", ["a"])
        .ks("cache")
        .component("cache", files={"helm-release.yaml": helm_release_yaml("redis-ha", "cache")})
        .house("kyverno")
        .house("linkerd")
        .ks("app", ["nope", "redis-ha", "kyverno"], prune=True)
        .component("app", files=files)
        .ks("app-monitoring", ["monitoring"], wait=False, timeout="5m")
        .component("app-monitoring", **split("app", "app"))
        .file("namespaces/app/base/kustomization.yaml", "resources: []\n")
        .file("namespaces/app/overlays/kustomization.yaml", "resources: []\n")
        .write()
    )
    assert {f.rule for f in run_lint(root)} == DESIGN_RULE_IDS


def test_webhook_dependency_only_for_intercepting_webhooks(tmp_path):
    # cert-manager registers a webhook but intercepts only its own kinds: ordering after it is fine
    root = base(tmp_path).house("cert-manager", ["cilium"]).house("app", ["cert-manager"]).write()
    assert of(run_lint(root), "webhook-dependency") == []


# --------------------------------------------------------------------------- declared kinds


def _declaring(name: str, kinds: str) -> str:
    return ks(name, ["monitoring"]).replace(
        "  namespace: flux-system\n",
        f'  namespace: flux-system\n  annotations:\n    infra-tui.io/creates: "{kinds}"\n',
        1,
    )


def test_declared_creates_kinds_need_their_provider(tmp_path):
    """`creates: [RecurringJob]` is recorded as an annotation: the chart makes the instances at run
    time, so Git shows none, and still the provider must be a dependency."""
    root = base(tmp_path).house("longhorn-system").write()
    infra = root / INFRA
    infra.write_text(infra.read_text() + _declaring("app", "RecurringJob"))
    (root / "namespaces" / "app").mkdir()
    (root / "namespaces" / "app" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"
    )
    f = one(run_lint(root), "crd-dependency")
    assert (
        f.kustomization == FS + "app"
        and "RecurringJob" in f.message
        and f.info["add"] == FS + "longhorn-system"
    )
