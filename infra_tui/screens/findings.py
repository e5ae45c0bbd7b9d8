"""The findings view (F9): every lint finding of the env grouped by rule and component, each with
file:line, why it matters and what to do; a fixable one shows its fix plan (``core.fix``) as a
diff. ``a`` applies the fixes under the cursor (one finding, a component or a rule), ``A`` every
fixable one, through the same confirmation and write path as the wizard."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static, Tree
from textual.widgets.tree import TreeNode

from infra_tui.core import browse
from infra_tui.core.model import Repo
from infra_tui.core.rules import Finding
from infra_tui.widgets.diff_view import DiffView
from infra_tui.widgets.footer import KeyFooter

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


@dataclass(repr=False)
class _Linted(Message):
    repo: Repo
    findings: list[Finding]


@dataclass(repr=False)
class _FixPreview(Message):
    key: tuple[Finding, ...]
    preview: object  # core.preview.Preview


class FindingsScreen(Screen[None]):
    """Findings grouped by rule and component; the fix of the selection as a diff."""

    DEFAULT_CSS = """
    FindingsScreen {
        #findings-body { height: 1fr; }
        #findings-tree { width: 45%; min-width: 30; border-right: vkey $foreground 15%; }
        #findings-side { width: 1fr; }
        #finding-detail { height: auto; max-height: 50%; padding: 0 1; border-bottom: hkey $foreground 15%; }
        #fix-diff { height: 1fr; }
        #findings-status { height: auto; padding: 0 1; color: $text-muted; }
    }
    """
    SUB_TITLE = "findings"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "fix", "Fix selected"),
        Binding("A", "fix_all", "Fix all"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.repo: Repo | None = None
        self.findings: list[Finding] = []
        self.preview: object | None = None  # the fix preview (core.preview.Preview) of the selection
        self._key: tuple[Finding, ...] = ()

    def compose(self) -> ComposeResult:
        yield Header(icon="⎈")
        with Horizontal(id="findings-body"):
            tree: Tree[Finding | None] = Tree("findings", id="findings-tree")
            tree.show_root = False
            yield tree
            with Vertical(id="findings-side"):
                yield Static("linting…", id="finding-detail")
                yield DiffView(id="fix-diff")
        yield Static("", id="findings-status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        repo = getattr(self.app, "repo", None)
        if repo is not None:
            self.repo_reloaded(repo)
        self.query_one(Tree).focus()

    def repo_reloaded(self, repo: Repo) -> None:
        self._lint(repo, getattr(self.app, "env", None))

    @work(thread=True, exclusive=True, group="findings-lint", exit_on_error=False, description="lint the env")
    def _lint(self, repo: Repo, env: str | None) -> None:
        from infra_tui.core import rules as rules_mod

        self.post_message(_Linted(repo, rules_mod.lint(repo, env)))

    def on__linted(self, message: _Linted) -> None:
        self.repo, self.findings = message.repo, message.findings
        tree = self.query_one(Tree)
        tree.clear()
        for rule, comps in browse.grouped(self.findings).items():
            flat = [f for fs in comps.values() for f in fs]
            fixable = sum(f.fixable for f in flat)
            label = Text(f"{rule} ", style=SEVERITY_STYLE.get(flat[0].severity, ""))
            label.append(f"({len(flat)}{f', {fixable} fixable' if fixable else ''})", style="dim")
            rule_node = tree.root.add(label, expand=True)
            for comp, fs in comps.items():
                comp_node = rule_node.add(f"{comp} ({len(fs)})", expand=len(comps) < 6)
                for f in fs:
                    leaf = Text(("✎ " if f.fixable else "  ") + f"{f.file}:{f.line}")
                    comp_node.add_leaf(leaf, data=f)
        errors = sum(f.severity == "error" for f in self.findings)
        fixable = sum(f.fixable for f in self.findings)
        self.query_one("#findings-status", Static).update(
            f"{len(self.findings)} findings ({errors} errors) · {fixable} fixable (✎) · "
            "a fix the selection · A fix all · esc back"
            if self.findings
            else "✓ no findings: the env follows the house patterns"
        )
        if not self.findings:
            self.query_one("#finding-detail", Static).update("No findings.")
            self.query_one(DiffView).show([])
        elif tree.cursor_line < 0:
            tree.move_cursor(tree.root.children[0] if tree.root.children else None)
        self._show(tree.cursor_node)

    # -- the selection -----------------------------------------------------------------

    @staticmethod
    def _under(node: TreeNode[Finding | None] | None) -> list[Finding]:
        if node is None:
            return []
        if node.data is not None:
            return [node.data]
        return [f for child in node.children for f in FindingsScreen._under(child)]

    @on(Tree.NodeHighlighted, "#findings-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[Finding | None]) -> None:
        event.stop()
        self._show(event.node)

    def _show(self, node: TreeNode[Finding | None] | None) -> None:
        found = self._under(node)
        detail = self.query_one("#finding-detail", Static)
        if not found:
            return
        if len(found) == 1:
            f = found[0]
            text = Text()
            text.append(f"{f.rule}", style=SEVERITY_STYLE.get(f.severity, ""))
            text.append(f" · {f.severity} · {f.file}:{f.line}\n", style="dim")
            text.append(f.message + "\n")
            text.append("why: ", style="bold")
            text.append(browse.WHY.get(f.rule, "see spec/patterns.md") + "\n")
            text.append("do:  ", style="bold")
            text.append(browse.what_to_do(f))
        else:
            fixable = sum(f.fixable for f in found)
            rule = found[0].rule
            text = Text()
            text.append(f"{len(found)} findings", style="bold")
            text.append(f", {fixable} fixable\n" if fixable else ", none fixable\n", style="dim")
            if all(f.rule == rule for f in found):
                text.append("why: ", style="bold")
                text.append(browse.WHY.get(rule, "see spec/patterns.md"))
        detail.update(text)
        fixable_found = tuple(f for f in found if f.fixable)
        self._key = fixable_found
        if not fixable_found:
            self.preview = None
            self.query_one(DiffView).show([])
            return
        if self.repo is not None:
            self._plan(self.repo, fixable_found, getattr(self.app, "env", None))

    @work(
        thread=True,
        exclusive=True,
        group="findings-fix",
        exit_on_error=False,
        description="plan the fix of the selection",
    )
    def _plan(self, repo: Repo, found: tuple[Finding, ...], env: str | None) -> None:
        from infra_tui.core import fix as fix_mod
        from infra_tui.core import preview as preview_mod

        plan = fix_mod.plan_fixes(repo, list(found), env)
        self.post_message(_FixPreview(found, preview_mod.from_plan(repo, plan, {"fix": len(found)}, env)))

    def on__fix_preview(self, message: _FixPreview) -> None:
        if message.key != self._key:
            return  # the cursor moved on
        self.preview = message.preview
        self.query_one(DiffView).show(message.preview.diffs)  # type: ignore[attr-defined]

    # -- writing -----------------------------------------------------------------------

    def action_fix(self) -> None:
        self.action_write_plan()

    def action_write_plan(self) -> None:
        """ctrl+s / a: write the fix of the selection (after the confirmation)."""
        preview = self.preview
        plan = getattr(preview, "plan", None)
        if not self._key:
            self.notify(
                "nothing fixable here: the detail says what to do by hand", severity="warning", timeout=5
            )
            return
        if plan is None or not plan.files:
            self.notify("the fix is still being planned; try again", severity="warning", timeout=4)
            return
        self.app.confirm_write(plan)  # type: ignore[attr-defined]

    def action_fix_all(self) -> None:
        fixable = tuple(f for f in self.findings if f.fixable)
        if not fixable or self.repo is None:
            self.notify("no fixable findings", severity="warning", timeout=4)
            return
        self._plan_all(self.repo, fixable, getattr(self.app, "env", None))

    @work(
        thread=True,
        exclusive=True,
        group="findings-fix-all",
        exit_on_error=False,
        description="plan every fix",
    )
    def _plan_all(self, repo: Repo, found: tuple[Finding, ...], env: str | None) -> None:
        from infra_tui.core import fix as fix_mod

        plan = fix_mod.plan_fixes(repo, list(found), env)
        if not plan.files or plan.refusals:
            why = "; ".join(plan.refusals) or "the fixes change nothing"
            self.app.call_from_thread(self.notify, why, title="Cannot fix", severity="error", timeout=10)
            return
        self.app.call_from_thread(self.app.confirm_write, plan)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.dismiss()
