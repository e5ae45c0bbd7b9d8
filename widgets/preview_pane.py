"""The live preview: graph, diff, summary, validation and cluster, as tabs.

The pane owns the preview worker. Every form change asks for a new preview; the plan + graph +
diff run in a thread (never on the event loop). One run at a time: while a run is busy, further
edits only mark the preview stale and the latest fields run as soon as it finishes, so a burst
of keystrokes costs at most two runs and the first one starts at once (no timer to wait for).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widget import MountError, Widget
from textual.worker import Worker, WorkerState, get_current_worker

from infra_tui.core.model import Repo
from infra_tui.widgets.graph_view import GraphPanel
from infra_tui.widgets.tab_bar import TabBar
from infra_tui.widgets.validation_panel import ValidationPanel

if TYPE_CHECKING:
    from infra_tui.core import preview as preview_mod
    from infra_tui.core.graph import Graph

    Planner = Callable[[Repo, dict[str, Any] | None, str | None], preview_mod.Preview]

TABS = {
    "graph": "Graph",
    "diff": "Diff",
    "summary": "Summary",
    "checks": "Checks",
    "cluster": "Cluster",
}
"""Tab id -> label, in order."""

PANELS = {
    "graph": "graph-panel",
    "diff": "diff-view",
    "summary": "summary-view",
    "checks": "validation",
    "cluster": "cluster-panel",
}
"""Tab id -> the id of its panel."""


class PreviewPane(Vertical):
    """Tabs over the current preview; ``request(fields)`` recomputes it."""

    DEFAULT_CSS = """
    PreviewPane {
        height: 1fr;
        & > .tab-panel { height: 1fr; }
        & > .-off { display: none; }
    }
    """

    @dataclass(repr=False)
    class Updated(Message):
        """A new preview is on screen."""

        preview: preview_mod.Preview

    def __init__(
        self, *, id: str | None = None, planner: Planner | None = None, graph_first: bool = False
    ) -> None:
        super().__init__(id=id)
        self.graph_first = graph_first
        """Compose the Graph tab's panel only; the other tabs' panels (diff, summary, checks,
        cluster) are mounted once the graph has been drawn (``build_tabs``): the wizard's start-up,
        where the pane's mount is on the way to the graph (issue 12)."""
        self._active = "graph"
        self._tabs_built = False
        self._tabs_building = False
        self._when_built: list[Callable[[], object]] = []
        self.planner = planner
        """What turns fields into a preview (in a worker thread): ``core.preview.compute`` (the
        wizard) unless given, e.g. ``core.preview.compute_edit`` for the edit screen."""
        self.repo: Repo | None = None
        self.env: str | None = None
        self.preview: preview_mod.Preview | None = None
        self._fields: dict[str, Any] | None = None
        self._stale = False
        self._busy = False
        self._empty_for: tuple[Repo, str | None] | None = None
        self._run: Worker[None] | None = None
        """The preview run in flight, or the last one: only its result and its end count."""
        """(repo, env) whose empty-wizard preview (``set_repo``'s ``first``) is on screen."""

    def compose(self) -> ComposeResult:
        yield TabBar(TABS, active="graph", id="tabs")
        yield from self._as_panels({"graph": GraphPanel(id=PANELS["graph"])})
        if not self.graph_first:
            yield from self._as_panels(_panels())

    def _as_panels(self, panels: dict[str, Widget]) -> list[Widget]:
        """Tab id -> widget, as the pane's panels: each shown only while its tab is active."""
        for tab, panel in panels.items():
            panel.add_class("tab-panel")
            panel.set_class(tab != self._active, "-off")
        return list(panels.values())

    def on_mount(self) -> None:
        if self.graph_first:
            self.set_timer(TABS_BUILT_AT_MOST, self.build_tabs)
        else:
            self._tabs_built = True

    @property
    def tabs_built(self) -> bool:
        """Every tab's panel is mounted (``graph_first``: once the graph has been drawn)."""
        return self._tabs_built

    async def build_tabs(self) -> None:
        """Mount the panels of the tabs after Graph (once), then run what waited for them
        (``when_built``)."""
        if self._tabs_building or self._tabs_built:
            return
        self._tabs_building = True
        try:
            await self.mount(*self._as_panels(_panels()))
        except (NoMatches, MountError):  # the app ended meanwhile
            return
        self._tabs_built = True
        waiting, self._when_built = self._when_built, []
        for callback in waiting:
            callback()

    def when_built(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` now if every tab's panel is mounted, else once they are."""
        if self._tabs_built:
            callback()
        else:
            self._when_built.append(callback)

    @property
    def active(self) -> str:
        """The id of the tab on show."""
        return self._active

    @active.setter
    def active(self, tab: str) -> None:
        if tab not in TABS:
            raise ValueError(f"no tab {tab!r}")
        self._active = tab
        for name, panel_id in PANELS.items():
            for panel in self.query_children(f"#{panel_id}"):
                panel.set_class(name != tab, "-off")
        self.query_one(TabBar).active = tab

    @on(TabBar.Changed)
    def _tab_chosen(self, event: TabBar.Changed) -> None:
        """A key or a click on the bar chose a tab."""
        event.stop()
        if event.tab != self._active:
            self.active = event.tab

    @property
    def busy(self) -> bool:
        """True while a preview run is pending or running."""
        return self._busy or self._stale

    def set_repo(
        self, repo: Repo, env: str | None = None, *, first: preview_mod.Preview | None = None
    ) -> None:
        """A (re)loaded repo: recompute the preview for the current fields. ``first``, the
        preview of an empty wizard made with the repo, is shown at once while the wizard is empty
        (nothing typed yet) and no run is pending: the graph is on screen without a worker run."""
        self.repo, self.env = repo, env
        if first is not None and not _named(self._fields) and not self.busy:
            self._empty_for = (repo, env)
            self.show(first)
            return
        self.request(self._fields)

    def show_computed(
        self, repo: Repo, env: str | None, fields: dict[str, Any], preview: preview_mod.Preview
    ) -> bool:
        """``preview``, computed by the caller for ``fields`` on ``repo`` (a cheap one, e.g. an
        edit that changes nothing yet), on screen at once, without a worker run. False, and nothing
        done, while a run is in flight: then ``request`` the fields."""
        if self.busy:
            return False
        self.repo, self.env, self._fields = repo, env, fields
        self._empty_for = None
        self.show(preview)
        return True

    def request(self, fields: dict[str, Any] | None) -> None:
        """Recompute the preview for ``fields`` (the form's spec fields)."""
        self._fields = fields
        if self.repo is None:
            return
        shown = self._empty_for
        if not _named(fields) and not self.busy and shown and shown[0] is self.repo and shown[1] == self.env:
            return  # the empty wizard's preview of this repo and env is on screen already
        self._empty_for = None
        if self._busy:
            self._stale = True
            return
        self._busy = True
        self._stale = False
        self._run = self._compute(self.repo, fields, self.env)

    @work(
        thread=True, exclusive=True, group="preview", exit_on_error=False, description="compute the preview"
    )
    def _compute(self, repo: Repo, fields: dict[str, Any] | None, env: str | None) -> None:
        # imported here, in the worker: the plan's modules (scaffold, rules, ruamel) are not
        # needed for the first frame
        from infra_tui.core import preview as preview_mod

        result = (self.planner or preview_mod.compute)(repo, fields, env)
        worker = get_current_worker()
        if not worker.is_cancelled:
            self.post_message(_Computed(result, worker))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._run:
            # a replaced run: the next one may start while it is still being wound up (cancelled
            # after its result came in); its end says nothing about the run now in flight
            return
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._busy = False
            if event.state == WorkerState.ERROR:
                self.notify(f"preview failed: {event.worker.error}", severity="error", timeout=8)
            if self._stale:
                self.request(self._fields)

    def on__computed(self, message: _Computed) -> None:
        message.stop()
        if message.worker is not self._run:
            return  # a replaced run's result: never shown over a newer one (or the loader's graph)
        self._busy = False
        if self._stale:
            # The fields changed while this ran: show it anyway (typing stays live) and go again.
            self.request(self._fields)
        self.show(message.preview)

    def show_graph(self, graph: Graph) -> None:
        """The env's bootstrap graph alone, ahead of the repo (start-up): the preview follows."""
        self.query_one(GraphPanel).show(graph)
        if not self._tabs_built:
            self.call_after_refresh(self.build_tabs)

    def show(self, preview: preview_mod.Preview) -> None:
        self.preview = preview
        self.query_one(GraphPanel).show(preview.graph, new=preview.new_ids, inferred=preview.inferred)
        if not self._tabs_built:
            self.call_after_refresh(self.build_tabs)
        self.when_built(partial(self._show_tabs, preview))
        self.post_message(self.Updated(preview))

    def _show_tabs(self, preview: preview_mod.Preview) -> None:
        """The tabs after Graph, for ``preview`` (if it is still the one on show)."""
        from infra_tui.widgets.diff_view import DiffView
        from infra_tui.widgets.summary_view import SummaryView

        diffs, summaries, checks = self.query(DiffView), self.query(SummaryView), self.query(ValidationPanel)
        if preview is not self.preview or not (diffs and summaries and checks):
            return  # a newer preview, or the panels are gone (the app is ending)
        diffs.first().show(preview.diffs)
        summaries.first().show(preview.summary)
        checks.first().plan_changed(self.repo, preview.plan if preview.writable else None)

    @on(ValidationPanel.Finished)
    def _validated(self, event: ValidationPanel.Finished) -> None:
        """Fill the summary's "Validation Results" with the run, if its plan is still on screen."""
        from infra_tui.core import summary as summary_mod

        event.stop()
        preview = self.preview
        if preview is None or preview.plan is not event.plan:
            return  # a newer plan is on screen; its own run will fill it
        from infra_tui.widgets.summary_view import SummaryView

        event.plan.validation = event.report
        preview.summary = summary_mod.to_markdown(event.plan)
        self.query_one(SummaryView).show(preview.summary)


TABS_BUILT_AT_MOST = 1.0
"""Seconds after a ``graph_first`` pane is mounted by which its other tabs' panels are mounted
even if no graph came (a repo that cannot be read)."""


def _panels() -> dict[str, Widget]:
    """The panels of the tabs after Graph, by tab id (their modules are imported here)."""
    from infra_tui.widgets.cluster_panel import ClusterPanel
    from infra_tui.widgets.diff_view import DiffView
    from infra_tui.widgets.summary_view import SummaryView

    return {
        "diff": DiffView(id=PANELS["diff"]),
        "summary": SummaryView(id=PANELS["summary"]),
        "checks": ValidationPanel(id=PANELS["checks"]),
        "cluster": ClusterPanel(id=PANELS["cluster"]),
    }


def _named(fields: dict[str, Any] | None) -> bool:
    """The wizard holds a component (a name): its preview is a plan, not just the env's graph."""
    return bool(fields and fields.get("name"))


@dataclass(repr=False)
class _Computed(Message):
    preview: preview_mod.Preview
    worker: Worker[None]
