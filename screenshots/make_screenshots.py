"""Screenshots of the real app for the README: SVG via export_screenshot, PNG via rsvg-convert.

Usage: .venv/bin/python screenshots/make_screenshots.py   (writes screenshots/*.svg and *.png)
PNG needs rsvg-convert (apt-get install librsvg2-bin), else cairosvg; without either, SVG only.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual.widgets import SelectionList  # noqa: E402

from infra_tui.app import DemoApp, InfraApp  # noqa: E402
from infra_tui.commands.demo import copy_demo  # noqa: E402
from tests.apprepo import settle, stable, type_component  # noqa: E402


async def wizard_shots(root: Path) -> None:
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.screen.query_one("#creates", SelectionList).select("CiliumNetworkPolicy")
        app.screen.query_one("#sm").value = True
        await type_component(pilot)
        await stable(pilot)
        save(app, "wizard-graph")
        await pilot.press("f3")
        await stable(pilot)
        save(app, "diff")
        await pilot.press("f4")
        await stable(pilot)
        save(app, "summary")
        await pilot.press("ctrl+s")
        await stable(pilot)
        save(app, "write-confirm")


async def demo_shot(root: Path) -> None:
    app = DemoApp(root, blink=False, autoplay=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        player = app.screen.query_one("#player")
        app.screen.query_one("#graph-view").select("cert-manager")
        player.fail(app.screen.query_one("#graph-view").selected)
        player.source.clock.pause()
        player.source.clock.seek(900.0)
        player.publish()
        await stable(pilot)
        save(app, "demo-what-if")


def save(app, name: str) -> None:
    svg = HERE / f"{name}.svg"
    svg.write_text(app.export_screenshot(title=f"infra-tui — {name}"), encoding="utf-8")
    png = svg.with_suffix(".png")
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True)
    else:
        try:
            import cairosvg  # type: ignore[import-not-found]
        except ImportError:
            print(f"{svg.name} (no PNG: install librsvg2-bin)")
            return
        cairosvg.svg2png(url=str(svg), write_to=str(png))
    print(f"{svg.name} {png.name}")


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    repo = copy_demo(tmp / "wizard" / "demo-repo")
    demo = copy_demo(tmp / "demo" / "demo-repo")
    asyncio.run(wizard_shots(repo))
    asyncio.run(demo_shot(demo))


if __name__ == "__main__":
    main()
