"""Every entry point plans with the repo's own rules: ``repo.load`` reads ``.infra-tui.yaml``, so the
CLI and the TUI infer the same dependsOn for a kind that only this repo's ``rules:`` knows."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.widgets import SelectionList

from infra_tui import cli
from infra_tui.app import InfraApp
from tests.apprepo import make_repo, settle, type_component

RULES = """rules:
  crd_providers:
    - kinds: [Widget]
      group: widgets.example.com
      provider: cert-manager
"""
SPEC = """name: widget-maker
chart:
  name: widgets
  repository: {url: https://charts.example.com}
creates: [Widget]
"""


@pytest.fixture
def root(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)
    repo = make_repo(tmp_path / "repo")
    (repo / ".infra-tui.yaml").write_text(RULES)
    return repo


def test_cli_and_tui_plan_the_same_dependency_for_a_repo_rule(root: Path, tmp_path: Path, capsys) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    assert (
        cli.main(["new", "--repo", str(root), "--spec", str(spec), "--format", "json", "--no-validate"]) == 0
    )
    placement = json.loads(capsys.readouterr().out)["placement"]
    cli_deps = next(p["dependsOn"] for p in placement if p["name"] == "widget-maker")
    assert "flux-system/cert-manager" in cli_deps

    async def plan_in_the_tui() -> tuple[list[str], list[str]]:
        app = InfraApp(root, blink=False)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            creates = app.screen.query_one("#creates", SelectionList)
            offered = [creates.get_option_at_index(i).value for i in range(creates.option_count)]
            creates.select("Widget")
            await type_component(
                pilot, name="widget-maker", chart="widgets", url="https://charts.example.com"
            )
            plan = app.main.preview_pane.preview.plan
            assert plan is not None
            return offered, next(p.depends_on for p in plan.placement if p.name == "widget-maker")

    offered, tui_deps = asyncio.run(plan_in_the_tui())
    assert tui_deps == cli_deps
    assert "Widget" in offered  # and the form offers the repo's kinds to choose from
