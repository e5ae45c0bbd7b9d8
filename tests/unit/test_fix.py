"""lint --fix as a plan: a seeded-broken copy of the demo repo is left with no fixable finding,
every folder still builds, and structural fixes say CLUSTER RECREATE REQUIRED."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from infra_tui.core import apply as apply_mod
from infra_tui.core import fix as fix_mod
from infra_tui.core import repo as repo_mod
from infra_tui.core import rules as rules_mod
from tests.paths import DEMO

PROMETHEUS_RULE = """apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: reloader
  namespace: reloader
spec:
  groups:
    - name: reloader.rules
      rules:
        - alert: ReloaderDown
          expr: up{namespace="reloader"} == 0
          for: 5m
"""


def sub(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def ks_block(text: str, name: str) -> tuple[int, int]:
    m = re.search(rf"^  name: {re.escape(name)}\n", text, re.M)
    assert m
    start = text.rfind("---", 0, m.start())
    end = text.find("\n---", m.end())
    return start, end if end >= 0 else len(text)


def sub_in_ks(path: Path, name: str, old: str, new: str) -> None:
    text = path.read_text()
    a, b = ks_block(text, name)
    block = text[a:b]
    assert old in block, f"{old!r} not in {name}"
    path.write_text(text[:a] + block.replace(old, new, 1) + text[b:])


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    ns = root / "namespaces"
    local = root / "clusters/local-kube/infrastructure.yaml"
    staging = root / "clusters/staging/infrastructure.yaml"
    # crd-dependency: kyverno has a CNP but no dependsOn cilium (and required-dependency for linkerd)
    for infra in (local, staging):
        sub_in_ks(infra, "kyverno", "    - name: cilium\n", "")
        sub_in_ks(infra, "linkerd", "    - name: cilium\n", "")
        sub_in_ks(infra, "velero", "  prune: false\n", "  prune: true\n")  # ks-shape
        sub_in_ks(infra, "cilium-monitoring", "  wait: false\n", "  wait: true\n")  # monitoring-deps shape
    # monitoring-split: a PrometheusRule inside reloader's own kustomization
    (ns / "reloader/prometheus-rule.yaml").write_text(PROMETHEUS_RULE)
    sub(
        ns / "reloader/kustomization.yaml",
        "  - helm-release.yaml\n",
        "  - helm-release.yaml\n  - prometheus-rule.yaml\n",
    )
    # chart-servicemonitor, anti-patterns, retries, PSS
    sub(
        ns / "kyverno/helm-release.yaml",
        "      serviceMonitor:\n        enabled: false  # Managed separately in kyverno-monitoring",
        "      serviceMonitor:\n        enabled: true",
    )
    sub(
        ns / "velero/helm-release.yaml",
        "  upgrade:\n    remediation:\n      retries: 3\n",
        "  upgrade:\n    force: true\n    cleanupOnFail: true\n    remediation:\n      retries: 3\n      strategy: uninstall\n",
    )
    sub(ns / "reloader/helm-release.yaml", "  install:\n    remediation:\n      retries: 3\n", "")
    sub(ns / "reloader/namespace.yaml", "    pod-security.kubernetes.io/enforce: restricted\n", "")
    # an anti-pattern in a Flux patch of HelmReleases, staging only
    sub_in_ks(
        staging,
        "backup",
        "  wait: true\n",
        "  wait: true\n  patches:\n    - target:\n        kind: HelmRelease\n      patch: |\n"
        "        apiVersion: helm.toolkit.fluxcd.io/v2\n        kind: HelmRelease\n        metadata:\n          name: any\n"
        "        spec:\n          upgrade:\n            force: true\n",
    )
    # webhook-cnp: gatekeeper without its CNP
    gk = ns / "gatekeeper-system"
    if (gk / "cilium-network-policies/allow-k8s-api.yaml").exists():
        (gk / "cilium-network-policies/allow-k8s-api.yaml").unlink()
        sub(gk / "kustomization.yaml", "  - cilium-network-policies/allow-k8s-api.yaml\n", "")
    return root


def fixable(root: Path) -> dict[str, list]:
    repo = repo_mod.load(root)
    return {e: [f for f in rules_mod.lint(repo, e) if f.fixable] for e in repo.envs}


def test_seeded_repo_is_broken_in_every_way(broken: Path):
    rules_seen = {f.rule for fs in fixable(broken).values() for f in fs}
    assert {
        "crd-dependency",
        "required-dependency",
        "ks-shape",
        "monitoring-deps",
        "monitoring-split",
        "chart-servicemonitor",
        "helm-force",
        "helm-cleanup-on-fail",
        "helm-uninstall-strategy",
        "helm-remediation-retries",
        "namespace-pss",
        "webhook-cnp",
    } <= rules_seen


def test_fix_write_leaves_no_fixable_finding_and_everything_builds(broken: Path):
    for env in ("local-kube", "staging"):
        repo = repo_mod.load(broken)
        plan = fix_mod.plan_fixes(repo, rules_mod.lint(repo, env), env)
        assert plan.ok, plan.refusals
        apply_mod.apply(plan, broken)
    left = fixable(broken)
    assert left == {"local-kube": [], "staging": []}, left
    repo = repo_mod.load(broken)
    assert repo.problems == []
    # what the fixes look like
    reloader = (broken / "namespaces/reloader/kustomization.yaml").read_text()
    assert "prometheus-rule.yaml" not in reloader
    assert (broken / "namespaces/reloader-monitoring/prometheus-rule.yaml").read_text() == PROMETHEUS_RULE
    mon = repo.envs["staging"].find("reloader-monitoring")
    assert mon is not None and mon.depends_on_ids == ["flux-system/monitoring", "flux-system/reloader"]
    velero = yaml.safe_load((broken / "namespaces/velero/helm-release.yaml").read_text())["spec"]["upgrade"]
    assert velero == {"remediation": {"retries": 3}}
    velero_text = (broken / "namespaces/velero/helm-release.yaml").read_text()
    assert (
        "  upgrade:  # REVIEW: lint --fix removed upgrade.force, upgrade.cleanupOnFail (anti-patterns)"
        in velero_text
    )
    assert (
        "    remediation:  # REVIEW: lint --fix removed upgrade.remediation.strategy (anti-pattern)"
        in velero_text
    )
    assert "monitoring" not in [
        d.rsplit("/", 1)[-1] for d in repo.envs["local-kube"].find("reloader").depends_on_ids
    ]
    assert repo.envs["staging"].find("backup").patches == []
    assert repo.envs["local-kube"].find("velero").prune is False
    assert "flux-system/cilium" in repo.envs["local-kube"].find("linkerd").depends_on_ids
    kustomize = (
        shutil.which("kustomize")
        and ["kustomize", "build"]
        or shutil.which("kubectl")
        and ["kubectl", "kustomize"]
    )
    if not kustomize:
        pytest.skip("neither kustomize nor kubectl on PATH")
    for folder in sorted((broken / "namespaces").iterdir()):
        proc = subprocess.run(
            [*kustomize, str(folder)], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        assert proc.returncode == 0, f"{folder.name}: {proc.stderr}"


def test_structural_fixes_require_a_recreate(broken: Path):
    repo = repo_mod.load(broken)
    plan = fix_mod.plan_fixes(repo, rules_mod.lint(repo, "local-kube"), "local-kube")
    assert plan.recreate_required
    assert "monitoring split out of deployed component reloader" in plan.recreate_reason
    assert "dependsOn of deployed Kustomization kyverno changes" in plan.recreate_reason


def test_value_only_fixes_need_no_recreate(tmp_path: Path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    sub(
        root / "namespaces/reloader/namespace.yaml",
        "    pod-security.kubernetes.io/enforce: restricted\n",
        "",
    )
    repo = repo_mod.load(root)
    plan = fix_mod.plan_fixes(repo, rules_mod.lint(repo, "local-kube"), "local-kube")
    assert plan.ok and not plan.recreate_required
    (f,) = plan.files
    assert f.path == "namespaces/reloader/namespace.yaml"
    assert f.after.count("\n") == f.before.count("\n") + 1


def test_unfixable_findings_are_listed_with_what_to_do(tmp_path: Path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    sub_in_ks(
        root / "clusters/local-kube/infrastructure.yaml",
        "reloader",
        "spec:\n",
        "spec:\n  dependsOn:\n    - name: no-such-thing\n",
    )
    repo = repo_mod.load(root)
    plan = fix_mod.plan_fixes(repo, rules_mod.lint(repo, "local-kube"), "local-kube")
    assert plan.files == []
    assert any(f.rule == "dependency-missing" for f in plan.findings)
    assert any(
        w.startswith("not fixed: [dependency-missing]") and "add the missing Kustomization" in w
        for w in plan.warnings
    )


def test_clean_repo_has_nothing_to_fix():
    repo = repo_mod.load(DEMO)
    plan = fix_mod.plan_fixes(repo, rules_mod.lint(repo, "local-kube"), "local-kube")
    assert plan.ok and plan.files == []
