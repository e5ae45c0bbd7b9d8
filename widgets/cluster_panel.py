"""Read-only cluster status: state, age and message per Flux Kustomization.

Fed by a ``StatusSource`` (SSH or the demo's simulator) through ``show(snapshot)``; the same
states are painted on the graph by the screen. Polling lives with the source's owner.
"""

from __future__ import annotations

from typing import Any

from infra_tui.widgets.graph_view import STATE_GLYPHS, display_name
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static


class ClusterPanel(Vertical):
    """A table of Kustomizations with their state; a root-cause line on top."""

    DEFAULT_CSS = """
    ClusterPanel {
        height: 1fr;
        #cluster-status { height: auto; padding: 0 1; color: $text-muted; }
        DataTable { height: 1fr; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("No cluster connected. `infra-tui demo` plays a simulated bootstrap; "
                     "set clusters.<env>.host in .infra-tui.yaml to watch a real one.", id="cluster-status")
        table = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns("kustomization", "state", "age", "message")
        yield table

    def show(self, rows: list[dict[str, Any]], status: str) -> None:
        """``rows``: dicts with name, state, age, message (DESIGN.md status keys)."""
        self.query_one("#cluster-status", Static).update(status)
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            state = row.get("state", "unknown")
            table.add_row(
                display_name(row.get("id") or row.get("name", "")),
                f"{STATE_GLYPHS.get(state, '?')} {state}",
                row.get("age", ""),
                (row.get("message") or "")[:120],
            )
