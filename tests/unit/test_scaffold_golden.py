"""Golden plans against the bundled demo repo: the diff of every file and the summary.

Regenerate after an intended change with ``INFRA_TUI_UPDATE_GOLDEN=1 pytest tests/test_scaffold_golden.py``
and review the golden diff like code.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from infra_tui.core import diff, scaffold, summary
from infra_tui.core import repo as repo_mod
from infra_tui.core import spec as spec_mod
from tests.paths import DEMO, GOLDEN

UPDATE = os.environ.get("INFRA_TUI_UPDATE_GOLDEN") == "1"

CASES: dict[str, dict] = {
    "plain": {
        "name": "podinfo",
        "envs": ["local-kube"],
        "chart": {
            "name": "podinfo",
            "version": "6.x",
            "repository": {"name": "podinfo", "url": "https://stefanprodan.github.io/podinfo"},
        },
        "values": {"replicaCount": 2, "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}},
        "timeout": "10m",
    },
    "webhook": {
        "name": "policy-reporter",
        "namespace": "policy-reporter",
        "chart": {
            "name": "policy-reporter",
            "version": "3.x",
            "repository": {"url": "https://kyverno.github.io/policy-reporter"},
        },
        "webhook": True,
    },
    "monitoring": {
        "name": "redis-cache",
        "chart": {
            "name": "redis",
            "version": "19.x",
            "repository": {"name": "bitnami-https", "url": "https://charts.bitnami.com/bitnami"},
        },
        "values": {"architecture": "standalone"},
        "monitoring": {"serviceMonitor": True, "prometheusRule": True},
    },
    "creates": {
        "name": "minio",
        "chart": {
            "name": "minio",
            "version": "5.x",
            "repository": {"name": "minio", "url": "https://charts.min.io/"},
        },
        "creates": ["RecurringJob", "Certificate"],
        "dependsOn": ["cluster-secrets"],
    },
    "two-envs": {
        "name": "echo-server",
        "envs": ["local-kube", "staging"],
        "chart": {
            "name": "echo-server",
            "version": "0.5.x",
            "repository": {"name": "ealenn", "url": "https://ealenn.github.io/charts"},
        },
        "values": {"replicaCount": 2, "ingress": {"enabled": False}},
        "env_values": {"staging": {"replicaCount": 1}},
    },
    "oci": {
        "name": "podinfo-oci",
        "chart": {
            "name": "podinfo",
            "version": ">=6.5.0 <7.0.0",
            "repository": {"name": "podinfo-oci", "url": "oci://ghcr.io/stefanprodan/charts"},
        },
    },
}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    return root


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"golden {path} is missing; run with INFRA_TUI_UPDATE_GOLDEN=1 to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from its golden; if intended, regenerate with INFRA_TUI_UPDATE_GOLDEN=1"
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, demo: Path):
    repo = repo_mod.load(demo)
    plan = scaffold.plan(repo, spec_mod.parse(CASES[case]))
    assert plan.refusals == []
    assert plan.findings == []
    check_golden(f"{case}.diff", diff.plan_diff(plan))
    check_golden(f"{case}.md", summary.to_markdown(plan))


def test_golden_json_shape(demo: Path):
    repo = repo_mod.load(demo)
    plan = scaffold.plan(repo, spec_mod.parse(CASES["monitoring"]))
    data = summary.to_dict(plan)
    assert set(data) >= {
        "created",
        "modified",
        "placement",
        "assumptions",
        "recreate_required",
        "recreate_reason",
        "findings",
        "validation",
    }
    assert data["recreate_required"] is False and data["recreate_reason"] is None
    assert data["modified"] == ["clusters/local-kube/infrastructure.yaml"]
    mon = next(p for p in data["placement"] if p["name"] == "redis-cache-monitoring")
    assert mon["dependsOn"] == ["flux-system/monitoring", "flux-system/redis-cache"]
    assert mon["layer"] > next(p["layer"] for p in data["placement"] if p["name"] == "redis-cache")
