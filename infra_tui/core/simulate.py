"""A deterministic simulation of a Flux bootstrap over the dependsOn graph of one env.

The model follows kustomize-controller (``internal/controller/kustomization_controller.go``) and
fluxcd/pkg ``ssa``; every status message below has the shape the real controller writes:

* A Kustomization whose dependsOn are not all Ready is ``Ready=False`` with reason
  ``DependencyNotReady`` and the message ``dependency '<ns>/<name>' is not ready``, naming the
  first dependency, in spec order, that is not Ready (``checkDependencies``). It is re-queued when
  a dependency turns Ready (``KustomizationReadyChangePredicate``), so it starts right then.
* A run goes fetch -> build -> apply (server-side dry-run first) -> health checks (``wait: true``
  only), with ``Ready=Unknown/Progressing "Reconciliation in progress"`` and a ``Reconciling``
  condition whose message names the phase ("Fetching manifests for revision ... with a timeout
  of ...", "Building manifests ...", "Detecting drift ...", "Running health checks ...").
* A custom resource whose CRD is not installed yet fails the dry-run of the whole apply:
  ``<Kind>/<namespace>/<name> dry-run failed: no matches for kind "<Kind>" in version
  "<group>/<version>"`` (fluxcd/pkg ``ssa/errors/errors.go`` ``DryRunErr.Error`` with
  ``ssa/utils/fmt.go`` ``FmtUnstructured``, wrapping apimachinery's ``NoKindMatchError``),
  reason ``ReconciliationFailed``; the controller appends the change-set log of what the first
  stage (Namespaces, CRDs) did apply, after a newline (``apply``: ``"%w\\n%s"``).
* A health check that times out: ``health check failed after <Go duration>: timeout waiting for:
  [<Kind>/<ns>/<name> status: 'InProgress']`` (``checkHealth`` + ``ssa/manager_wait.go``), reason
  ``HealthCheckFailed``.
* A failed run is retried after ``spec.retryInterval``, which defaults to ``spec.interval``
  (``GetRetryInterval``); on failure the ``Reconciling`` condition stays with reason
  ``ProgressingWithRetry`` (``finalizeStatus``); on success it is deleted and
  ``status.observedGeneration`` set.

Durations come from ``random.Random(seed)`` scaled by what the Kustomization applies (a
HelmRelease takes far longer than a ConfigMap) and by its ``spec.timeout`` (people raise the
timeout of slow installs). ``wait: false`` (the Flux default) is Ready right after the apply.

Pure: no Textual, no subprocess, no wall clock: simulated time is seconds since ``EPOCH``.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from infra_tui.core.graph import Graph
from infra_tui.core.model import FLUX_KS_GROUP, Repo, Resource, mapping, short_name
from infra_tui.core.rules import load_rules

# The simulated clock's zero: every timestamp is EPOCH + t, so output never depends on the wall clock.
EPOCH = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)

READY, PROGRESSING, WAITING, FAILED, SUSPENDED = "ready", "progressing", "waiting", "failed", "suspended"

DEPENDENCY_NOT_READY = "DependencyNotReady"
RECONCILIATION_FAILED = "ReconciliationFailed"
HEALTH_CHECK_FAILED = "HealthCheckFailed"
SUCCEEDED = "ReconciliationSucceeded"

DEFAULT_INTERVAL = 600.0  # spec.interval is required by the API; used only when a repo omits it
DEFAULT_TIMEOUT = 300.0  # no spec.timeout: the controller uses spec.interval, here 5m for realism
HEALTH_POLL = 5.0  # ssa.WaitOptions{Interval: 5 * time.Second}
KS_API_VERSION = f"{FLUX_KS_GROUP}/v1"
# Kinds whose CRDs come with Flux itself: always installed before any Kustomization runs.
FLUX_GROUPS = ("toolkit.fluxcd.io",)
# Objects ssa applies in stage one (ApplyAllStaged): they show up in the change-set log.
STAGE_ONE_KINDS = ("CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterRoleBinding")
# Health-check weights in seconds: what makes a run long.
_WEIGHTS = {
    "HelmRelease": 55.0,
    "StatefulSet": 30.0,
    "DaemonSet": 25.0,
    "Deployment": 18.0,
    "Job": 15.0,
    "CustomResourceDefinition": 2.0,
}


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


_CLUSTER_SCOPED = {
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterIssuer",
    "CiliumClusterwideNetworkPolicy",
    "ClusterPolicy",
    "ConstraintTemplate",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}


def _obj_ns(r: Resource, default_ns: str | None) -> str | None:
    return None if r.kind in _CLUSTER_SCOPED else (r.namespace or default_ns)


def _revision(graph: Graph, seed: int) -> str:
    h = hashlib.sha1(
        ("infra-tui-sim\n" + graph.env + "\n" + "\n".join(sorted(graph.nodes))).encode()
    ).hexdigest()
    return f"main@sha1:{h}"


# --------------------------------------------------------------------------- providers


ProviderLookup = Callable[[str], "str | None"]


def crd_provider_lookup(repo: Repo | None = None) -> ProviderLookup:
    """``kind -> provider Kustomization name`` from the rules (templates/rules.yaml + the repo's
    ``.infra-tui.yaml`` additions)."""
    return load_rules(repo).provider_for_kind


# --------------------------------------------------------------------------- inputs


@dataclass
class _Node:
    id: str
    namespace: str
    deps: list[str]  # effective dependsOn ids, spec order (includes ones missing from the graph)
    wait: bool
    timeout: float
    retry: float
    suspended: bool
    resources: list[Resource] | None  # None: contents unknown
    target_namespace: str | None = None
    crd_needs: list[tuple[Resource, str]] = field(default_factory=list)  # (custom resource, provider id)


def contents_of(repo: Repo, graph: Graph) -> dict[str, list[Resource]]:
    """The resources each Kustomization applies, where its component folder could be read."""
    out: dict[str, list[Resource]] = {}
    for nid, ks in graph.nodes.items():
        comp = repo.component_for(ks)
        if comp is not None:
            out[nid] = list(comp.resources)
    return out


def _provider_id(graph: Graph, name: str, namespace: str) -> str | None:
    cand = f"{namespace}/{name}"
    if cand in graph.nodes:
        return cand
    return graph.resolve(name)


def _build_nodes(
    graph: Graph,
    contents: Mapping[str, Sequence[Resource]],
    providers: ProviderLookup,
    remove_deps: Mapping[str, set[str]],
) -> dict[str, _Node]:
    # CRDs shipped by a component of the repo itself: kind -> the Kustomization that applies them.
    crd_owner: dict[tuple[str, str], str] = {}
    for nid, shipped in contents.items():
        for r in shipped:
            if r.kind == "CustomResourceDefinition":
                spec = mapping(r.data.get("spec"))
                names = mapping(spec.get("names"))
                if names.get("kind") and spec.get("group"):
                    crd_owner[(str(spec["group"]), str(names["kind"]))] = nid
    nodes: dict[str, _Node] = {}
    for nid, ks in graph.nodes.items():
        removed = remove_deps.get(nid, set())
        deps = [d for d in ks.depends_on_ids if d not in removed]
        interval = parse_go_duration(ks.interval, DEFAULT_INTERVAL)
        res = list(contents[nid]) if nid in contents else None
        node = _Node(
            id=nid,
            namespace=ks.namespace,
            deps=list(dict.fromkeys(deps)),
            wait=bool(ks.wait),
            timeout=parse_go_duration(
                ks.timeout, interval if ks.timeout is None and ks.interval else DEFAULT_TIMEOUT
            ),
            retry=parse_go_duration(ks.retry_interval, interval),
            suspended=ks.suspend,
            resources=res,
            target_namespace=(ks.data.get("spec") or {}).get("targetNamespace")
            if isinstance(ks.data.get("spec"), dict)
            else None,
        )
        own_crds = {
            (r.data.get("spec", {}) or {}).get("names", {}).get("kind")
            for r in res or []
            if r.kind == "CustomResourceDefinition"
        }
        for r in res or []:
            group = r.group
            if not group or any(group.endswith(g) for g in FLUX_GROUPS) or r.kind in own_crds:
                continue
            prov: str | None = crd_owner.get((group, r.kind))
            if prov is None:
                pname = providers(r.kind)
                prov = _provider_id(graph, pname, ks.namespace) if pname else None
            if prov and prov != nid:
                node.crd_needs.append((r, prov))
        nodes[nid] = node
    return nodes


# --------------------------------------------------------------------------- the simulation


class _Sim:
    def __init__(self, graph: Graph, nodes: dict[str, _Node], seed: int, fail: set[str], revision: str):
        self.graph = graph
        self.nodes = nodes
        self.seed = seed
        self.fail = fail
        self.revision = revision
        self.state: dict[str, str] = {}
        self.message: dict[str, str] = {}
        self.steps: list[Step] = []
        self.runs: list[Run] = []
        self.attempts: dict[str, int] = {}
        self.applied_before: set[str] = set()  # stage-one objects already created
        self.queue: list[tuple[float, int, str, str]] = []
        self.pending_run: dict[str, tuple[int, float, float, float]] = {}
        self.pending_finish: dict[str, tuple[str, str, str]] = {}
        self.last_failure: dict[str, str] = {}
        self.parked: dict[str, float] = {}
        self.max_retry = max((n.retry for n in nodes.values()), default=DEFAULT_INTERVAL)
        self.seq = 0
        self.last_change = 0.0
        # Each Kustomization draws from its own stream, seeded by (seed, id): a what-if, or a
        # component added by the wizard, leaves the durations of all the others as they were.
        self.draws: dict[str, tuple[float, float, float]] = {}
        for nid in nodes:
            rng = random.Random(f"{seed}:{nid}")
            self.draws[nid] = (rng.random(), rng.random(), rng.random())

    # -- events ----------------------------------------------------------------------

    def push(self, t: float, kind: str, nid: str) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (round(t, 3), self.seq, kind, nid))

    def record(
        self, t: float, nid: str, state: str, reason: str, message: str, meaningful: bool = True
    ) -> None:
        if self.state.get(nid) == state and self.message.get(nid) == message:
            return
        self.state[nid] = state
        self.message[nid] = message
        self.steps.append(Step(round(t, 1), nid, state, reason, message))
        if meaningful:
            self.last_change = t
            self.unpark(t)

    # Retries that cannot change anything (nothing changed since the last one failed) are parked
    # instead of run, so a permanent failure does not retry forever; a real change re-arms them
    # on their own schedule (failed at t0, retry every R: the first t0 + k*R not before now).
    def park(self, t: float, nid: str) -> None:
        self.parked[nid] = t

    def unpark(self, now: float) -> None:
        for nid, t0 in sorted(self.parked.items()):
            r = self.nodes[nid].retry
            k = max(0, math.ceil((now - t0) / r)) if r > 0 else 0
            self.push(t0 + k * r, "retry", nid)
        self.parked.clear()

    # -- durations -------------------------------------------------------------------

    def phases(self, node: _Node, attempt: int) -> tuple[float, float, float]:
        """(fetch+build, apply, health) seconds for one run."""
        a, b, c = self.draws[node.id]
        if attempt > 1:  # retries draw again, from their own stream
            rng = random.Random(f"{self.seed}:{node.id}:{attempt}")
            a, c = a * 0.5 + rng.random() * 0.5, c * 0.5 + rng.random() * 0.5
        res = node.resources
        n = len(res) if res is not None else 6
        build = 1.0 + 2.5 * a + 0.05 * n
        apply = 0.8 + 1.5 * b + 0.25 * n
        if not node.wait:
            return build, apply, 0.0
        if res is None:
            weight = 40.0
        else:
            weight = 3.0 + sum(_WEIGHTS.get(r.kind, 0.3) for r in res)
        scale = min(max(math.sqrt(node.timeout / 600.0), 0.5), 2.0)
        health = weight * (0.6 + 1.0 * c) * scale
        health = math.ceil(health / HEALTH_POLL) * HEALTH_POLL  # kstatus polls every 5s
        return build, apply, min(health, node.timeout * 0.8)

    # -- transitions -----------------------------------------------------------------

    def first_unready_dep(self, node: _Node) -> str | None:
        for d in node.deps:
            if self.state.get(d) != READY:
                return d
        return None

    def dependency_message(self, dep: str) -> str:
        if dep not in self.graph.nodes:
            name = short_name(dep)
            return f"dependency '{dep}' not found: kustomizations.kustomize.toolkit.fluxcd.io \"{name}\" not found"
        return f"dependency '{dep}' is not ready"

    def evaluate(self, t: float, nid: str) -> None:
        """The controller's check of one Kustomization that is not running."""
        node = self.nodes[nid]
        if self.state.get(nid) in (PROGRESSING, READY, SUSPENDED):
            return
        if self.state.get(nid) == FAILED:
            return  # waits for its retry
        dep = self.first_unready_dep(node)
        if dep is not None:
            self.record(t, nid, WAITING, DEPENDENCY_NOT_READY, self.dependency_message(dep))
            return
        self.start(t, nid)

    def start(self, t: float, nid: str) -> None:
        node = self.nodes[nid]
        attempt = self.attempts.get(nid, 0) + 1
        self.attempts[nid] = attempt
        self.record(t, nid, PROGRESSING, "Progressing", "Reconciliation in progress", meaningful=attempt == 1)
        build, apply, health = self.phases(node, attempt)
        built = t + build
        applied = built + apply
        self.push(applied, "applied", nid)
        self.pending_run[nid] = (attempt, t, built, health)

    def on_applied(self, t: float, nid: str) -> None:
        node = self.nodes[nid]
        attempt, start, built, health = self.pending_run[nid]
        # The server-side dry-run of the whole set runs first: a missing CRD fails everything.
        missing = [(r, p) for r, p in node.crd_needs if self.state.get(p) != READY]
        if missing:
            missing.sort(key=lambda rp: (rp[0].kind, rp[0].namespace or "", rp[0].name))
            r, _ = missing[0]
            gv = r.api_version
            msg = f'{_fmt_obj_ns(r, node)} dry-run failed: no matches for kind "{r.kind}" in version "{gv}"'
            msg += "\n" + self.stage_one_log(node)
            self.finish(t, nid, attempt, start, built, t, FAILED, RECONCILIATION_FAILED, msg, False)
            return
        self.applied_before.add(nid)
        if nid in self.fail:
            if node.wait:
                over = 0.01 + self.draws[nid][1] * 0.09  # time.Since(checkStart) a little past the timeout
                end = t + node.timeout + over
                waited = ", ".join(f"{o} status: 'InProgress'" for o in self.health_objects(node))
                msg = f"health check failed after {go_duration(node.timeout + over)}: timeout waiting for: [{waited}]"
                self.finish(end, nid, attempt, start, built, t, FAILED, HEALTH_CHECK_FAILED, msg, True)
            else:  # no health checks: the failure surfaces at apply
                applied = sorted(
                    (r for r in node.resources or [] if r.kind not in STAGE_ONE_KINDS),
                    key=lambda r: (r.kind, r.name),
                )
                obj = _fmt_obj_ns(applied[0], node) if applied else self.health_objects(node)[0]
                msg = f"{obj} dry-run failed (BadRequest): the server rejected our request for an unknown reason\n"
                self.finish(t, nid, attempt, start, built, t, FAILED, RECONCILIATION_FAILED, msg, False)
            return
        end = t + health
        self.finish(
            end,
            nid,
            attempt,
            start,
            built,
            t,
            READY,
            SUCCEEDED,
            f"Applied revision: {self.revision}",
            node.wait,
        )

    def stage_one_log(self, node: _Node) -> str:
        """What the first apply stage created before the dry-run of stage two failed."""
        if node.id in self.applied_before or not node.resources:
            return ""
        lines = []
        for r in sorted(
            node.resources,
            key=lambda r: (STAGE_ONE_KINDS.index(r.kind) if r.kind in STAGE_ONE_KINDS else 9, r.name),
        ):
            if r.kind in STAGE_ONE_KINDS:
                lines.append(f"{_fmt_obj_ns(r, node)} created")
        self.applied_before.add(node.id)
        return "\n".join(lines) + ("\n" if lines else "")

    def health_objects(self, node: _Node) -> list[str]:
        res = node.resources or []
        for kinds in (("HelmRelease",), ("StatefulSet", "Deployment", "DaemonSet")):
            picked = sorted(_fmt_obj_ns(r, node) for r in res if r.kind in kinds)
            if picked:
                return picked
        name = short_name(node.id)
        return [f"HelmRelease/{name}/{name}"]

    def finish(
        self,
        end: float,
        nid: str,
        attempt: int,
        start: float,
        built: float,
        applied: float,
        outcome: str,
        reason: str,
        message: str,
        health_checked: bool,
    ) -> None:
        self.runs.append(
            Run(
                nid,
                attempt,
                round(start, 1),
                round(built, 1),
                round(applied, 1),
                round(end, 1),
                outcome,
                reason,
                message,
                health_checked,
            )
        )
        self.push(end, "finish", nid)
        self.pending_finish[nid] = (outcome, reason, message)

    def on_finish(self, t: float, nid: str) -> None:
        outcome, reason, message = self.pending_finish.pop(nid)
        node = self.nodes[nid]
        if outcome == READY:
            self.record(t, nid, READY, reason, message)
            for d in sorted(self.graph.dependants.get(nid, [])):
                self.evaluate(t, d)
            # A Kustomization that depends on this one through a removed edge, or that waits
            # for its CRDs, is not re-queued: it keeps its own retry schedule.
            return
        # A retry that fails the same way again changes nothing worth waiting for.
        repeat = self.last_failure.get(nid) == reason
        self.last_failure[nid] = reason
        self.record(t, nid, FAILED, reason, message, meaningful=not repeat)
        self.push(t + node.retry, "retry", nid)

    def on_retry(self, t: float, nid: str) -> None:
        if self.state.get(nid) != FAILED:
            return
        if t > self.last_change + self.max_retry + 1.0:
            self.park(t, nid)
            return
        node = self.nodes[nid]
        dep = self.first_unready_dep(node)
        if dep is not None:  # a dependency went away meanwhile (not in a bootstrap, but be safe)
            self.record(t, nid, WAITING, DEPENDENCY_NOT_READY, self.dependency_message(dep))
            return
        self.start(t, nid)

    def run(self) -> float:
        order = sorted(self.nodes, key=lambda n: (self.graph.layer.get(n, 0), n))
        for nid in order:
            if self.nodes[nid].suspended:
                self.record(0.0, nid, SUSPENDED, "Suspended", "Reconciliation is suspended for this object")
        for nid in order:
            self.evaluate(0.0, nid)
        while self.queue:
            t, _, kind, nid = heapq.heappop(self.queue)
            if kind == "applied":
                self.on_applied(t, nid)
            elif kind == "finish":
                self.on_finish(t, nid)
            elif kind == "retry":
                self.on_retry(t, nid)
        return max([s.t for s in self.steps] + [r.end for r in self.runs] + [0.0])


