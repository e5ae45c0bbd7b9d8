"""The plan's summary (the brief's Markdown), live; save it to a file or copy it (OSC 52)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


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
        self._rendered = self.EMPTY

    def compose(self) -> ComposeResult:
        # the Markdown widget (and markdown-it) load on first show: not on the startup path
        yield Static(self.EMPTY, id="summary-placeholder")

    def show(self, markdown: str) -> None:
        """Keep the latest summary; render it only while the view is on screen (the Markdown
        widget mounts a widget per block: too heavy for every keystroke behind a hidden tab)."""
        self.markdown = markdown
        if self.is_on_screen:
            self._render_markdown()

    @property
    def is_on_screen(self) -> bool:
        return self.is_mounted and self.display and self.screen.is_active and self.region.area > 0

    def _render_markdown(self) -> None:
        text = self.markdown or self.EMPTY
        if text != self._rendered or not self.query("Markdown"):
            self._rendered = text
            from textual.widgets import Markdown  # see compose

            found = self.query(Markdown)
            if found:
                found.first().update(text)
            else:
                self.query_one("#summary-placeholder").remove()
                self.mount(Markdown(text))

    def on_show(self) -> None:
        self._render_markdown()
