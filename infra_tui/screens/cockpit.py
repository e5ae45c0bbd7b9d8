"""The cockpit's part of the app: the keys, palette entries and write path shared by the component
browser (F8), the edit screen and the findings view (F9). Kept out of app.py; ``InfraApp`` mixes
it in."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.screen import ModalScreen

from infra_tui.core.model import ChangePlan, Repo

if TYPE_CHECKING:
    from infra_tui.app import InfraApp

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

    def _close_cockpit(self: InfraApp) -> bool:
        """Pop the cockpit screens down to the wizard. False while a dialog is open (it stays)."""
        from infra_tui.screens.main import MainScreen

        if isinstance(self.screen, ModalScreen):
            return False
        while len(self.screen_stack) > 1 and not isinstance(self.screen, (MainScreen, ModalScreen)):
            self.pop_screen()
        return True

    def action_components(self: InfraApp) -> None:
        from infra_tui.screens.browser import ComponentsScreen

        if isinstance(self.screen, ComponentsScreen) or not self._close_cockpit():
            return
        self.push_screen(ComponentsScreen())

    def action_findings(self: InfraApp) -> None:
        from infra_tui.screens.findings import FindingsScreen

        if isinstance(self.screen, FindingsScreen) or not self._close_cockpit():
            return
        self.push_screen(FindingsScreen())

    def action_wizard(self: InfraApp) -> None:
        self._close_cockpit()

    def open_edit(self: InfraApp, component: str) -> None:
        """Push the edit screen on ``component`` (over whatever cockpit screen is on top)."""
        from infra_tui.screens.edit import EditScreen

        self.push_screen(EditScreen(component))

    def confirm_write(self: InfraApp, plan: ChangePlan) -> None:
        """The wizard's confirmation (every file listed), then ``core.apply``; the repo reloads after."""
        from infra_tui.screens.modals import WriteConfirmScreen

        self.push_screen(WriteConfirmScreen(plan, self.root), partial(self._cockpit_confirmed, plan))

    def _cockpit_confirmed(self: InfraApp, plan: ChangePlan, ok: bool | None) -> None:
        if ok:
            self.write_plan(plan, reset_form=False)
        else:
            self.notify("nothing was written", timeout=3)

    def cockpit_repo_loaded(self: InfraApp, repo: Repo) -> None:
        """The repo was (re)read: every cockpit screen refreshes; ``infra-tui edit NAME`` opens."""
        for screen in list(self.screen_stack):
            reload = getattr(screen, "repo_reloaded", None)
            if callable(reload):
                reload(repo)
        if self.open_component:
            name, self.open_component = self.open_component, None
            self.open_edit(name)
