"""Modal screens: write confirmation, the result of a write, help, save-summary, trust."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from infra_tui.core.model import ChangePlan


class WriteConfirmScreen(ModalScreen[bool]):
    """Lists every file the plan writes; Write or Cancel."""

    CSS_PATH = "modals.tcss"

    BINDINGS = [
        Binding("escape,n", "dismiss(False)", "Cancel"),
        Binding("y", "dismiss(True)", "Write"),
    ]

    def __init__(self, plan: ChangePlan, root: Path) -> None:
        super().__init__()
        self.plan = plan
        self.root = root

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"Write {len(self.plan.files)} files to {self.root.name}/ ?", classes="dialog--title")
            gone = {f.path for f in self.plan.files if getattr(f, "deleted", False)}
            lines = (
                [f"+ {p}  (new)" for p in self.plan.created]
                + [f"~ {p}  (modified)" for p in self.plan.modified if p not in gone]
                + [f"- {p}  (deleted)" for p in sorted(gone)]
            )
            yield VerticalScroll(Static("\n".join(lines), markup=False), classes="dialog--body")
            if self.plan.recreate_required:
                yield Static(
                    f"CLUSTER RECREATE REQUIRED: {self.plan.recreate_reason}",
                    classes="dialog--warning",
                    markup=False,
                )
            with Horizontal(classes="dialog--buttons"):
                yield Button("Write  y", id="confirm", variant="success")
                yield Button("Cancel  esc", id="cancel", variant="default")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")


class WrittenScreen(ModalScreen[None]):
    """What was written, and the repo's git status afterwards."""

    CSS_PATH = "modals.tcss"

    BINDINGS = [Binding("escape,enter,q", "dismiss(None)", "Close")]

    def __init__(self, written: list[str], git_status: str) -> None:
        super().__init__()
        self.written = written
        self.git_status = git_status

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"✓ wrote {len(self.written)} files", classes="dialog--title -ok")
            yield Label("git status --short", classes="dialog--subtitle")
            yield VerticalScroll(Static(self.git_status or "(clean)", markup=False), classes="dialog--body")
            yield Static("Review with `git diff`, commit, push: Flux applies it.", classes="dialog--hint")
            with Horizontal(classes="dialog--buttons"):
                yield Button("Close  esc", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed)
    def _pressed(self) -> None:
        self.dismiss(None)


class SaveSummaryScreen(ModalScreen[Path | None]):
    """Ask where to save the summary."""

    CSS_PATH = "modals.tcss"

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, default: Path) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Save the summary as", classes="dialog--title")
            yield Input(str(self.default), id="path")
            with Horizontal(classes="dialog--buttons"):
                yield Button("Save  enter", id="save", variant="success")
                yield Button("Cancel  esc", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        value = self.query_one(Input).value.strip()
        self.dismiss(Path(value).expanduser() if value else None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


HELP = """\
[b]infra-tui[/] — add a component the house way; see where it lands before anything is written.

[b $accent]Everywhere[/]
  ctrl+s      write the plan (asks first, lists every file)
  F1          this help            ctrl+p   command palette (every action)
  F2 … F6     Graph · Diff · Summary · Checks · Cluster tabs
  F7          zoom the focused pane (again to restore)
  ctrl+l      what was learned from the repo (providers, style, similar services)
  ctrl+y      copy the summary (OSC 52)   ctrl+o  save the summary to a file
  ctrl+t      dark / light theme          ctrl+q  quit
  tab / shift+tab   next / previous field

[b $accent]Wizard[/]
  Fields are checked as you type; a red ✗ under a field says what is wrong.
  Write stays disabled until the plan is valid. Values: YAML, checked live.
  depends on: type to search (fuzzy), enter adds the best match, space toggles.

[b $accent]Cockpit[/] (change what exists)
  F8          components: layer, cluster state, findings; type to filter (fuzzy)
              enter edit it · delete remove it (refused while others depend on it) · esc back
  edit        the form prefilled from disk; Graph/Diff/Summary/Checks update live;
              the recreate verdict shows under the fields; ctrl+s writes (asks first)
  F9          findings by rule and component: file:line, why, what to do, the fix as a diff
              a  fix the selection   A  fix every fixable finding   esc back
  `infra-tui edit NAME` opens the edit screen on NAME

[b $accent]Graph[/] (focus it with F2 or tab)
  arrows move between nodes   home/end first/last   click selects
  /  filter (fuzzy)   f  only the selected node's neighbourhood   esc  clear
  [b]+name[/] the new component · [i]←Kind[/] why a dependency was inferred
  yellow: critical path · blue: what the selection waits for · purple: its blast radius
  red: cycles and missing dependencies

[b $accent]Demo[/] (infra-tui demo, graph focused)
  space play/pause   n step   + / - speed   r restart
  x fail the selected Kustomization   d drop a dependsOn of the selected   u undo what-ifs
"""


class HelpScreen(ModalScreen[None]):
    """Every key, in one place."""

    CSS_PATH = "modals.tcss"

    BINDINGS = [Binding("escape,f1,q", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -wide"):
            yield VerticalScroll(Static(HELP), classes="dialog--body")
            with Horizontal(classes="dialog--buttons"):
                yield Button("Close  esc", id="close", variant="primary")

    @on(Button.Pressed)
    def _pressed(self) -> None:
        self.dismiss(None)


class TrustScreen(ModalScreen[bool]):
    """A repo's settings name hosts or programs (``core.trust.GATED_KEYS``): trust this exact file
    once, or continue without those keys. Asked before anything of them is used."""

    CSS_PATH = "modals.tcss"

    BINDINGS = [
        Binding("escape,c", "dismiss(False)", "Continue without them"),
        Binding("t", "dismiss(True)", "Trust"),
    ]

    def __init__(self, path: Path, keys: dict[str, object], *, changed: bool) -> None:
        super().__init__()
        self.path = path
        self.keys = keys
        self.changed = changed

    def compose(self) -> ComposeResult:
        why = "changed since you trusted it" if self.changed else "not trusted yet"
        with Vertical(id="dialog", classes="dialog -wide"):
            yield Label("Trust this repo's cluster settings?", classes="dialog--title")
            yield Static(
                f"{self.path} is {why}. These keys reach the network or run local programs "
                "(an ssh config can run any command, e.g. a ProxyCommand):",
                classes="dialog--subtitle", markup=False,
            )  # fmt: skip
            lines = "\n".join(f"{key}: {value}" for key, value in self.keys.items())
            yield VerticalScroll(Static(lines, id="trust-keys", markup=False), classes="dialog--body")
            yield Static(
                "Trust records this exact file (path + sha256) in your config dir, as `infra-tui trust` "
                "does; an edit asks again. Without them the cluster is not watched from these settings.",
                classes="dialog--hint", markup=False,
            )  # fmt: skip
            with Horizontal(classes="dialog--buttons"):
                yield Button("Trust  t", id="trust", variant="warning")
                yield Button("Continue without  esc", id="without", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#without", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "trust")
