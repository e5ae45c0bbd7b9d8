"""Background validation of the plan: kustomize build + dry-run per component, streamed in.

Runs as a debounced, exclusive worker on every plan change: a new plan cancels the stale run
(and with it the subprocesses of ``services.proc``). Rows appear per component as results
arrive, with their elapsed time. The engine lives in ``services`` (validation issue); until it is
installed the panel says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Static

DEBOUNCE = 0.4
"""Seconds of quiet after the last plan change before validation starts (it spawns processes)."""


def _engine() -> Any | None:
    try:
        from infra_tui.services import validate as engine  # optional until it lands
    except ImportError:
        return None
    return engine if hasattr(engine, "validate_plan") else None


class ValidationPanel(Vertical):
    """One row per component: build, dry-run, elapsed, detail."""

    DEFAULT_CSS = """
    ValidationPanel {
        height: 1fr;
        #validation-status { height: auto; padding: 0 1; color: $text-muted; }
        DataTable { height: 1fr; }
    }
    """

    @dataclass(repr=False)
    class Finished(Message):
        """A run validated every component of ``plan`` (not sent for a cancelled run)."""

        plan: Any
        report: dict[str, Any]
        """The ``validate`` JSON of DESIGN.md (``{"results": [...]}``), what ``plan.validation`` holds."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self._pending = False
        self.enabled = True

    def compose(self) -> ComposeResult:
        yield Static("Validation runs in the background on every plan change.", id="validation-status")
        table = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns("component", "build", "dry-run", "time", "detail")
        yield table

    def plan_changed(self, repo: Any, plan: Any) -> None:
        """Debounce, then validate ``plan`` (cancelling a stale run)."""
        if self._timer is not None:
            self._timer.stop()
        self._pending = False
        # the edit makes a running validation stale: cancel it now (its processes are killed)
        self.workers.cancel_group(self, "validation")
        if plan is None or not getattr(plan, "files", None) or not self.enabled:
            return
        self._pending = True
        self._timer = self.set_timer(DEBOUNCE, lambda: self._validate(repo, plan))

    @property
    def busy(self) -> bool:
        """A validation waits for its debounce or runs (tests and screenshots wait for it)."""
        return self._pending or any(
            w.group == "validation" and w.node is self and not w.is_finished for w in self.workers
        )

    def _validate(self, repo: Any, plan: Any) -> None:
        self._pending = False
        engine = _engine()
        status = self.query_one("#validation-status", Static)
        if engine is None:
            status.update("Validation engine not installed yet (kustomize build + dry-run arrive with the validation issue).")
            return
        self.query_one(DataTable).clear()
        status.update("validating…")
        self._run(engine, repo, plan)

    @work(exclusive=True, group="validation", exit_on_error=False)
    async def _run(self, engine: Any, repo: Any, plan: Any) -> None:
        from infra_tui.core.validation import ValidationReport

        started = time.monotonic()
        table = self.query_one(DataTable)
        results = []
        failed = 0
        async for result in engine.validate_plan(repo, plan):
            results.append(result)
            failed += result.build == "fail" or result.dry_run == "fail"
            detail = "; ".join(str(i) for i in result.issues)[:200] or "; ".join(result.notes)[:200] or "ok"
            # Text cells: a detail quoting YAML or kubectl ("[...]") is not markup
            table.add_row(result.component, result.build, result.dry_run, f"{result.elapsed:.1f}s", Text(detail))
        self.query_one("#validation-status", Static).update(
            f"{len(results)} components validated in {time.monotonic() - started:.1f}s · {failed} failed"
        )
        report = ValidationReport(sorted(results, key=lambda r: r.component)).to_json()
        self.post_message(self.Finished(plan, report))
