"""The preview pane's tab bar (widgets.tab_bar): one widget that draws and works like the bar of
Textual's TabbedContent it replaced (issue 12: ~35 ms less to mount at start-up). Clicks, keys
and the pane's ``active`` choose a tab; only that tab's panel is on screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_tui.app import InfraApp
from infra_tui.widgets.preview_pane import PANELS, TABS
from infra_tui.widgets.tab_bar import TabBar
from tests.apprepo import make_repo, settle


@pytest.fixture
def repo_root(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def on_screen(app: InfraApp) -> list[str]:
    """The tabs whose panel is displayed."""
    pane = app.main.preview_pane
    return [tab for tab, panel in PANELS.items() if pane.query_one(f"#{panel}").display]


async def test_the_bar_draws_every_label_with_the_underline_under_the_active_one(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        bar = app.main.preview_pane.query_one(TabBar)
        lines = [strip.text for strip in bar.render_lines(bar.region.reset_offset)]
        assert lines[0].rstrip() == " Graph  Diff  Summary  Checks  Cluster"
        assert set(lines[1].strip()) <= set("━╸╺")  # the underline, highlight and rest
        assert bar.spans()["graph"] == (1, 6) and bar.spans()["cluster"] == (31, 38)
        assert on_screen(app) == ["graph"]


async def test_a_click_on_a_label_shows_its_panel(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        pane = app.main.preview_pane
        bar = pane.query_one(TabBar)
        for tab, (start, _end) in bar.spans().items():
            await pilot.click(TabBar, offset=(start + 1, 0))
            await pilot.pause()
            assert (pane.active, bar.active, on_screen(app)) == (tab, tab, [tab])
        await pilot.click(TabBar, offset=(bar.spans()["diff"][0], 1))  # the underline below a label
        await pilot.pause()
        assert pane.active == "diff"
        await pilot.click(TabBar, offset=(bar.size.width - 2, 0))  # past the last label: nothing
        await pilot.pause()
        assert pane.active == "diff"


async def test_left_and_right_move_between_tabs_once_the_bar_has_focus(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        pane = app.main.preview_pane
        pane.query_one(TabBar).focus()
        await pilot.press("right", "right")
        await pilot.pause()
        assert pane.active == "summary" and on_screen(app) == ["summary"]
        await pilot.press("left", "left", "left")  # wraps round from Graph to Cluster
        await pilot.pause()
        assert pane.active == "cluster" and on_screen(app) == ["cluster"]


async def test_the_function_keys_and_the_panes_active_move_the_bar(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        pane = app.main.preview_pane
        bar = pane.query_one(TabBar)
        await pilot.press("f4")
        await pilot.pause()
        assert (pane.active, bar.active, on_screen(app)) == ("summary", "summary", ["summary"])
        pane.active = "checks"
        await pilot.pause()
        assert (bar.active, on_screen(app)) == ("checks", ["checks"])
        with pytest.raises(ValueError):
            pane.active = "no-such-tab"
        assert list(bar.labels) == list(TABS)
