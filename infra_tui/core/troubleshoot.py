"""Why is this stuck? Flux objects one level down: HelmReleases, events, and Git versus cluster.

Pure (no Textual, no subprocess): parsers of what ``kubectl get ... -o json`` prints, the state of
any Flux object from its conditions, the map HelmRelease -> Flux Kustomization from the repo model,
and the one-line causes that the root-cause chain ends in.

States (DESIGN.md "status"): ``ready progressing waiting failed stalled suspended unknown``, decided
by the conditions kustomize-controller and helm-controller write (both use the fluxcd/pkg runtime
conditions ``Ready``, ``Reconciling`` and ``Stalled``):

- ``spec.suspend: true``                      -> suspended (whatever the old conditions say)
- ``Stalled`` True                            -> stalled (RetriesExceeded, InvalidCELExpression...)
- ``Ready`` False, reason DependencyNotReady  -> waiting (not an error: a dependency is not ready yet)
- ``Ready`` False, any other reason           -> failed
- ``Ready`` Unknown, or ``Reconciling`` True without a Ready verdict -> progressing
- ``Ready`` True                              -> ready, unless ``metadata.generation`` is ahead of
  ``status.observedGeneration`` (a new spec not yet reconciled: progressing)
- no conditions                               -> unknown

HelmRelease status (helm-controller ``api/v2``: ``helmrelease_types.go``, ``snapshot_types.go``,
``condition_types.go``; messages from ``internal/reconcile``): conditions ``Ready``, ``Released``
(``Helm install failed for release <ns>/<name> with chart <chart>@<version>: <error>``),
``Remediated`` (``Helm rollback to previous release <ns>/<name>.v<n> with chart <chart>@<version>
succeeded``), ``TestSuccess``; ``Stalled`` reason ``RetriesExceeded`` (``Failed to install after
<n> attempt(s)``); ``installFailures`` / ``upgradeFailures``; ``lastAttemptedRevision`` (the chart
version tried), ``lastAttemptedConfigDigest`` (``lastAttemptedValuesChecksum`` before v2),
``lastAttemptedReleaseAction``; ``history[0]`` the latest release (``chartVersion``,
``configDigest``, ``status``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from infra_tui.core.model import Repo, ks_id

HR_RESOURCE = "helmreleases.helm.toolkit.fluxcd.io"
DEPENDENCY_NOT_READY = "DependencyNotReady"
FAILING = ("failed", "stalled")
"""HelmRelease states that are a cause: they paint their Kustomization's node red."""

_HELM_ACTION_FAILED = re.compile(
    r"^Helm (install|upgrade) failed for release \S+ with chart \S+?: (.*)$", re.S
)
_ROLLED_BACK_TO = re.compile(r"with chart (\S+@\S+)")


class StatusError(Exception):
    """Status could not be read or parsed; ``str()`` is one clear line."""


# ------------------------------------------------------------------ any Flux object


def conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``status.conditions`` by type."""
    out: dict[str, dict[str, Any]] = {}
    for c in status.get("conditions") or []:
        if isinstance(c, dict) and isinstance(c.get("type"), str):
            out[c["type"]] = c
    return out


def classify(obj: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The state of one Flux object (Kustomization, HelmRelease) and the condition that decided it."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    conds = conditions(status)
    ready, stalled, reconciling = conds.get("Ready"), conds.get("Stalled"), conds.get("Reconciling")
    if spec.get("suspend") is True:
        return "suspended", ready
    if stalled and stalled.get("status") == "True":
        return "stalled", stalled
    if ready:
        verdict = ready.get("status")
        if verdict == "False":
            return ("waiting" if ready.get("reason") == DEPENDENCY_NOT_READY else "failed"), ready
        if verdict == "Unknown":
            return "progressing", ready
        if verdict == "True":
            generation = (obj.get("metadata") or {}).get("generation")
            observed = status.get("observedGeneration")
            if isinstance(generation, int) and isinstance(observed, int) and 0 <= observed < generation:
                return "progressing", reconciling or ready
            if reconciling and reconciling.get("status") == "True":
                return "progressing", reconciling
            return "ready", ready
    if reconciling and reconciling.get("status") == "True":
        return "progressing", reconciling
    return "unknown", None


def load_objects(text: str | bytes, source: str, kinds: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """The objects of each of ``kinds`` in ``kubectl get ... -o json`` output (a List, possibly of
    several kinds, or one object of the first kind). Anything else raises ``StatusError`` saying
    what came back instead."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        shown = f"; it starts with {first[:80]!r}" if first else "; it was empty"
        raise StatusError(
            f"status from {source} is not JSON (line {exc.lineno} column {exc.colno}: {exc.msg}){shown}"
        ) from None
    if isinstance(doc, dict) and doc.get("kind") in kinds:
        objects: Any = [doc]
    elif isinstance(doc, dict) and "items" in doc:
        objects = doc["items"]
    else:
        got = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
        raise StatusError(f"status from {source} is JSON but not a {kinds[0]} list (got {got!r})")
    if not isinstance(objects, list):
        raise StatusError(f"status from {source}: 'items' is {type(objects).__name__}, not a list")
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            raise StatusError(f"status from {source}: item {index} is {type(obj).__name__}, not an object")
        kind = obj.get("kind", kinds[0])
        if kind in out:
            out[kind].append(obj)
    return out


def load_list(text: str | bytes, source: str, kind: str) -> list[dict[str, Any]]:
    """The objects of ``kind`` in ``kubectl get ... -o json`` output (see ``load_objects``)."""
    return load_objects(text, source, (kind,))[kind]


# ------------------------------------------------------------------ HelmReleases


