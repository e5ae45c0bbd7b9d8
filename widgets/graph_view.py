"""The bootstrap graph: layers of Flux Kustomizations as rows of chips.

``GraphView`` is a Line API widget (it renders only the rows on screen), so a repo of 300+
Kustomizations scrolls smoothly. Each layer is one band (``L0``, ``L1``...) whose chips wrap to
the width. Marks: the new component (``+name``), inferred dependencies with their reason
(``cilium ←CiliumNetworkPolicy``), cycles and nodes with missing dependencies in red, the
critical path in bold, the selected node's dependencies and dependants (its blast radius), and
cluster states (``✓ ◐ … ✗``) when a status source paints them.

``GraphPanel`` puts a banner (placement, critical path, cycles, root cause), a filter and a
details box around it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Click
from textual.fuzzy import Matcher
from textual.geometry import Region, Size
from textual.markup import escape
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from infra_tui.core.graph import Graph
from infra_tui.core.model import DEFAULT_FLUX_NAMESPACE, short_name

STATE_GLYPHS = {
    "ready": "✓",
    "progressing": "◐",
    "waiting": "…",
    "failed": "✗",
    "stalled": "✗",
    "suspended": "⏸",
    "unknown": "?",
}
"""One glyph per cluster state of DESIGN.md, shown before a node's name."""

GAP = 2
"""Columns between two chips."""

REASON_WIDTH = 24
"""Longest inferred-dependency reason shown on a chip (the details box shows it whole)."""


@dataclass
class Chip:
    """One node as laid out: its row and columns in the virtual canvas."""

    node: str
    row: int
    x: int
    label: str
    reason: str = ""  # inferred-dependency reason shown after the label
    glyph: int = 0  # columns kept before the label for a cluster-state glyph

    @property
    def width(self) -> int:
        return self.glyph + len(self.label) + (len(self.reason) + 2 if self.reason else 0)

    @property
    def center(self) -> float:
        return self.x + self.width / 2


def display_name(node: str) -> str:
    """``flux-system/cilium`` -> ``cilium``; other namespaces keep theirs."""
    ns, _, name = node.rpartition("/")
    return name if ns in ("", DEFAULT_FLUX_NAMESPACE) else node


