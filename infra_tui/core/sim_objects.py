"""The Flux-shaped objects of a simulated bootstrap: the ``kubectl get kustomizations -A -o json``
List the controller would show at a simulated time, with the conditions and messages
kustomize-controller writes (see ``core.simulate`` for the model)."""

from __future__ import annotations

from typing import Any

from infra_tui.core.graph import Graph
from infra_tui.core.model import FLUX_KS_GROUP, mapping, short_name
from infra_tui.core.sim_timeline import (
    DEFAULT_TIMEOUT,
    DEPENDENCY_NOT_READY,
    FAILED,
    HEALTH_CHECK_FAILED,
    PROGRESSING,
    READY,
    SUCCEEDED,
    SUSPENDED,
    WAITING,
    Run,
    Step,
    Timeline,
    go_duration,
    parse_go_duration,
    timestamp,
)

KS_API_VERSION = f"{FLUX_KS_GROUP}/v1"


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
