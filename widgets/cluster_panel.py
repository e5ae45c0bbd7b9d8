"""Read-only cluster status: state, age and message per Flux Kustomization, and for the selected
one why it is stuck: the root-cause chain through its HelmReleases, its HelmReleases, its last
events and what differs from Git.

Fed by a ``StatusSource`` (SSH or the demo's simulator) through ``show(snapshot, ...)``; the same
states are painted on the graph by the screen. Polling lives with the source's owner; the events
of the selected Kustomization (and its HelmReleases) are read here, on demand, in a worker.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from infra_tui.widgets.graph_view import STATE_GLYPHS, display_name

if TYPE_CHECKING:
    from infra_tui.core.troubleshoot import FluxEvent
    from infra_tui.services.cluster import ClusterSnapshot, Drift

EVENTS_SHOWN = 6
STATE_COLOURS = {
    "failed": "red",
    "stalled": "red",
    "waiting": "yellow",
    "ready": "green",
    "progressing": "cyan",
}


class ClusterPanel(Vertical):
    """A table of Kustomizations with their state; the selected one's details below it."""

    DEFAULT_CSS = """
    ClusterPanel {
        height: 1fr;
        #cluster-status { height: auto; padding: 0 1; color: $text-muted; }
        DataTable { height: 1fr; }
        #cluster-detail { height: auto; max-height: 50%; padding: 0 1; border-top: solid $primary 30%; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[tuple[Any, ...]] = []
        self._ids: list[str] = []
        self.snapshot: ClusterSnapshot | None = None
        self.drift: Drift | None = None
        self.events_source: Any = None
        """Anything with ``async events(kind, namespace, name)``: the live or simulated source."""
        self.selected: str | None = None
        self.events: dict[str, list[FluxEvent] | str] = {}
        """Events per selected Kustomization id, or the one-line reason they could not be read."""

    def compose(self) -> ComposeResult:
        yield Static(
            "No cluster connected. `infra-tui demo` plays a simulated bootstrap; "
            "set clusters.<env>.host in .infra-tui.yaml to watch a real one.",
            id="cluster-status",
        )
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns("kustomization", "state", "age", "message")
        yield table
        yield Static("", id="cluster-detail")

    def show(
        self,
        snapshot: ClusterSnapshot | None,
        status: str | Text,
        drift: Drift | None = None,
        events_source: Any = None,
    ) -> None:
        """One row per Kustomization of ``snapshot``; ``status`` is the line above the table (plain
        text, not markup: error messages carry brackets). ``None``: only the line changes."""
        self.query_one("#cluster-status", Static).update(Text(status) if isinstance(status, str) else status)
        if snapshot is None:
            return
        if events_source is not None and events_source is not self.events_source:
            self.events_source = events_source
            self.events.clear()
        self.snapshot, self.drift = snapshot, drift
        table = self.query_one(DataTable)
        states = snapshot.graph_states()
        rows = [
            (
                display_name(k.id),
                f"{STATE_GLYPHS.get(states.get(k.id, k.state), '?')} {k.state}",
                _age(k.last_transition, snapshot.fetched_at),
                # a Text cell: DataTable would read a str as markup ("[Deployment/...]" in messages)
                Text((k.message or k.reason or "")[:160]),
            )
            for k in snapshot.items
        ]
        self._ids = [k.id for k in snapshot.items]
        if rows != self._rows:
            self._rows = rows
            cursor = table.cursor_row
            table.clear()
            table.add_rows(rows)
            if rows:
                table.move_cursor(row=min(cursor, len(rows) - 1), animate=False)
        self._select(
            self._ids[table.cursor_row] if self._ids and 0 <= table.cursor_row < len(self._ids) else None,
            refetch=True,
        )

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self._ids):
            self._select(self._ids[event.cursor_row])

    def select(self, node_id: str) -> None:
        """Move the cursor to ``node_id`` (a graph selection, a test)."""
        if node_id in self._ids:
            self.query_one(DataTable).move_cursor(row=self._ids.index(node_id), animate=False)
            self._select(node_id)

    def _select(self, node_id: str | None, refetch: bool = False) -> None:
        changed = node_id != self.selected
        self.selected = node_id
        self._render_detail()
        if node_id is not None and self.events_source is not None and (changed or refetch):
            self._load_events(node_id)

    @work(exclusive=True, group="cluster-events", exit_on_error=False)
    async def _load_events(self, node_id: str) -> None:
        snapshot, source = self.snapshot, self.events_source
        if snapshot is None or source is None or node_id not in snapshot.by_id():
            return
        ks = snapshot.by_id()[node_id]
        targets = [("Kustomization", ks.namespace, ks.name)]
        targets += [("HelmRelease", h.namespace, h.name) for h in snapshot.helmreleases_of(node_id)]
        results = await asyncio.gather(*(source.events(*t) for t in targets), return_exceptions=True)
        found: list[FluxEvent] = []
        errors = []
        for result in results:
            if isinstance(result, BaseException):
                errors.append(str(result) or type(result).__name__)
            else:
                found.extend(result)
        found.sort(key=lambda e: e.last_seen.timestamp() if e.last_seen else 0.0, reverse=True)
        self.events[node_id] = found if found or not errors else f"events not read: {errors[0]}"
        if node_id == self.selected:
            self._render_detail()

    def detail_text(self) -> Text:
        """What the detail box shows for the selected Kustomization (tests read it)."""
        from infra_tui.core.troubleshoot import age
        from infra_tui.services.cluster import cause_chain

        snapshot, node_id = self.snapshot, self.selected
        out = Text()
        if snapshot is None or node_id is None:
            return out
        chain = cause_chain(snapshot, node_id)
        out.append(display_name(node_id), style="bold")
        if chain:
            out.append("  why: ", style="bold")
            out.append(chain + "\n", style="yellow")
        else:
            out.append("\n")
        hrs = snapshot.helmreleases_of(node_id)
        if hrs:
            out.append("HelmReleases\n", style="bold")
            for h in hrs:
                chart = (
                    f"{h.chart or ''}@{h.chart_version}"
                    if h.chart_version
                    else f"{h.chart or ''} (none deployed)"
                )
                out.append(f"  {STATE_GLYPHS.get(h.state, '?')} {h.id} ")
                out.append(h.state, style=STATE_COLOURS.get(h.state, ""))
                out.append(f"  {chart}  ")
                out.append(
                    (h.cause() if h.state not in ("ready", "progressing") else (h.message or ""))[:200] + "\n"
                )
        drift = self.drift.for_node(node_id) if self.drift is not None else []
        if drift:
            out.append("Drift (Git vs cluster)\n", style="bold")
            for line in drift:
                out.append(f"  {line}\n", style="magenta")
        events = self.events.get(node_id)
        if isinstance(events, str):
            out.append(events + "\n", style="dim")
        elif events:
            out.append("Events\n", style="bold")
            for e in events[:EVENTS_SHOWN]:
                first = e.message.splitlines()[0] if e.message else ""
                out.append(f"  {age(e.last_seen, snapshot.fetched_at):>4} ")
                out.append(f"{e.reason}", style="red" if e.type == "Warning" else "")
                out.append(f" {e.kind} {e.name}: {first[:160]}\n")
        elif self.events_source is not None:
            out.append("no events\n", style="dim")
        out.rstrip()
        return out

    def _render_detail(self) -> None:
        self.query_one("#cluster-detail", Static).update(self.detail_text())


def _age(since: str | None, now: datetime) -> str:
    """``lastTransitionTime`` as an age at ``now``: ``45s``, ``3m``, ``2h``."""
    from infra_tui.core.troubleshoot import age

    return age(since, now)
