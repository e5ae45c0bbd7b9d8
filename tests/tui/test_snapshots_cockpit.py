"""SVG baselines of the cockpit at 80x24 and 160x48: the component browser, the edit form, the
findings view and a fix diff (same rules as test_snapshots.py: generated repo, steady cursors)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_tui.app import InfraApp
from infra_tui.screens.browser import ComponentsScreen
from infra_tui.screens.findings import FindingsScreen
from tests.apprepo import make_repo, stable, wait_for
from tests.tui.test_cockpit import edit_settled

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.fixture
def repo_root(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "demo-repo")
    hr = root / "namespaces/redis/helm-release.yaml"
    hr.write_text(hr.read_text().replace("  upgrade:\n", "  upgrade:\n    force: true\n", 1))
    ns = root / "namespaces/rabbitmq/namespace.yaml"
    ns.write_text("".join(line for line in ns.read_text().splitlines(True) if "pod-security" not in line))
    return root


async def _loaded(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.repo is not None, what="the repo")


@pytest.mark.parametrize("size", SIZES)
def test_component_browser(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("f8")
        await wait_for(
            pilot, lambda: isinstance(pilot.app.screen, ComponentsScreen) and pilot.app.screen.rows
        )
        await pilot.press("slash", *"red")
        await stable(pilot)

    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_edit_form(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        screen = await edit_settled(pilot)
        screen.query_one("#version").value = "2.x"
        await edit_settled(pilot)
        await stable(pilot)

    app = InfraApp(repo_root, blink=False, open_component="redis")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def _findings(pilot) -> FindingsScreen:
    await _loaded(pilot)
    await pilot.press("f9")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FindingsScreen) and pilot.app.screen.findings)
    return pilot.app.screen


@pytest.mark.parametrize("size", SIZES)
def test_findings_view(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        screen = await _findings(pilot)
        await wait_for(pilot, lambda: screen.preview is not None, what="the fix of the first rule")
        await stable(pilot)

    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_fix_diff(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        screen = await _findings(pilot)
        await pilot.press(*["down"] * 5)  # namespace-pss, rabbitmq, its one finding
        await wait_for(
            pilot,
            lambda: screen.preview is not None and len(screen._key) == 1,  # noqa: SLF001
            what="the fix diff of one finding",
        )
        await stable(pilot)

    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=run_before)