class GraphView(ScrollView, can_focus=True):
    """The env's bootstrap layers; the cursor selects a node."""

    BINDINGS = [
        Binding("left", "move(-1)", "Prev", show=False),
        Binding("right", "move(1)", "Next", show=False),
        Binding("up", "row(-1)", "Up", show=False),
        Binding("down", "row(1)", "Down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("f", "toggle_focus", "Neighbourhood"),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear", "Clear", show=False),
    ]
    """
    | Key | Does |
    | :- | :- |
    | arrows | move between nodes (left/right in reading order, up/down between rows) |
    | home / end | first / last node |
    | f | show only the selected node's neighbourhood (what it waits for, what waits for it) |
    | / | filter by name (fuzzy) |
    | escape | clear the filter and the neighbourhood focus |
    """

    COMPONENT_CLASSES = {
        "graph--layer",
        "graph--node",
        "graph--critical",
        "graph--new",
        "graph--error",
        "graph--reason",
        "graph--dependency",
        "graph--dependant",
        "graph--cursor",
        "graph--cursor-blur",
        "graph--ready",
        "graph--progressing",
        "graph--waiting",
        "graph--failed",
        "graph--suspended",
        "graph--unknown",
    }

    DEFAULT_CSS = """
    GraphView {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;  /* the wrap width must not depend on whether a scrollbar shows */
        & > .graph--layer { color: $text-muted; text-style: bold; }
        & > .graph--node { color: $text; }
        & > .graph--critical { color: $warning; text-style: bold; }
        & > .graph--new { color: $success; text-style: bold reverse; }
        & > .graph--error { color: $error; text-style: bold; }
        & > .graph--reason { color: $accent; text-style: italic; }
        & > .graph--dependency { color: $primary; text-style: bold underline; }
        & > .graph--dependant { color: $secondary; text-style: bold underline; }
        & > .graph--cursor { background: $accent; color: $background; text-style: bold; }
        & > .graph--cursor-blur { background: $panel; text-style: bold; }
        & > .graph--ready { color: $success; }
        & > .graph--progressing { color: $warning; }
        & > .graph--waiting { color: $text-disabled; }
        & > .graph--failed { color: $error; text-style: bold; }
        & > .graph--suspended { color: $text-muted; text-style: italic; }
        & > .graph--unknown { color: $text-muted; }
    }
    """

    selected: reactive[str | None] = reactive(None, layout=False)
    """The node under the cursor (an id, ``namespace/name``)."""

    filter_text: reactive[str] = reactive("")
    """Fuzzy filter on names; empty shows every node."""

    neighbourhood: reactive[bool] = reactive(False)
    """Show only the selected node, what it waits for and what waits for it."""

    class Highlighted(Message):
        """The cursor moved to another node."""

        def __init__(self, graph_view: GraphView, node: str | None) -> None:
            super().__init__()
            self.graph_view = graph_view
            self.node = node

        @property
        def control(self) -> GraphView:
            return self.graph_view

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.graph: Graph | None = None
        self.new: set[str] = set()
        self.inferred: dict[str, str] = {}
        self.states: dict[str, str] = {}
        self._chips: list[Chip] = []
        self._rows: list[list[Chip]] = []
        self._row_labels: dict[int, str] = {}
        self._label_width = 3
        self._laid_out_width = -1
        self._paint_styles: tuple[Style, dict[str, Style]] | None = None
        """While ``render_lines`` paints: the widget's style and its component styles, looked up
        once per paint, not per line (each walks the widget's ancestors)."""
        self._critical: set[str] = set()
        self._cycle_nodes: set[str] = set()
        self._missing_from: set[str] = set()
        self._related: tuple[set[str], set[str]] = (set(), set())

    # -- data --------------------------------------------------------------------------

    def show(
        self,
        graph: Graph,
        *,
        new: Iterable[str] = (),
        inferred: dict[str, str] | None = None,
        states: dict[str, str] | None = None,
    ) -> None:
        """Show ``graph``; ``new`` are the plan's nodes, ``inferred`` dependency id -> reason."""
        new = set(new)
        fresh_new = new - self.new
        self.graph = graph
        self.new = new
        self.inferred = dict(inferred or {})
        if states is not None:
            self.states = dict(states)
        self._critical = set(graph.critical_path())
        self._cycle_nodes = {n for c in graph.cycles for n in c}
        self._missing_from = {m.source for m in graph.missing}
        if fresh_new:
            self.selected = sorted(fresh_new)[0]
        elif self.selected not in graph.nodes:
            self.selected = next(iter(graph.layers[0]), None) if graph.layers else None
        self._relate()
        self._relayout()

    def paint_states(self, states: dict[str, str]) -> None:
        """Cluster states per node id (DESIGN.md states); an empty dict removes them."""
        relayout = bool(states) != bool(self.states)
        self.states = dict(states)
        if relayout:
            self._relayout()
        else:
            self.refresh()

    # -- layout ------------------------------------------------------------------------

    def _visible(self) -> set[str] | None:
        if self.graph is None:
            return set()
        keep: set[str] | None = None
        if self.neighbourhood and self.selected in self.graph.nodes:
            keep = (
                {self.selected} | self.graph.ancestors(self.selected) | self.graph.descendants(self.selected)
            )
        if self.filter_text:
            matcher = Matcher(self.filter_text)
            matched = {n for n in self.graph.nodes if matcher.match(display_name(n)) > 0}
            matched |= self.new & set(self.graph.nodes)
            keep = matched if keep is None else keep & matched
        return keep

    def _label(self, node: str) -> str:
        text = display_name(node)
        if node in self.new:
            text = "+" + text
        if node in self._cycle_nodes:
            text = "⟳" + text
        if node in self._missing_from:
            text += "!"
        return text

    def _relayout(self) -> None:
        width = max(self.scrollable_content_region.width, 20)
        self._laid_out_width = width
        self._chips, self._rows, self._row_labels = [], [], {}
        graph = self.graph
        if graph is None:
            if self.virtual_size.height:
                # (only then: a new virtual size lays the whole screen out again, and at start-up
                # the first Resize comes between the first frame and the graph)
                self.virtual_size = Size(width, 0)
            self.refresh()
            return
        keep = self._visible()
        self._label_width = len(f"L{max(len(graph.layers) - 1, 0)}") + 1
        indent = self._label_width
        max_x = 0
        for index, layer in enumerate(graph.layers):
            nodes = [n for n in layer if keep is None or n in keep]
            if not nodes:
                continue
            row: list[Chip] = []
            self._row_labels[len(self._rows)] = f"L{index}"
            x = indent
            for node in nodes:
                reason = self.inferred.get(node, "")
                if len(reason) > REASON_WIDTH:
                    reason = reason[: REASON_WIDTH - 1] + "…"
                chip = Chip(node, len(self._rows), x, self._label(node), reason, 2 if self.states else 0)
                if row and x + chip.width > width:
                    self._rows.append(row)
                    row, x = [], indent
                    chip.row, chip.x = len(self._rows), x
                row.append(chip)
                self._chips.append(chip)
                x += chip.width + GAP
                max_x = max(max_x, chip.x + chip.width)
            self._rows.append(row)
        self.virtual_size = Size(max(width, max_x), len(self._rows))
        if self._chips and self.selected not in {c.node for c in self._chips}:
            self.selected = self._chips[0].node
        self.refresh()
        self._scroll_to_selected()

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._laid_out_width:
            self._relayout()

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        # Textual moves a scrollbar's thumb only while it is shown: one that appears after the
        # graph scrolled to its cursor would show the top, not where the graph is
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def watch_show_horizontal_scrollbar(self, shown: bool) -> None:
        if shown:
            self.horizontal_scrollbar.position = self.scroll_x

    # -- rendering ---------------------------------------------------------------------

    def _node_style(self, node: str, styles: dict[str, Style]) -> Style:
        style = styles["graph--node"]
        if node in self._critical:
            style += styles["graph--critical"]
        if self.states:
            state = self.states.get(node, "unknown")
            key = {"stalled": "failed"}.get(state, state)
            style += styles.get(f"graph--{key}", styles["graph--unknown"])
        deps, dependants = self._related
        if node in deps or node in dependants:
            # with cluster states painted, colour belongs to the state: relations only underline
            key = "graph--dependency" if node in deps else "graph--dependant"
            style += Style(underline=True) if self.states else styles[key]
        if node in self._cycle_nodes or node in self._missing_from:
            style += styles["graph--error"]
        if node in self.new:
            style += styles["graph--new"]
        if node == self.selected:
            style += styles["graph--cursor" if self.has_focus else "graph--cursor-blur"]
        return style

    def render_lines(self, crop: Region) -> list[Strip]:
        self._paint_styles = (
            self.rich_style,
            {name: self.get_component_rich_style(name) for name in self.COMPONENT_CLASSES},
        )
        try:
            return super().render_lines(crop)
        finally:
            self._paint_styles = None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        if self._paint_styles is None:  # a line rendered on its own
            base = self.rich_style
            styles = {name: self.get_component_rich_style(name) for name in self.COMPONENT_CLASSES}
        else:
            base, styles = self._paint_styles
        if index >= len(self._rows):
            return Strip.blank(width, base)
        label = self._row_labels.get(index, "")
        segments: list[Segment] = []
        x = self._label_width
        for chip in self._rows[index]:
            if chip.x > x:
                segments.append(Segment(" " * (chip.x - x), base))
            style = base + self._node_style(chip.node, styles)
            if chip.glyph:
                segments.append(
                    Segment(STATE_GLYPHS.get(self.states.get(chip.node, "unknown"), "?") + " ", style)
                )
            segments.append(Segment(chip.label, style))
            if chip.reason:
                segments.append(Segment(" ←" + chip.reason, base + styles["graph--reason"]))
            x = chip.x + chip.width
        # the layer labels stay put while the chips scroll sideways
        chips = Strip(segments, x - self._label_width).crop_extend(
            scroll_x, scroll_x + width - self._label_width, base
        )
        head = Strip(
            [Segment(label.ljust(self._label_width), base + styles["graph--layer"])], self._label_width
        )
        return Strip.join([head, chips]).crop_extend(0, width, base)

    # -- selection ---------------------------------------------------------------------

    def _relate(self) -> None:
        if self.graph is None or self.selected not in self.graph.nodes:
            self._related = (set(), set())
        else:
            self._related = (self.graph.ancestors(self.selected), self.graph.descendants(self.selected))

    def watch_selected(self, node: str | None) -> None:
        self._relate()
        if self.neighbourhood:
            self._relayout()
        self.refresh()
        self._scroll_to_selected()
        self.post_message(self.Highlighted(self, node))

    def watch_filter_text(self) -> None:
        self._relayout()

    def watch_neighbourhood(self) -> None:
        self._relayout()

    def watch_has_focus(self, _has_focus: bool) -> None:
        self.refresh()

    @property
    def shown_nodes(self) -> set[str]:
        """The ids the graph shows now (after the filter)."""
        return {c.node for c in self._chips}

    def _chip(self, node: str | None) -> Chip | None:
        return next((c for c in self._chips if c.node == node), None)

    def _scroll_to_selected(self) -> None:
        chip = self._chip(self.selected)
        if chip is not None:
            # only scroll sideways when the chip's start is out of view
            x_axis = not (
                self.scroll_offset.x
                <= chip.x - self._label_width
                < self.scroll_offset.x + self.scrollable_content_region.width - self._label_width
            )
            self.scroll_to_region(
                Region(chip.x - self._label_width, chip.row, min(chip.width, 20), 1),
                animate=False,
                force=True,
                x_axis=x_axis,
            )

    def select(self, node: str) -> None:
        """Move the cursor to ``node`` (an id or a plain name)."""
        if self.graph is not None:
            resolved = self.graph.resolve(node)
            if resolved is not None:
                self.selected = resolved

    def action_move(self, step: int) -> None:
        if not self._chips:
            return
        nodes = [c.node for c in self._chips]
        i = nodes.index(self.selected) if self.selected in nodes else -step
        self.selected = nodes[max(0, min(len(nodes) - 1, i + step))]

    def action_row(self, step: int) -> None:
        chip = self._chip(self.selected)
        if chip is None:
            self.action_first()
            return
        target = chip.row + step
        if 0 <= target < len(self._rows) and self._rows[target]:
            best = min(self._rows[target], key=lambda c: abs(c.center - chip.center))
            self.selected = best.node

    def action_first(self) -> None:
        if self._chips:
            self.selected = self._chips[0].node

    def action_last(self) -> None:
        if self._chips:
            self.selected = self._chips[-1].node

    def action_toggle_focus(self) -> None:
        self.neighbourhood = not self.neighbourhood

    def action_filter(self) -> None:
        panel = self.parent
        if isinstance(panel, GraphPanel):
            panel.open_filter()

    def action_clear(self) -> None:
        if isinstance(self.parent, GraphPanel):
            self.parent.clear_filter()
        self.neighbourhood = False

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset.x + self.scroll_offset.x, offset.y + self.scroll_offset.y
        for chip in self._rows[y] if 0 <= y < len(self._rows) else []:
            if chip.x <= x < chip.x + chip.width:
                self.selected = chip.node
                break


