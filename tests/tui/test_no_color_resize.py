"""State without colour (NO_COLOR, TERM=dumb), and a resize in the middle of typing or of a
validation run loses nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from textual.events import Resize
from textual.geometry import Size
from textual.widgets import Checkbox, DataTable, Input, SelectionList

from infra_tui.app import DemoApp, InfraApp
from infra_tui.widgets.graph_view import STATE_GLYPHS, GraphView
from infra_tui.widgets.toggles import OFF, ON
from infra_tui.widgets.validation_panel import ValidationPanel
from tests.apprepo import make_repo, settle, type_component, wait_for
from tests.paths import DEMO
from tests.tui.test_key_order import WIZARD_BURST, feed_burst, raw


@pytest.fixture
def repo_root(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def option_lines(lst: SelectionList) -> list[str]:
    return [lst.render_line(y).text for y in range(lst.option_count)]


async def _toggle_texts(root: Path) -> tuple[list[str], list[str], str, str]:
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        webhook = app.screen.query_one("#webhook", Checkbox)
        off = str(webhook.render())
        webhook.focus()
        await pilot.press("space")
        await pilot.pause()
        on = str(webhook.render())
        creates = app.screen.query_one("#creates", SelectionList)
        creates.select(creates.get_option_at_index(1).value)
        await pilot.pause()
        return option_lines(app.screen.query_one("#envs", SelectionList)), option_lines(creates), off, on


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}], ids=["NO_COLOR", "TERM=dumb"])
async def test_every_toggle_shows_on_and_off_without_colour(repo_root: Path, env: dict, monkeypatch) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    envs, creates, off, on = await _toggle_texts(repo_root)
    assert envs[0].startswith(f"{ON} local-kube") and envs[1].startswith(f"{OFF} staging")
    assert creates[0].startswith(OFF) and creates[1].startswith(ON)
    assert off.startswith(OFF) and on.startswith(ON) and "admission webhook" in on


async def test_toggles_keep_textuals_look_with_colour(repo_root: Path, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    envs, _, off, on = await _toggle_texts(repo_root)
    assert envs[0].startswith("▐X▌ local-kube")
    assert off.startswith("▐X▌") and on.startswith("▐X▌")


async def test_graph_states_keep_their_glyphs_without_colour(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    app = DemoApp(root, blink=False, autoplay=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(GraphView)
        for _ in range(12):  # a few events: some ready, some progressing or waiting
            app.player.step()
        await pilot.pause(0.2)
        drawn = "\n".join(view.render_line(y).text for y in range(view.size.height))
        painted = set(view.states.values())
        assert painted - {"unknown"}
        for state in painted - {"unknown"}:
            assert f"{STATE_GLYPHS[state]} " in drawn, state


async def test_resize_in_the_middle_of_a_burst_loses_no_key(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        half = len(WIZARD_BURST) // 2
        driver = app._driver  # noqa: SLF001 - the Resize goes where the driver's SIGWINCH handler sends it
        feed_burst(app, raw(WIZARD_BURST[:half]))
        for size in (Size(100, 40), Size(70, 30), Size(160, 48)):
            driver.process_message(Resize(size, size))
        feed_burst(app, raw(WIZARD_BURST[half:]))
        await settle(pilot)
        values = {
            f: app.screen.query_one(f"#{f}", Input).value for f in ("name", "chart", "repo-name", "repo-url")
        }
        assert values == {
            "name": "my-cache",
            "chart": "redis",
            "repo-name": "bitnami",
            "repo-url": "https://charts.bitnami.com/bitnami",
        }
        assert app.main.form.state.fields["name"] == "my-cache"
        assert app.main.preview_pane.preview.fields == app.main.form.state.fields


async def test_resize_during_a_validation_run_keeps_its_results(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(ValidationPanel)
        await type_component(pilot)  # waits for the validation run too
        # again, with the resize while it runs
        name = app.screen.query_one("#name", Input)
        name.value = "redis-two"
        await wait_for(
            pilot,
            lambda: "validating…" in str(panel.query_one("#validation-status").render()),
            what="the validation to start",
        )
        for width, height in ((90, 30), (200, 60), (160, 48)):
            await pilot.resize_terminal(width, height)
        await settle(pilot)
        assert not panel.busy
        table = panel.query_one(DataTable)
        assert table.row_count >= 1
        assert "components validated" in str(panel.query_one("#validation-status").render())
        assert app.main.preview_pane.preview.plan.validation is not None
        assert name.value == "redis-two"


def _run_tui(argv: list[str], tmp_path: Path, *, stdin_tty: bool) -> subprocess.CompletedProcess:
    import os
    import pty
    import sys

    script = Path(sys.executable).with_name("infra-tui")
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    master, slave = pty.openpty() if stdin_tty else (None, None)
    try:
        return subprocess.run(
            [str(script), *argv],
            stdin=slave if stdin_tty else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    finally:
        for fd in (master, slave):
            if fd is not None:
                os.close(fd)


@pytest.mark.parametrize("argv", [["--repo", str(DEMO)], ["demo"]], ids=["tui", "demo"])
@pytest.mark.parametrize("stdin_tty", [True, False], ids=["stdout-piped", "stdin-and-stdout-piped"])
def test_the_tui_without_a_terminal_says_so_in_one_line_and_exits_2(argv, stdin_tty, tmp_path: Path) -> None:
    result = _run_tui(argv, tmp_path, stdin_tty=stdin_tty)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs a terminal" in lines[0]
    assert ("stdout is not one" if stdin_tty else "stdin is not one") in lines[0]
    assert result.stdout == ""
    assert not any((tmp_path / "tmp").iterdir())  # the demo copied nothing
