"""Keys that arrive together land exactly as if typed slowly.

The burst goes in as raw terminal bytes through Textual's own XTermParser and the driver's
``process_message``, all in one go, as the Linux driver's input thread does with one read of a
fast typist, a paste or ``tmux send-keys``: every event is queued before the app handles the
first. ``pilot.press`` cannot show the bug (it waits for the app to be idle after each key), so it
is the reference: each burst must end in the same state as the same keys pressed one by one.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from textual._xterm_parser import XTermParser
from textual.widgets import Input, TextArea

from infra_tui.app import DemoApp, InfraApp
from infra_tui.widgets.graph_view import GraphView
from tests.apprepo import make_repo, settle
from tests.paths import DEMO

RAW = {
    "tab": "\t",
    "shift+tab": "\x1b[Z",
    "enter": "\r",
    "up": "\x1b[A",
    "down": "\x1b[B",
    "right": "\x1b[C",
    "left": "\x1b[D",
    "end": "\x1b[F",
}
"""Key name -> the bytes an xterm sends for it."""


def raw(keys: list[str]) -> str:
    """The keys as one string of terminal input (a key name from RAW, or literal text)."""
    return "".join(RAW.get(k, k) for k in keys)


def presses(keys: list[str]) -> list[str]:
    """The same keys for ``pilot.press`` (text one character at a time)."""
    return [p for k in keys for p in ([k] if k in RAW else list(k))]


def feed_burst(app, data: str) -> int:
    """Parse ``data`` as one read of the terminal and hand every event to the driver at once."""
    events = list(XTermParser(debug=False).feed(data))
    for event in events:
        app._driver.process_message(event)  # noqa: SLF001 - what the input thread calls
    return len(events)


async def type_keys(app, pilot, keys: list[str], burst: bool, focus: str | None = None) -> None:
    """Focus ``focus`` (a selector), then type ``keys``: as one raw burst or pressed one by one."""
    await settle(pilot)
    if focus:
        app.screen.query_one(focus).focus()
        await pilot.pause()
    if burst:
        assert feed_burst(app, raw(keys)) == len(presses(keys))
    else:
        await pilot.press(*presses(keys))
    await settle(pilot)


@pytest.fixture
def repo_root(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


WIZARD_BURST = [
    "my-cache",
    "tab",
    "tab",
    "tab",
    "redis",
    "tab",
    "bitnami",
    "tab",
    "https://charts.bitnami.com/bitnami",
]
FIELDS = ("name", "namespace", "chart", "repo-name", "repo-url", "version", "timeout")


def form_values(app) -> dict[str, str]:
    return {f: app.screen.query_one(f"#{f}", Input).value for f in FIELDS}


async def _wizard(root: Path, keys: list[str], burst: bool) -> dict[str, str]:
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await type_keys(app, pilot, keys, burst)
        return {**form_values(app), "focused": app.focused.id if app.focused else ""}


async def test_wizard_burst_lands_field_by_field(repo_root: Path) -> None:
    burst = await _wizard(repo_root, WIZARD_BURST, burst=True)
    assert burst["name"] == "my-cache"
    assert burst["chart"] == "redis"
    assert burst["repo-name"] == "bitnami"
    assert burst["repo-url"] == "https://charts.bitnami.com/bitnami"
    assert burst == await _wizard(repo_root, WIZARD_BURST, burst=False)


async def test_shift_tab_and_enter_in_a_burst(repo_root: Path) -> None:
    keys = [
        *WIZARD_BURST,
        "shift+tab",
        "shift+tab",
        "end",
        "-chart",
        "enter",
        "tab",
        "tab",
        "tab",
        "tab",
        "5m",
        "shift+tab",
        "1.x",
    ]
    burst = await _wizard(repo_root, keys, burst=True)
    assert burst["chart"] == "redis-chart" and burst["version"] == "1.x" and burst["timeout"] == "5m"
    assert burst == await _wizard(repo_root, keys, burst=False)


async def _dependency_search(root: Path, keys: list[str], burst: bool) -> tuple[list[str], str]:
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await type_keys(app, pilot, keys, burst, focus="#deps-search")
        return list(app.main.form.query_one("DependencyPicker").chosen), app.focused.id if app.focused else ""


async def test_dependency_search_burst(repo_root: Path) -> None:
    keys = ["cilium", "enter", "cert-man", "enter", "redi", "enter", "tab"]
    chosen, focused = await _dependency_search(repo_root, keys, burst=True)
    assert chosen[:2] == ["cilium", "cert-manager"] and len(chosen) == 3
    assert (chosen, focused) == await _dependency_search(repo_root, keys, burst=False)


async def _values(root: Path, keys: list[str], burst: bool) -> tuple[str, dict]:
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await type_keys(app, pilot, keys, burst, focus="#values")
        return app.screen.query_one("#values", TextArea).text, app.main.form.state.fields.get("values", {})


async def test_values_editor_burst(repo_root: Path) -> None:
    keys = [
        "architecture: standalone",
        "enter",
        "auth:",
        "enter",
        "tab",
        "enabled: false",
        "enter",
        "up",
        "up",
        "right",
        "#",
    ]
    text, values = await _values(repo_root, keys, burst=True)
    slow_text, slow_values = await _values(repo_root, keys, burst=False)
    assert (text, values) == (slow_text, slow_values)
    assert "  enabled: false" in text


async def _graph(
    root: Path, keys: list[str], burst: bool, *, demo: bool
) -> tuple[str | None, tuple[str, ...]]:
    if demo:
        app = DemoApp(root, blink=False, autoplay=True)
    else:
        app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await type_keys(app, pilot, keys, burst, focus="GraphView")
        failing = tuple(app.player.source.fail) if demo else ()
        return app.screen.query_one(GraphView).selected, failing


async def test_graph_selection_keys_in_a_burst(repo_root: Path) -> None:
    keys = ["down", "down", "right", "right", "up", "right", "down", "down", "left"]
    burst = await _graph(repo_root, keys, burst=True, demo=False)
    assert burst[0] is not None
    assert burst == await _graph(repo_root, keys, burst=False, demo=False)


async def test_demo_keys_in_a_burst_while_the_simulation_plays(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    # select a node, fail it, move on, fail the next one: each x must hit the node selected then
    keys = ["down", "right", "x", "down", "down", "left", "x", "right"]
    burst = await _graph(root, keys, burst=True, demo=True)
    assert len(burst[1]) == 2
    assert burst == await _graph(root, keys, burst=False, demo=True)


def paste(text: str) -> str:
    """``text`` as a terminal's bracketed paste."""
    return f"\x1b[200~{text}\x1b[201~"


