"""The TUI shows what was learned: a marker next to each defaulted field of the wizard (learned
from which component and line, or the house default) and the Learned view (ctrl+l, the command
palette, the help) listing every fact with its evidence and count."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from infra_tui.app import InfraApp
from infra_tui.screens.learned import LearnedScreen
from infra_tui.screens.modals import HELP
from tests.apprepo import make_repo, settle, type_into
from tests.unit.test_learn import renamed_repo


def marker(app, field: str) -> str:
    return str(app.screen.query_one(f"#{field}-default", Static).render())


@pytest.fixture
def learned_root(tmp_path: Path) -> Path:
    """cilium as ``cni``, cert-manager as ``infra-certs``, 30m intervals, a central HelmRepository folder."""
    return renamed_repo(tmp_path / "renamed")


async def test_wizard_marks_learned_and_house_defaults(learned_root: Path) -> None:
    app = InfraApp(learned_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert str(app.screen.query_one("#interval", Static).render()) == "30m"
        assert marker(app, "interval") == "✓ learned from cni (namespaces/cni/helm-release.yaml:7)"
        tip = app.screen.query_one("#interval-default").tooltip
        assert tip == "interval: 30m, learned from cni (namespaces/cni/helm-release.yaml:7) (5 of 5 seen)"
        assert "-learned" in app.screen.query_one("#interval-default").classes
        assert marker(app, "repo-name").startswith("✓ learned from namespaces/helm-repositories (")
        assert marker(app, "timeout") == "· house default"
        assert marker(app, "values") == "· house default"
        assert app.screen.query_one("#values-default").tooltip == (
            "values: the chart's own, the house default (nothing in this repo to learn it from)"
        )
        # a chart that a component of the repo runs: its replicas/resources are the default values
        await type_into(pilot, "#chart", "app")
        await settle(pilot)
        assert marker(app, "values").startswith(
            "✓ learned from app (same chart: namespaces/app/helm-release.yaml:"
        )


async def test_house_repo_shows_house_defaults(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "house")
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert marker(app, "namespace") == marker(app, "repo-name") == "· house default"
        assert "the component's name, in its folder" in app.screen.query_one("#repo-name-default").tooltip
        assert (
            marker(app, "version")
            == "✓ learned from cluster-secrets (namespaces/cluster-secrets/helm-release.yaml:11)"
        )


async def test_learned_view_lists_the_learned_providers_with_evidence(learned_root: Path) -> None:
    app = InfraApp(learned_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LearnedScreen)
        table = app.screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        cni = next(r for r in rows if r[0] == "CRD provider" and r[2].startswith("cni "))
        assert "CiliumNetworkPolicy" in cni[1] and cni[2] == "cni · chart cilium"
        assert cni[3] == "1" and cni[4] == "namespaces/cni/helm-release.yaml:1"
        interval = next(r for r in rows if r[1] == "helmrelease.interval: 30m")
        assert interval[3] == "5 of 5" and interval[4].startswith("namespaces/cni/helm-release.yaml:7")
        assert any(r[0] == "bootstrap" and r[1].startswith("external-secrets.io") for r in rows)
        source = str(app.screen.query_one("#learned-source", Static).render())
        assert "derived from the repo now" in source and "4 CRD provider" in source
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LearnedScreen)


async def test_learned_view_is_in_the_palette_and_the_help(learned_root: Path) -> None:
    from infra_tui.app import ACTIONS

    assert ("Show what was learned from the repo", "learned") == next(
        a[:2] for a in ACTIONS if a[1] == "learned"
    )
    assert "ctrl+l" in HELP and "learned" in HELP
    app = InfraApp(learned_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        for ch in "learned":
            await pilot.press(ch)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LearnedScreen)
