"""The Learned view: every fact ``infra-tui learn`` derives from the repo, with its evidence and
count, in one table (the same facts the planners and lint use)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from infra_tui.core.learned_defaults import FactRow
from infra_tui.core.model import Repo


class LearnedScreen(ModalScreen[None]):
    """What the repo teaches: CRD providers, bootstrap-provided kinds, webhooks, house style,
    similar services. Learned in a worker; ``ctrl+l`` (or the command palette) opens it."""

    CSS_PATH = ["modals.tcss", "learned.tcss"]

    BINDINGS = [Binding("escape,f8,q", "dismiss(None)", "Close")]

    def __init__(self, repo: Repo, env: str | None) -> None:
        super().__init__()
        self.repo = repo
        self.env = env

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Learned from this repo", classes="dialog--title")
            yield Static("learning…", id="learned-source", classes="dialog--subtitle", markup=False)
            yield DataTable(id="learned-table", zebra_stripes=True, cursor_type="row")
            yield Static(
                "Review in Git: `infra-tui learn --write` writes these facts to .infra-tui.learned.yaml; "
                ".infra-tui.yaml overrides them.",
                classes="dialog--hint",
                markup=False,
            )
            with Horizontal(classes="dialog--buttons"):
                yield Button("Close  esc", id="close", variant="primary")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("fact", 12), ("what", 36), ("from", 28), ("count", 7), ("evidence", None)):
            table.add_column(label, width=width)
        table.focus()
        self._learn()

    @work(thread=True, exclusive=True, group="learned-view", exit_on_error=False)
    def _learn(self) -> None:
        from infra_tui.core import learn
        from infra_tui.core.learned_defaults import fact_rows

        learned = learn.cached(self.repo, self.env)
        eff = learn.effective(self.repo, learned.env)
        stale = learn.stale_notice(self.repo)
        rows = fact_rows(learned)
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.section] = counts.get(r.section, 0) + 1
        source = (
            f"env {learned.env} · from {learn.LEARNED_FILE}"
            if eff.source == "file"
            else f"env {learned.env} · derived from the repo now"
        )
        summary = ", ".join(f"{n} {section}" for section, n in counts.items()) or "nothing learned"
        self.app.call_from_thread(self._show, f"{source} · {summary}" + (f"\n{stale}" if stale else ""), rows)

    def _show(self, source: str, rows: list[FactRow]) -> None:
        self.query_one("#learned-source", Static).update(source)
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(*(Text(str(c)) for c in (r.section, r.fact, r.source, r.count, r.evidence)))

    @on(Button.Pressed)
    def _pressed(self) -> None:
        self.dismiss(None)