def _fmt_obj_ns(r: Resource, node: _Node) -> str:
    """``<Kind>/<namespace>/<name>`` as fluxcd/pkg ssa/utils ``FmtObjMetadata``; cluster-scoped: ``<Kind>/<name>``."""
    ns = _obj_ns(r, node.target_namespace or short_name(node.id))
    return f"{r.kind}/{ns}/{r.name}" if ns else f"{r.kind}/{r.name}"


def simulate(
    graph: Graph,
    contents: Mapping[str, Sequence[Resource]] | None = None,
    *,
    providers: ProviderLookup | None = None,
    seed: int = 0,
    fail: Iterable[str] = (),
    remove_deps: Mapping[str, Iterable[str]] | None = None,
    revision: str | None = None,
) -> Timeline:
    """Simulate the bootstrap of ``graph``.

    ``contents``: ``{ks id: resources it applies}`` (``contents_of(repo, graph)``); a Kustomization
    without an entry gets a generic duration and no CRD checks. ``providers``: kind -> provider
    Kustomization name (``crd_provider_lookup(repo)``). ``fail``: ids (or plain names) forced to
    fail their health check. ``remove_deps``: ``{id: {dep ids}}``, edges to replay without.
    Names that resolve to nothing raise ``KeyError`` naming them.
    """
    contents = contents or {}
    providers = providers or (lambda _kind: None)
    fail_ids = {_resolve(graph, f) for f in fail}
    removed: dict[str, set[str]] = {}
    for src, targets in (remove_deps or {}).items():
        sid = _resolve(graph, src)
        ks = graph.nodes[sid]
        for tgt in targets:
            tid = tgt if tgt in ks.depends_on_ids else _resolve(graph, tgt)
            removed.setdefault(sid, set()).add(tid)
    nodes = _build_nodes(graph, contents, providers, removed)
    rev = revision or _revision(graph, seed)
    sim = _Sim(graph, nodes, seed, fail_ids, rev)
    end = sim.run()
    final = {
        nid: sim.state.get(nid, WAITING) for nid in sorted(graph.nodes, key=lambda n: (graph.layer[n], n))
    }
    return Timeline(
        steps=sim.steps,
        final=final,
        end_time=end,
        runs=sorted(sim.runs, key=lambda r: (r.start, r.name)),
        seed=seed,
        revision=rev,
        fail=sorted(fail_ids),
        remove_deps={k: sorted(v) for k, v in sorted(removed.items())},
        depends_on={nid: list(n.deps) for nid, n in nodes.items()},
        env=graph.env,
    )


