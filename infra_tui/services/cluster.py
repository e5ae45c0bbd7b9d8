"""Flux status: one parser, status sources, drift against Git, the root-cause chain, a poller.

A snapshot holds the Flux Kustomizations and HelmReleases of a cluster. States (DESIGN.md
"status"): ``ready progressing waiting failed stalled suspended unknown``, decided by
``core.troubleshoot.classify`` from the conditions kustomize-controller and helm-controller write
(see tests/data/status/README.md). The root cause of a waiting Kustomization reads through two
levels: the first non-waiting Kustomization up its dependsOn chain, then that one's failing
HelmRelease (mapped to its Kustomization by the repo model, else by kustomize-controller's labels).

Textual-free and async: the TUI's worker and the plain CLI both use it.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from infra_tui.core import trust
from infra_tui.core.model import ks_id
from infra_tui.core.settings import ClusterSettings, WatchRequest, load_settings
from infra_tui.core.troubleshoot import (
    HR_RESOURCE,
    ChartDrift,
    FluxEvent,
    GitHelmRelease,
    HrStatus,
    StatusError,
    chart_drift,
    classify,
    load_objects,
    parse_events,
    parse_helmrelease,
    parse_helmreleases,
)
from infra_tui.services.proc import CommandNotFound
from infra_tui.services.ssh import SshError, SshTarget, SshTransport, password_from

STATES = ("ready", "progressing", "waiting", "failed", "stalled", "suspended", "unknown")
KS_RESOURCE = "kustomizations.kustomize.toolkit.fluxcd.io"
DEPENDENCY_NOT_READY = "DependencyNotReady"
_DEPENDENCY_IN_MESSAGE = re.compile(r"dependency '([^'/]+)/([^']+)'")
__all__ = [
    "HR_RESOURCE",
    "FluxEvent",
    "HrStatus",
    "StatusError",
    "classify",
]  # re-exported from core.troubleshoot


@dataclass
class KsStatus:
    """The live status of one Flux Kustomization."""

    name: str
    namespace: str
    state: str
    """One of ``STATES``."""
    reason: str | None = None
    """Reason of the deciding condition (Stalled, else Ready, else Reconciling)."""
    message: str | None = None
    revision: str | None = None
    """``status.lastAppliedRevision``, else ``lastAttemptedRevision``."""
    suspended: bool = False
    depends_on: list[str] = field(default_factory=list)
    """``spec.dependsOn`` as ``namespace/name`` ids (the dependant's namespace by default)."""
    root_cause: str | None = None
    """For a waiting Kustomization: the first non-waiting one up the dependsOn chain."""
    last_transition: str | None = None
    """``lastTransitionTime`` of the deciding condition."""

    @property
    def id(self) -> str:
        return ks_id(self.namespace, self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "state": self.state,
            "reason": self.reason,
            "message": self.message,
            "revision": self.revision,
            "suspended": self.suspended,
            "root_cause": self.root_cause,
            "dependsOn": list(self.depends_on),
        }


@dataclass
class Drift:
    """Cluster versus Git for one env."""

    only_in_cluster: list[str] = field(default_factory=list)
    only_in_git: list[str] = field(default_factory=list)
    depends_on_differs: list[dict[str, Any]] = field(default_factory=list)
    """``{"id", "cluster": [ids], "git": [ids]}`` where the dependsOn sets differ."""
    chart_version_differs: list[ChartDrift] = field(default_factory=list)
    """HelmReleases whose deployed chart version does not satisfy Git's ``spec.chart.spec.version``."""

    def __bool__(self) -> bool:
        return bool(
            self.only_in_cluster or self.only_in_git or self.depends_on_differs or self.chart_version_differs
        )

    def for_node(self, node_id: str) -> list[str]:
        """What differs for one Kustomization, one line each."""
        lines = []
        if node_id in self.only_in_cluster:
            lines.append("only in the cluster (not in Git)")
        if node_id in self.only_in_git:
            lines.append("only in Git (not in the cluster)")
        for d in self.depends_on_differs:
            if d["id"] == node_id:
                lines.append(
                    f"dependsOn differs: cluster {', '.join(d['cluster']) or '-'} / Git {', '.join(d['git']) or '-'}"
                )
        for c in self.chart_version_differs:
            if c.kustomization == node_id:
                lines.append(
                    f"chart version of HelmRelease {c.id}: Git {c.git or '-'} / deployed {c.cluster or 'none'}"
                    + (f" (last tried {c.attempted})" if c.attempted and c.attempted != c.cluster else "")
                )
        return lines

    def lines(self) -> list[str]:
        """Every difference, one line each (the text output and the Cluster tab's drift box)."""
        out = []
        if self.only_in_cluster:
            out.append("only in the cluster: " + ", ".join(self.only_in_cluster))
        if self.only_in_git:
            out.append("only in Git: " + ", ".join(self.only_in_git))
        for d in self.depends_on_differs:
            out.append(f"dependsOn differs for {d['id']}: cluster {d['cluster']} / Git {d['git']}")
        for c in self.chart_version_differs:
            out.append(
                f"chart version differs for HelmRelease {c.id} ({_label(c.kustomization)}): Git {c.git or '-'} / "
                f"deployed {c.cluster or 'none'}"
                + (f", last tried {c.attempted}" if c.attempted and c.attempted != c.cluster else "")
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "only_in_cluster": list(self.only_in_cluster),
            "only_in_git": list(self.only_in_git),
            "depends_on_differs": list(self.depends_on_differs),
            "chart_version_differs": [c.to_json() for c in self.chart_version_differs],
        }


@dataclass
class ClusterSnapshot:
    """Every Flux Kustomization of one cluster at one moment."""

    source: str
    """Where it came from: ``ssh://user@host:port``, ``file:PATH``..."""
    fetched_at: datetime
    """When it was read (UTC)."""
    items: list[KsStatus] = field(default_factory=list)
    helmreleases: list[HrStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What could not be read without failing the poll (e.g. HelmReleases), one line each."""

    def by_id(self) -> dict[str, KsStatus]:
        return {k.id: k for k in self.items}

    def map_helmreleases(self, git: dict[str, GitHelmRelease]) -> ClusterSnapshot:
        """Attach each HelmRelease to the Kustomization whose folder holds it in Git (the repo
        model wins over kustomize-controller's labels). Returns ``self``."""
        for hr in self.helmreleases:
            found = git.get(hr.id)
            if found is not None:
                hr.kustomization = found.kustomization
        return self

    def helmreleases_of(self, node_id: str) -> list[HrStatus]:
        return [h for h in self.helmreleases if h.kustomization == node_id]

    def failing_helmrelease(self, node_id: str) -> HrStatus | None:
        """The HelmRelease of ``node_id`` to blame: stalled before failed, then by name."""
        failing = [h for h in self.helmreleases_of(node_id) if h.failing]
        return min(failing, key=lambda h: (h.state != "stalled", h.id)) if failing else None

    def graph_states(self) -> dict[str, str]:
        """The state to paint per Kustomization: ``failed`` when one of its HelmReleases failed,
        even while the Kustomization itself is still progressing (its health check has not timed out)."""
        out = {k.id: k.state for k in self.items}
        for hr in self.helmreleases:
            ks = hr.kustomization
            if hr.failing and ks in out and out[ks] in ("progressing", "ready", "unknown"):
                out[ks] = "failed"
        return out

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for k in self.items:
            out[k.state] += 1
        return out

    def to_json(self, drift: Drift | None = None) -> dict[str, Any]:
        """The stable JSON of DESIGN.md "status"."""
        kustomizations = []
        for k in self.items:
            doc = k.to_json()
            doc["helmreleases"] = [h.id for h in self.helmreleases_of(k.id)]
            doc["root_cause_chain"] = cause_chain(self, k.id)
            kustomizations.append(doc)
        out = {
            "source": self.source,
            "fetched_at": _iso(self.fetched_at),
            "kustomizations": kustomizations,
            "helmreleases": [h.to_json() for h in self.helmreleases],
            "drift": (drift or Drift()).to_json(),
        }
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ------------------------------------------------------------------ parsing


def _depends_on(obj: dict[str, Any], namespace: str) -> list[str]:
    out = []
    for dep in (obj.get("spec") or {}).get("dependsOn") or []:
        if isinstance(dep, dict) and dep.get("name"):
            out.append(ks_id(dep.get("namespace") or namespace, str(dep["name"])))
        elif isinstance(dep, str) and dep:  # pre-v1 string form, possibly "ns/name"
            out.append(dep if "/" in dep else ks_id(namespace, dep))
    return out


def parse_kustomization(obj: dict[str, Any]) -> KsStatus:
    """One Kustomization object (as ``kubectl get -o json`` prints it) -> ``KsStatus``."""
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise StatusError("a Kustomization without metadata.name")
    namespace = str(meta.get("namespace") or "default")
    status = obj.get("status") or {}
    state, decided_by = classify(obj)
    return KsStatus(
        name=name,
        namespace=namespace,
        state=state,
        reason=(decided_by or {}).get("reason"),
        message=(decided_by or {}).get("message"),
        revision=status.get("lastAppliedRevision") or status.get("lastAttemptedRevision"),
        suspended=(obj.get("spec") or {}).get("suspend") is True,
        depends_on=_depends_on(obj, namespace),
        last_transition=(decided_by or {}).get("lastTransitionTime"),
    )


def parse_kustomizations(
    text: str | bytes, source: str, fetched_at: datetime | None = None
) -> ClusterSnapshot:
    """Parse ``kubectl get kustomizations.kustomize.toolkit.fluxcd.io -A -o json`` output.

    Also accepts a single Kustomization object, and a List that mixes Kustomizations with
    HelmReleases (``kubectl get kustomizations,helmreleases -A -o json``). Anything else raises
    ``StatusError`` saying what came back instead."""
    objects = load_objects(text, source, ("Kustomization", "HelmRelease"))
    items = []
    for index, obj in enumerate(objects["Kustomization"]):
        try:
            items.append(parse_kustomization(obj))
        except StatusError as exc:
            raise StatusError(f"status from {source}: item {index}: {exc}") from None
    snapshot = ClusterSnapshot(source=source, fetched_at=fetched_at or datetime.now(UTC), items=items)
    snapshot.helmreleases = [parse_helmrelease(o) for o in objects["HelmRelease"]]
    by_id = snapshot.by_id()
    for k in items:
        k.root_cause = _root_cause(by_id, k.id)
    return snapshot


# ------------------------------------------------------------------ root cause and drift


def _blocking_dependency(k: KsStatus, by_id: dict[str, KsStatus]) -> str | None:
    """The dependency a waiting Kustomization waits for: the one its message names, else the
    first of its dependsOn that is not ready."""
    match = _DEPENDENCY_IN_MESSAGE.search(k.message or "")
    if match:
        return ks_id(match.group(1), match.group(2))
    for dep in k.depends_on:
        found = by_id.get(dep)
        if found is None or found.state != "ready":
            return dep
    return k.depends_on[0] if k.depends_on else None


def _root_cause(by_id: dict[str, KsStatus], node_id: str) -> str | None:
    current = by_id.get(node_id)
    if current is None or current.state != "waiting":
        return None
    seen = {node_id}
    while True:
        dep = _blocking_dependency(current, by_id)
        if dep is None:
            return None
        nxt = by_id.get(dep)
        if nxt is None or nxt.state != "waiting":
            return dep  # a missing dependency is the cause too: that is what to fix
        if dep in seen:
            return dep  # a waiting cycle: name where it closes
        seen.add(dep)
        current = nxt


def root_cause(snapshot: ClusterSnapshot, node_id: str) -> str | None:
    """The first non-waiting Kustomization up the dependsOn chain of a waiting one (else ``None``)."""
    return _root_cause(snapshot.by_id(), node_id)


def _label(node_id: str) -> str:
    return node_id.removeprefix("flux-system/")


def _helm_tail(snapshot: ClusterSnapshot, node_id: str) -> str:
    hr = snapshot.failing_helmrelease(node_id)
    return f" <- HelmRelease {hr.id}: {hr.cause()}" if hr is not None else ""


def _what(snapshot: ClusterSnapshot, found: KsStatus | None) -> str:
    """Why a root-cause Kustomization is not ready: its reason, then its failing HelmRelease's
    cause when it has one (else its own message)."""
    if found is None:
        return "not in the cluster"
    tail = _helm_tail(snapshot, found.id)
    if tail:
        return f"{found.reason or found.state}{tail}"
    return f"{found.reason or found.state}: {found.message or ''}".strip()


def cause_chain(snapshot: ClusterSnapshot, node_id: str) -> str | None:
    """Why ``node_id`` is not ready, through both levels, or ``None`` when nothing blocks it:
    ``netcorp-app waiting <- postgre: HealthCheckFailed <- HelmRelease database/postgre: install
    retries exhausted (3/3): timed out waiting for the condition``."""
    by_id = snapshot.by_id()
    k = by_id.get(node_id)
    if k is None:
        return None
    if k.state == "waiting" and k.root_cause:
        return f"{_label(k.id)} waiting <- {_label(k.root_cause)}: {_what(snapshot, by_id.get(k.root_cause))}"
    tail = _helm_tail(snapshot, k.id)
    if tail:
        return f"{_label(k.id)} {k.state}{': ' + k.reason if k.reason and k.state != 'progressing' else ''}{tail}"
    return None


def root_cause_lines(snapshot: ClusterSnapshot) -> list[str]:
    """``"3 waiting <- flux-system/cert-manager: HealthCheckFailed: health check failed ..."``,
    one line per root cause, most blocked first; a root cause with a failing HelmRelease reads
    ``... HealthCheckFailed <- HelmRelease database/postgre: install retries exhausted ...``. Then
    one line per failing HelmRelease that blocks nobody yet (its Kustomization still progressing)."""
    groups: dict[str, int] = {}
    for k in snapshot.items:
        if k.root_cause:
            groups[k.root_cause] = groups.get(k.root_cause, 0) + 1
    by_id = snapshot.by_id()
    lines = []
    for cause, count in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"{count} waiting <- {cause}: {_what(snapshot, by_id.get(cause))}")
    for k in snapshot.items:
        if k.id not in groups and snapshot.failing_helmrelease(k.id) is not None:
            lines.append(cause_chain(snapshot, k.id) or "")
    return lines


def changes(before: ClusterSnapshot | None, after: ClusterSnapshot) -> list[str]:
    """What changed between two polls, one line each: ``postgre: progressing -> failed``,
    ``HelmRelease database/postgre: failed -> stalled``, ``+ new-app (waiting)``, ``- old-app``."""
    if before is None:
        return []
    out = []
    for kind, old, new in (
        ("", {k.id: k.state for k in before.items}, {k.id: k.state for k in after.items}),
        (
            "HelmRelease ",
            {h.id: h.state for h in before.helmreleases},
            {h.id: h.state for h in after.helmreleases},
        ),
    ):
        for node_id, state in new.items():
            label = kind + (_label(node_id) if not kind else node_id)
            if node_id not in old:
                out.append(f"+ {label} ({state})")
            elif old[node_id] != state:
                out.append(f"{label}: {old[node_id]} -> {state}")
        out += [f"- {kind + (_label(n) if not kind else n)}" for n in old if n not in new]
    return out


def drift(
    snapshot: ClusterSnapshot,
    repo_ids: dict[str, list[str]],
    git_helmreleases: dict[str, GitHelmRelease] | None = None,
) -> Drift:
    """Compare the cluster with Git. ``repo_ids``: Kustomization id -> its dependsOn ids in Git;
    ``git_helmreleases`` (``core.troubleshoot.git_helmreleases``): chart versions asked for."""
    cluster = snapshot.by_id()
    out = Drift(
        only_in_cluster=sorted(set(cluster) - set(repo_ids)),
        only_in_git=sorted(set(repo_ids) - set(cluster)),
        chart_version_differs=chart_drift(git_helmreleases or {}, snapshot.helmreleases),
    )
    for node_id in sorted(set(cluster) & set(repo_ids)):
        live, git = sorted(cluster[node_id].depends_on), sorted(repo_ids[node_id])
        if live != git:
            out.depends_on_differs.append({"id": node_id, "cluster": live, "git": git})
    return out


# ------------------------------------------------------------------ sources


class StatusSource(Protocol):
    """Anything that can produce a snapshot: over SSH, from a file, simulated."""

    source: str

    async def fetch(self) -> ClusterSnapshot: ...

    async def events(self, kind: str, namespace: str, name: str) -> list[FluxEvent]:
        """The events about one object (``Kustomization`` or ``HelmRelease``), newest first."""
        ...

    async def close(self) -> None:
        """Release what the source holds (the SSH master connection); safe to call twice."""
        ...


class JsonFileSource:
    """Replays ``kubectl ... -o json`` output saved in a file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.source = f"file:{self.path}"

    async def fetch(self) -> ClusterSnapshot:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise StatusError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        return parse_kustomizations(data, self.source)

    async def events(self, kind: str, namespace: str, name: str) -> list[FluxEvent]:
        """The Events saved in the same file (a List may mix kinds), about that object."""
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise StatusError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        return [
            e
            for e in parse_events(data, self.source)
            if (e.kind, e.namespace, e.name) == (kind, namespace, name)
        ]

    async def close(self) -> None:
        return None


EVENT_KINDS = ("Kustomization", "HelmRelease")
"""The kinds ``events`` asks about (the field selector names one of them)."""


class SshKubectlSource:
    """``kubectl get kustomizations... -A -o json`` on the control plane through the read-only
    transport."""

    def __init__(
        self,
        transport: SshTransport,
        kubectl: str = "kubectl",
        context: str | None = None,
        *,
        timeout: float = 20.0,
        helmreleases: bool = True,
    ):
        self.transport = transport
        self.kubectl = shlex.split(kubectl) or ["kubectl"]
        self.context = context
        self.timeout = timeout
        self.helmreleases = helmreleases
        """Also read HelmReleases on every poll (``False``: Kustomizations only, as before issue 17)."""
        self.source = transport.source
        self._connected = False

    def _kubectl(self) -> list[str]:
        argv = [*self.kubectl]
        if self.context:
            argv += ["--context", self.context]
        return argv

    def argv(self, resource: str = KS_RESOURCE) -> list[str]:
        return [*self._kubectl(), "get", resource, "-A", "-o", "json"]

    def events_argv(self, kind: str, namespace: str, name: str) -> list[str]:
        if kind not in EVENT_KINDS:
            raise ValueError(f"events are read for {' and '.join(EVENT_KINDS)} only, not {kind}")
        selector = f"involvedObject.kind={kind},involvedObject.name={name}"
        return [
            *self._kubectl(),
            "get",
            "events",
            "-n",
            namespace,
            "--field-selector",
            selector,
            "-o",
            "json",
        ]

    async def _get(self, argv: list[str]) -> str:
        result = await self.transport.run(argv, timeout=self.timeout)
        if not result.ok:
            last = next((s.strip() for s in reversed(result.stderr.splitlines()) if s.strip()), "no message")
            raise StatusError(
                f"remote kubectl on {self.transport.target.host_port} failed (exit {result.returncode}): {last}"
            )
        return result.stdout

    async def fetch(self) -> ClusterSnapshot:
        """Kustomizations and HelmReleases, read at once over the one multiplexed connection. A
        failed HelmRelease read (no helm-controller) leaves a note; the poll still succeeds."""
        if not self.helmreleases:
            return parse_kustomizations(await self._get(self.argv()), self.source)
        if not self._connected:  # the first call opens the master connection: one login, not two
            ks_text: str | BaseException = await self._get(self.argv())
            self._connected = True
            hr_text = (await asyncio.gather(self._get(self.argv(HR_RESOURCE)), return_exceptions=True))[0]
        else:
            ks_text, hr_text = await asyncio.gather(
                self._get(self.argv()), self._get(self.argv(HR_RESOURCE)), return_exceptions=True
            )
        if isinstance(ks_text, BaseException):
            raise ks_text
        snapshot = parse_kustomizations(ks_text, self.source)
        if isinstance(hr_text, BaseException):
            if not isinstance(hr_text, StatusError):
                raise hr_text
            snapshot.notes.append(f"HelmReleases not read: {hr_text}")
        else:
            try:
                snapshot.helmreleases = parse_helmreleases(hr_text, self.source)
            except StatusError as exc:
                snapshot.notes.append(f"HelmReleases not read: {exc}")
        return snapshot

    async def events(self, kind: str, namespace: str, name: str) -> list[FluxEvent]:
        """``kubectl get events -n NS --field-selector involvedObject.kind=K,involvedObject.name=N``."""
        return parse_events(await self._get(self.events_argv(kind, namespace, name)), self.source)

    async def close(self) -> None:
        self._connected = False
        await self.transport.close()


def ssh_source(
    cluster: ClusterSettings,
    *,
    accept_new_host_key: bool = False,
    password: str | None = None,
    timeout: float = 20.0,
) -> SshKubectlSource:
    """The read-only SSH status source for ``cluster`` (``clusters.<env>`` with flags applied).

    Raises ``ValueError`` when ``cluster.host`` is missing or malformed. The one construction the
    CLI (``infra-tui status``) and the TUI's cluster watch share."""
    target = SshTarget.from_settings(cluster, accept_new_host_key=accept_new_host_key)
    target.password = password
    return SshKubectlSource(
        SshTransport(target), kubectl=cluster.kubectl, context=cluster.context, timeout=timeout
    )


def watch_source(
    root: str | Path | None, env: str | None, request: WatchRequest | None = None
) -> tuple[SshKubectlSource | None, float, str | None]:
    """The status source of ``env``, its poll interval and the untrusted-settings notice (or
    ``None``). The source is ``None`` when no host is configured (neither flag nor
    ``clusters.<env>.host`` of trusted settings). Blocking (reads the settings file): call it off
    the event loop. Bad settings raise ``UserError``; a bad host raises ``ValueError``. The
    password comes only from ``INFRA_TUI_SSH_PASSWORD`` (the TUI never prompts)."""
    request = request or WatchRequest()
    settings = load_settings(root)
    cluster = settings.cluster(env).override(**request.overrides)
    untrusted = trust.notice(
        settings, env, overridden=[k for k, v in request.overrides.items() if v is not None]
    )
    if not cluster.host:
        return None, cluster.poll_interval, untrusted
    source = ssh_source(
        cluster,
        accept_new_host_key=request.accept_new_host_key,
        password=password_from(prompt=False),
        timeout=request.timeout,
    )
    return source, cluster.poll_interval, untrusted


# ------------------------------------------------------------------ polling

POLL_ERRORS = (StatusError, SshError, CommandNotFound, OSError, TimeoutError)


@dataclass
class PollState:
    """What the poller knows after a poll: the last good snapshot and how fresh it is."""

    snapshot: ClusterSnapshot | None = None
    """The last good snapshot (kept through failures)."""
    error: str | None = None
    """The last failure's one-line message; ``None`` after a good poll."""
    stale_since: datetime | None = None
    """When polls started failing; ``None`` while fresh."""
    failures: int = 0
    """Failed polls in a row."""
    polls: int = 0
    next_delay: float = 0.0
    """Seconds until the next poll (the interval, or the backoff after failures)."""

    @property
    def stale(self) -> bool:
        return self.stale_since is not None


class Poller:
    """Polls a ``StatusSource`` forever: never overlapping (the next poll is armed only after the
    last one finished), backing off exponentially on failure up to ``max_backoff``, keeping the last
    good snapshot with ``stale_since``. Reconnecting is the source's job (the SSH transport drops a
    broken master connection and the next poll dials again). Textual-free: ``on_update`` is called
    after every poll; the TUI posts a message from it."""

    def __init__(
        self,
        source: StatusSource,
        interval: float = 5.0,
        *,
        timeout: float | None = 30.0,
        max_backoff: float = 60.0,
        on_update: Callable[[PollState], Any] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.source = source
        self.interval = interval
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.on_update = on_update
        self.state = PollState()
        self._now = now
        self._wake = asyncio.Event()
        self._running = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def backoff(self, failures: int) -> float:
        """The delay after ``failures`` failed polls in a row."""
        if failures <= 0:
            return self.interval
        return min(self.interval * 2.0 ** min(failures, 30), max(self.max_backoff, self.interval))

    async def poll_once(self) -> PollState:
        """One poll now (waits for a poll already running rather than overlapping it)."""
        async with self._running:
            state = self.state
            state.polls += 1
            try:
                snapshot = await asyncio.wait_for(self.source.fetch(), self.timeout)
            except POLL_ERRORS as exc:
                state.failures += 1
                state.error = str(exc) or type(exc).__name__
                if isinstance(exc, TimeoutError) and not str(exc):
                    state.error = f"no status within {self.timeout:g}s; showing the last good data"
                if state.stale_since is None:
                    state.stale_since = self._now()
            else:
                state.snapshot = snapshot
                state.failures = 0
                state.error = None
                state.stale_since = None
            state.next_delay = self.backoff(state.failures)
        if self.on_update is not None:
            result = self.on_update(state)
            if asyncio.iscoroutine(result):
                await result
        return state

    def poll_soon(self) -> None:
        """Cut the current wait short (a manual refresh); still never overlaps a running poll."""
        self._wake.set()

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            state = await self.poll_once()
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), state.next_delay)
            except TimeoutError:
                pass

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="infra-tui status poller")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
