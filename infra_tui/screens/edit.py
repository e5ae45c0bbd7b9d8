"""The edit screen: one existing component's form on the left, the same live preview as the
wizard's on the right (Graph / Diff / Summary / Checks), planned by ``core.edit.plan_edit``."""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static

from infra_tui.core import edit_fields
from infra_tui.core.model import Repo
from infra_tui.widgets.cluster_panel import ClusterPanel
from infra_tui.widgets.edit_form import PREVIEW_BUSY, EditForm
from infra_tui.widgets.footer import KeyFooter
from infra_tui.widgets.graph_view import GraphPanel, GraphView
from infra_tui.widgets.preview_pane import PreviewPane

if TYPE_CHECKING:
    from infra_tui.screens.main import MainScreen

WRITE_WAITS_FOR_PREVIEW = 10.0
"""Seconds ctrl+s waits for the preview of the fields typed before it."""


@dataclass(repr=False)
class _Loaded(Message):
    repo: Repo
    current: edit_fields.Current
    kinds: list[str]


def _kinds(repo: Repo) -> list[str]:
    """The CRD kinds the form offers under "creates"."""
    from infra_tui.core import rules as rules_mod

    return rules_mod.creatable_kinds(rules_mod.for_repo(repo))


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
        self._cluster_seen: tuple[object, str] | None = None
        """(snapshot, component) the Cluster tab shows."""
        self.built_ahead = False
        """Built off view before its first open (``CockpitMixin.prebuild_edit``), until its first
        preview is in."""

    def compose(self) -> ComposeResult:
        from infra_tui.core.preview import compute_edit

        yield Header(icon="⎈")
        with Horizontal(id="body"):
            yield EditForm(self.component, id="form")
            yield PreviewPane(id="preview", planner=compute_edit)
        yield KeyFooter()
        # every widget is styled as it mounts, in the theme of now: the first push need not
        # restyle them all again (on_screen_resume)
        self._styled_theme = self.app.theme

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler. The screen is kept between components: restyling its
        # ~100 widgets on every push would be most of the time it takes to open one. Only a
        # theme changed while it was hidden needs it.
        theme = self.app.theme
        if self._styled_theme == theme:
            event.refresh_styles = False
        self._styled_theme = theme

    def on_mount(self) -> None:
        self.set_interval(1.0, self._sync_cluster)
        if self.form.component != self.component:  # opened while it was being built ahead
            self.form.set_component(self.component)
        repo = getattr(self.app, "repo", None)
        if repo is not None:
            # the first time, in a worker: the screen is laid out before the form and the graph
            # are filled (a graph shown before its first layout can keep a stale scrollbar)
            self._load(repo, getattr(self.app, "env", None))
        self.query_one("#version").focus()

    def set_component(self, component: str) -> None:
        """Show ``component`` (the screen is kept between components)."""
        self.component = component
        self._selected = False
        self.built_ahead = False
        self.sub_title = f"edit {component}"
        if not self.is_mounted:
            return  # being built (ahead of its first open): ``on_mount`` reads it
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
        env = getattr(self.app, "env", None)
        if "infra_tui.core.edit" in sys.modules:
            # the planner's modules (ruamel.yaml) are loaded: reading the component is a
            # millisecond, so the form and its preview are filled before the screen's next frame
            # instead of a worker run and a message later (each costs a frame)
            self._fill(repo, edit_fields.current(repo, self.component, env), _kinds(repo))
        else:
            self._load(repo, env)

    @work(
        thread=True, exclusive=True, group="edit-load", exit_on_error=False, description="read the component"
    )
    def _load(self, repo: Repo, env: str | None) -> None:
        self.post_message(_Loaded(repo, edit_fields.current(repo, self.component, env), _kinds(repo)))

    def on__loaded(self, message: _Loaded) -> None:
        if message.current.name == self.component:  # not a read for the component shown before
            # the first fill: its preview in a worker too (shown at once, the graph's scrollbar
            # can keep the thumb of the first layout)
            self._fill(message.repo, message.current, message.kinds, at_once=False)

    def _fill(self, repo: Repo, cur: edit_fields.Current, kinds: list[str], *, at_once: bool = True) -> None:
        """The form filled from ``cur``; its preview: ``at_once``, an edit that changes nothing yet
        (the env's graph, built once per loaded repo) is shown in this frame, not planned in a worker."""
        from infra_tui.core.preview import compute_edit

        self.form.load(cur, kinds)
        pane = self.preview_pane
        fields = self.form.state.fields  # set by the fill
        if (
            not at_once
            or fields.get("edit")
            or not pane.show_computed(repo, cur.env, fields, compute_edit(repo, fields, cur.env))
        ):
            pane.set_repo(repo, cur.env)

    @on(EditForm.Changed)
    def _form_changed(self, event: EditForm.Changed) -> None:
        pane = self.preview_pane
        if not pane.busy and pane.preview is not None and pane.preview.fields == event.state.fields:
            return  # the preview of exactly these fields is on screen (the form was just filled)
        pane.request(event.state.fields)

    @on(PreviewPane.Updated)
    def _preview_updated(self, event: PreviewPane.Updated) -> None:
        if self.built_ahead and not self.is_current:
            # built off view: the ~100 widgets, the planner's and the preview's objects make the
            # collector's full pass due soon; it runs now, while the user reads, not in the
            # first open (where it cost 80-200 ms)
            self.built_ahead = False
            gc.collect()
        self.form.set_preview(event.preview)
        view = self.query_one(GraphView)
        if not self._selected:  # the component under the cursor, once: then the user's choice
            self._selected = True
            view.select(self.component)
        states = self._cluster_states()
        if states != view.states:  # the wizard's graph holds the attached cluster's (or demo's) states
            self.query_one(GraphPanel).paint_states(states)
        self._sync_cluster()

    def _main(self) -> MainScreen | None:
        from infra_tui.screens.main import MainScreen

        return next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)

    def _cluster_states(self) -> dict[str, str]:
        main = self._main()
        return dict(main.query_one(GraphView).states) if main is not None else {}

    def _sync_cluster(self) -> None:
        """The Cluster tab: what the main screen's cluster panel shows (a live cluster or the demo's
        simulated one), with this component's Kustomization selected. Copied on open and every
        second while the screen is shown (the main screen's watch keeps polling underneath)."""
        main = self._main()
        if main is None or not self.is_current or not main.preview_pane.tabs_built:
            return
        source = main.query_one(ClusterPanel)
        ours = self.query_one(ClusterPanel)
        seen = self._cluster_seen
        if source.snapshot is None or (seen and seen[0] is source.snapshot and seen[1] == self.component):
            return
        self._cluster_seen = (source.snapshot, self.component)
        ours.show(
            source.snapshot,
            source.query_one("#cluster-status", Static).render(),  # type: ignore[arg-type]
            source.drift,
            source.events_source,
        )
        repo = getattr(self.app, "repo", None)
        env = self.form.current.env if self.form.current is not None else None
        try:
            found = repo.env(env).find(self.component) if repo is not None else None
        except KeyError:
            found = None
        if found is not None:
            ours.select(found.id)

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
