"""core/remove.py and `infra-tui remove`: a leaf goes (folder, -monitoring split, its Kustomization
in every env, comments of the other documents kept); refused while others depend on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra_tui.cli import main
from infra_tui.core import apply as apply_mod
from infra_tui.core import repo as repo_mod
from infra_tui.core import rules as rules_mod
from infra_tui.core.edit_fields import values_patch
from infra_tui.core.remove import plan_remove
from infra_tui.core.workspace import merge_patch
from tests.paths import DEMO


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    return root


def test_a_leaf_goes_with_its_kustomization_in_every_env(demo: Path) -> None:
    infra = {e: (demo / f"clusters/{e}/infrastructure.yaml").read_text() for e in ("local-kube", "staging")}
    plan = plan_remove(repo_mod.load(demo), "reloader")
    assert plan.ok, plan.refusals
    assert plan.recreate_required and "prune: false" in (plan.recreate_reason or "")
    apply_mod.apply(plan, demo)
    assert not (demo / "namespaces/reloader").exists()
    repo = repo_mod.load(demo)
    for env, before in infra.items():
        assert "reloader" not in [k.name for k in repo.envs[env].kustomizations]
        after = (demo / f"clusters/{env}/infrastructure.yaml").read_text()
        # every other line stays, comments included: only the removed document's lines go
        removed = [line for line in before.splitlines() if line not in after.splitlines()]
        assert "  name: reloader" in removed
        assert all(line in before.splitlines() for line in after.splitlines())
    assert rules_mod.lint(repo) == []


def test_the_monitoring_split_goes_too(demo: Path) -> None:
    repo = repo_mod.load(demo)
    # netcorp-monitoring is netcorp-app's split: only it depends on netcorp-app
    plan = plan_remove(repo, "netcorp-app")
    assert plan.ok, plan.refusals
    deleted = {f.path for f in plan.files if getattr(f, "deleted", False)}
    assert "namespaces/netcorp-monitoring/kustomization.yaml" in deleted
    assert "namespaces/netcorp-app/helm-release.yaml" in deleted
    apply_mod.apply(plan, demo)
    repo = repo_mod.load(demo)
    for env in repo.envs.values():
        assert not {"netcorp-app", "netcorp-monitoring"} & {k.name for k in env.kustomizations}


def test_refused_while_others_depend_on_it(demo: Path) -> None:
    plan = plan_remove(repo_mod.load(demo), "redis")
    assert not plan.ok and not plan.files
    (why,) = plan.refusals
    assert "netcorp-app (local-kube, dependsOn redis)" in why and "netcorp-app (staging" in why


def test_unknown_component_gets_the_closest_name(demo: Path) -> None:
    plan = plan_remove(repo_mod.load(demo), "reloadr")
    assert plan.refusals == ["component 'reloadr' does not exist; did you mean 'reloader'?"]


def test_cli_dry_run_then_write(demo: Path, capsys) -> None:
    assert main(["remove", "reloader", "--repo", str(demo)]) == 0
    out = capsys.readouterr().out
    assert "namespaces/reloader/helm-release.yaml" in out and (demo / "namespaces/reloader").exists()
    assert main(["remove", "redis", "--repo", str(demo)]) == 1
    captured = capsys.readouterr()
    # the refusal: one line, its reason once
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(
        "infra-tui: redis cannot be removed: other Kustomizations depend on it: netcorp-app"
    )
    assert line.endswith("; nothing was written") and line.count("netcorp-app (local-kube") == 1
    assert main(["remove", "reloader", "--repo", str(demo), "--write"]) == 0
    assert not (demo / "namespaces/reloader").exists()


json_scalars = st.one_of(st.integers(), st.text(max_size=5), st.booleans())
values = st.recursive(
    st.dictionaries(st.text(min_size=1, max_size=4), json_scalars, max_size=4),
    lambda children: st.dictionaries(st.text(min_size=1, max_size=4), children, max_size=4),
    max_leaves=12,
)


@given(values, values)
def test_values_patch_turns_old_into_new(old: dict, new: dict) -> None:
    import copy

    target = copy.deepcopy(old)
    merge_patch(target, values_patch(old, new))
    assert target == new
    assert values_patch(new, new) == {}
