"""A row of tab labels over an underline, drawn by one widget.

It looks and works like the bar of Textual's ``TabbedContent`` (labels padded by one cell, the
active one brighter, the underline's highlight under it, the block cursor on it when the bar has
focus, left/right to move, a click to choose) but is a single widget: Textual's bar is a
``Tabs`` with three containers, an ``Underline`` and one ``Tab`` per label, ~35 ms to mount and
style at start-up, where it stands between the first frame and the graph (issue 12). The panels
it switches are the parent's business: the bar posts ``Changed`` and the parent shows the panel.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.renderables.bar import Bar
from textual.widget import Widget


class TabBar(Widget, can_focus=True):
    """Tab labels (id -> label, in order) and the underline; ``active`` is the id on show."""

    DEFAULT_CSS = """
    TabBar {
        width: 100%;
        height: 2;
        & > .tab-bar--tab { color: $foreground 50%; }
        & > .tab-bar--hover { color: $foreground; }
        & > .tab-bar--active { color: $foreground; }
        & > .tab-bar--bar {
            color: $block-cursor-background;
            background: $foreground 10%;
        }
        &:focus {
            & > .tab-bar--bar { background: $foreground 30%; }
            & > .tab-bar--active {
                text-style: $block-cursor-text-style;
                color: $block-cursor-foreground;
                background: $block-cursor-background;
            }
        }
        &:ansi {
            & > .tab-bar--tab { text-style: dim; }
            & > .tab-bar--active { text-style: not dim bold; }
            & > .tab-bar--bar {
                color: $block-cursor-background;
                background: $border-blurred;
            }
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "tab-bar--tab",
        "tab-bar--hover",
        "tab-bar--active",
        "tab-bar--bar",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous tab", show=False),
        Binding("right", "move(1)", "Next tab", show=False),
    ]

    active: reactive[str] = reactive("", layout=False)
    _hover: reactive[str] = reactive("", layout=False)

    class Changed(Message):
        """The active tab changed (by a key, a click or ``active``)."""

        def __init__(self, bar: TabBar, tab: str) -> None:
            super().__init__()
            self.bar = bar
            self.tab = tab

        @property
        def control(self) -> TabBar:
            return self.bar

    def __init__(self, labels: dict[str, str], *, active: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels = dict(labels)
        self.set_reactive(TabBar.active, active)

    def spans(self) -> dict[str, tuple[int, int]]:
        """Each tab's label columns (start, end), padding not included."""
        spans: dict[str, tuple[int, int]] = {}
        x = 0
        for tab, label in self.labels.items():
            spans[tab] = (x + 1, x + 1 + len(label))
            x += len(label) + 2
        return spans

    def tab_at(self, x: int) -> str | None:
        """The tab whose label (with its padding) covers column ``x``."""
        for tab, (start, end) in self.spans().items():
            if start - 1 <= x < end + 1:
                return tab
        return None

    def render(self) -> RenderableType:
        labels = Text(no_wrap=True, overflow="crop")
        for tab, label in self.labels.items():
            if tab == self.active:
                part = "tab-bar--active"
            else:
                part = "tab-bar--hover" if tab == self._hover else "tab-bar--tab"
            labels.append(f" {label} ", self.get_component_rich_style(part))
        bar_style = self.get_component_rich_style("tab-bar--bar")
        start, end = self.spans().get(self.active, (0, 0))
        return Group(
            labels,
            Bar(
                highlight_range=(start, end),
                highlight_style=Style.from_color(bar_style.color),
                background_style=Style.from_color(bar_style.bgcolor),
            ),
        )

    def watch_active(self, old: str, new: str) -> None:
        if old != new:
            self.post_message(self.Changed(self, new))

    def action_move(self, step: int) -> None:
        tabs = list(self.labels)
        if self.active in tabs:
            self.active = tabs[(tabs.index(self.active) + step) % len(tabs)]

    def on_click(self, event: events.Click) -> None:
        tab = self.tab_at(event.x)
        if tab is not None:
            self.active = tab

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover = (self.tab_at(event.x) if event.y == 0 else None) or ""

    def on_leave(self, event: events.Leave) -> None:
        self._hover = ""
