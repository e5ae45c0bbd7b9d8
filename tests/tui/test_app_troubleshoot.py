"""The Cluster tab as a troubleshooting view under Pilot: a node's HelmReleases, its events and its
drift; the graph painting a node red when its HelmRelease failed; the demo showing a HelmRelease
failure as the root cause through the same code path."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from infra_tui.app import DemoApp, InfraApp
from infra_tui.commands.demo import copy_demo
from infra_tui.services.cluster import JsonFileSource
from infra_tui.widgets.cluster_panel import ClusterPanel
from infra_tui.widgets.graph_view import GraphView
from infra_tui.widgets.sim_player import SimPlayer
from tests.apprepo import settle, wait_for
from tests.troubleshoot_repo import troubleshoot_snapshot, write_mixed_list, write_troubleshoot_repo


@pytest.fixture
def demo_root(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo-repo")


def cluster_app(tmp_path: Path) -> tuple[InfraApp, Path]:
    root = write_troubleshoot_repo(tmp_path / "repo")
    saved = write_mixed_list(tmp_path / "cluster.json")
    return InfraApp(root, blink=False), saved


async def show_fixture(pilot, saved: Path) -> ClusterPanel:
    screen = pilot.app.screen
    screen.show_cluster(
        troubleshoot_snapshot(saved), f"file:{saved.name}", events_source=JsonFileSource(saved)
    )
    await pilot.press("f6")
    await pilot.pause()
    return screen.query_one(ClusterPanel)


async def test_cluster_tab_shows_a_nodes_helmreleases_events_and_drift(tmp_path: Path) -> None:
    app, saved = cluster_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        panel = await show_fixture(pilot, saved)
        panel.select("flux-system/netcorp-app")
        await pilot.pause()
        detail = panel.detail_text().plain
        assert (
            "why: netcorp-app waiting <- postgre: HealthCheckFailed <- HelmRelease database/postgre: "
            "install retries exhausted (3/3): timed out waiting for the condition"
        ) in detail
        assert (
            "dependsOn differs: cluster flux-system/postgre / Git flux-system/postgre, flux-system/redis"
            in detail
        )
        panel.select("flux-system/postgre")
        await wait_for(pilot, lambda: "InstallFailed" in panel.detail_text().plain, what="postgre's events")
        detail = panel.detail_text().plain
        assert (
            "database/postgre stalled  postgresql (none deployed)  install retries exhausted (3/3)" in detail
        )
        assert (
            "2m InstallFailed HelmRelease postgre: Helm install failed for release database/postgre" in detail
        )
        assert "HealthCheckFailed Kustomization postgre: health check failed after 10m0.041s" in detail
        panel.select("flux-system/redis")
        await pilot.pause()
        detail = panel.detail_text().plain
        assert (
            "cache/redis failed  redis@19.6.4  upgrade failed (attempt 1/4), rolled back to redis@19.6.4"
            in detail
        )
        assert (
            "chart version of HelmRelease cache/redis: Git 20.x / deployed 19.6.4 (last tried 20.1.0)"
            in detail
        )
        # the graph: redis progresses as a Kustomization but its HelmRelease failed -> red
        view = app.screen.query_one(GraphView)
        assert view.states["flux-system/redis"] == "failed" and view.states["flux-system/podinfo"] == "ready"
        banner = str(app.screen.query_one("#graph-banner", Static).render())
        assert "1 waiting <- flux-system/postgre: HealthCheckFailed <- HelmRelease database/postgre" in banner


async def test_demo_fails_a_helmrelease_install_and_names_it_as_the_root_cause(demo_root: Path) -> None:
    app = DemoApp(demo_root, blink=False, autoplay=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        player = app.screen.query_one(SimPlayer)
        player.fail("flux-system/cert-manager")
        player.source.clock.pause()
        player.source.clock.seek(400.0)  # the Kustomization's health check still runs
        player.publish()
        await pilot.pause()
        snap = player.source.snapshot_at(400.0)
        assert snap.by_id()["flux-system/cert-manager"].state == "progressing"
        assert app.screen.query_one(GraphView).states["flux-system/cert-manager"] == "failed"
        banner = str(app.screen.query_one("#graph-banner", Static).render())
        assert (
            "<- HelmRelease cert-manager/cert-manager: install failed (attempt 2/4): timed out waiting"
            in banner
        )
        player.source.clock.seek(900.0)
        player.publish()
        await pilot.press("f6")
        panel = app.screen.query_one(ClusterPanel)
        panel.select("flux-system/cert-manager")
        await wait_for(
            pilot,
            lambda: "InstallFailed HelmRelease cert-manager" in panel.detail_text().plain,
            what="the simulated HelmRelease events",
        )
        assert "install retries exhausted (3/3)" in panel.detail_text().plain
