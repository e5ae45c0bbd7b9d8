"""The cockpit's part of the app: the keys, palette entries and write path shared by the component
browser (F8), the edit screen and the findings view (F9). Kept out of app.py; ``InfraApp`` mixes
it in."""

from __future__ import annotations

from functools import partial
from time import monotonic
from typing import Any, cast

from textual import work
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

PREBUILD_AFTER = 1.5
"""Seconds after the repo is first on screen before the edit screen is built ahead of its first
open (``CockpitMixin.prebuild_edit``): start-up and the first keys come first."""
PREBUILD_IDLE = 1.0
"""Seconds without a key before it is built: it holds the event loop for a few hundred ms."""


class CockpitMixin:
    """Browser, edit and findings screens over the app's repo."""

    open_component: str | None
    edit_prebuild_started = False
    """``prebuild_edit`` ran (or the edit screen was opened before it could)."""
    edit_prebuild_armed = False
    """The timer for ``prebuild_edit`` is set (once, when the repo is first read)."""
    edit_mount: Any = None
    """The edit screen's first push (a Textual ``AwaitMount``): the app's shutdown waits for it
    while the screen is still being built (``edit_mounting``)."""

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
        # a component is opened from here: its screen is built while the user reads the list
        app.call_after_refresh(self.prebuild_edit)

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
        self.edit_prebuild_started = True
        if not app.is_screen_installed("edit"):
            app.install_screen(EditScreen(component), "edit")
        screen = app.get_screen("edit")
        assert isinstance(screen, EditScreen)
        screen.set_component(component)
        if app.screen is not screen:
            pushed = app.push_screen(screen)
            if self.edit_mount is None:
                self.edit_mount = pushed

    def prebuild_edit(self) -> None:
        """Build the edit screen before its first open: import the planner (ruamel.yaml) in a
        thread, then compose, mount, style and lay out the screen off view, on the env's first
        component folder. Its first open is then a refill from the repo as it is at that moment
        (as any later open) plus its first paint, not ~1 s of imports and ~100 widgets built.
        Once per session: ``PREBUILD_AFTER`` s after the repo is first read, when no key came for
        ``PREBUILD_IDLE`` s; or as the component browser opens, whichever is first."""
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        if self.edit_prebuild_started or app.repo is None or app.is_screen_installed("edit"):
            return
        self.edit_prebuild_started = True
        self._prebuild_imports(app.repo, app.env)

    def _prebuild_when_idle(self) -> None:
        """``prebuild_edit`` once no key came for ``PREBUILD_IDLE`` s and none is pending."""
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        if self.edit_prebuild_started:
            return
        quiet = monotonic() - app.last_key_at
        if app.keys_pending or quiet < PREBUILD_IDLE:
            app.set_timer(max(0.1, PREBUILD_IDLE - quiet), self._prebuild_when_idle)
            return
        self.prebuild_edit()

    @work(thread=True, exclusive=True, group="prebuild-edit", exit_on_error=False)
    def _prebuild_imports(self, repo: Repo, env: str | None) -> None:
        from infra_tui.core import edit, preview  # noqa: F401 - the planner, off the event loop
        from infra_tui.screens import edit as edit_screen  # noqa: F401

        kss = repo.env(env).kustomizations
        # a component folder, so the form is built as for most opens (values, per-env editors)
        first = next((k for k in kss if (k.path or "").lstrip("./").startswith("namespaces/")), None)
        if kss:
            cast(Any, self).call_from_thread(self._prebuild_screen, (first or kss[0]).name)

    def _prebuild_screen(self, component: str) -> None:
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        from infra_tui.screens.browser import ComponentsScreen
        from infra_tui.screens.edit import EditScreen
        from infra_tui.screens.main import MainScreen

        if app.is_screen_installed("edit") or getattr(app, "ending", False):
            return  # opened meanwhile, or the app is ending
        top = app.screen
        if not isinstance(top, (MainScreen, ComponentsScreen)) or top.focused is None or app.keys_pending:
            # a dialog is up, or nothing has the focus: the screen under the pushed one would be
            # given a focus of Textual's choosing when it is resumed (the first focusable widget)
            app.set_timer(PREBUILD_IDLE, partial(self._prebuild_screen, component))
            return
        screen = EditScreen(component)
        screen.built_ahead = True
        app.install_screen(screen, "edit")
        # Textual mounts a screen when it is pushed; popped in the same call, it is never painted
        # (only the top screen is) and keeps what it built: styles, and the layout of its first
        # ScreenResume. An installed screen is not removed when popped.
        self.edit_mount = app.push_screen(screen)
        app.pop_screen()

    @property
    def edit_mounting(self) -> bool:
        """The edit screen is pushed for the first time and not yet composed: an exit now has to
        wait for it, as Textual's tabs fail if their tabs go while they mount."""
        app = cast(Any, self)  # the InfraApp (screens may not import the app)
        return self.edit_mount is not None and not app.get_screen("edit").is_mounted

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
        elif not self.edit_prebuild_armed:
            self.edit_prebuild_armed = True
            app.set_timer(PREBUILD_AFTER, self._prebuild_when_idle)
