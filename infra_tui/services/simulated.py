"""The simulated cluster: a ``StatusSource`` that plays ``core.simulate`` on a controllable clock.

``fetch()`` returns exactly what ``SshKubectlSource`` would for a real cluster, because it runs the
same parser (``services.cluster.parse_kustomizations``) over the ``kubectl get kustomizations -A
-o json`` List that ``core.simulate.objects_at`` builds. The panel, the graph overlay and the
root-cause code therefore cannot tell a demo from a cluster.

Time: ``SimClock`` turns an injected monotonic function into simulated seconds. Nothing here reads
the wall clock by itself, so tests drive it with a fake ``monotonic`` and are deterministic.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from infra_tui.core import repo as repo_mod
from infra_tui.core.graph import Graph
from infra_tui.core.model import Repo
from infra_tui.core.simulate import EPOCH, Step, Timeline, contents_of, objects_at, simulate_repo
from infra_tui.core.simulate_helm import helmrelease_events, helmrelease_objects, kustomization_events
from infra_tui.core.troubleshoot import FluxEvent, parse_events
from infra_tui.services.cluster import ClusterSnapshot, parse_kustomizations

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)
DEFAULT_RATE = 10.0  # simulated seconds per real second at x1: a 10-minute bootstrap plays in a minute


class SimClock:
    """Simulated seconds: play, pause, speed x0.5..x8, seek, restart.

    ``monotonic`` is the only time source (``time.monotonic`` by default; a fake in tests).
    ``rate`` is simulated seconds per real second at x1. ``end``: the clock stops there.
    """

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        rate: float = DEFAULT_RATE,
        speed: float = 1.0,
        end: float | None = None,
    ):
        self._mono = monotonic
        self.rate = rate
        self._speed = _nearest_speed(speed)
        self._base_sim = 0.0
        self._base_real = monotonic()
        self._playing = False
        self.end = end

    def _clamp(self, t: float) -> float:
        t = max(0.0, t)
        return min(t, self.end) if self.end is not None else t

    def now(self) -> float:
        """Simulated seconds since the start of the bootstrap."""
        if not self._playing:
            return self._clamp(self._base_sim)
        return self._clamp(self._base_sim + (self._mono() - self._base_real) * self.rate * self._speed)

    @property
    def playing(self) -> bool:
        """Playing and not yet at the end."""
        return self._playing and not self.finished

    @property
    def finished(self) -> bool:
        return self.end is not None and self.now() >= self.end

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._rebase()
        self._speed = _nearest_speed(value)

    def faster(self) -> float:
        i = SPEEDS.index(self._speed)
        self.speed = SPEEDS[min(i + 1, len(SPEEDS) - 1)]
        return self._speed

    def slower(self) -> float:
        i = SPEEDS.index(self._speed)
        self.speed = SPEEDS[max(i - 1, 0)]
        return self._speed

    def _rebase(self) -> None:
        self._base_sim = self.now()
        self._base_real = self._mono()

    def play(self) -> None:
        if self.finished:  # play at the end starts over, like a media player
            self.seek(0.0)
        self._rebase()
        self._playing = True

    def pause(self) -> None:
        self._rebase()
        self._playing = False

    def toggle(self) -> bool:
        """Play if paused, pause if playing; returns whether it now plays."""
        if self.playing:
            self.pause()
        else:
            self.play()
        return self._playing

    def seek(self, t: float) -> None:
        self._base_sim = self._clamp(t)
        self._base_real = self._mono()

    def restart(self) -> None:
        self.seek(0.0)


def _nearest_speed(value: float) -> float:
    return min(SPEEDS, key=lambda s: abs(s - value))


class SimulatedSource:
    """A ``StatusSource`` over a simulated bootstrap of one env of a repo.

    ``repo``: a loaded ``Repo`` or a path to a flat repo. What-ifs: ``fail`` (Kustomization ids or
    names forced to fail) and ``remove_deps`` (``{id: [dep ids]}``, edges replayed without).
    """

    source = "simulated"

    def __init__(
        self,
        repo: Repo | Path | str,
        env: str | None = None,
        *,
        seed: int = 0,
        fail: Iterable[str] = (),
        remove_deps: Mapping[str, Iterable[str]] | None = None,
        clock: SimClock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        rate: float = DEFAULT_RATE,
    ):
        self.repo = repo if isinstance(repo, Repo) else repo_mod.load(Path(repo))
        self.env = env
        self.seed = seed
        self.fail: list[str] = list(fail)
        self.remove_deps: dict[str, list[str]] = {k: list(v) for k, v in (remove_deps or {}).items()}
        self.clock = clock or SimClock(monotonic, rate=rate)
        self.graph: Graph
        self.timeline: Timeline
        self._simulate()

    # -- simulation --------------------------------------------------------------------

    def _simulate(self) -> Timeline:
        self.graph, self.timeline = simulate_repo(
            self.repo, self.env, seed=self.seed, fail=self.fail, remove_deps=self.remove_deps
        )
        self.releases = {
            nid: [r for r in res if r.kind == "HelmRelease"]
            for nid, res in contents_of(self.repo, self.graph).items()
        }
        self.clock.end = self.timeline.end_time
        return self.timeline

    def replay(
        self,
        *,
        fail: Iterable[str] | None = None,
        remove_deps: Mapping[str, Iterable[str]] | None = None,
        seed: int | None = None,
    ) -> Timeline:
        """Re-run with new what-ifs (``None`` keeps the current ones; ``()`` / ``{}`` clears them)
        and start the clock over, keeping play/pause. Unknown names raise ``KeyError``."""
        old = (self.fail, self.remove_deps, self.seed)
        if fail is not None:
            self.fail = list(fail)
        if remove_deps is not None:
            self.remove_deps = {k: list(v) for k, v in remove_deps.items()}
        if seed is not None:
            self.seed = seed
        try:
            self._simulate()
        except KeyError:
            self.fail, self.remove_deps, self.seed = old
            raise
        self.clock.restart()
        return self.timeline

    def reload(self, repo: Repo | None = None) -> Timeline:
        """Re-read the repo (a component the wizard just wrote joins in) and replay from zero.

        What-ifs that name a Kustomization which no longer exists are dropped."""
        self.repo = repo if repo is not None else repo_mod.load(self.repo.root)
        env = self.repo.env(self.env)
        names = {k.id for k in env.kustomizations} | {k.name for k in env.kustomizations}
        self.fail = [f for f in self.fail if f in names]
        self.remove_deps = {k: v for k, v in self.remove_deps.items() if k in names}
        self._simulate()
        self.clock.restart()
        return self.timeline

    # -- status ------------------------------------------------------------------------

    def objects(self, t: float | None = None) -> dict[str, Any]:
        """The ``kubectl get kustomizations -A -o json`` List at simulated time ``t`` (default: now)."""
        return objects_at(self.timeline, self.graph, self.clock.now() if t is None else t)

    def helmreleases(self, t: float) -> list[dict[str, Any]]:
        """The HelmRelease objects at simulated time ``t`` (``kubectl get helmreleases -A -o json`` items)."""
        out = []
        for nid, releases in sorted(self.releases.items()):
            ks = self.graph.nodes[nid]
            out += helmrelease_objects(self.timeline, ks.name, ks.namespace, nid, releases, t)
        return out

    def snapshot_at(self, t: float) -> ClusterSnapshot:
        """What ``fetch`` returns at simulated time ``t``, synchronously (snapshot tests use it):
        Kustomizations and HelmReleases in one List, through the parser a cluster's output takes."""
        doc = objects_at(self.timeline, self.graph, t)
        doc["items"] += self.helmreleases(t)
        return parse_kustomizations(
            json.dumps(doc), source=self.source, fetched_at=EPOCH + timedelta(seconds=t)
        )

    async def fetch(self) -> ClusterSnapshot:
        return self.snapshot_at(self.clock.now())

    async def events(self, kind: str, namespace: str, name: str) -> list[FluxEvent]:
        """The events a cluster would show for that object now, parsed like ``kubectl get events``."""
        t = self.clock.now()
        if kind == "Kustomization":
            doc = kustomization_events(self.timeline, f"{namespace}/{name}", t)
        else:
            doc = helmrelease_events(self.helmreleases(t), namespace, name)
        return parse_events(json.dumps(doc), self.source)

    async def close(self) -> None:
        return None

    # -- navigation --------------------------------------------------------------------

    @property
    def end_time(self) -> float:
        return self.timeline.end_time

    def next_event(self, after: float | None = None) -> float | None:
        """The next time something changes, strictly after ``after`` (default: now)."""
        now = self.clock.now() if after is None else after
        return next((t for t in self.timeline.event_times() if t > now + 1e-9), None)

    def previous_event(self, before: float | None = None) -> float | None:
        now = self.clock.now() if before is None else before
        earlier = [t for t in self.timeline.event_times() if t < now - 1e-9]
        return earlier[-1] if earlier else None

    def step(self) -> float:
        """Pause and jump to the next event (stays at the end when there is none)."""
        self.clock.pause()
        t = self.next_event()
        self.clock.seek(self.end_time if t is None else t)
        return self.clock.now()

    def step_back(self) -> float:
        self.clock.pause()
        t = self.previous_event()
        self.clock.seek(0.0 if t is None else t)
        return self.clock.now()

    def steps_between(self, t0: float, t1: float) -> list[Step]:
        """Status changes in ``(t0, t1]``: an event log fed between two polls."""
        return [s for s in self.timeline.steps if t0 < s.t <= t1]

    def blast_radius(self, name: str) -> set[str]:
        """Every Kustomization that waits, directly or not, for ``name`` (id or plain name)."""
        nid = self.graph.resolve(name)
        return self.graph.descendants(nid) if nid else set()
