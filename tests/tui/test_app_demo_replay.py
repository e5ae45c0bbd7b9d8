"""Demo mode: a component written with the wizard on the temp copy joins the next replay."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from infra_tui.app import DemoApp
from tests.apprepo import confirm_write, settle, type_component
from tests.paths import DEMO


async def test_written_component_joins_the_next_replay(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    app = DemoApp(root, blink=False, autoplay=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        source = app.player.source
        assert "flux-system/redis-cache" not in source.graph.nodes
        await type_component(pilot, name="redis-cache")
        await confirm_write(pilot, polls=40)
        await pilot.press("escape")
        await settle(pilot)
        for _ in range(40):
            if "flux-system/redis-cache" in app.player.source.graph.nodes:
                break
            await pilot.pause(0.05)
        replay = app.player.source
        assert "flux-system/redis-cache" in replay.graph.nodes
        # it is simulated like every other Kustomization: it ends Ready after its dependencies
        assert replay.timeline.final["flux-system/redis-cache"] == "ready"
        ready_at = {s.name: s.t for s in replay.timeline.steps if s.state == "ready"}
        for dep in replay.graph.deps["flux-system/redis-cache"]:
            assert ready_at[dep] <= ready_at["flux-system/redis-cache"]
