"""The plan's summary (the brief's Markdown), live; save it to a file or copy it (OSC 52)."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Markdown


class SummaryView(VerticalScroll, can_focus=True):
    """Renders the latest summary Markdown; the text itself stays in ``markdown``."""

    DEFAULT_CSS = """
    SummaryView {
        height: 1fr;
        padding: 0 1;
        Markdown { margin: 0; padding: 0; }
    }
    """

    EMPTY = "*The summary appears here as soon as the plan has a name and a chart.*"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.markdown: str = ""

    def compose(self):
        yield Markdown(self.EMPTY)

    def show(self, markdown: str) -> None:
        if markdown == self.markdown:
            return
        self.markdown = markdown
        self.query_one(Markdown).update(markdown or self.EMPTY)