@dataclass
class HrStatus:
    """The live status of one Flux HelmRelease."""

    name: str
    namespace: str
    state: str
    """One of the DESIGN.md states."""
    reason: str | None = None
    message: str | None = None
    chart: str | None = None
    """``spec.chart.spec.chart``."""
    chart_version: str | None = None
    """The deployed chart version: ``status.history[0].chartVersion`` of a deployed release."""
    attempted_version: str | None = None
    """``status.lastAttemptedRevision``: the chart version last tried."""
    install_failures: int = 0
    upgrade_failures: int = 0
    retries: int | None = None
    """``spec.<last action>.remediation.retries``."""
    action: str | None = None
    """``status.lastAttemptedReleaseAction``: install or upgrade."""
    exhausted: bool = False
    """``Stalled`` RetriesExceeded: helm-controller gave up until the spec changes."""
    rolled_back_to: str | None = None
    """``chart@version`` of a successful rollback remediation."""
    values_changed: bool = False
    """The last attempted config digest differs from the deployed release's."""
    suspended: bool = False
    kustomization: str | None = None
    """The Flux Kustomization that deploys it (from the repo, else the kustomize-controller labels)."""
    last_transition: str | None = None
    error: str | None = None
    """The Helm error alone (``timed out waiting for the condition``), when a Helm action failed."""

    @property
    def id(self) -> str:
        return ks_id(self.namespace, self.name)

    @property
    def failures(self) -> int:
        """Failures of the last attempted action."""
        return (
            self.upgrade_failures
            if self.action == "upgrade"
            else self.install_failures or self.upgrade_failures
        )

    @property
    def failing(self) -> bool:
        return self.state in FAILING

    def cause(self) -> str:
        """One line: what is wrong, for the root-cause chain (``install retries exhausted (3/3): ...``)."""
        action = self.action or ("upgrade" if self.upgrade_failures else "install")
        err = self.error or self.message or self.reason or self.state
        retries = self.retries if self.retries is not None else 0
        used = max(0, min(self.failures - 1, retries)) if self.failures else 0
        if self.state == "suspended":
            return "suspended"
        if self.exhausted:
            return f"{action} retries exhausted ({used}/{retries}): {err}"
        attempts = f" (attempt {self.failures}/{retries + 1})" if self.failures else ""
        if self.rolled_back_to:
            return f"{action} failed{attempts}, rolled back to {self.rolled_back_to}: {err}"
        if self.reason in ("InstallFailed", "UpgradeFailed"):
            return f"{action} failed{attempts}: {err}"
        if self.reason in ("HelmChartNotReady", "ArtifactFailed"):
            return f"chart not ready: {self.message or self.reason}"
        if self.reason:
            return f"{self.reason}: {self.message or ''}".rstrip(": ")
        return self.message or self.state

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "kustomization": self.kustomization,
            "state": self.state,
            "reason": self.reason,
            "message": self.message,
            "chart_version": self.chart_version,
            "failures": {
                "install": self.install_failures,
                "upgrade": self.upgrade_failures,
                "retries": self.retries,
            },
            "chart": self.chart,
            "attempted_version": self.attempted_version,
            "retries_exhausted": self.exhausted,
            "rolled_back_to": self.rolled_back_to,
            "suspended": self.suspended,
            "cause": self.cause() if self.state not in ("ready", "progressing", "unknown") else None,
        }


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def parse_helmrelease(obj: dict[str, Any]) -> HrStatus:
    """One HelmRelease object (``kubectl get helmreleases -o json``) -> ``HrStatus``."""
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise StatusError("a HelmRelease without metadata.name")
    namespace = str(meta.get("namespace") or "default")
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    conds = conditions(status)
    state, decided_by = classify(obj)
    history = [h for h in status.get("history") or [] if isinstance(h, dict)]
    latest = history[0] if history else {}
    deployed = next((h for h in history if h.get("status") == "deployed"), None)
    action = status.get("lastAttemptedReleaseAction") or None
    retry_spec = (
        ((spec.get(action or "install") or {}).get("remediation") or {}) if isinstance(spec, dict) else {}
    )
    retries = retry_spec.get("retries") if isinstance(retry_spec.get("retries"), int) else None
    released = conds.get("Released") or {}
    remediated = conds.get("Remediated") or {}
    stalled = conds.get("Stalled") or {}
    error = None
    for text in (released.get("message"), (decided_by or {}).get("message")):
        match = _HELM_ACTION_FAILED.match(text or "")
        if match:
            action = action or match.group(1)
            error = match.group(2).strip()
            break
    rolled_back_to = None
    if remediated.get("status") == "True" and remediated.get("reason") == "RollbackSucceeded":
        found = _ROLLED_BACK_TO.search(remediated.get("message") or "")
        rolled_back_to = found.group(1) if found else "the previous release"
    attempted_digest = status.get("lastAttemptedConfigDigest") or status.get("lastAttemptedValuesChecksum")
    labels = meta.get("labels") or {}
    ks_label = labels.get("kustomize.toolkit.fluxcd.io/name")
    chart_spec = ((spec.get("chart") or {}).get("spec") or {}) if isinstance(spec, dict) else {}
    return HrStatus(
        name=name,
        namespace=namespace,
        state=state,
        reason=(decided_by or {}).get("reason"),
        message=(decided_by or {}).get("message"),
        chart=chart_spec.get("chart") or latest.get("chartName"),
        chart_version=(deployed or {}).get("chartVersion")
        or status.get("lastAppliedRevision")  # before helm-controller v0.37 (no history)
        or (status.get("lastAttemptedRevision") if not history and state == "ready" else None),
        attempted_version=status.get("lastAttemptedRevision"),
        install_failures=_int(status.get("installFailures")),
        upgrade_failures=_int(status.get("upgradeFailures")),
        retries=retries,
        action=action,
        exhausted=stalled.get("status") == "True" and stalled.get("reason") == "RetriesExceeded",
        rolled_back_to=rolled_back_to,
        values_changed=bool(
            attempted_digest and latest.get("configDigest") and attempted_digest != latest.get("configDigest")
        ),
        suspended=spec.get("suspend") is True,
        kustomization=ks_id(labels.get("kustomize.toolkit.fluxcd.io/namespace") or "flux-system", ks_label)
        if ks_label
        else None,
        last_transition=(decided_by or {}).get("lastTransitionTime"),
        error=error,
    )


