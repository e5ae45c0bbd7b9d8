"""Start-up: the wizard takes keys while the repo loads, and the graph arrives with the repo.

The repo is read in a thread once the first frame is out; that thread also lays out the empty
wizard's graph, so the graph is on screen in the same step that ends "loading…", with no preview
run behind it. Whatever was typed meanwhile is kept and planned once the repo is there.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.message import Message
from textual.widgets import Checkbox

from infra_tui.app import InfraApp
from infra_tui.widgets.graph_view import GraphView
from tests.apprepo import make_repo, settle
from tests.tui.test_key_order import WIZARD_BURST, feed_burst, form_values, raw


async def test_the_graph_is_on_screen_when_the_repo_is(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", extra=7)  # the bench's 38 Kustomizations
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.main.preview_pane
        deadline = time.monotonic() + 30
        while app.repo is None:  # every turn of the event loop: no step in between is missed
            assert time.monotonic() < deadline, "the repo did not load"
            await asyncio.sleep(0)
        # the step that ends "loading…" put the graph up too: no preview run to wait for
        assert app.sub_title.endswith("env local-kube")
        assert pane.preview is not None and not pane.busy
        graph = app.main.query_one(GraphView)
        assert graph.graph is not None and len(graph.graph.nodes) == 38
        assert graph.graph.layers[0] == ["flux-system/cluster-secrets"]
        first = pane.preview
        await settle(pilot)
        assert pane.preview is first  # the empty wizard is not planned a second time


async def test_keys_typed_while_the_repo_loads_are_kept_and_planned(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", extra=300)  # big enough to be still loading when typed
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        # at once, as a user who starts typing the moment the wizard shows: one read of a burst
        feed_burst(app, raw(WIZARD_BURST))
        typed_while_loading = app.repo is None
        await settle(pilot)
        assert typed_while_loading
        values = form_values(app)
        assert values["name"] == "my-cache" and values["chart"] == "redis"
        assert values["repo-name"] == "bitnami" and values["repo-url"] == "https://charts.bitnami.com/bitnami"
        preview = app.main.preview_pane.preview
        assert preview is not None and preview.fields["name"] == "my-cache"
        assert "flux-system/my-cache" in app.main.query_one(GraphView).graph.nodes


async def test_keys_for_the_lower_fields_typed_before_they_exist_land_in_them(tmp_path: Path) -> None:
    """The first frame shows the wizard's upper fields; the lower ones are mounted once the graph
    is drawn (here, with a repo slow to read, by the timer). Keys typed meanwhile are held, then
    land as if typed slowly: eight Tabs from the name reach the webhook checkbox, which was not
    there when they were typed."""
    root = make_repo(tmp_path / "repo", extra=300)
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        keys = ["my-cache", *["tab"] * 8, " ", "tab", " "]  # webhook on, tab, ServiceMonitor on
        feed_burst(app, raw(keys))
        typed_before_built = not app.main.form.built and not app.main.query("#webhook")
        await settle(pilot)
        assert typed_before_built
        assert form_values(app)["name"] == "my-cache"
        assert app.main.query_one("#webhook", Checkbox).value
        assert app.main.query_one("#sm", Checkbox).value
        assert not app.main.query_one("#pr", Checkbox).value
        assert app.focused is not None and app.focused.id == "sm"
        fields = app.main.form.state.fields
        assert fields["webhook"] is True and fields["monitoring"]["serviceMonitor"] is True


async def test_the_key_bar_follows_the_focus(tmp_path: Path) -> None:
    """The footer skips rebuilds that would show the same keys, never ones that change them."""
    app = InfraApp(make_repo(tmp_path / "repo"), blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)

        def keys() -> set[str]:
            return {k.description for k in app.main.query("FooterKey")}  # type: ignore[attr-defined]

        assert {"Write", "Help", "Graph"} <= keys() and "Filter" not in keys()
        app.main.query_one(GraphView).focus()
        await pilot.pause(0.1)
        assert {"Neighbourhood", "Filter", "Write"} <= keys()
        app.main.query_one("#chart").focus()
        await pilot.pause(0.1)
        assert "Filter" not in keys() and "Write" in keys()


async def test_the_first_frame_is_the_wizard_and_the_pane_comes_after_it(tmp_path: Path) -> None:
    """The first frame has the wizard's upper fields and no preview pane (its tabs and panels are a
    third of the screen's widgets): the pane is mounted right after it, while the repo is read,
    and the graph is drawn in it once the repo is there."""
    from textual.widgets import Input

    from infra_tui.widgets.preview_pane import PreviewPane

    app = InfraApp(make_repo(tmp_path / "repo", extra=7), blink=False)
    at_ready: dict[str, object] = {}

    def hook(message: Message) -> None:
        if isinstance(message, events.Ready):  # posted once the first frame is out
            at_ready["pane"] = bool(app.main.query(PreviewPane))
            at_ready["name"] = isinstance(app.main.query_one("#name"), Input)

    async with app.run_test(size=(160, 48), message_hook=hook) as pilot:
        await settle(pilot)
        assert at_ready == {"pane": False, "name": True}
        graph = app.main.query_one(GraphView).graph
        assert graph is not None and len(graph.nodes) == 38


async def test_an_exit_while_the_pane_mounts_ends_cleanly(tmp_path: Path) -> None:
    """Shut down right after the first frame, while the preview pane is being composed (a signal
    at start-up): no error (Textual's tabs fail if their tabs go while they mount)."""
    app = InfraApp(make_repo(tmp_path / "repo"), blink=False)
    async with app.run_test(size=(160, 48)):
        await asyncio.sleep(0)
        mounting = app.main.preview_mounting
    assert mounting  # run_test re-raises an error of the app's here


async def test_what_comes_before_the_other_tabs_are_built_waits_for_them(tmp_path: Path) -> None:
    """At start-up only the Graph tab's panel is composed; the Diff, Summary, Checks and Cluster
    panels follow the graph. A tab chosen and a cluster status that come before them are not
    lost: they land once the panels are there."""
    root = make_repo(tmp_path / "repo")
    app = InfraApp(root, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.monotonic() + 30
        while not app.main.query("PreviewPane"):
            assert time.monotonic() < deadline, "the preview pane was not mounted"
            await asyncio.sleep(0)
        pane = app.main.preview_pane
        assert not pane.tabs_built and not app.main.query("#diff-view")
        app.action_tab("diff")
        app.main.show_cluster(None, "polled 3 s ago over ssh")
        await settle(pilot)
        assert pane.tabs_built and pane.active == "diff"
        assert app.focused is app.main.query_one("#diff-view")
        status = app.main.query_one("#cluster-status")
        assert "polled 3 s ago over ssh" in str(status.render())


async def _graphs_seen_at_start(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[bool, bool, dict]], InfraApp, bool]:
    """Start the app on ``root`` and note, at every turn of the event loop until the app has the
    repo, each new graph on screen: (the loader had read the repo's files by then, the app had
    the repo (its preview made) by then, the graph). Also whether the graph on screen at the end
    is the very one of the pane's preview (drawn once, not built again for the preview)."""
    from infra_tui.core import graph as graph_mod
    from infra_tui.core import repo as repo_mod

    read = threading.Event()
    real_load = repo_mod.load

    def load(*args: Any, **kwargs: Any) -> Any:
        try:
            return real_load(*args, **kwargs)
        finally:
            read.set()

    monkeypatch.setattr(repo_mod, "load", load)
    app = InfraApp(root, blink=False)
    seen: list[tuple[bool, bool, dict]] = []
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.monotonic() + 30
        last = view = None
        while True:  # light at each turn: a busy event loop starves the loader thread of the GIL
            if view is None:
                views = app.main.query(GraphView)
                view = views.first() if views else None
            graph = view.graph if view is not None else None
            if graph is not None and graph is not last:
                last = graph
                seen.append((read.is_set(), app.repo is not None, graph_mod.to_dict(graph)))
            if app.repo is not None and view is not None and view.graph is not None:
                break
            assert time.monotonic() < deadline, "the repo did not load"
            await asyncio.sleep(0)
        await settle(pilot)
        preview = app.main.preview_pane.preview
        drawn_once = preview is not None and preview.graph is view.graph
    return seen, app, drawn_once


async def test_a_cold_start_draws_the_graph_of_the_read_before_the_preview(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing kept: the graph goes on screen once the files are read, before the preview is made
    (its modules imported) and the app has the repo; the preview then brings that same graph,
    drawn once."""
    from infra_tui.core import graph as graph_mod
    from tests.unit.test_graph_cache import age, graph_of

    root = make_repo(tmp_path / "repo")
    age(root)
    seen, app, drawn_once = await _graphs_seen_at_start(root, monkeypatch)
    assert [(read, has_repo) for read, has_repo, _ in seen] == [(True, False)]
    assert seen[0][2] == graph_mod.to_dict(graph_of(root))
    assert app.sub_title.endswith("env local-kube")
    assert drawn_once


async def test_a_second_start_on_an_unchanged_repo_draws_the_kept_graph_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra_tui.core import graph as graph_mod
    from tests.unit.test_graph_cache import age, graph_of

    root = make_repo(tmp_path / "repo")
    age(root)
    first, _, _ = await _graphs_seen_at_start(root, monkeypatch)
    assert first and all(read for read, _, _ in first)  # nothing kept yet: drawn from the read repo
    second, app, _ = await _graphs_seen_at_start(root, monkeypatch)
    assert second[0][0] is False  # on screen before the repo was read
    assert second[0][2] == graph_mod.to_dict(graph_of(root))  # and it is the repo's graph
    assert app.sub_title.endswith("env local-kube")


async def test_a_changed_repo_never_shows_the_kept_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra_tui.core import graph as graph_mod
    from tests.unit.test_graph_cache import age, graph_of

    root = make_repo(tmp_path / "repo")
    age(root)
    await _graphs_seen_at_start(root, monkeypatch)
    old = graph_mod.to_dict(graph_of(root))
    infra = root / "clusters/local-kube/infrastructure.yaml"
    infra.write_text(infra.read_text().replace("dependsOn:\n", "dependsOn:\n    - name: redis\n", 1))
    age(root, step=[10**6])  # an edit of an hour ago: not "racy", a plain change
    seen, _, _ = await _graphs_seen_at_start(root, monkeypatch)
    new = graph_mod.to_dict(graph_of(root))
    assert new != old
    assert [graph for _, _, graph in seen] == [new] and seen[0][0]  # only the new one, once read


async def test_kinds_that_come_while_the_lower_fields_are_mounted_are_offered() -> None:
    """The repo's CRD kinds (its rule tables) may arrive while the wizard mounts its lower fields:
    the creates list, made before they came, offers them once it is there."""
    from textual.app import App, ComposeResult
    from textual.widgets import SelectionList

    from infra_tui.widgets.component_form import DEFAULT_KINDS, ComponentForm

    class FormApp(App[None]):
        def compose(self) -> ComposeResult:
            yield ComponentForm()

    app = FormApp()
    async with app.run_test(size=(160, 48)) as pilot:
        form = app.query_one(ComponentForm)
        building = asyncio.ensure_future(form.build())
        deadline = time.monotonic() + 30
        while not form.building:
            assert time.monotonic() < deadline and not form.built, "the form was not being built"
            await asyncio.sleep(0)
        form.set_kinds([*DEFAULT_KINDS, "Widget"])
        await building
        while not form.built:
            assert time.monotonic() < deadline, "the form was not built"
            await pilot.pause(0.01)
        creates = form.query_one("#creates", SelectionList)
        offered = [creates.get_option_at_index(i).value for i in range(creates.option_count)]
        assert offered == [*DEFAULT_KINDS, "Widget"]


async def test_the_collector_paused_for_the_start_up_is_on_again_once_the_graph_is_drawn(
    tmp_path: Path,
) -> None:
    """``infra-tui`` runs the app with Python's cyclic garbage collector paused
    (``infra_tui.gc_pause``: its passes over the start-up's objects cost the first frame ~40-70 ms):
    off through the first frame, on again once the graph's frame is out, while the app runs on."""
    import gc

    from infra_tui import gc_pause

    app = InfraApp(make_repo(tmp_path / "repo", extra=7), blink=False)
    seen: dict[str, bool] = {}

    def hook(message: Message) -> None:
        if isinstance(message, events.Ready):  # posted once the first frame is out
            seen["at the first frame"] = gc.isenabled()

    try:
        with gc_pause.paused():
            async with app.run_test(size=(160, 48), message_hook=hook) as pilot:
                await settle(pilot)
                seen["with the graph drawn"] = gc.isenabled()
                assert app.main.query_one(GraphView).graph is not None
    finally:
        gc.enable()  # whatever happened, not left off for the other tests
    assert seen == {"at the first frame": False, "with the graph drawn": True}


async def test_a_resize_to_the_size_laid_out_lays_nothing_out_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual lays a screen out again for every Resize it gets; right after the first frame the
    wizard gets three of the size it was just laid out at (a layout and a full repaint before
    ``Ready``, where the loader starts). Those are skipped; a real resize is laid out as always."""
    from textual.geometry import Size
    from textual.screen import Screen

    from infra_tui.screens.main import MainScreen

    resized: list[Size] = []
    real = Screen._screen_resized  # noqa: SLF001 (what Textual calls to lay a screen out on a Resize)

    def counted(screen: Screen, size: Size) -> None:
        if isinstance(screen, MainScreen):
            resized.append(size)
        real(screen, size)

    monkeypatch.setattr(Screen, "_screen_resized", counted)
    app = InfraApp(make_repo(tmp_path / "repo"), blink=False)
    at_ready: list[Size] = []

    def hook(message: Message) -> None:
        if isinstance(message, events.Ready):
            at_ready.extend(resized)

    async with app.run_test(size=(160, 48), message_hook=hook) as pilot:
        await settle(pilot)
        assert at_ready == [Size(160, 48)]  # the first frame's layout only
        resized.clear()
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert resized == [Size(120, 40)]
        assert app.main.query_one(GraphView).size.width > 0 and app.main.size == Size(120, 40)