def _resolve(graph: Graph, name: str) -> str:
    nid = graph.resolve(name)
    if nid is None:
        raise KeyError(name)
    return nid


def simulate_repo(
    repo: Repo,
    env: str | None = None,
    *,
    seed: int = 0,
    fail: Iterable[str] = (),
    remove_deps: Mapping[str, Iterable[str]] | None = None,
    providers: ProviderLookup | None = None,
) -> tuple[Graph, Timeline]:
    """Graph + timeline of one env of a loaded repo (contents and CRD providers read from it)."""
    from infra_tui.core import graph as graph_mod

    g = graph_mod.build(repo.env(env))
    tl = simulate(
        g,
        contents_of(repo, g),
        providers=providers or crd_provider_lookup(repo),
        seed=seed,
        fail=fail,
        remove_deps=remove_deps,
    )
    return g, tl


# --------------------------------------------------------------------------- Flux-shaped objects


def condition(ctype: str, status: str, reason: str, message: str, since: float) -> dict[str, Any]:
    """One status condition as the controllers write it (also used for the simulated HelmReleases)."""
    return {
        "lastTransitionTime": timestamp(since),
        "message": message,
        "observedGeneration": 1,
        "reason": reason,
        "status": status,
        "type": ctype,
    }


_READY_STATUS = {READY: "True", PROGRESSING: "Unknown", WAITING: "False", FAILED: "False"}


