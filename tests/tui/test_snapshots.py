"""SVG baselines of the key screens at 80x24 and 160x48 (pytest-textual-snapshot).

Deterministic: a generated repo (tests/apprepo.py), steady cursors and no animations
(``blink=False``), the preview settled before the shot, the demo paused at fixed simulated times.
Update with ``pytest tests/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import SelectionList

from infra_tui.app import DemoApp, InfraApp
from infra_tui.commands.demo import copy_demo
from infra_tui.widgets.graph_view import GraphView
from infra_tui.widgets.sim_player import SimPlayer
from tests.apprepo import make_repo, settle, stable, type_component
from tests.troubleshoot_repo import troubleshoot_snapshot, write_mixed_list, write_troubleshoot_repo

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.fixture
def repo_root(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "demo-repo")


def _steady(run_before):
    """Run ``run_before``, then wait for a stable frame before the shot."""

    async def wrapped(pilot) -> None:
        await run_before(pilot)
        await stable(pilot)

    return wrapped


async def _typed(pilot) -> None:
    await settle(pilot)
    pilot.app.screen.query_one("#creates", SelectionList).select("CiliumNetworkPolicy")
    pilot.app.screen.query_one("#sm").value = True
    await type_component(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_start(snap_compare, repo_root, size) -> None:
    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=_steady(settle))


@pytest.mark.parametrize("size", SIZES)
def test_component_in_graph(snap_compare, repo_root, size) -> None:
    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=_steady(_typed))


@pytest.mark.parametrize("size", SIZES)
def test_diff(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        await _typed(pilot)
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=_steady(run_before))


@pytest.mark.parametrize("size", SIZES)
def test_summary(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        await _typed(pilot)
        await pilot.press("f4")
        await settle(pilot)

    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=_steady(run_before))


@pytest.mark.parametrize("size", SIZES)
def test_invalid_name(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await type_component(pilot, name="Redis_Cache")

    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=_steady(run_before))


@pytest.mark.parametrize("size", SIZES)
def test_write_confirm(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        await _typed(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=_steady(run_before))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause(0.1)

    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=_steady(run_before))


@pytest.mark.parametrize("size", SIZES)
def test_light_theme_neighbourhood(snap_compare, repo_root, size) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("ctrl+t", "f2")
        pilot.app.screen.query_one(GraphView).select("cilium")
        await pilot.press("f")
        await pilot.pause()

    assert snap_compare(InfraApp(repo_root, blink=False), terminal_size=size, run_before=_steady(run_before))


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory) -> Path:
    return copy_demo(tmp_path_factory.mktemp("demo") / "demo-repo")


def _demo_at(t: float, fail: str | None = None):
    async def run_before(pilot) -> None:
        await settle(pilot)
        player = pilot.app.screen.query_one(SimPlayer)
        if fail:
            # straight to the player: the "x" key's toast would make the shot timing-dependent
            pilot.app.screen.query_one(GraphView).select(fail)
            player.fail(pilot.app.screen.query_one(GraphView).selected)
        player.source.clock.pause()
        player.source.clock.seek(t)
        player.publish()
        await pilot.pause(0.1)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_demo_mid_bootstrap(snap_compare, demo_root, size) -> None:
    app = DemoApp(demo_root, blink=False, autoplay=False)
    assert snap_compare(app, terminal_size=size, run_before=_steady(_demo_at(150.0)))


@pytest.mark.parametrize("size", SIZES)
def test_demo_failed_cert_manager(snap_compare, demo_root, size) -> None:
    app = DemoApp(demo_root, blink=False, autoplay=False)
    assert snap_compare(app, terminal_size=size, run_before=_steady(_demo_at(900.0, fail="cert-manager")))


@pytest.mark.parametrize("size", SIZES)
def test_demo_cluster_panel(snap_compare, demo_root, size) -> None:
    async def run_before(pilot) -> None:
        await _demo_at(200.0)(pilot)
        await pilot.press("f6")
        await pilot.pause()

    app = DemoApp(demo_root, blink=False, autoplay=False)
    assert snap_compare(app, terminal_size=size, run_before=_steady(run_before))


def _troubleshoot(node: str):
    async def run_before(pilot) -> None:
        from infra_tui.services.cluster import JsonFileSource
        from infra_tui.widgets.cluster_panel import ClusterPanel

        await settle(pilot)
        saved = pilot.app.repo.root.parent / "cluster.json"
        screen = pilot.app.screen
        screen.show_cluster(
            troubleshoot_snapshot(saved), f"file:{saved.name}", events_source=JsonFileSource(saved)
        )
        await pilot.press("f6")
        panel = screen.query_one(ClusterPanel)
        panel.select(node)
        for _ in range(100):
            if panel.events.get(node) is not None:
                break
            await pilot.pause(0.05)
        await pilot.pause()

    return run_before


@pytest.fixture
def troubleshoot_root(tmp_path: Path) -> Path:
    write_mixed_list(tmp_path / "cluster.json")
    return write_troubleshoot_repo(tmp_path / "repo")


@pytest.mark.parametrize("size", SIZES)
def test_cluster_tab_helmrelease_root_cause(snap_compare, troubleshoot_root, size) -> None:
    app = InfraApp(troubleshoot_root, blink=False)
    assert snap_compare(app, terminal_size=size, run_before=_steady(_troubleshoot("flux-system/postgre")))


@pytest.mark.parametrize("size", SIZES)
def test_cluster_tab_drift(snap_compare, troubleshoot_root, size) -> None:
    app = InfraApp(troubleshoot_root, blink=False)
    assert snap_compare(app, terminal_size=size, run_before=_steady(_troubleshoot("flux-system/redis")))


@pytest.fixture
def learned_root(tmp_path: Path) -> Path:
    from tests.unit.test_learn import renamed_repo

    return renamed_repo(tmp_path / "renamed")


@pytest.mark.parametrize("size", SIZES)
def test_learned_view(snap_compare, learned_root, size) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)

    assert snap_compare(
        InfraApp(learned_root, blink=False), terminal_size=size, run_before=_steady(run_before)
    )