def parse_helmreleases(text: str | bytes, source: str) -> list[HrStatus]:
    """Parse ``kubectl get helmreleases.helm.toolkit.fluxcd.io -A -o json`` output."""
    out = []
    for index, obj in enumerate(load_list(text, source, "HelmRelease")):
        try:
            out.append(parse_helmrelease(obj))
        except StatusError as exc:
            raise StatusError(f"status from {source}: HelmRelease {index}: {exc}") from None
    return out


# ------------------------------------------------------------------ events


@dataclass
class FluxEvent:
    """One Kubernetes Event about a Flux object (core/v1, or events.k8s.io/v1)."""

    kind: str
    namespace: str
    name: str
    """The object the event is about (``involvedObject`` / ``regarding``)."""
    type: str
    """Normal or Warning."""
    reason: str
    message: str
    last_seen: datetime | None
    count: int = 1
    controller: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "object": f"{self.kind}/{self.namespace}/{self.name}",
            "type": self.type,
            "reason": self.reason,
            "message": self.message,
            "last_seen": self.last_seen.isoformat().replace("+00:00", "Z") if self.last_seen else None,
            "count": self.count,
            "controller": self.controller,
        }


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_events(text: str | bytes, source: str) -> list[FluxEvent]:
    """Parse ``kubectl get events ... -o json`` output, newest first."""
    out = []
    for obj in load_list(text, source, "Event"):
        about = obj.get("involvedObject") or obj.get("regarding") or {}
        series = obj.get("series") or {}
        seen = (
            _time(obj.get("lastTimestamp"))
            or _time(series.get("lastObservedTime"))
            or _time(obj.get("eventTime"))
            or _time(obj.get("deprecatedLastTimestamp"))
            or _time(obj.get("firstTimestamp"))
        )
        out.append(
            FluxEvent(
                kind=str(about.get("kind") or ""),
                namespace=str(about.get("namespace") or (obj.get("metadata") or {}).get("namespace") or ""),
                name=str(about.get("name") or ""),
                type=str(obj.get("type") or "Normal"),
                reason=str(obj.get("reason") or ""),
                message=str(obj.get("message") or obj.get("note") or "").strip(),
                last_seen=seen,
                count=_int(obj.get("count")) or _int(series.get("count")) or 1,
                controller=str(
                    obj.get("reportingComponent")
                    or obj.get("reportingController")
                    or (obj.get("source") or {}).get("component")
                    or ""
                ),
            )
        )
    out.sort(key=lambda e: e.last_seen.timestamp() if e.last_seen else 0.0, reverse=True)
    return out


def age(since: datetime | str | None, now: datetime) -> str:
    """An age at ``now``: ``45s``, ``3m``, ``2h``; ``""`` when unknown."""
    moment = _time(since) if isinstance(since, str) else since
    if moment is None:
        return ""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


# ------------------------------------------------------------------ Git: which Kustomization deploys a HelmRelease


@dataclass
class GitHelmRelease:
    """A HelmRelease as Git has it: who deploys it and which chart version it asks for."""

    id: str
    kustomization: str
    chart_version: str | None
    file: str
    line: int


