"""The live cluster behind the Cluster tab: Flux Kustomization status, read-only, over SSH.

The SSH twin of the demo's ``SimPlayer``: it owns the status source (built by
``services.cluster.watch_source`` from ``.infra-tui.yaml`` and the ``infra-tui`` flags, the same
construction ``infra-tui status`` uses) and a ``Poller``, and posts ``ClusterWatch.Polled`` after
every poll. The screen paints it on the graph and fills the cluster panel through the same path as
the simulated snapshots (``MainScreen.show_cluster``).

The poller runs in an async worker on the event loop: every SSH call is an asyncio subprocess, so
no thread and no blocking call; a host that is down, slow or answers garbage never holds a frame.
Polls never overlap and back off on failure; the last good data stays on screen, marked stale.
Unmounting (the app's exit does) cancels the poll and closes the transport, which ends the ssh
master connection (``ssh -O exit``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker

if TYPE_CHECKING:
    from infra_tui.core.settings import WatchRequest
    from infra_tui.services.cluster import ClusterSnapshot, PollState, SshKubectlSource

CLOSE_TIMEOUT = 5.0
"""Seconds to wait for a cancelled poll to unwind at exit before the transport is closed anyway."""


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    return f"{seconds // 60}m" if seconds < 7200 else f"{seconds // 3600}h"


class ClusterWatch(Widget):
    """Invisible: polls the cluster of one env and posts what it saw."""

    DEFAULT_CSS = """
    ClusterWatch { display: none; }
    """

    @dataclass(repr=False)
    class Polled(Message):
        """A poll finished (or a second passed and the age of the data changed)."""

        snapshot: ClusterSnapshot | None
        """The last good snapshot after a poll; ``None`` when only the status line changed."""
        status: Text
        """The line above the cluster table: source, age of the data, counts or the error."""
        root_cause: str
        """The most blocking root-cause line (``"3 waiting <- ...: HealthCheckFailed ..."``) or ``""``."""

        def can_replace(self, message: Message) -> bool:
            # a burst collapses, but never drop a snapshot for a status-only tick
            return isinstance(message, ClusterWatch.Polled) and (
                self.snapshot is not None or message.snapshot is None
            )

    def __init__(
        self, root: Path, env: str | None, request: WatchRequest | None = None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.root = root
        self.env = env
        self.request = request
        self.source: SshKubectlSource | None = None
        self.state: PollState | None = None
        """The poller's state after the last poll (``None`` before the first one finished)."""
        self._updated_at = 0.0
        self._worker: Worker[None] | None = None

    def on_mount(self) -> None:
        self._worker = self._watch()

    # -- polling -----------------------------------------------------------------------

    @work(exclusive=True, group="cluster-poll", exit_on_error=False)
    async def _watch(self) -> None:
        from infra_tui.core.settings import WatchRequest
        from infra_tui.errors import UserError

        request = self.request or WatchRequest()
        try:
            # settings file read + services import: off the event loop
            source, interval, untrusted = await asyncio.to_thread(_resolve, self.root, self.env, request)
        except (UserError, ValueError) as exc:
            self._post(None, Text(f"✗ cluster settings: {exc}", style="bold red"))
            return
        if untrusted:
            self.notify(untrusted, severity="warning", timeout=15)
        if source is None:
            if untrusted:
                self._post(None, Text(f"⚠ {untrusted}", style="yellow"))
            return  # no host for this env: the panel keeps its "no cluster connected" line
        from infra_tui.services.cluster import Poller  # imported by _resolve already

        self.source = source
        self._post(None, Text(f"{source.source} · connecting…", style="dim"))
        self.set_interval(1.0, self._tick)
        poller = Poller(source, interval, timeout=request.timeout + 5, on_update=self._polled)
        await poller.run()

    def _polled(self, state: PollState) -> None:
        """After every poll (on the event loop, inside the worker)."""
        from infra_tui.services.cluster import root_cause_lines

        self.state = state
        self._updated_at = time.monotonic()
        causes = root_cause_lines(state.snapshot) if state.snapshot is not None and not state.error else []
        self._post(
            state.snapshot if not state.error else None, self.status_line(), causes[0] if causes else None
        )

    def _tick(self) -> None:
        if self.state is not None:
            self._post(None, self.status_line())

    def _post(self, snapshot: ClusterSnapshot | None, status: Text, root_cause: str | None = None) -> None:
        self.post_message(self.Polled(snapshot, status, root_cause if root_cause is not None else ""))

    def status_line(self) -> Text:
        """Source, age of the data and counts; or the error, since when, and the next retry."""
        state, source = self.state, self.source
        if state is None or source is None:
            return Text("")
        now = datetime.now(UTC)
        retry = max(0.0, state.next_delay - (time.monotonic() - self._updated_at))
        snapshot = state.snapshot
        line = Text()
        if state.error is None and snapshot is not None:
            counts = ", ".join(f"{n} {s}" for s, n in snapshot.counts().items() if n) or "no Kustomizations"
            line.append(f"{source.source}", style="bold")
            line.append(f" · fetched {_age((now - snapshot.fetched_at).total_seconds())} ago · ")
            line.append(counts)
            return line
        if snapshot is None:
            line.append(f"✗ {source.source}: ", style="bold red")
            line.append(state.error or "no data", style="red")
            line.append(f" · retry in {retry:.0f}s", style="dim")
            return line
        since = state.stale_since or now
        line.append(
            f"⚠ stale since {since.astimezone().strftime('%H:%M:%S')} ({_age((now - since).total_seconds())}): ",
            style="bold yellow",
        )
        line.append(state.error or "", style="yellow")
        line.append(
            f" · retry in {retry:.0f}s · showing data fetched {_age((now - snapshot.fetched_at).total_seconds())} ago",
            style="dim",
        )
        return line

    # -- exit --------------------------------------------------------------------------

    async def on_unmount(self) -> None:
        """Stop polling and close the transport: no ssh master connection outlives the app."""
        worker = self._worker
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(worker.wait(), CLOSE_TIMEOUT)
        if self.source is not None:
            source, self.source = self.source, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(source.close(), CLOSE_TIMEOUT)


def _resolve(
    root: Path, env: str | None, request: WatchRequest
) -> tuple[SshKubectlSource | None, float, str | None]:
    from infra_tui.services.cluster import watch_source  # not on the startup path

    return watch_source(root, env, request)


__all__ = ["ClusterWatch"]
