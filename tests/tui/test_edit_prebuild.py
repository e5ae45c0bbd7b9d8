"""The edit screen built ahead of its first open (``CockpitMixin.prebuild_edit``): it is built off
view once the app sits idle, the wizard stays as it was, and its first open shows the component as
the repo holds it then, also after the repo changed on disk."""

from __future__ import annotations

import asyncio
import re
from time import monotonic

import pytest
from textual.widgets import Input, Static, TextArea

from infra_tui.app import InfraApp
from infra_tui.screens.edit import EditScreen
from infra_tui.widgets.graph_view import GraphView
from infra_tui.widgets.preview_pane import PreviewPane
from tests.apprepo import stable, wait_for
from tests.tui.test_cockpit import demo, edit_settled

__all__ = ["demo"]  # the fixture, for pytest


def built_ahead(app: InfraApp) -> EditScreen | None:
    if not app.is_screen_installed("edit"):
        return None
    screen = app.get_screen("edit")
    assert isinstance(screen, EditScreen)
    return screen if screen.is_mounted and screen.form.current is not None else None


async def test_the_edit_screen_is_built_while_idle_and_opens_on_the_repo_as_it_is_now(demo) -> None:
    app = InfraApp(demo, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.repo is not None, what="the repo")
        await wait_for(pilot, lambda: built_ahead(app) is not None, timeout=20, what="the edit screen built")
        screen = built_ahead(app)
        # built off view: the wizard is on screen, alone on the stack, with the focus it had
        assert app.screen is app.main and app.screen_stack == [app.main]
        assert app.focused is not None and app.focused.id == "name"
        assert screen.form.current.name != "redis"
        # the repo changes on disk and is read again before the first open
        hr = demo / "namespaces/redis/helm-release.yaml"
        hr.write_text(hr.read_text().replace('version: "20.x"', 'version: "21.x"'))
        old = app.repo
        app.action_reload()
        await wait_for(pilot, lambda: app.repo is not old, what="the reload")
        app.open_edit("redis")
        opened = await edit_settled(pilot)
        assert opened is screen  # the one built ahead, not a new one
        assert opened.form.current.name == "redis"
        assert opened.query_one("#version", Input).value == "21.x"
        assert str(opened.query_one("#edit-title", Static).render()) == "Edit redis"
        assert str(opened.query_one("#form-status", Static).render()).startswith("nothing changed")
        assert opened.preview_pane.preview.fields == {"component": "redis", "edit": {}}


async def test_a_component_opened_while_the_screen_is_being_built_is_the_one_shown(demo) -> None:
    app = InfraApp(demo, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.repo is not None, what="the repo")
        app._prebuild_screen("cluster-secrets")  # noqa: SLF001 - the build, without waiting for idle
        app.open_edit("redis")  # before the screen built for cluster-secrets has mounted
        screen = await edit_settled(pilot)
        assert screen.form.current.name == screen.form.component == screen.component == "redis"
        assert screen.query_one("#version", Input).value == "20.x"
        assert str(screen.query_one("#edit-title", Static).render()) == "Edit redis"
        assert screen.preview_pane.preview.fields == {"component": "redis", "edit": {}}


@pytest.mark.parametrize("build", ["ahead", "open"])
async def test_an_exit_while_the_edit_screen_is_being_built_ends_cleanly(demo, build) -> None:
    # ctrl+q in the moment the screen is built ahead (or opened): Textual's tabs fail if their
    # tabs go as they mount, which ended the app with a traceback (seen in a full test run)
    if True:
        app = InfraApp(demo, blink=False)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(pilot, lambda: app.repo is not None, what="the repo")
            await wait_for(pilot, lambda: not app.keys_pending and app.focused is not None, what="the wizard")
            if build == "ahead":
                app._prebuild_screen("redis")  # noqa: SLF001 - the build, without waiting for idle
            else:
                app.open_edit("redis")
            assert app.edit_mounting
            app.exit()  # waits for the screen, then ends the app
            await wait_for(pilot, lambda: app.return_code is not None, what="the exit")
            assert not app.edit_mounting
        assert app.return_code in (0, None), build


