"""Flux Kustomization status: one parser, status sources, drift against Git, and a poller.

States (DESIGN.md "status"): ``ready progressing waiting failed stalled suspended unknown``.
The mapping follows the conditions kustomize-controller writes (``api/v1/condition_types.go``,
``internal/controller/kustomization_controller.go``; see tests/data/status/README.md):

- ``spec.suspend: true``                      -> suspended (whatever the old conditions say)
- ``Stalled`` True                            -> stalled (terminal: InvalidCELExpression, AccessDenied...)
- ``Ready`` False, reason DependencyNotReady  -> waiting (not an error: a dependency is not ready yet)
- ``Ready`` False, any other reason           -> failed (BuildFailed, HealthCheckFailed, ArtifactFailed...)
- ``Ready`` Unknown, or ``Reconciling`` True without a Ready verdict -> progressing
- ``Ready`` True                              -> ready, unless ``metadata.generation`` is ahead of
  ``status.observedGeneration`` (a new spec not yet reconciled: progressing)
- no conditions                               -> unknown

Textual-free and async: the TUI's worker and the plain CLI both use it.
"""

from __future__ import annotations

import asyncio
import json
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
from infra_tui.services.proc import CommandNotFound
from infra_tui.services.ssh import SshError, SshTarget, SshTransport, password_from

STATES = ("ready", "progressing", "waiting", "failed", "stalled", "suspended", "unknown")
KS_RESOURCE = "kustomizations.kustomize.toolkit.fluxcd.io"
DEPENDENCY_NOT_READY = "DependencyNotReady"
_DEPENDENCY_IN_MESSAGE = re.compile(r"dependency '([^'/]+)/([^']+)'")


class StatusError(Exception):
    """Status could not be read or parsed; ``str()`` is one clear line."""


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

    def to_json(self) -> dict[str, Any]:
        return {
            "only_in_cluster": list(self.only_in_cluster),
            "only_in_git": list(self.only_in_git),
            "depends_on_differs": list(self.depends_on_differs),
        }


@dataclass
class ClusterSnapshot:
    """Every Flux Kustomization of one cluster at one moment."""

    source: str
    """Where it came from: ``ssh://user@host:port``, ``file:PATH``..."""
    fetched_at: datetime
    """When it was read (UTC)."""
    items: list[KsStatus] = field(default_factory=list)

    def by_id(self) -> dict[str, KsStatus]:
        return {k.id: k for k in self.items}

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for k in self.items:
            out[k.state] += 1
        return out

    def to_json(self, drift: Drift | None = None) -> dict[str, Any]:
        """The stable JSON of DESIGN.md "status"."""
        return {
            "source": self.source,
            "fetched_at": _iso(self.fetched_at),
            "kustomizations": [k.to_json() for k in self.items],
            "drift": (drift or Drift()).to_json(),
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ------------------------------------------------------------------ parsing


def _conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for c in status.get("conditions") or []:
        if isinstance(c, dict) and isinstance(c.get("type"), str):
            out[c["type"]] = c
    return out


def classify(obj: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The state of one Kustomization object and the condition that decided it."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    conds = _conditions(status)
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

    Also accepts a single Kustomization object. Anything else raises ``StatusError`` saying what
    came back instead."""
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
    if isinstance(doc, dict) and doc.get("kind") == "Kustomization":
        objects: Any = [doc]
    elif isinstance(doc, dict) and "items" in doc:
        objects = doc["items"]
    else:
        kind = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
        raise StatusError(f"status from {source} is JSON but not a Kustomization list (got {kind!r})")
    if not isinstance(objects, list):
        raise StatusError(f"status from {source}: 'items' is {type(objects).__name__}, not a list")
    items = []
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            raise StatusError(f"status from {source}: item {index} is {type(obj).__name__}, not an object")
        if obj.get("kind", "Kustomization") != "Kustomization":
            continue
        try:
            items.append(parse_kustomization(obj))
        except StatusError as exc:
            raise StatusError(f"status from {source}: item {index}: {exc}") from None
    snapshot = ClusterSnapshot(source=source, fetched_at=fetched_at or datetime.now(UTC), items=items)
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


def root_cause_lines(snapshot: ClusterSnapshot) -> list[str]:
    """``"3 waiting <- flux-system/cert-manager: HealthCheckFailed health check failed ..."``,
    one line per root cause, most blocked first."""
    groups: dict[str, int] = {}
    for k in snapshot.items:
        if k.root_cause:
            groups[k.root_cause] = groups.get(k.root_cause, 0) + 1
    by_id = snapshot.by_id()
    lines = []
    for cause, count in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])):
        found = by_id.get(cause)
        what = f"{found.reason or found.state}: {found.message or ''}".strip() if found else "not in the cluster"
        lines.append(f"{count} waiting <- {cause}: {what}")
    return lines


def drift(snapshot: ClusterSnapshot, repo_ids: dict[str, list[str]]) -> Drift:
    """Compare the cluster with Git. ``repo_ids``: Kustomization id -> its dependsOn ids in Git."""
    cluster = snapshot.by_id()
    out = Drift(
        only_in_cluster=sorted(set(cluster) - set(repo_ids)),
        only_in_git=sorted(set(repo_ids) - set(cluster)),
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

    async def close(self) -> None:
        return None


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
    ):
        self.transport = transport
        self.kubectl = shlex.split(kubectl) or ["kubectl"]
        self.context = context
        self.timeout = timeout
        self.source = transport.source

    def argv(self) -> list[str]:
        argv = [*self.kubectl]
        if self.context:
            argv += ["--context", self.context]
        return [*argv, "get", KS_RESOURCE, "-A", "-o", "json"]

    async def fetch(self) -> ClusterSnapshot:
        result = await self.transport.run(self.argv(), timeout=self.timeout)
        if not result.ok:
            last = next((s.strip() for s in reversed(result.stderr.splitlines()) if s.strip()), "no message")
            raise StatusError(
                f"remote kubectl on {self.transport.target.host_port} failed (exit {result.returncode}): {last}"
            )
        return parse_kustomizations(result.stdout, self.source)

    async def close(self) -> None:
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
    return SshKubectlSource(SshTransport(target), kubectl=cluster.kubectl, context=cluster.context, timeout=timeout)


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
    untrusted = trust.notice(settings, env, overridden=[k for k, v in request.overrides.items() if v is not None])
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
        return min(self.interval * 2 ** min(failures, 30), max(self.max_backoff, self.interval))

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
