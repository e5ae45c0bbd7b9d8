"""The component browser (F8): every Kustomization of the env with its layer, cluster state and
finding counts; a fuzzy filter; enter edits, delete removes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.fuzzy import Matcher
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from infra_tui.core import browse
from infra_tui.core.model import ChangePlan, Repo
from infra_tui.widgets.footer import KeyFooter

STATE_STYLE = {
    "ready": "green",
    "progressing": "cyan",
    "waiting": "yellow",
    "failed": "bold red",
    "stalled": "red",
    "suspended": "magenta",
}


@dataclass(repr=False)
class _Rows(Message):
    rows: list[browse.Row]


@dataclass(repr=False)
class _RemovePlan(Message):
    name: str
    plan: ChangePlan


def fuzzy(rows: list[browse.Row], query: str) -> list[browse.Row]:
    """``rows`` whose name matches ``query`` (fuzzy, best first); all of them for an empty query."""
    query = query.strip()
    if not query:
        return rows
    matcher = Matcher(query)
    scored = [(matcher.match(r.name), i, r) for i, r in enumerate(rows)]
    return [r for score, _, r in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]


class ComponentsScreen(Screen[None]):
    """The env's components; type to filter, enter to edit, delete to remove, esc back."""

    DEFAULT_CSS = """
    ComponentsScreen {
        #browse-filter { margin: 0 1; }
        #components { height: 1fr; }
        #browse-status { height: auto; padding: 0 1; color: $text-muted; }
    }
    """
    SUB_TITLE = "components"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "edit", "Edit", show=True),
        Binding("delete", "remove", "Remove"),
        Binding("slash", "filter", "Filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[browse.Row] = []
        self.shown: list[browse.Row] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="⎈")
        yield Input(placeholder="filter components (fuzzy); ↓ to the list", id="browse-filter", compact=True)
        table: DataTable[Text | str] = DataTable(id="components", cursor_type="row", zebra_stripes=True)
        table.add_columns("component", "layer", "state", "findings", "depends on", "path")
        yield table
        yield Static("reading the repo…", id="browse-status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        repo = getattr(self.app, "repo", None)
        if repo is not None:
            self.repo_reloaded(repo)
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        if self.rows:  # cluster states may have moved on while another screen was on top
            repo = getattr(self.app, "repo", None)
            if repo is not None:
                self.repo_reloaded(repo)

    def _states(self) -> dict[str, str]:
        """The attached cluster's (or the demo's) states, as painted on the wizard's graph."""
        from infra_tui.screens.main import MainScreen
        from infra_tui.widgets.graph_view import GraphView

        main = next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)
        return dict(main.query_one(GraphView).states) if main is not None else {}

    def repo_reloaded(self, repo: Repo) -> None:
        self._compute(repo, getattr(self.app, "env", None), self._states())

    @work(thread=True, exclusive=True, group="browse", exit_on_error=False, description="the browser rows")
    def _compute(self, repo: Repo, env: str | None, states: dict[str, str]) -> None:
        from infra_tui.core import rules as rules_mod

        findings = rules_mod.lint(repo, env)
        self.post_message(_Rows(browse.rows(repo, env, findings, states)))

    def on__rows(self, message: _Rows) -> None:
        self.rows = message.rows
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        keep = self.selected
        query = self.query_one("#browse-filter", Input).value
        self.shown = fuzzy(self.rows, query)
        table.clear()
        for r in self.shown:
            state = Text(r.state, style=STATE_STYLE.get(r.state, "")) if r.state else Text("-", style="dim")
            counts = Text()
            if r.errors:
                counts.append(f"{r.errors}✗", style="bold red")
            if r.warnings:
                counts.append((" " if r.errors else "") + f"{r.warnings}!", style="yellow")
            table.add_row(
                r.name,
                str(r.layer),
                state,
                counts if r.findings else Text("-", style="dim"),
                ", ".join(r.depends_on) or "-",
                r.path,
                key=r.id,
            )
        if keep is not None:
            index = next((i for i, r in enumerate(self.shown) if r.name == keep), None)
            if index is not None:
                table.move_cursor(row=index)
        errors = sum(r.errors for r in self.rows)
        warnings = sum(r.warnings for r in self.rows)
        with_state = sum(1 for r in self.rows if r.state)
        self.query_one("#browse-status", Static).update(
            f"{len(self.shown)} of {len(self.rows)} Kustomizations · {errors} errors, {warnings} warnings"
            + (f" · cluster state of {with_state}" if with_state else " · no cluster attached")
            + " · enter edit · delete remove · F9 findings"
        )

    @property
    def selected(self) -> str | None:
        """The name of the row under the cursor."""
        table = self.query_one(DataTable)
        if not self.shown or table.cursor_row < 0 or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row].name

    @on(Input.Changed, "#browse-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()
        if self.shown:
            self.query_one(DataTable).move_cursor(row=0)

    @on(Input.Submitted, "#browse-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        if self.shown:
            self.action_edit()

    def key_down(self) -> None:
        if self.query_one("#browse-filter", Input).has_focus:
            self.query_one(DataTable).focus()

    @on(DataTable.RowSelected, "#components")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_filter(self) -> None:
        self.query_one("#browse-filter", Input).focus()

    def action_edit(self) -> None:
        name = self.selected
        if name:
            self.app.open_edit(name)  # type: ignore[attr-defined]

    def action_remove(self) -> None:
        name = self.selected
        repo = getattr(self.app, "repo", None)
        if name and repo is not None:
            self._plan_remove(repo, name)

    @work(thread=True, exclusive=True, group="remove", exit_on_error=False, description="plan a removal")
    def _plan_remove(self, repo: Repo, name: str) -> None:
        from infra_tui.core import remove as remove_mod

        self.post_message(_RemovePlan(name, remove_mod.plan_remove(repo, name)))

    def on__remove_plan(self, message: _RemovePlan) -> None:
        plan = message.plan
        if plan.refusals:
            self.notify(
                "\n".join(plan.refusals), title=f"Cannot remove {message.name}", severity="error", timeout=15
            )
            return
        self.app.confirm_write(plan)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.dismiss()
