"""The TUI's validation engine: a plan's components built and dry-run from a scratch copy."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from infra_tui.core import repo as repo_mod
from infra_tui.core import scaffold
from infra_tui.core import spec as spec_mod
from infra_tui.services import kustomize
from infra_tui.services.validate import plan_targets, validate_plan
from tests.paths import DEMO

needs_kustomize = pytest.mark.skipif(
    not (shutil.which("kustomize") or kustomize.kubectl_path()),
    reason="neither kustomize nor kubectl on PATH",
)


@pytest.fixture
def demo(tmp_path) -> Path:
    shutil.copytree(DEMO, tmp_path / "repo")
    return tmp_path / "repo"


def make_plan(root: Path, **overrides):
    data = {
        "name": "redis-cache",
        "chart": {
            "name": "redis",
            "version": "19.x",
            "repository": {"name": "bitnami-cache", "url": "https://charts.bitnami.com/bitnami"},
        },
        "webhook": True,
        "monitoring": {"serviceMonitor": True},
    }
    data.update(overrides)
    repo = repo_mod.load(root)
    plan = scaffold.plan(repo, spec_mod.parse(data))
    assert plan.ok, plan.refusals
    return repo, plan


def test_targets_are_the_plans_components_with_their_new_ancestors(demo):
    repo, plan = make_plan(demo)
    targets = {t.component: t for t in plan_targets(repo, plan)}
    assert set(targets) == {"namespaces/redis-cache", "namespaces/redis-cache-monitoring"}
    main = targets["namespaces/redis-cache"]
    assert main.ks_id == "flux-system/redis-cache" and "flux-system/cilium" in main.ancestors
    assert {"flux-system/monitoring", "flux-system/redis-cache"} <= targets[
        "namespaces/redis-cache-monitoring"
    ].ancestors


@needs_kustomize
def test_stream_validates_from_a_scratch_copy_and_leaves_the_tree_alone(demo):
    repo, plan = make_plan(demo)
    before = sorted(p.relative_to(demo) for p in demo.rglob("*"))

    async def collect():
        return [r async for r in validate_plan(repo, plan, jobs=2)]

    results = asyncio.run(collect())
    assert {r.component for r in results} == {"namespaces/redis-cache", "namespaces/redis-cache-monitoring"}
    assert all(r.build == "pass" for r in results), [r.detail for r in results]
    # the monitoring split's CRDs come from a dependency: expected, not an error
    assert {r.dry_run for r in results} <= {"pass", "expected-missing-crd"}
    assert sorted(p.relative_to(demo) for p in demo.rglob("*")) == before


@needs_kustomize
def test_a_broken_value_fails_with_file_and_line(demo):
    repo, plan = make_plan(demo, webhook=False, monitoring={})
    for change in plan.files:
        if change.path.endswith("helm-release.yaml"):
            change.after = change.after.replace("interval: 1h", "interval: 5", 1)

    async def collect():
        return [r async for r in validate_plan(repo, plan)]

    (result,) = asyncio.run(collect())
    assert result.dry_run == "fail"
    assert "namespaces/redis-cache/helm-release.yaml:" in result.detail and "interval" in result.detail


@needs_kustomize
def test_new_fills_the_summarys_validation_results(demo, tmp_path, capsys):
    import json

    from infra_tui.cli import main

    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: cache\nchart:\n  name: redis\n  version: '19.x'\n  repository: {name: bitnami-c, url: https://charts.bitnami.com/bitnami}\n"
    )
    assert main(["new", "--repo", str(demo), "--spec", str(spec), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["validation"]["results"] == [
        {
            **out["validation"]["results"][0],
            "component": "namespaces/cache",
            "build": "pass",
            "dry_run": "pass",
        }
    ]
    assert main(["new", "--repo", str(demo), "--spec", str(spec), "--format", "json", "--no-validate"]) == 0
    assert json.loads(capsys.readouterr().out)["validation"] is None
    assert main(["new", "--repo", str(demo), "--spec", str(spec)]) == 0
    assert "Kustomize build `namespaces/cache`: ✅ PASS" in capsys.readouterr().out
