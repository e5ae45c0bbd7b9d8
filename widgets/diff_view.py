"""The plan's files, one after another, each a coloured unified diff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from infra_tui.core import diff as diff_mod

if TYPE_CHECKING:
    from infra_tui.core.preview import FileDiff


def render_diff(diff: str) -> Text:
    """A file's unified diff without its ---/+++ header (the view shows its own), coloured."""
    body = [line for line in diff.splitlines(keepends=True) if not line.startswith(("--- ", "+++ "))]
    text = diff_mod.to_text(body)
    text.no_wrap = True
    text.rstrip()
    return text


class DiffView(VerticalScroll, can_focus=True):
    """Every file the plan creates or changes, file by file."""

    DEFAULT_CSS = """
    DiffView {
        height: 1fr;
        padding: 0 1;
        #diff-body { width: auto; min-width: 100%; }
    }
    """

    EMPTY = "No changes yet: give the component a name, a chart and its repository URL."

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[tuple[str, str]] = []
        self._pending: list[FileDiff] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(self.EMPTY, style="dim"), id="diff-body")

    def show(self, diffs: list[FileDiff]) -> None:
        """Keep the latest files; render them while the view is on screen (a hidden tab costs
        nothing per keystroke)."""
        self._pending = list(diffs)
        if self.is_mounted and self.display and self.region.area > 0:
            self._render_diffs()

    def on_show(self) -> None:
        self._render_diffs()

    def _render_diffs(self) -> None:
        diffs = self._pending
        key = [(d.path, d.diff) for d in diffs]
        if key == self._shown:
            return
        self._shown = key
        if not diffs:
            self.query_one("#diff-body", Static).update(Text(self.EMPTY, style="dim"))
            return
        text = Text(no_wrap=True)
        for i, d in enumerate(diffs):
            if i:
                text.append("\n\n")
            mark, kind, style = (
                ("+", "new file", "bold green reverse")
                if d.created
                else ("~", "modified", "bold yellow reverse")
            )
            text.append(f" {mark} {d.path} ", style)
            text.append(f"  {kind}, +{d.added} -{d.removed}\n", "dim")
            text.append_text(render_diff(d.diff))
        self.query_one("#diff-body", Static).update(text)
