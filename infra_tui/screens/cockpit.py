"""The cockpit's part of the app: the keys, palette entries and write path shared by the component
browser (F8), the edit screen and the findings view (F9). Kept out of app.py; ``InfraApp`` mixes
it in."""

from __future__ import annotations

from functools import partial
from typing import Any, cast

from textual.binding import Binding
from textual.screen import ModalScreen

from infra_tui.core.model import ChangePlan, Repo

COCKPIT_BINDINGS = [
    Binding("f8", "components", "Components", priority=True),
    Binding("f9", "findings", "Findings", priority=True),
]

COCKPIT_ACTIONS: list[tuple[str, str, str]] = [
    (
        "Components: browse and edit what exists",
        "components",
        "F8: layer, cluster state, findings; enter edits",
    ),
    (
        "Findings: every lint finding, fix one or all",
        "findings",
        "F9: why it matters, what to do, the fix as a diff",
    ),
    ("Remove a component", "components", "F8, select it, delete: refused while others depend on it"),
    ("Back to the wizard", "wizard", "closes the browser, edit and findings screens"),
]
"""Command palette entries of the cockpit: (title, action, help)."""


class CockpitMixin:
    """Browser, edit and findings screens over the app's repo."""

    open_component: str | None

    def _close_cockpit(self) -> bool:
        """Pop the cockpit screens down to the wizard. False while a dialog is open (it stays)."""
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        from infra_tui.screens.main import MainScreen

        if isinstance(app.screen, ModalScreen):
            return False
        while len(app.screen_stack) > 1 and not isinstance(app.screen, (MainScreen, ModalScreen)):
            app.pop_screen()
        return True

    def action_components(self) -> None:
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        from infra_tui.screens.browser import ComponentsScreen

        if isinstance(app.screen, ComponentsScreen) or not self._close_cockpit():
            return
        app.push_screen(ComponentsScreen())

    def action_findings(self) -> None:
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        from infra_tui.screens.findings import FindingsScreen

        if isinstance(app.screen, FindingsScreen) or not self._close_cockpit():
            return
        app.push_screen(FindingsScreen())

    def action_wizard(self) -> None:
        self._close_cockpit()

    def open_edit(self, component: str) -> None:
        """Push the edit screen on ``component`` (over whatever cockpit screen is on top)."""
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        from infra_tui.screens.edit import EditScreen

        # one edit screen, installed: composing its ~100 widgets again for every component would
        # cost most of the time it takes to open one
        if not app.is_screen_installed("edit"):
            app.install_screen(EditScreen(component), "edit")
        screen = app.get_screen("edit")
        assert isinstance(screen, EditScreen)
        if screen.is_mounted:
            screen.set_component(component)
        if app.screen is not screen:
            app.push_screen(screen)

    def confirm_write(self, plan: ChangePlan) -> None:
        """The wizard's confirmation (every file listed), then ``core.apply``; the repo reloads after."""
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        from infra_tui.screens.modals import WriteConfirmScreen

        app.push_screen(WriteConfirmScreen(plan, app.root), partial(self._cockpit_confirmed, plan))

    def _cockpit_confirmed(self, plan: ChangePlan, ok: bool | None) -> None:
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        if ok:
            app.write_plan(plan, reset_form=False)
        else:
            app.notify("nothing was written", timeout=3)

    def cockpit_repo_loaded(self, repo: Repo) -> None:
        """The repo was (re)read: every cockpit screen refreshes; ``infra-tui edit NAME`` opens."""
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        for screen in list(app.screen_stack):
            reload = getattr(screen, "repo_reloaded", None)
            if callable(reload):
                reload(repo)
        if app.open_component:
            name, app.open_component = app.open_component, None
            app.open_edit(name)