async def test_a_preview_the_screen_built_ahead_handles_as_the_app_ends_finds_the_wizard_whole(demo) -> None:
    # Textual's shutdown tears down the screens on its stack (the wizard) first; a screen that is
    # installed but not on the stack (the edit screen built ahead, or closed with esc) went on
    # handling messages meanwhile, then was closed node by node in no set order: a preview that
    # came in then read the wizard's graph or a form half taken apart (NoMatches in full runs on
    # a loaded machine). Here the edit screen is busy as the shutdown begins, a preview behind.
    app = InfraApp(demo, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.repo is not None, what="the repo")
        await wait_for(pilot, lambda: not app.keys_pending and app.focused is not None, what="the wizard")
        app._prebuild_screen("redis")  # noqa: SLF001 - the build, without waiting for idle
        await wait_for(pilot, lambda: built_ahead(app) is not None, timeout=20, what="the edit screen built")
        await wait_for(pilot, lambda: not built_ahead(app).preview_pane.busy, what="its first preview")
        screen = built_ahead(app)
        pane = screen.preview_pane
        graph = app.main.query_one(GraphView)

        async def busy() -> None:  # (a slow machine): until the wizard's graph is gone, 1 s at most
            deadline = monotonic() + 1.0
            while graph.parent is not None and monotonic() < deadline:
                await asyncio.sleep(0)

        screen.call_later(busy)
        screen.post_message(PreviewPane.Updated(pane.preview))  # handled after it
        app.exit()
    assert app.return_code == 0


async def laid_out_ahead(pilot, component: str) -> EditScreen:
    """The edit screen built ahead on ``component`` (without waiting for idle) and laid out off view."""
    app = pilot.app
    await wait_for(pilot, lambda: app.repo is not None, what="the repo")
    await wait_for(pilot, lambda: not app.keys_pending and app.focused is not None, what="the wizard")
    app._prebuild_screen(component)  # noqa: SLF001 - the build, without waiting for idle
    await wait_for(
        pilot,
        lambda: built_ahead(app) is not None and built_ahead(app).ready_off_view,
        timeout=20,
        what="the edit screen laid out off view",
    )
    return built_ahead(app)


async def test_the_screen_built_ahead_is_laid_out_and_rendered_off_view(demo) -> None:
    # its first open then costs what a reopen does: nothing left to lay out or render but what
    # the component opened changes
    app = InfraApp(demo, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await laid_out_ahead(pilot, "redis")
        assert app.screen is app.main and app.screen_stack == [app.main]
        assert app.focused is not None and app.focused.id == "name"
        # the staging values editor is mounted by the form's fill, after the push that built the
        # screen laid it out: it has its place only from the layout off view
        staging = screen.query_one("#env-values-staging", TextArea)
        assert staging.display and staging.region.height == 8
        graph = screen.query_one(GraphView)
        assert graph.region.width > 40 and graph.size == graph.region.size


async def first_frame(pilot, component: str) -> tuple[str, str]:
    """The screen as the first frame after opening ``component`` paints it, and once settled
    (SVG screenshots, their generated ids left out)."""
    app = pilot.app
    painted: list[str] = []
    app.open_edit(component)
    app.call_after_refresh(lambda: painted.append(app.export_screenshot()))
    await wait_for(pilot, lambda: bool(painted), what="the first frame")
    await edit_settled(pilot)
    await stable(pilot)
    settled = app.export_screenshot()
    return re.sub(r"terminal-\d+", "terminal", painted[0]), re.sub(r"terminal-\d+", "terminal", settled)


async def test_every_open_paints_the_component_in_its_own_layout_in_its_first_frame(demo) -> None:
    # the kept screen was pushed with its update timer overdue: it painted before handling what
    # the fill made its widgets post, so the first frame showed the component in the layout of
    # the one before (redis after reloader: no dependency chips, no staging editor), with the
    # graph's details of the one before, and a second frame ~30 ms later fixed it
    app = InfraApp(demo, blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await laid_out_ahead(pilot, "cluster-secrets")
        for component in ("redis", "reloader", "redis", "cluster-secrets"):
            first, settled = await first_frame(pilot, component)
            assert first == settled, component
            assert f"Edit&#160;{component}" in settled  # (the form's title, as SVG text)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.main, what="back to the wizard")
