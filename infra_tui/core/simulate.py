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

The results (``Step``, ``Run``, ``Timeline``, durations) live in ``core.sim_timeline``, the
Kustomizations as the simulation sees them in ``core.sim_nodes`` and the Flux-shaped status objects
in ``core.sim_objects``; their names stay importable from here.

Pure: no Textual, no subprocess, no wall clock: simulated time is seconds since ``EPOCH``.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections.abc import Iterable, Mapping, Sequence

from infra_tui.core.graph import Graph
from infra_tui.core.model import Repo, Resource, short_name
from infra_tui.core.sim_nodes import (
    FLUX_GROUPS,
    Node,
    ProviderLookup,
    build_nodes,
    contents_of,
    crd_provider_lookup,
    fmt_object,
)
from infra_tui.core.sim_objects import KS_API_VERSION, condition, objects_at
from infra_tui.core.sim_timeline import (
    DEFAULT_INTERVAL,
    DEFAULT_TIMEOUT,
    DEPENDENCY_NOT_READY,
    EPOCH,
    FAILED,
    HEALTH_CHECK_FAILED,
    PROGRESSING,
    READY,
    RECONCILIATION_FAILED,
    SUCCEEDED,
    SUSPENDED,
    WAITING,
    NodeSummary,
    Run,
    Step,
    Timeline,
    go_duration,
    parse_go_duration,
    summarize,
    timestamp,
)

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_TIMEOUT",
    "DEPENDENCY_NOT_READY",
    "EPOCH",
    "FAILED",
    "FLUX_GROUPS",
    "HEALTH_CHECK_FAILED",
    "KS_API_VERSION",
    "PROGRESSING",
    "READY",
    "RECONCILIATION_FAILED",
    "SUCCEEDED",
    "SUSPENDED",
    "WAITING",
    "NodeSummary",
    "ProviderLookup",
    "Run",
    "Step",
    "Timeline",
    "condition",
    "contents_of",
    "crd_provider_lookup",
    "go_duration",
    "objects_at",
    "parse_go_duration",
    "simulate",
    "simulate_repo",
    "summarize",
    "timestamp",
]

HEALTH_POLL = 5.0  # ssa.WaitOptions{Interval: 5 * time.Second}
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


def _revision(graph: Graph, seed: int) -> str:
    h = hashlib.sha1(
        ("infra-tui-sim\n" + graph.env + "\n" + "\n".join(sorted(graph.nodes))).encode()
    ).hexdigest()
    return f"main@sha1:{h}"


# --------------------------------------------------------------------------- the simulation


class _Sim:
    def __init__(self, graph: Graph, nodes: dict[str, Node], seed: int, fail: set[str], revision: str):
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

    def phases(self, node: Node, attempt: int) -> tuple[float, float, float]:
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

    def first_unready_dep(self, node: Node) -> str | None:
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
            msg = f'{fmt_object(r, node)} dry-run failed: no matches for kind "{r.kind}" in version "{gv}"'
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
                obj = fmt_object(applied[0], node) if applied else self.health_objects(node)[0]
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

    def stage_one_log(self, node: Node) -> str:
        """What the first apply stage created before the dry-run of stage two failed."""
        if node.id in self.applied_before or not node.resources:
            return ""
        lines = []
        for r in sorted(
            node.resources,
            key=lambda r: (STAGE_ONE_KINDS.index(r.kind) if r.kind in STAGE_ONE_KINDS else 9, r.name),
        ):
            if r.kind in STAGE_ONE_KINDS:
                lines.append(f"{fmt_object(r, node)} created")
        self.applied_before.add(node.id)
        return "\n".join(lines) + ("\n" if lines else "")

    def health_objects(self, node: Node) -> list[str]:
        res = node.resources or []
        for kinds in (("HelmRelease",), ("StatefulSet", "Deployment", "DaemonSet")):
            picked = sorted(fmt_object(r, node) for r in res if r.kind in kinds)
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
    nodes = build_nodes(graph, contents, providers, removed)
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