def _ready_since(steps: list[Step], upto: int) -> float:
    """lastTransitionTime of Ready: when its status last changed (not its reason or message)."""
    status = _READY_STATUS.get(steps[upto].state)
    i = upto
    while i > 0 and _READY_STATUS.get(steps[i - 1].state) == status:
        i -= 1
    return steps[i].t


def objects_at(timeline: Timeline, graph: Graph, t: float) -> dict[str, Any]:
    """The ``kubectl get kustomizations -A -o json`` List the controller would show at time ``t``."""
    items = []
    by_node: dict[str, list[Step]] = {}
    for s in timeline.steps:
        if s.t <= t:
            by_node.setdefault(s.name, []).append(s)
    runs_by_node: dict[str, list[Run]] = {}
    for r in timeline.runs:
        if r.start <= t:
            runs_by_node.setdefault(r.name, []).append(r)
    for nid in sorted(graph.nodes):
        items.append(_object(timeline, graph, nid, t, by_node.get(nid, []), runs_by_node.get(nid, [])))
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def _object(
    timeline: Timeline, graph: Graph, nid: str, t: float, steps: list[Step], runs: list[Run]
) -> dict[str, Any]:
    ks = graph.nodes[nid]
    spec_src = mapping(ks.data.get("spec"))
    spec: dict[str, Any] = {k: v for k, v in spec_src.items()}
    deps = timeline.depends_on.get(nid, ks.depends_on_ids)
    if deps:
        spec["dependsOn"] = [{"name": short_name(d), "namespace": d.rsplit("/", 1)[0]} for d in deps]
    else:
        spec.pop("dependsOn", None)
    spec.setdefault("interval", ks.interval or "10m")
    spec.setdefault("prune", bool(ks.prune))
    spec.setdefault("sourceRef", {"kind": "GitRepository", "name": "flux-system"})
    obj: dict[str, Any] = {
        "apiVersion": KS_API_VERSION,
        "kind": "Kustomization",
        "metadata": {
            "creationTimestamp": timestamp(0),
            "finalizers": ["finalizers.fluxcd.io"],
            "generation": 1,
            "labels": {
                "kustomize.toolkit.fluxcd.io/name": "flux-system",
                "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
            },
            "name": ks.name,
            "namespace": ks.namespace,
        },
        "spec": spec,
    }
    if not steps:
        obj["status"] = {}
        return obj
    last = steps[-1]
    rev = timeline.revision
    status: dict[str, Any] = {}
    conditions: list[dict[str, Any]] = []
    ready_since = _ready_since(steps, len(steps) - 1)
    run = runs[-1] if runs else None
    timeout = go_duration(parse_go_duration(ks.timeout, parse_go_duration(ks.interval, DEFAULT_TIMEOUT)))
    if last.state == SUSPENDED:
        obj["spec"]["suspend"] = True
        obj["status"] = {"observedGeneration": -1}
        return obj
    ever_ready = any(s.state == READY for s in steps)
    if last.state == PROGRESSING and run is not None:
        if t < run.built:
            phase = "Fetching" if t < run.start + (run.built - run.start) / 2 else "Building"
            rmsg = f"{phase} manifests for revision {rev} with a timeout of {timeout}"
        elif t < run.applied or not run.health_checked:
            rmsg = f"Detecting drift for revision {rev} with a timeout of {timeout}"
        else:
            rmsg = f"Running health checks for revision {rev} with a timeout of {timeout}"
        conditions.append(condition("Reconciling", "True", "Progressing", rmsg, run.start))
        conditions.append(
            condition("Ready", "Unknown", "Progressing", "Reconciliation in progress", ready_since)
        )
        if run.health_checked and t >= run.applied:
            conditions.append(condition("Healthy", "Unknown", "Progressing", rmsg, run.applied))
        status["lastAttemptedRevision"] = rev
    elif last.state == FAILED and run is not None:
        phase_msg = (
            f"Running health checks for revision {rev} with a timeout of {timeout}"
            if run.reason == HEALTH_CHECK_FAILED
            else f"Detecting drift for revision {rev} with a timeout of {timeout}"
        )
        conditions.append(condition("Reconciling", "True", "ProgressingWithRetry", phase_msg, run.start))
        conditions.append(condition("Ready", "False", last.reason, last.message, ready_since))
        if run.reason == HEALTH_CHECK_FAILED:
            inner = last.message.split(": ", 1)[1] if ": " in last.message else last.message
            conditions.append(condition("Healthy", "False", HEALTH_CHECK_FAILED, inner, run.end))
        status["lastAttemptedRevision"] = rev
    elif last.state == READY and run is not None:
        conditions.append(condition("Ready", "True", SUCCEEDED, last.message, ready_since))
        if run.health_checked:
            conditions.append(
                condition(
                    "Healthy",
                    "True",
                    "Succeeded",
                    f"Health check passed in {go_duration(run.end - run.applied)}",
                    run.end,
                )
            )
        status["lastAttemptedRevision"] = rev
    else:  # waiting: the dependency check runs before anything is fetched
        conditions.append(
            condition("Ready", "False", last.reason or DEPENDENCY_NOT_READY, last.message, ready_since)
        )
        if runs:
            status["lastAttemptedRevision"] = rev
    status["conditions"] = conditions
    if ever_ready:
        status["lastAppliedRevision"] = rev
        status["observedGeneration"] = 1
    else:
        status["observedGeneration"] = -1
    obj["status"] = status
    return obj
