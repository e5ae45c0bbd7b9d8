"""The TUI on a Flux repo that is not in the flat shape (issue 14): its graph, the demo simulation
of its own bootstrap, the cluster panel, and the plain word that writing is for the flat shape."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets._toast import Toast

from infra_tui.app import DemoApp
from infra_tui.commands.demo import copy_repo
from infra_tui.widgets.cluster_panel import ClusterPanel
from infra_tui.widgets.graph_view import GraphView
from tests.apprepo import settle
from tests.unit.test_fluxtree import fleet


async def test_demo_of_a_bootstrapped_repo_simulates_its_own_bootstrap(tmp_path: Path) -> None:
    source = fleet(tmp_path / "fleet")
    # found from a folder inside it; copied (and git-initialised) off the test's event loop
    root = await asyncio.to_thread(copy_repo, source / "apps", tmp_path / "copy")
    assert (root / "clusters/prod/flux-system/gotk-sync.yaml").is_file()
    app = DemoApp(root, blink=False, autoplay=False)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settle(pilot)
        assert app.env == "prod"
        nodes = set(app.player.source.graph.nodes)
        assert nodes == {"flux-system/flux-system", "flux-system/apps", "flux-system/base", "flux-system/web"}
        assert set(app.screen.query_one(GraphView).graph.nodes) == nodes
        final = app.player.source.timeline.final
        assert final["flux-system/web"] == "ready"
        ready_at = {s.name: s.t for s in app.player.source.timeline.steps if s.state == "ready"}
        assert ready_at["flux-system/base"] <= ready_at["flux-system/web"]
        app.player.source.clock.seek(10_000.0)
        app.player.publish()
        await pilot.pause()
        toasts = " ".join(str(t.render()) for t in app.screen.query(Toast))
        assert "writing is for the flat shape" in toasts
        await pilot.press("f6")
        panel = app.screen.query_one(ClusterPanel)
        panel.select("flux-system/web")
        await pilot.pause()
        assert "web" in panel.detail_text().plain


async def test_demo_of_a_repo_whose_sync_objects_are_not_in_gotk_sync(tmp_path: Path) -> None:
    """ricsanfre/pi-cluster keeps its flux-system GitRepository and the cluster's Kustomization in
    kubernetes/clusters/dev/config/cluster.yaml: the demo opens on env dev and simulates it."""
    from tests.corpus import corpus_paths

    source = corpus_paths("ricsanfre/dev")[0].parents[2]
    root = await asyncio.to_thread(copy_repo, source, tmp_path / "copy")
    app = DemoApp(root, blink=False, autoplay=False)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settle(pilot)
        assert app.env == "dev"
        nodes = set(app.player.source.graph.nodes)
        assert {
            "flux-system/cluster",
            "flux-system/cilium-app",
            "flux-system/flux-operator-instance",
        } <= nodes
        assert len(nodes) == 9 and set(app.screen.query_one(GraphView).graph.nodes) == nodes
