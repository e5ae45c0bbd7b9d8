"""Read-only cluster status: state, age and message per Flux Kustomization.

Fed by a ``StatusSource`` (SSH or the demo's simulator) through ``show(snapshot)``; the same
states are painted on the graph by the screen. Polling lives with the source's owner.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from infra_tui.widgets.graph_view import STATE_GLYPHS, display_name

if TYPE_CHECKING:
    from infra_tui.services.cluster import ClusterSnapshot


class ClusterPanel(Vertical):
    """A table of Kustomizations with their state; a root-cause line on top."""

    DEFAULT_CSS = """
    ClusterPanel {
        height: 1fr;
        #cluster-status { height: auto; padding: 0 1; color: $text-muted; }
        DataTable { height: 1fr; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[tuple[str, str, str, str]] = []

    def compose(self) -> ComposeResult:
        yield Static("No cluster connected. `infra-tui demo` plays a simulated bootstrap; "
                     "set clusters.<env>.host in .infra-tui.yaml to watch a real one.", id="cluster-status")
        table = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns("kustomization", "state", "age", "message")
        yield table

    def show(self, snapshot: ClusterSnapshot | None, status: str | Text) -> None:
        """One row per Kustomization of ``snapshot``; ``status`` is the line above the table (plain
        text, not markup: error messages carry brackets). ``None``: only the line changes."""
        self.query_one("#cluster-status", Static).update(Text(status) if isinstance(status, str) else status)
        if snapshot is None:
            return
        table = self.query_one(DataTable)
        rows = [
            (
                display_name(k.id),
                f"{STATE_GLYPHS.get(k.state, '?')} {k.state}",
                _age(k.last_transition, snapshot.fetched_at),
                # a Text cell: DataTable would read a str as markup ("[Deployment/...]" in messages)
                Text((k.message or k.reason or "")[:160]),
            )
            for k in snapshot.items
        ]
        if rows == self._rows:
            return
        self._rows = rows
        cursor = table.cursor_row
        table.clear()
        table.add_rows(rows)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1), animate=False)


def _age(since: str | None, now: datetime) -> str:
    """``lastTransitionTime`` as an age at ``now``: ``45s``, ``3m``, ``2h``."""
    if not since:
        return ""
    try:
        seconds = (now - datetime.fromisoformat(since.replace("Z", "+00:00"))).total_seconds()
    except ValueError:
        return ""
    seconds = max(0, int(seconds))
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m" if seconds < 7200 else f"{seconds // 3600}h"

