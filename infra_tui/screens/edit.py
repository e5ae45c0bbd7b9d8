"""The edit screen: one existing component's form on the left, the same live preview as the
wizard's on the right (Graph / Diff / Summary / Checks), planned by ``core.edit.plan_edit``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header

from infra_tui.core import edit_fields
from infra_tui.core.model import Repo
from infra_tui.widgets.edit_form import PREVIEW_BUSY, EditForm
from infra_tui.widgets.graph_view import GraphPanel, GraphView
from infra_tui.widgets.preview_pane import PreviewPane

WRITE_WAITS_FOR_PREVIEW = 10.0
"""Seconds ctrl+s waits for the preview of the fields typed before it."""


@dataclass(repr=False)
class _Loaded(Message):
    repo: Repo
    current: edit_fields.Current
    kinds: list[str]


class EditScreen(Screen[None]):
    """Edit ``component`` of the app's repo; esc goes back."""

    DEFAULT_CSS = """
    EditScreen #body { height: 1fr; }
    EditScreen #form { width: 44%; min-width: 36; max-width: 64; border-right: vkey $foreground 15%; }
    EditScreen #preview { width: 1fr; }
    """
    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component
        self._selected = False
        self.sub_title = f"edit {component}"
        self._styled_theme: str | None = None

    def compose(self) -> ComposeResult:
        from infra_tui.core.preview import compute_edit

        yield Header(icon="⎈")
        with Horizontal(id="body"):
            yield EditForm(self.component, id="form")
            yield PreviewPane(id="preview", planner=compute_edit)
        yield Footer()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler. The screen is kept between components: restyling its
        # ~100 widgets on every push would be most of the time it takes to open one. Only a
        # theme changed while it was hidden needs it.
        theme = self.app.theme
        if self._styled_theme == theme:
            event.refresh_styles = False
        self._styled_theme = theme

    def on_mount(self) -> None:
        repo = getattr(self.app, "repo", None)
        if repo is not None:
            self.repo_reloaded(repo)
        self.query_one("#version").focus()

    def set_component(self, component: str) -> None:
        """Show ``component`` (the screen is kept between components)."""
        self.component = component
        self._selected = False
        self.sub_title = f"edit {component}"
        self.form.set_component(component)
        repo = getattr(self.app, "repo", None)
        if repo is not None:
            self.repo_reloaded(repo)
        self.query_one("#version").focus()

    @property
    def form(self) -> EditForm:
        return self.query_one(EditForm)

    @property
    def preview_pane(self) -> PreviewPane:
        return self.query_one(PreviewPane)

    def repo_reloaded(self, repo: Repo) -> None:
        """The repo was (re)read (after a write): prefill the form from disk again."""
        self._load(repo, getattr(self.app, "env", None))

    @work(
        thread=True, exclusive=True, group="edit-load", exit_on_error=False, description="read the component"
    )
    def _load(self, repo: Repo, env: str | None) -> None:
        from infra_tui.core import rules as rules_mod

        cur = edit_fields.current(repo, self.component, env)
        kinds = rules_mod.creatable_kinds(rules_mod.for_repo(repo))
        self.post_message(_Loaded(repo, cur, kinds))

    def on__loaded(self, message: _Loaded) -> None:
        self.form.load(message.current, message.kinds)
        self.preview_pane.set_repo(message.repo, message.current.env)

    @on(EditForm.Changed)
    def _form_changed(self, event: EditForm.Changed) -> None:
        self.preview_pane.request(event.state.fields)

    @on(PreviewPane.Updated)
    def _preview_updated(self, event: PreviewPane.Updated) -> None:
        self.form.set_preview(event.preview)
        view = self.query_one(GraphView)
        if not self._selected:  # the component under the cursor, once: then the user's choice
            self._selected = True
            view.select(self.component)
        states = self._cluster_states()
        if states != view.states:  # the wizard's graph holds the attached cluster's (or demo's) states
            self.query_one(GraphPanel).paint_states(states)

    def _cluster_states(self) -> dict[str, str]:
        from infra_tui.screens.main import MainScreen

        main = next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)
        return dict(main.query_one(GraphView).states) if main is not None else {}

    @on(EditForm.WriteRequested)
    def _write_requested(self) -> None:
        self.action_write_plan()

    def action_write_plan(self, waited: float = 0.0) -> None:
        """ctrl+s / Write: confirm (listing the files), then write through ``core.apply``."""
        why = self.form.write_blocker
        if why == PREVIEW_BUSY and waited < WRITE_WAITS_FOR_PREVIEW:
            self.set_timer(0.05, partial(self.action_write_plan, waited + 0.05))
            return
        preview = self.preview_pane.preview
        if why is not None or preview is None or preview.plan is None:
            self.notify(why or "nothing to write", title="Cannot write", severity="error", timeout=6)
            return
        self.app.confirm_write(preview.plan)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.dismiss()
