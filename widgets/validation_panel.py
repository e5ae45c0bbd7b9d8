"""Background validation of the plan: kustomize build + dry-run per component, streamed in.

Runs as a debounced, exclusive worker on every plan change: a new plan cancels the stale run
(and with it the subprocesses of ``services.proc``). Rows appear per component as results
arrive, with their elapsed time. The engine is ``services.validate.validate_plan``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Static

if TYPE_CHECKING:  # the validation model loads with the first run, not before the first frame
    from infra_tui.core.model import ChangePlan, Repo
    from infra_tui.core.validation import ComponentResult, ValidationReport

DEBOUNCE = 0.4
"""Seconds of quiet after the last plan change before validation starts (it spawns processes)."""


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

        plan: ChangePlan
        report: ValidationReport
        """Every component's result, what ``plan.validation`` holds."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self._pending = False
        self.enabled = True

    def compose(self) -> ComposeResult:
        yield Static("Validation runs in the background on every plan change.", id="validation-status")
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns("component", "check", "build", "dry-run", "time", "detail")
        yield table

    def plan_changed(self, repo: Repo | None, plan: ChangePlan | None) -> None:
        """Debounce, then validate ``plan`` (cancelling a stale run)."""
        if self._timer is not None:
            self._timer.stop()
        self._pending = False
        # the edit makes a running validation stale: cancel it now (its processes are killed)
        self.workers.cancel_group(self, "validation")
        if repo is None or plan is None or not plan.files or not self.enabled:
            return
        self._pending = True
        self._timer = self.set_timer(DEBOUNCE, lambda: self._validate(repo, plan))

    @property
    def busy(self) -> bool:
        """A validation waits for its debounce or runs (tests and screenshots wait for it)."""
        return self._pending or any(
            w.group == "validation" and w.node is self and not w.is_finished for w in self.workers
        )

    def _validate(self, repo: Repo, plan: ChangePlan) -> None:
        self._pending = False
        self.query_one(DataTable).clear()
        self.query_one("#validation-status", Static).update("validating…")
        self._run(repo, plan)

    @work(exclusive=True, group="validation", exit_on_error=False, description="validate the plan")
    async def _run(self, repo: Repo, plan: ChangePlan) -> None:
        from infra_tui.core.validation import ValidationReport  # not on the start-up path
        from infra_tui.services.validate import cluster_dry_run, validate_plan

        started = time.monotonic()
        table = self.query_one(DataTable)
        results: list[ComponentResult] = []
        failed = 0
        async for result in validate_plan(repo, plan):
            results.append(result)
            failed += self._add_row(table, result)
        summary = (
            f"{len(results)} components validated in {time.monotonic() - started:.1f}s · {failed} failed"
        )
        status = self.query_one("#validation-status", Static)
        status.update(summary)
        report = ValidationReport(sorted(results, key=lambda r: r.component))
        self.post_message(self.Finished(plan, report))
        # beside the offline check: the cluster's own dry-run, when one is configured
        cluster = await cluster_dry_run(
            repo, getattr(self.app, "env", None), getattr(self.app, "cluster", None)
        )
        if cluster is None:
            return
        status.update(f"{summary} · {cluster.strategy} dry-run…")
        failed = 0
        try:
            async for result in validate_plan(repo, plan, strategy=cluster.strategy, transport=cluster.transport,
                                              remote_kubectl=cluster.remote_kubectl):  # fmt: skip
                failed += self._add_row(table, result)
        finally:
            if cluster.transport is not None:
                await cluster.transport.close()
        status.update(f"{summary} · {cluster.strategy} dry-run: {failed} failed")

    @staticmethod
    def _add_row(table: DataTable[str | Text], result: ComponentResult) -> bool:
        """One row, labelled with the check that made it (offline, ssh, local); True if it failed."""
        detail = "; ".join(str(i) for i in result.issues)[:200] or "; ".join(result.notes)[:200] or "ok"
        # Text cells: a detail quoting YAML or kubectl ("[...]") is not markup
        table.add_row(result.component, result.strategy, result.build, result.dry_run, f"{result.elapsed:.1f}s",
                      Text(detail))  # fmt: skip
        return bool(result.build == "fail" or result.dry_run == "fail")
