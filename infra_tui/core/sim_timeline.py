"""The simulated bootstrap as data: Kustomization states and the controller's reasons, ``Step`` /
``Run`` / ``Timeline`` (what ``core.simulate.simulate`` returns), per-node summaries, and Go
durations and timestamps on the simulated clock (seconds since ``EPOCH``). No wall clock."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from infra_tui.core.graph import Graph

# The simulated clock's zero: every timestamp is EPOCH + t, so output never depends on the wall clock.
EPOCH = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)

READY, PROGRESSING, WAITING, FAILED, SUSPENDED = "ready", "progressing", "waiting", "failed", "suspended"

DEPENDENCY_NOT_READY = "DependencyNotReady"
RECONCILIATION_FAILED = "ReconciliationFailed"
HEALTH_CHECK_FAILED = "HealthCheckFailed"
SUCCEEDED = "ReconciliationSucceeded"

DEFAULT_INTERVAL = 600.0  # spec.interval is required by the API; used only when a repo omits it
DEFAULT_TIMEOUT = 300.0  # no spec.timeout: the controller uses spec.interval, here 5m for realism

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Step:
    """One status change of one Kustomization at simulated time ``t`` (seconds)."""

    t: float
    name: str  # "namespace/name"
    state: str  # ready | progressing | waiting | failed | suspended
    reason: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "name": self.name,
            "state": self.state,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True)
class Run:
    """One reconciliation attempt: its phase boundaries and how it ended."""

    name: str
    attempt: int  # 1 for the first run
    start: float
    built: float  # fetch + build done, apply (dry-run) begins
    applied: float  # apply done (or failed), health checks begin
    end: float
    outcome: str  # ready | failed
    reason: str
    message: str
    health_checked: bool  # spec.wait: the run went through health checks


@dataclass
class Timeline:
    """What ``simulate`` returns. JSON keys per DESIGN.md, via ``to_dict``."""

    steps: list[Step]
    final: dict[str, str]
    end_time: float
    runs: list[Run] = field(default_factory=list)
    seed: int = 0
    revision: str = ""
    fail: list[str] = field(default_factory=list)
    remove_deps: dict[str, list[str]] = field(default_factory=dict)
    depends_on: dict[str, list[str]] = field(default_factory=dict)  # effective spec.dependsOn per id
    env: str = ""

    def steps_for(self, name: str) -> list[Step]:
        return [s for s in self.steps if s.name == name]

    def event_times(self) -> list[float]:
        """Distinct times at which something changes: where "step" stops."""
        return sorted({s.t for s in self.steps})

    def state_at(self, name: str, t: float) -> Step | None:
        last = None
        for s in self.steps:
            if s.name == name and s.t <= t:
                last = s
        return last

    def counts(self) -> dict[str, int]:
        out = {READY: 0, FAILED: 0, WAITING: 0, PROGRESSING: 0, SUSPENDED: 0}
        for state in self.final.values():
            out[state] = out.get(state, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "seed": self.seed,
            "revision": self.revision,
            "fail": self.fail,
            "remove_deps": self.remove_deps,
            "end_time": self.end_time,
            "steps": [s.to_dict() for s in self.steps],
            "final": dict(self.final),
            "summary": {k: v for k, v in self.counts().items()},
        }


@dataclass(frozen=True)
class NodeSummary:
    """Per Kustomization, for timelines and tables: when it first started, when it became Ready."""

    name: str
    layer: int
    state: str
    started: float | None
    ready: float | None
    attempts: int
    reason: str
    message: str


def summarize(timeline: Timeline, graph: Graph) -> list[NodeSummary]:
    """One row per Kustomization, in layer order."""
    out = []
    for layer in graph.layers:
        for nid in layer:
            runs = [r for r in timeline.runs if r.name == nid]
            steps = timeline.steps_for(nid)
            last = steps[-1] if steps else None
            ready = next((s.t for s in steps if s.state == READY), None)
            out.append(
                NodeSummary(
                    nid,
                    graph.layer[nid],
                    timeline.final.get(nid, WAITING),
                    runs[0].start if runs else None,
                    ready,
                    len(runs),
                    last.reason if last else "",
                    last.message if last else "",
                )
            )
    return out


# --------------------------------------------------------------------------- helpers


_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_go_duration(value: str | None, default: float) -> float:
    """``"10m"``, ``"1h30m"``, ``"90s"`` -> seconds; anything unreadable -> ``default``."""
    if not value:
        return default
    text = str(value).strip()
    pos, total = 0, 0.0
    for m in _DURATION_RE.finditer(text):
        if m.start() != pos:
            return default
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    return total if pos == len(text) and pos else default


def go_duration(seconds: float) -> str:
    """Seconds as Go's ``time.Duration.String()``: ``10m0.05s``, ``1m30s``, ``45.2s``, ``1h0m0s``."""
    if seconds <= 0:
        return "0s"
    micro = round(seconds * 1_000_000)
    h, rem = divmod(micro, 3_600_000_000)
    m, rem = divmod(rem, 60_000_000)
    s_whole, frac = divmod(rem, 1_000_000)
    sec = str(s_whole) + (("." + f"{frac:06d}".rstrip("0")) if frac else "")
    if h:
        return f"{h}h{m}m{sec}s"
    if m:
        return f"{m}m{sec}s"
    if s_whole == 0 and frac and micro < 1000:
        return f"{micro}µs"
    if s_whole == 0 and frac:
        ms = micro / 1000
        return f"{ms:g}ms"
    return f"{sec}s"


def timestamp(t: float) -> str:
    """RFC 3339 at second resolution, as metav1.Time serialises."""
    return (EPOCH + timedelta(seconds=math.floor(t))).strftime("%Y-%m-%dT%H:%M:%SZ")