VALUES_BLOCK = "architecture: standalone\nauth:\n  enabled: false\nreplica:\n  replicaCount: 1\n"


async def test_bracketed_paste_lands_whole_and_in_order(repo_root: Path) -> None:
    app = InfraApp(repo_root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        # a multi-line paste into the name: its first line only, nothing spills into the next field;
        # the Tab and text typed right after it in the same read go where slow typing would
        feed_burst(
            app,
            paste("my-cache\nchart: nope\n")
            + "\t\t\tredis\t\t"
            + paste("https://charts.bitnami.com/bitnami"),
        )
        await settle(pilot)
        assert form_values(app) == {
            "name": "my-cache",
            "namespace": "",
            "chart": "redis",
            "repo-name": "",
            "repo-url": "https://charts.bitnami.com/bitnami",
            "version": "",
            "timeout": "",
        }
        # a YAML block into the values editor lands verbatim (terminals send CR for newlines)
        for block in (VALUES_BLOCK, VALUES_BLOCK.replace("\n", "\r")):
            area = app.screen.query_one("#values", TextArea)
            area.text = ""
            area.focus()
            await pilot.pause()
            feed_burst(app, paste(block))
            await settle(pilot)
            assert area.text == VALUES_BLOCK
            assert app.main.form.state.fields["values"] == {
                "architecture": "standalone",
                "auth": {"enabled": False},
                "replica": {"replicaCount": 1},
            }