class GraphPanel(Vertical):
    """The graph with its banner (placement, critical path, problems), filter and details."""

    DEFAULT_CSS = """
    GraphPanel {
        height: 1fr;
        #graph-banner { height: 3; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis; }
        #graph-filter { display: none; height: 1; border: none; padding: 0 1; }
        #graph-filter.-open { display: block; }
        #graph-details { height: 4; padding: 0 1; border-top: hkey $foreground 20%; text-wrap: nowrap; text-overflow: ellipsis; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.root_cause: str = ""
        self._texts: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="graph-banner")
        yield Input(
            placeholder="filter nodes (fuzzy) — enter to keep, escape to clear",
            id="graph-filter",
            compact=True,
        )
        yield GraphView(id="graph-view")
        yield Static(id="graph-details")

    @property
    def view(self) -> GraphView:
        return self.query_one(GraphView)

    def show(
        self,
        graph: Graph,
        *,
        new: Iterable[str] = (),
        inferred: dict[str, str] | None = None,
        states: dict[str, str] | None = None,
        root_cause: str | None = None,
    ) -> None:
        if root_cause is not None:
            self.root_cause = root_cause
        self.view.show(graph, new=new, inferred=inferred, states=states)
        self._update_banner()
        self._update_details(self.view.selected)

    def select(self, node: str) -> None:
        """The cursor on ``node`` (an id or a plain name), its details shown now: not once the
        view's ``Highlighted`` message is handled, which can be after the next frame."""
        self.view.select(node)
        self._update_details(self.view.selected)

    def paint_states(self, states: dict[str, str], root_cause: str = "") -> None:
        self.root_cause = root_cause
        self.view.paint_states(states)
        self._update_banner()
        self._update_details(self.view.selected)

    def open_filter(self) -> None:
        box = self.query_one("#graph-filter", Input)
        box.add_class("-open")
        box.focus()

    def clear_filter(self) -> None:
        box = self.query_one("#graph-filter", Input)
        box.value = ""
        box.remove_class("-open")
        self.view.filter_text = ""
        self.view.focus()

    @on(Input.Changed, "#graph-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.view.filter_text = event.value.strip()

    @on(Input.Submitted, "#graph-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.query_one("#graph-filter", Input).remove_class("-open")
        self.view.focus()

    def key_escape(self) -> None:
        self.clear_filter()

    @on(GraphView.Highlighted)
    def _highlighted(self, event: GraphView.Highlighted) -> None:
        self._update_details(event.node)

    def _update_banner(self) -> None:
        view = self.view
        graph = view.graph
        if graph is None:
            return
        lines: list[str] = []
        if view.new:
            parts = []
            for node in sorted(view.new):
                deps = ", ".join(display_name(d) for d in graph.deps.get(node, [])) or "nothing"
                parts.append(
                    f"[b $success]+{display_name(node)}[/] → layer {graph.layer.get(node, 0)} (after {deps})"
                )
            lines.append("  ".join(parts))
            if view.inferred:
                marks = ", ".join(f"[b]{display_name(d)}[/] ← {r}" for d, r in sorted(view.inferred.items()))
                lines.append(f"[$accent]inferred:[/] {marks}")
        else:
            lines.append(
                f"[b]{graph.env}[/] · {len(graph.nodes)} Kustomizations · {len(graph.layers)} layers"
            )
        for cycle in graph.cycles:
            lines.append("[b $error]cycle:[/] " + " → ".join(display_name(n) for n in cycle))
        for miss in graph.missing[:3]:
            lines.append(
                f"[b $error]missing:[/] {display_name(miss.source)} → {display_name(miss.target)} (not in this env)"
            )
        if len(graph.missing) > 3:
            lines.append(f"[$error]… {len(graph.missing) - 3} more missing dependencies[/]")
        if self.root_cause:
            lines.append(f"[b $error]{escape(self.root_cause)}[/]")
        critical = graph.critical_path()
        if len(critical) > 1:
            lines.append("[$warning]critical path:[/] " + " → ".join(display_name(n) for n in critical))
        self._set("#graph-banner", "\n".join(lines))

    def _update_details(self, node: str | None) -> None:
        graph = self.view.graph
        if graph is None or node not in graph.nodes:
            self._set("#graph-details", "")
            return
        ks = graph.nodes[node]
        head = f"[b]{display_name(node)}[/]  layer {graph.layer[node]}"
        if ks.line:
            head += f"  [dim]{ks.file}:{ks.line}[/]"
        state = self.view.states.get(node)
        if state:
            head += f"  [b]{STATE_GLYPHS.get(state, '?')} {state}[/]"
        deps = graph.deps.get(node, [])
        missing = [m.target for m in graph.missing if m.source == node]
        dep_text = (
            ", ".join(
                display_name(d)
                + (
                    f" [$accent]←{self.view.inferred[d]}[/]"
                    if node in self.view.new and d in self.view.inferred
                    else ""
                )
                for d in deps
            )
            or "[dim]nothing (layer 0)[/]"
        )
        if missing:
            dep_text += ", " + ", ".join(f"[b $error]{display_name(m)} (missing)[/]" for m in missing)
        blast = graph.descendants(node)
        direct = graph.dependants.get(node, [])
        shown = ", ".join(display_name(d) for d in direct[:8]) + (
            f" +{len(direct) - 8}" if len(direct) > 8 else ""
        )
        lines = [
            head,
            f"[$primary]dependsOn:[/] {dep_text}",
            f"[$secondary]dependants:[/] {shown or '[dim]none[/]'}"
            + (f"  [b]blast radius {len(blast)}[/]" if blast else ""),
        ]
        self._set("#graph-details", "\n".join(lines))

    def _set(self, selector: str, markup: str) -> None:
        """Update a fixed-height box only when its text changed (no layout pass: sizes are fixed)."""
        if self._texts.get(selector) != markup:
            self._texts[selector] = markup
            self.query_one(selector, Static).update(markup, layout=False)


__all__ = ["GraphPanel", "GraphView", "STATE_GLYPHS", "display_name", "short_name"]
