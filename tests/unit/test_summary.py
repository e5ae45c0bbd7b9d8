"""The brief's summary format and the new/edit JSON."""

from __future__ import annotations

import json

from infra_tui.core import summary
from infra_tui.core.model import ChangePlan, FileChange, Placement
from infra_tui.core.validation import ComponentResult, ValidationReport

INFRA_BEFORE = "---\nkind: Kustomization\nmetadata:\n  name: cilium\n"


def new_plan() -> ChangePlan:
    return ChangePlan(
        files=[
            FileChange("namespaces/new-service/namespace.yaml", None, "x\n"),
            FileChange("namespaces/new-service-monitoring/servicemonitor-new-service.yaml", None, "y\n"),
            FileChange("clusters/local-kube/infrastructure.yaml", INFRA_BEFORE, INFRA_BEFORE + "---\nz\n"),
        ],
        placement=[
            Placement(
                "new-service",
                2,
                ["flux-system/cilium", "flux-system/secrets"],
                "local-kube",
                {"flux-system/cilium": "CiliumNetworkPolicy"},
            ),
            Placement(
                "new-service-monitoring",
                4,
                ["flux-system/monitoring", "flux-system/new-service"],
                "local-kube",
            ),
        ],
        assumptions=["CiliumNetworkPolicy added for webhook access"],
    )


def test_markdown_has_the_brief_sections_in_order():
    md = summary.to_markdown(new_plan())
    heads = [line for line in md.splitlines() if line.startswith("#")]
    assert heads == [
        "## Infrastructure Implementation Complete",
        "### Files Created",
        "### Files Modified",
        "### Bootstrap Layer Placement",
        "### Assumptions Made (REVIEW)",
        "### Cluster Recreate Required?",
        "### Validation Results",
    ]
    assert "- `namespaces/new-service/namespace.yaml`" in md
    assert (
        "- `clusters/local-kube/infrastructure.yaml` - Added Flux Kustomizations `new-service`, `new-service-monitoring` with dependencies (+2 -0)"
        in md
    )
    assert "- `new-service` → Layer 2 (depends on: cilium, secrets)" in md
    assert "- `new-service-monitoring` → Layer 4 (depends on: monitoring, new-service)" in md
    assert "  - `new-service` → `cilium`: CiliumNetworkPolicy" in md
    assert "- CiliumNetworkPolicy added for webhook access" in md
    assert "- NO: this plan only adds new Kustomizations (new-service, new-service-monitoring)" in md
    assert "CLUSTER RECREATE REQUIRED" not in md
    assert "- Kustomize build: ⏳ not run yet" in md


def test_recreate_required_prints_the_block():
    plan = new_plan()
    plan.recreate_required = True
    plan.recreate_reason = "dependsOn of deployed Kustomization linkerd changes"
    md = summary.to_markdown(plan)
    assert "- YES: dependsOn of deployed Kustomization linkerd changes" in md
    assert "⚠️ CLUSTER RECREATE REQUIRED" in md and "Run: vagrant destroy && vagrant up" in md


def test_edit_without_recreate_says_why_not():
    plan = ChangePlan(
        files=[
            FileChange("clusters/local-kube/infrastructure.yaml", INFRA_BEFORE, INFRA_BEFORE + "  x: 1\n")
        ],
        placement=[Placement("cilium", 1, [], "local-kube")],
    )
    md = summary.to_markdown(plan)
    assert "- NO: no dependsOn of a deployed Kustomization changes" in md
    assert "Changed Flux Kustomization `cilium`" in md


def test_validation_results_are_rendered():
    plan = new_plan()
    plan.validation = ValidationReport(
        [
            ComponentResult("new-service", build="pass", dry_run="expected-missing-crd"),
            ComponentResult(
                "new-service-monitoring", build="fail", dry_run="skipped", notes=["missing file"]
            ),
        ]
    )
    md = summary.to_markdown(plan)
    assert "- Kustomize build `new-service`: ✅ PASS" in md
    assert "- YAML syntax / dry-run `new-service`: ✅ PASS (CRD not installed yet" in md
    assert "- Kustomize build `new-service-monitoring`: ❌ FAIL (missing file)" in md


def test_refused_plan():
    plan = ChangePlan(refusals=["name: 'X' is not a DNS-1123 label"])
    md = summary.to_markdown(plan)
    assert md.startswith("## Infrastructure Implementation Refused")
    assert "Nothing was written." in md and "- name: 'X' is not a DNS-1123 label" in md
    assert summary.to_dict(plan)["refusals"] == ["name: 'X' is not a DNS-1123 label"]


def test_json_shape():
    data = json.loads(summary.to_json(new_plan()))
    assert data["created"] == [
        "namespaces/new-service/namespace.yaml",
        "namespaces/new-service-monitoring/servicemonitor-new-service.yaml",
    ]
    assert data["modified"] == ["clusters/local-kube/infrastructure.yaml"]
    assert data["placement"][0] == {
        "name": "new-service",
        "layer": 2,
        "dependsOn": ["flux-system/cilium", "flux-system/secrets"],
        "env": "local-kube",
        "inferred": {"flux-system/cilium": "CiliumNetworkPolicy"},
    }
    assert data["recreate_required"] is False and data["recreate_reason"] is None
    assert data["findings"] == [] and data["validation"] is None


def test_multi_env_placement_names_the_env():
    plan = new_plan()
    plan.placement.append(Placement("new-service", 1, [], "staging"))
    md = summary.to_markdown(plan)
    assert "- `new-service` → Layer 1 (depends on: nothing) in staging" in md
