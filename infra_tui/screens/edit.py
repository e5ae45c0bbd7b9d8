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
    from infra_tui.core.preview import Preview
    from infra_tui.screens.main import MainScreen

WRITE_WAITS_FOR_PREVIEW = 10.0
"""Seconds ctrl+s waits for the preview of the fields typed before it."""
OFF_VIEW_AFTER = 0.1
"""Seconds after the first preview of the screen built ahead before it is laid out off view
(``EditScreen._lay_out_off_view``), and between its passes: what the fill (or the pass before)
changed has been handled by then."""
OFF_VIEW_PASSES = 3
"""Layout passes at most off view (two settle it on the repos measured)."""
PAINT_HOLDS = 5
"""Paints at most a push of the screen holds back while messages wait for it (``EditScreen.
_on_timer_update``)."""


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
        self.ready_off_view = False
        """Built ahead, then laid out and rendered off view (``_lay_out_off_view``): its first open
        has nothing left to build, lay out or render but what the component opened changes."""
        self._paint_holds = 0
        self._paint_held = False
        self._preview_applied: Preview | None = None
        """The preview whose verdict, graph cursor and cluster row are on screen."""

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
        self._paint_holds = PAINT_HOLDS

    def _on_timer_update(self) -> None:
        """Textual (pinned ==8.2.8) lays out and paints the screen on top on its update timer's
        tick (``Screen._on_timer_update``, overridden here; ``on_idle`` below goes with it).
        Paused while the screen was hidden, the timer ticks at once when it is pushed again:
        before the screen has handled what its widgets posted as the form was filled for the
        component opened (their layouts), so the first frame showed the component in the layout
        of the one before (its dependency chips, its values editors) and a second frame ~30 ms
        later fixed it. After a push, while messages wait in the screen's queue, the paint is held
        (``PAINT_HOLDS`` times at most) and done once they are handled (``on_idle``). That paint
        asks for a layout (the fill) and the whole screen (the push): Textual renders the screen
        twice then, for the layout's dirty regions and for all of it; marked dirty whole before
        the layout, it is rendered once."""
        if self._paint_holds and not self._message_queue.empty():
            self._paint_holds -= 1
            self._update_timer.pause()
            self._paint_held = True
            return
        self._paint_holds = 0
        self._paint_held = False
        if self._layout_required and self._repaint_required and self.is_current:
            self._repaint_required = False
            self._dirty_widgets.add(self)
        super()._on_timer_update()

    def on_idle(self) -> None:
        # (before Screen's own handler) a paint held back is done now, not at the next tick
        if self._paint_held and self.is_current:
            self._on_timer_update()

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
        elif pane.preview is not None:
            # its verdict, graph cursor and cluster row in this frame too, not after the message
            self._apply_preview(pane.preview, opening=True)

    @on(EditForm.Changed)
    def _form_changed(self, event: EditForm.Changed) -> None:
        pane = self.preview_pane
        if not pane.busy and pane.preview is not None and pane.preview.fields == event.state.fields:
            return  # the preview of exactly these fields is on screen (the form was just filled)
        pane.request(event.state.fields)

    @on(PreviewPane.Updated)
    def _preview_updated(self, event: PreviewPane.Updated) -> None:
        if self.built_ahead and not self.is_current:
            # built off view: once what this fill changes has settled, lay the screen out and
            # render it there (``_lay_out_off_view``), as its first open would
            self.built_ahead = False
            self.set_timer(OFF_VIEW_AFTER, self._lay_out_off_view)
        if event.preview is not self._preview_applied:
            self._apply_preview(event.preview)

    def _apply_preview(self, preview: Preview, *, opening: bool = False) -> None:
        """What the screen shows from ``preview`` besides the pane: the form's verdict, the
        component under the graph's cursor (with its details), the cluster's states and row.
        ``opening``: filled as it is pushed (not on top yet), shown in its first frame."""
        self._preview_applied = preview
        self.form.set_preview(preview)
        panel = self.query_one(GraphPanel)
        if not self._selected:  # the component under the cursor, once: then the user's choice
            self._selected = True
            panel.select(self.component)
        states = self._cluster_states()
        if states != panel.view.states:  # the wizard's graph holds the attached cluster's (or demo's) states
            panel.paint_states(states)
        self._sync_cluster(opening=opening)

    def _lay_out_off_view(self, passes: int = OFF_VIEW_PASSES) -> None:
        """Lay the screen built ahead out at the app's size and render every widget once, off
        view: its first open then costs what a reopen does (a refill and the widgets it changed
        repainted), not a reflow of ~100 never laid out widgets plus their first renders and a
        second frame. Again (``passes`` in all) while what a pass did asks for another layout (a
        scrollbar shown, the graph sized). Then the collector's full pass: the widgets, the
        planner's and the preview's objects make it due soon; it runs now, while the user reads,
        not in the first open (where it cost 80-200 ms).

        Textual (pinned ==8.2.8) lays out and renders only the screen on top (``Screen.
        _on_timer_update``), so this does what that does, with Screen's own (private) parts, here
        only: ``_refresh_layout`` at the app's size (it does not paint a screen not on top), the
        compositor's ``render_strips`` (every visible widget's ``render_lines``, kept in its
        caches; the strips are dropped), and its update timer started (``Timer._run`` waits a
        period, 1/60 s, before its first tick, none before a tick after a pause: the first open's
        paint comes as soon as a reopen's); on that tick the timer pauses itself."""
        if self.is_current or not self.is_attached or getattr(self.app, "ending", False):
            return
        if self._layout_required or self._dirty_widgets or passes == OFF_VIEW_PASSES:
            self._refresh_layout(self.app.size)
            self._layout_required = False
            self._dirty_widgets.clear()
            self._compositor.render_strips()
            self._update_timer.resume()
            if passes > 1:
                self.set_timer(OFF_VIEW_AFTER, partial(self._lay_out_off_view, passes - 1))
                return
        gc.collect()
        self.ready_off_view = True

    def _main(self) -> MainScreen | None:
        from infra_tui.screens.main import MainScreen

        return next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)

    def _cluster_states(self) -> dict[str, str]:
        main = self._main()
        return dict(main.query_one(GraphView).states) if main is not None else {}

    def _sync_cluster(self, *, opening: bool = False) -> None:
        """The Cluster tab: what the main screen's cluster panel shows (a live cluster or the demo's
        simulated one), with this component's Kustomization selected. Copied on open and every
        second while the screen is shown (the main screen's watch keeps polling underneath)."""
        main = self._main()
        if main is None or not (self.is_current or opening) or not main.preview_pane.tabs_built:
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