def git_helmreleases(repo: Repo, env: str | None) -> dict[str, GitHelmRelease]:
    """HelmRelease id -> where Git deploys it: the Flux Kustomization whose component folder holds
    the HelmRelease file (``spec.path``), no cluster inventory needed."""
    out: dict[str, GitHelmRelease] = {}
    for ks in repo.env(env).kustomizations:
        comp = repo.component_for(ks)
        if comp is None:
            continue
        target_ns = (
            (ks.data.get("spec") or {}).get("targetNamespace")
            if isinstance(ks.data.get("spec"), dict)
            else None
        )
        for r in comp.resources:
            if r.kind != "HelmRelease":
                continue
            chart = ((r.data.get("spec") or {}).get("chart") or {}).get("spec") or {}
            version = chart.get("version") if isinstance(chart, dict) else None
            hid = ks_id(target_ns or r.namespace or ks.namespace, r.name)
            out.setdefault(
                hid, GitHelmRelease(hid, ks.id, str(version) if version is not None else None, r.file, r.line)
            )
    return out


# ------------------------------------------------------------------ chart versions: constraint versus deployed


def _version(text: str) -> tuple[int, int, int] | None:
    match = re.match(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text.strip())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)


def _term_allows(term: str, have: tuple[int, int, int]) -> bool:
    term = term.strip()
    if term in ("", "*", "x", "X"):
        return True
    op_match = re.match(r"^(>=|<=|>|<|=|\^|~)?\s*(.+)$", term)
    op, rest = (op_match.group(1) or "", op_match.group(2)) if op_match else ("", term)
    parts = re.split(r"\.", rest.lstrip("v").split("-")[0].split("+")[0])
    wild = next((i for i, p in enumerate(parts) if p in ("x", "X", "*")), None)
    nums = [int(p) for p in parts[: wild if wild is not None else len(parts)] if p.isdigit()]
    if not nums and wild is None:
        return True  # not a version we can read: do not claim drift
    want = (nums + [0, 0, 0])[:3]
    w = (want[0], want[1], want[2])
    if wild is not None or (op == "" and len(nums) < 3):
        fixed = len(nums)
        return list(have[:fixed]) == nums[:fixed]
    if op in ("", "="):
        return have == w
    if op == ">=":
        return have >= w
    if op == ">":
        return have > w
    if op == "<=":
        return have <= w
    if op == "<":
        return have < w
    if op == "^":
        if w[0] > 0:
            return w <= have < (w[0] + 1, 0, 0)
        return w <= have < (0, w[1] + 1, 0)
    if op == "~":
        return w <= have < (w[0], w[1] + 1, 0)
    return True


def chart_version_allows(constraint: str | None, deployed: str | None) -> bool:
    """Whether the deployed chart version satisfies the Git constraint (``1.x``, ``^1.2``,
    ``>=1.0 <2.0``, ``1.2.3``, ``a || b``). No constraint allows anything; nothing deployed never."""
    if not constraint or constraint.strip() in ("*", ""):
        return deployed is not None or not constraint
    if deployed is None:
        return False
    have = _version(deployed)
    if have is None:
        return constraint.strip() == deployed.strip()
    for alternative in constraint.split("||"):
        terms = [
            t for t in re.split(r"[\s,]+", re.sub(r"(>=|<=|>|<|=|\^|~)\s+", r"\1", alternative.strip())) if t
        ]
        if all(_term_allows(t, have) for t in terms):
            return True
    return False


@dataclass
class ChartDrift:
    """A HelmRelease whose deployed chart version is not what Git asks for."""

    id: str
    kustomization: str
    git: str | None
    cluster: str | None
    attempted: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kustomization": self.kustomization,
            "git": self.git,
            "cluster": self.cluster,
            "attempted": self.attempted,
        }


def chart_drift(git: dict[str, GitHelmRelease], live: list[HrStatus]) -> list[ChartDrift]:
    """HelmReleases in both Git and the cluster whose deployed chart version does not satisfy Git's."""
    out = []
    for hr in sorted(live, key=lambda h: h.id):
        want = git.get(hr.id)
        if want is None or hr.suspended:
            continue
        if not chart_version_allows(want.chart_version, hr.chart_version):
            out.append(
                ChartDrift(
                    hr.id, want.kustomization, want.chart_version, hr.chart_version, hr.attempted_version
                )
            )
    return out
