"""The demo's transport bar: plays a simulated bootstrap and reports each new cluster snapshot.

``SimPlayer`` owns the ``SimulatedSource`` and a short interval timer; whenever the simulated
time moved it takes a snapshot (the same ``ClusterSnapshot`` a real cluster gives) and posts
``SimPlayer.Snapshot``. The screen paints it on the graph and the cluster panel. Controls:
play/pause, step, speed, restart, and the what-ifs (fail a Kustomization, drop a dependsOn).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets import Static

from infra_tui.core.model import Repo
from infra_tui.core.simulate import go_duration
from infra_tui.services.cluster import ClusterSnapshot, root_cause_lines
from infra_tui.services.simulated import SimulatedSource
from infra_tui.widgets.graph_view import STATE_GLYPHS, display_name

TICK = 0.2
"""Seconds between two looks at the simulated clock while playing."""


class SimPlayer(Static):
    """One line: ▶/⏸, speed, simulated time, counts per state, the active what-ifs."""

    DEFAULT_CSS = """
    SimPlayer {
        height: 1;
        padding: 0 1;
        background: $primary-muted;
        color: $text;
    }
    """

    @dataclass(repr=False)
    class Snapshot(Message):
        """The simulated cluster at the player's current time."""

        snapshot: ClusterSnapshot
        t: float
        root_cause: str

        def can_replace(self, message: Message) -> bool:
            # a burst of ticks collapses into the newest snapshot
            return isinstance(message, SimPlayer.Snapshot)

    def __init__(
        self, *, source: SimulatedSource | None = None, autoplay: bool = True, id: str | None = None
    ) -> None:
        super().__init__("", id=id, markup=True)
        self.source = source
        self.autoplay = autoplay
        self._shown_t: float | None = None

    def on_mount(self) -> None:
        self.set_interval(TICK, self._tick)

    # -- source ------------------------------------------------------------------------

    def load(self, repo: Repo, env: str | None) -> None:
        """Start on ``repo`` (first time) or replay it with what the wizard added."""
        if self.source is None:
            self.source = SimulatedSource(repo, env)
            if self.autoplay:
                self.source.clock.play()
        else:
            self.source.reload(repo)
        self.publish()

    def _tick(self) -> None:
        if self.source is not None and self.source.clock.now() != self._shown_t:
            self.publish()

    def publish(self) -> None:
        """Post the snapshot at the current simulated time and refresh the bar."""
        if self.source is None:
            return
        t = self.source.clock.now()
        self._shown_t = t
        snapshot = self.source.snapshot_at(t)
        causes = root_cause_lines(snapshot)
        self._render_bar(snapshot, t)
        self.post_message(self.Snapshot(snapshot, t, causes[0] if causes else ""))

    def _render_bar(self, snapshot: ClusterSnapshot, t: float) -> None:
        source = self.source
        assert source is not None
        clock = source.clock
        mark = "[b]▶[/]" if clock.playing else ("[b]■[/] done" if clock.finished else "[b]⏸[/]")
        counts = snapshot.counts()
        parts = [
            f"{STATE_GLYPHS[s]} {counts[s]} {s}"
            for s in ("ready", "progressing", "waiting", "failed", "stalled")
            if counts.get(s)
        ]
        what_ifs = [f"fail {display_name(f)}" for f in source.fail]
        what_ifs += [
            f"{display_name(k)} without {', '.join(display_name(d) for d in v)}"
            for k, v in source.remove_deps.items()
        ]
        text = (
            f"{mark} x{clock.speed:g}  t {go_duration(round(t, 1))} / {go_duration(round(source.end_time, 1))}   "
            + "  ".join(parts)
        )
        if what_ifs:
            text += "   [b $warning]what-if:[/] " + "; ".join(what_ifs)
        self.update(text, layout=False)

    # -- controls ----------------------------------------------------------------------

    def toggle(self) -> None:
        if self.source is not None:
            if self.source.clock.finished:
                self.source.clock.restart()
                self.source.clock.play()
            else:
                self.source.clock.toggle()
            self.publish()

    def step(self) -> None:
        if self.source is not None:
            self.source.step()
            self.publish()

    def faster(self) -> None:
        if self.source is not None:
            self.source.clock.faster()
            self.publish()

    def slower(self) -> None:
        if self.source is not None:
            self.source.clock.slower()
            self.publish()

    def restart(self) -> None:
        if self.source is not None:
            self.source.clock.restart()
            self.source.clock.play()
            self.publish()

    def fail(self, node: str) -> bool:
        """Toggle a forced failure of ``node`` and replay; returns whether it now fails."""
        if self.source is None:
            return False
        fail = list(self.source.fail)
        failing = node not in fail
        fail = [*fail, node] if failing else [f for f in fail if f != node]
        self.source.replay(fail=fail)
        self.source.clock.play()
        self.publish()
        return failing

    def drop_dependency(self, node: str) -> str | None:
        """Replay with the next remaining dependsOn of ``node`` removed; the dependency dropped."""
        if self.source is None:
            return None
        removed = dict(self.source.remove_deps)
        gone = set(removed.get(node, []))
        deps = (
            [d for d in self.source.repo.env(self.source.env).by_id()[node].depends_on_ids if d not in gone]
            if node in self.source.repo.env(self.source.env).by_id()
            else []
        )
        if not deps:
            return None
        removed[node] = [*gone, deps[0]]
        self.source.replay(remove_deps=removed)
        self.source.clock.play()
        self.publish()
        return deps[0]

    def undo(self) -> None:
        """Clear every what-if and replay."""
        if self.source is not None:
            self.source.replay(fail=(), remove_deps={})
            self.source.clock.play()
            self.publish()
