"""The HelmReleases and events of a simulated bootstrap, in the shapes the controllers write.

One level below ``core.simulate``: every HelmRelease in a Kustomization's component folder appears
once that Kustomization's apply went through (a dry-run failure creates nothing), is
``Progressing`` while the Kustomization runs its health checks, and ``InstallSucceeded`` when the
run ends Ready. A Kustomization forced to fail (the demo's what-if ``x``) fails its HelmRelease's
install instead: helm-controller's attempts time out one after the other inside the
Kustomization's health-check window (``Helm install failed ... timed out waiting for the
condition``, ``installFailures`` counting up), then ``Stalled`` / ``RetriesExceeded`` once
``install.remediation.retries`` are used up, so the graph turns red before the Kustomization's
own health check gives up. Shapes as in tests/data/status/troubleshoot (helm-controller ``api/v2``).

Pure: no Textual, no subprocess, no wall clock.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from infra_tui.core.model import Resource, short_name
from infra_tui.core.sim_objects import condition as _cond  # one condition shape for both levels
from infra_tui.core.sim_timeline import Run, Timeline, go_duration, parse_go_duration, timestamp

HR_API_VERSION = "helm.toolkit.fluxcd.io/v2"
HELM_TIMEOUT_ERROR = "timed out waiting for the condition"
EMPTY_LIST = {"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}}


def chart_version(constraint: Any, name: str) -> str:
    """A concrete chart version that satisfies a Git constraint (``1.x`` -> ``1.7.3``), stable per name."""
    digits = [int(d) for d in re.findall(r"\d+", str(constraint or ""))][:3]
    h = hashlib.sha256(name.encode()).digest()
    filler = [h[0] % 20, h[1] % 10]
    while len(digits) < 3:
        digits.append(filler[len(digits) - 1] if len(digits) else 1)
    return ".".join(str(d) for d in digits)


def _spec(r: Resource) -> dict[str, Any]:
    spec = r.data.get("spec")
    return spec if isinstance(spec, dict) else {}


def _retries(r: Resource) -> int:
    value = ((_spec(r).get("install") or {}).get("remediation") or {}).get("retries")
    return value if isinstance(value, int) and value >= 0 else 0


def _failures_at(run: Run, retries: int, t: float) -> tuple[int, list[float]]:
    """Install failures by ``t`` in a failing run and when each happened."""
    window = max(run.end - run.applied, 1.0)
    times = [round(run.applied + window * k / (retries + 1) - 1.0, 1) for k in range(1, retries + 2)]
    return sum(1 for x in times if x <= t), times


def helmrelease_objects(
    timeline: Timeline, ks_name: str, ks_ns: str, nid: str, releases: list[Resource], t: float
) -> list[dict[str, Any]]:
    """The HelmRelease objects of Kustomization ``nid`` at simulated time ``t``."""
    runs = [
        r
        for r in timeline.runs
        if r.name == nid and r.start <= t and (r.health_checked or r.outcome == "ready")
    ]
    applied = [r for r in runs if r.applied <= t]
    if not applied:
        return []
    run = applied[-1]
    failing = nid in timeline.fail
    out = []
    for r in releases:
        ns = r.namespace or ks_ns
        spec = _spec(r)
        chart_spec = (
            ((spec.get("chart") or {}).get("spec") or {}) if isinstance(spec.get("chart"), dict) else {}
        )
        chart = str(chart_spec.get("chart") or r.name)
        version = chart_version(chart_spec.get("version"), f"{ns}/{r.name}")
        status: dict[str, Any] = {
            "helmChart": f"flux-system/{ns}-{r.name}",
            "lastAttemptedRevision": version,
            "lastAttemptedReleaseAction": "install",
            "observedGeneration": 1,
            "storageNamespace": ns,
        }
        timeout = go_duration(parse_go_duration(spec.get("timeout"), 300.0))
        first = applied[0]
        if failing:
            retries = _retries(r)
            count, times = _failures_at(first, retries, t)
            if count == 0:
                status["conditions"] = [
                    _cond(
                        "Reconciling",
                        "True",
                        "Progressing",
                        f"Running 'install' action with timeout of {timeout}",
                        first.applied,
                    ),
                    _cond(
                        "Ready",
                        "Unknown",
                        "Progressing",
                        f"Running 'install' action with timeout of {timeout}",
                        first.applied,
                    ),
                ]
            else:
                msg = f"Helm install failed for release {ns}/{r.name} with chart {chart}@{version}: {HELM_TIMEOUT_ERROR}"
                conds = [
                    _cond("Ready", "False", "InstallFailed", msg, times[0]),
                    _cond("Released", "False", "InstallFailed", msg, times[0]),
                ]
                if count > retries:
                    conds.insert(
                        0,
                        _cond(
                            "Stalled",
                            "True",
                            "RetriesExceeded",
                            f"Failed to install after {count} attempt(s)",
                            times[-1],
                        ),
                    )
                status["conditions"] = conds
                status["installFailures"] = count
                status["failures"] = count
                status["history"] = [
                    {
                        "chartName": chart,
                        "chartVersion": version,
                        "name": r.name,
                        "namespace": ns,
                        "status": "failed",
                        "version": count,
                    }
                ]
        elif run.outcome == "ready" and run.end <= t:
            done = min(r2.end for r2 in applied if r2.outcome == "ready" and r2.end <= t)
            msg = f"Helm install succeeded for release {ns}/{r.name}.v1 with chart {chart}@{version}"
            status["conditions"] = [
                _cond("Ready", "True", "InstallSucceeded", msg, done),
                _cond("Released", "True", "InstallSucceeded", msg, done),
            ]
            status["history"] = [
                {
                    "chartName": chart,
                    "chartVersion": version,
                    "name": r.name,
                    "namespace": ns,
                    "status": "deployed",
                    "version": 1,
                    "firstDeployed": timestamp(done),
                    "lastDeployed": timestamp(done),
                }
            ]
        else:
            status["conditions"] = [
                _cond(
                    "Reconciling",
                    "True",
                    "Progressing",
                    f"Running 'install' action with timeout of {timeout}",
                    run.applied,
                ),
                _cond(
                    "Ready",
                    "Unknown",
                    "Progressing",
                    f"Running 'install' action with timeout of {timeout}",
                    run.applied,
                ),
            ]
        out.append(
            {
                "apiVersion": HR_API_VERSION,
                "kind": "HelmRelease",
                "metadata": {
                    "generation": 1,
                    "name": r.name,
                    "namespace": ns,
                    "labels": {
                        "kustomize.toolkit.fluxcd.io/name": ks_name,
                        "kustomize.toolkit.fluxcd.io/namespace": ks_ns,
                    },
                },
                "spec": {k: v for k, v in spec.items() if k != "values"},
                "status": status,
            }
        )
    return out


def _event(
    kind: str,
    api: str,
    name: str,
    ns: str,
    etype: str,
    reason: str,
    message: str,
    first: float,
    last: float,
    count: int,
    controller: str,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "count": count,
        "eventTime": None,
        "firstTimestamp": timestamp(first),
        "lastTimestamp": timestamp(last),
        "involvedObject": {"apiVersion": api, "kind": kind, "name": name, "namespace": ns},
        "message": message,
        "metadata": {"name": f"{name}.{int(first * 1000):x}", "namespace": ns},
        "reason": reason,
        "reportingComponent": controller,
        "source": {"component": controller},
        "type": etype,
    }


def kustomization_events(timeline: Timeline, nid: str, t: float) -> dict[str, Any]:
    """kustomize-controller's events of Kustomization ``nid`` by ``t``: one per failed or
    successful reconciliation (a repeat of the same failure counts up)."""
    ns, name = nid.rsplit("/", 1)[0], short_name(nid)
    items: list[dict[str, Any]] = []
    for run in timeline.runs:
        if run.name != nid or run.end > t:
            continue
        if run.outcome == "ready":
            msg = f"Reconciliation finished in {go_duration(run.end - run.start)}, next run in 5m0s"
            items.append(
                _event(
                    "Kustomization",
                    "kustomize.toolkit.fluxcd.io/v1",
                    name,
                    ns,
                    "Normal",
                    "ReconciliationSucceeded",
                    msg,
                    run.end,
                    run.end,
                    1,
                    "kustomize-controller",
                )
            )
        elif items and items[-1]["reason"] == run.reason and items[-1]["message"] == run.message:
            items[-1]["count"] += 1
            items[-1]["lastTimestamp"] = timestamp(run.end)
        else:
            items.append(
                _event(
                    "Kustomization",
                    "kustomize.toolkit.fluxcd.io/v1",
                    name,
                    ns,
                    "Warning",
                    run.reason,
                    run.message,
                    run.end,
                    run.end,
                    1,
                    "kustomize-controller",
                )
            )
    return {**EMPTY_LIST, "items": items}


def helmrelease_events(objects: list[dict[str, Any]], namespace: str, name: str) -> dict[str, Any]:
    """helm-controller's events of one HelmRelease, read back from its simulated status."""
    items = []
    for obj in objects:
        meta = obj["metadata"]
        if (meta["namespace"], meta["name"]) != (namespace, name):
            continue
        status = obj["status"]
        conds = {c["type"]: c for c in status.get("conditions", [])}
        released = conds.get("Released")
        if released is None:
            continue
        if released["status"] == "True":
            etype, count = "Normal", 1
        else:
            etype, count = "Warning", status.get("installFailures", 1)
        since = released["lastTransitionTime"]
        items.append(
            {
                **_event(
                    "HelmRelease",
                    HR_API_VERSION,
                    name,
                    namespace,
                    etype,
                    released["reason"],
                    released["message"],
                    0,
                    0,
                    count,
                    "helm-controller",
                ),
                "firstTimestamp": since,
                "lastTimestamp": (conds.get("Stalled") or released)["lastTransitionTime"],
            }
        )
    return {**EMPTY_LIST, "items": items}
