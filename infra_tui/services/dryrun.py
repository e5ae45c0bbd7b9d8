"""Dry-run of a component's manifests, three ways.

* ``offline`` (the default): JSON-schema validation with no cluster of every object the kustomize
  build renders (Flux postBuild substitutions applied), strict (unknown fields), each error placed
  on the source file:line or kustomization.yaml entry it came from (``core.rendered``). Built-in
  kinds use the shipped schemas of a pinned Kubernetes minor, CRD kinds the patterns generate the
  trimmed CRD schemas (``core.k8s_schemas``). When the build fails, the source documents are
  checked one by one instead.
* ``local``: ``kubectl apply --dry-run=server -f -`` against the current kube context, only when
  one is configured and answers a cheap ``kubectl version`` quickly; otherwise ``skipped``.
* ``ssh``: the same on the control plane through the read-only SSH transport (duck-typed: any
  object with ``async run_kubectl(args, stdin) -> Result``), manifests on stdin.

Nothing here ever runs ``kubectl apply`` without ``--dry-run``.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from infra_tui.core import k8s_schemas, kustree, rendered
from infra_tui.core import validation as v
from infra_tui.core.yamlio import key_line, load_documents, split_documents
from infra_tui.services import kustomize, origin_build, proc, ssh

STRATEGIES = ("offline", "local", "ssh")

NOT_CLUSTER_OBJECTS = frozenset({"kustomize.config.k8s.io"})  # kustomization.yaml, Component
SUBSTITUTION = re.compile(r"\$\{[^}]+\}")  # Flux postBuild variables, substituted after the build
MAX_ERRORS_PER_DOC = 8


def validator_for(
    api_version: str, kind: str, minor: str = k8s_schemas.DEFAULT_KUBERNETES_VERSION
) -> tuple[Any, str]:
    """A cached validator for (apiVersion, kind) and where its schema came from (``k8s_schemas``)."""
    return k8s_schemas.validator_for(api_version, kind, minor)


# --------------------------------------------------------------------------- source documents


@dataclass
class SourceDoc:
    """One YAML document of a component's source files, with where it lives."""

    file: str  # repo-relative
    line: int
    data: Any
    text: str  # the document body (for field line lookup)
    body_line: int

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", "")) if isinstance(self.data, dict) else ""

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion", "")) if isinstance(self.data, dict) else ""

    @property
    def name(self) -> str:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        return str(meta.get("name", "")) if isinstance(meta, dict) else ""


def _read(root: Path, rel: str, overlay: dict[str, str] | None) -> str | None:
    if overlay and rel in overlay:
        return overlay[rel]
    try:
        return (root / rel).read_text()
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None


def component_files(root: Path, component_dir: str, overlay: dict[str, str] | None = None) -> list[str]:
    """Manifest files kustomize builds from a component's folder (core.kustree, the one walker),
    with ``overlay`` (repo-relative path -> text) laid over the disk. Missing entries are left to
    the build step to report. Paths are repo-relative."""
    fs = kustree.LayeredFS(root, lambda rel: _read(root, rel, overlay), lambda: overlay or {})
    return kustree.walk(fs, component_dir).manifests


def load_sources(
    root: Path, files: Iterable[str], overlay: dict[str, str] | None = None
) -> tuple[list[SourceDoc], list[v.Issue]]:
    """Parse every document of ``files``: the documents, and a ``syntax`` issue per bad one."""
    docs: list[SourceDoc] = []
    issues: list[v.Issue] = []
    for rel in files:
        text = _read(root, rel, overlay)
        if text is None:
            continue
        chunks = split_documents(text)
        loaded, errors = load_documents(text, rel)
        for err in errors:
            issues.append(v.Issue(v.SYNTAX, err.message, err.file, err.line))
        for d in loaded:
            chunk = chunks[d.index]
            docs.append(SourceDoc(rel, d.line, d.data, chunk.body, chunk.body_line))
    return docs, issues


def field_line(doc: SourceDoc, path: Sequence[Any]) -> int:
    """1-based line of the deepest node of ``path`` that exists in the document's YAML."""
    lines = doc.text.splitlines()
    first = next((i + 1 for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), 1)
    return doc.body_line - 1 + key_line(lines, path, first)


# --------------------------------------------------------------------------- offline


@dataclass
class OfflineResult:
    issues: list[v.Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0


def validate_documents(
    docs: Sequence[SourceDoc],
    *,
    ancestor_ids: Iterable[str] | None = None,
    crd_providers: Sequence[Any] | None = None,
    self_id: str | None = None,
    minor: str = k8s_schemas.DEFAULT_KUBERNETES_VERSION,
) -> OfflineResult:
    """Validate source documents one by one (when the build failed). ``ancestor_ids=None``: unknown."""
    table = v.crd_providers(crd_providers)
    ancestors = list(ancestor_ids) if ancestor_ids is not None else None
    result = OfflineResult()
    unchecked: set[str] = set()
    for doc in docs:
        if not isinstance(doc.data, dict):
            result.issues.append(v.Issue(v.SCHEMA, "a manifest must be a mapping (apiVersion, kind, ...)",
                                         doc.file, doc.line))  # fmt: skip
            continue
        api_version, kind = doc.api_version, doc.kind
        group = api_version.rpartition("/")[0]
        if group in NOT_CLUSTER_OBJECTS:
            continue
        if not api_version or not kind:
            missing = "apiVersion" if not api_version else "kind"
            result.issues.append(v.Issue(v.SCHEMA, f"missing {missing}", doc.file, doc.line))
            continue
        label = f"{kind} {doc.name}".strip()
        if group not in k8s_schemas.builtin_groups(minor) and ancestors is not None:
            if v.provider_for(kind, group, table) is not None:
                issue = v.classify_missing_crd(kind, api_version, ancestors, table, file=doc.file,
                                               line=doc.line, self_id=self_id)  # fmt: skip
                if issue.fails or validator_for(api_version, kind, minor)[0] is None:
                    result.issues.append(
                        issue
                    )  # missing; or expected: its schema arrives with the dependency
                    continue
        problems, source = k8s_schemas.check_object(doc.data, minor)
        if source == "none":
            unchecked.add(f"{kind} ({api_version})")
        result.checked += 1
        shown = 0
        for p in problems:
            found, value = k8s_schemas.get_path(doc.data, p.path)
            if found and isinstance(value, str) and SUBSTITUTION.search(value):
                continue  # Flux postBuild substitutes it after the build
            if shown == MAX_ERRORS_PER_DOC:
                result.issues.append(v.Issue(v.SCHEMA, f"{label}: more errors not shown", doc.file, doc.line))
                break
            cls = v.UNKNOWN_FIELD if p.severity == "warning" else v.SCHEMA
            result.issues.append(v.Issue(cls, f"{label}: {k8s_schemas.dotted(p.path)}: {p.message}", doc.file,
                                         field_line(doc, p.path)))  # fmt: skip
            shown += 1
    if unchecked:
        result.notes.append(
            f"no schema for {', '.join(sorted(unchecked))}: metadata checked, the rest not offline"
        )
    if ancestors is None and any(d.api_version.rpartition("/")[0] not in k8s_schemas.builtin_groups(minor)
                                 for d in docs if isinstance(d.data, dict)):  # fmt: skip
        result.notes.append("dependencies unknown: CRD providers not checked")
    return result


def duplicate_key_issues(root: Path, files: Iterable[str]) -> list[v.Issue]:
    """A ``syntax`` issue at file:line for every mapping key written twice (kustomize refuses them)."""
    out: list[v.Issue] = []
    for rel in files:
        text = _read(root, rel, None)
        for line, message in rendered.duplicate_keys(text, rel) if text else []:
            out.append(v.Issue(v.SYNTAX, message, rel, line))
    return out


def check_build(
    root: Path,
    built: kustomize.BuildResult,
    build_dir: str,
    target: v.Target,
    docs: Sequence[SourceDoc],
    options: Options,
) -> OfflineResult:
    """The offline check of a successful build: every rendered object, placed on its source."""
    minor, version_note = k8s_schemas.resolve_version(options.kubernetes_version)
    objects = rendered.parse_build(built.manifests, build_dir=build_dir, root=str(Path(root).resolve()),
                                   post_build=target.post_build)  # fmt: skip
    cache: dict[str, str | None] = {}

    def read(rel: str) -> str | None:
        if rel not in cache:
            cache[rel] = _read(root, rel, None)
        return cache[rel]

    # the files objects came from, when the component's walk did not reach them (e.g. a Flux-made
    # kustomization or a remote-free base outside the folder)
    known = {d.file for d in docs}
    extra = sorted({o.origin_file for o in objects if o.origin_file and o.origin_file not in known})
    more, _ = load_sources(root, extra) if extra else ([], [])
    check = rendered.check_rendered(
        objects, docs=[*docs, *more], field_line=field_line, read=read, component=target.component, minor=minor,
        ancestor_ids=sorted(target.ancestors) if target.ancestors is not None else None,
        crd_providers=options.crd_providers, self_id=target.ks_id,
    )  # fmt: skip
    notes = [*([version_note] if version_note else []), *check.notes]
    if target.post_build is not None:
        notes.extend(target.post_build.notes)
    return OfflineResult(check.issues, notes, check.checked)


def locator(docs: Iterable[SourceDoc]) -> dict[tuple[str, str], tuple[str, int]]:
    """(kind, name) -> (file, line), to place cluster errors about built objects on their source."""
    return {(d.kind, d.name): (d.file, d.line) for d in docs if d.kind and d.name}


# --------------------------------------------------------------------------- cluster strategies


class KubectlTransport(Protocol):
    """What the ``ssh`` strategy needs from the SSH transport (``services.ssh.SshTransport``):
    ``async run(argv, *, stdin, timeout) -> Result`` with ``argv`` starting with the remote kubectl.
    An object with ``async run_kubectl(args, stdin) -> Result`` works too."""

    async def run(
        self, argv: list[str], *, stdin: bytes | None = None, timeout: float | None = 30.0
    ) -> Any: ...


@dataclass
class ClusterOutcome:
    state: v.DryRunState
    issues: list[v.Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


DRY_RUN_ARGS = ["apply", "--dry-run=server", "-f", "-"]
SSH_SETUP_ERRORS = (ssh.HostKeyError, ssh.AuthError, ssh.DisallowedCommand, proc.CommandNotFound)
"""Raised by the ``ssh`` strategy instead of becoming a result: nothing can be checked until the
user fixes them (the CLI says it in one line, exit 2)."""


def assert_dry_run(args: Sequence[str]) -> None:
    """Raise unless a ``kubectl apply`` in ``args`` is a dry run: the one place that hands apply to kubectl."""
    if "apply" in args and not any(a.startswith("--dry-run=") and a != "--dry-run=none" for a in args):
        raise RuntimeError("refusing to run kubectl apply without --dry-run")


async def local_context(kubectl: str, timeout: float = 5.0) -> tuple[bool, str]:
    """(usable, reason): a current kube context is configured and its API server answers."""
    try:
        ctx = await proc.run_command(proc.Command([kubectl, "config", "current-context"], timeout=timeout))
    except proc.CommandNotFound:
        return False, "kubectl not found"
    if not ctx.ok or not ctx.stdout.strip():
        return False, "no current kube context configured"
    name = ctx.stdout.strip()
    ver = await proc.run_command(proc.Command([kubectl, "version", f"--request-timeout={int(timeout)}s"],
                                              timeout=timeout + 1))  # fmt: skip
    if not ver.ok:
        why = "timed out" if ver.timed_out else (ver.stderr.strip().splitlines() or ["no answer"])[-1]
        return False, f"kube context {name} not reachable ({why})"
    return True, name


def _outcome(
    result: Any, ancestor_ids: Iterable[str], table: Any, locate: Any, self_id: str | None
) -> ClusterOutcome:
    if getattr(result, "timed_out", False):
        return ClusterOutcome("fail", [v.Issue(v.CLUSTER, "kubectl dry-run timed out")])
    if result.returncode == 0:
        return ClusterOutcome("pass")
    state, issues = v.classify_kubectl_error(
        result.stderr, ancestor_ids, table, locate=locate, self_id=self_id
    )
    if not issues:
        first = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[0]
        issues = [v.Issue(v.CLUSTER, first)]
        state = "fail"
    return ClusterOutcome(state, issues)


async def dry_run_local(
    manifests: str,
    *,
    kubectl: str = "kubectl",
    ancestor_ids: Iterable[str] = (),
    crd_providers: Any = None,
    locate: Any = None,
    self_id: str | None = None,
    timeout: float = 60.0,
    mode: str = "server",
) -> ClusterOutcome:
    """``kubectl apply --dry-run=server -f -`` against the current context, or skipped with reason."""
    usable, reason = await local_context(kubectl)
    if not usable:
        return ClusterOutcome("skipped", notes=[f"local dry-run skipped: {reason}"])
    args = [kubectl, "apply", f"--dry-run={mode}", "-f", "-"]
    assert_dry_run(args)
    result = await proc.run_command(proc.Command(args, stdin=manifests.encode(), timeout=timeout))
    return _outcome(result, ancestor_ids, crd_providers, locate, self_id)


async def dry_run_ssh(
    manifests: str,
    transport: KubectlTransport | None,
    *,
    ancestor_ids: Iterable[str] = (),
    crd_providers: Any = None,
    locate: Any = None,
    self_id: str | None = None,
    mode: str = "server",
    remote_kubectl: str = "kubectl",
    timeout: float = 60.0,
) -> ClusterOutcome:
    """The same through the SSH transport, manifests on stdin."""
    if transport is None:
        return ClusterOutcome(
            "skipped", notes=["ssh dry-run skipped: no cluster host configured (--host or .infra-tui.yaml)"]
        )
    args = ["apply", f"--dry-run={mode}", "-f", "-"]
    assert_dry_run(args)
    try:
        if hasattr(transport, "run_kubectl"):
            result = await transport.run_kubectl(args, manifests.encode())
        else:
            result = await transport.run(
                [*remote_kubectl.split(), *args], stdin=manifests.encode(), timeout=timeout
            )
    except SSH_SETUP_ERRORS:
        raise  # a changed host key (possible man-in-the-middle), a refused login or command: bad setup
    except Exception as exc:  # timeout, lost connection: the check did not run, so it failed
        return ClusterOutcome("fail", [v.Issue(v.CLUSTER, f"ssh dry-run did not run: {exc}")])
    return _outcome(result, ancestor_ids, crd_providers, locate, self_id)


# --------------------------------------------------------------------------- one component, many


@dataclass
class Options:
    """How to validate: the strategy and what it needs. One Options for a whole run."""

    strategy: str = "offline"
    crd_providers: Sequence[Any] | None = None
    kustomize_argv: list[str] | None = None  # resolved once per run (kustomize.kustomize_argv)
    kubectl: str = "kubectl"
    transport: KubectlTransport | None = None  # for ``ssh``
    remote_kubectl: str = "kubectl"  # for ``ssh``: ``kubectl``, a path, ``k3s kubectl``
    build_timeout: float = 60.0
    dry_run_timeout: float = 60.0
    kubernetes_version: str | None = None  # schemas for ``offline`` (settings' kubernetes_version)


async def validate_component(root: Path, target: v.Target, options: Options) -> v.ComponentResult:
    """Build ``target.component`` under ``root`` and dry-run it with ``options.strategy``."""
    start = time.monotonic()
    result = v.ComponentResult(target.component, strategy=options.strategy)
    offline = options.strategy == "offline"
    # The build runs while the sources are parsed in a thread: the event loop (the TUI's) never
    # spends a frame on YAML or schemas. Offline builds carry each object's origin.
    if offline:
        building = asyncio.ensure_future(origin_build.build_with_origins(root, target.component, argv=options.kustomize_argv,
                                                                   timeout=options.build_timeout))  # fmt: skip
    else:
        building = asyncio.ensure_future(_plain_build(root, target.component, options))
    try:
        files = component_files(root, target.component)
        docs, syntax = await asyncio.to_thread(lambda: load_sources(root, files))
        built, build_dir = await building
    finally:
        if not building.done():
            building.cancel()
            await asyncio.gather(building, return_exceptions=True)
    issues: list[v.Issue] = list(syntax)
    if not built.ok:
        result.build = "fail"
        ktext = _read(root, f"{target.component}/kustomization.yaml", None)
        issues.insert(0, v.classify_build_error(built.stderr, str(root), target.component, ktext))
        if "already defined" in built.stderr:
            kfiles = [f"{target.component}/kustomization.yaml", *files]
            seen = {(i.file, i.line) for i in issues}
            dups = await asyncio.to_thread(duplicate_key_issues, root, kfiles)
            issues.extend(i for i in dups if (i.file, i.line) not in seen)

    ancestors = sorted(target.ancestors) if target.ancestors is not None else None
    if offline:
        if built.ok:
            off = await asyncio.to_thread(check_build, root, built, build_dir, target, docs, options)
        else:
            minor, _note = k8s_schemas.resolve_version(options.kubernetes_version)
            off = await asyncio.to_thread(validate_documents, docs, ancestor_ids=ancestors, minor=minor,
                                          crd_providers=options.crd_providers, self_id=target.ks_id)  # fmt: skip
        issues.extend(off.issues)
        result.notes.extend(off.notes)
        result.dry_run = v.dry_run_state(i for i in issues if i.kind != v.BUILD)
    elif not built.ok:
        result.dry_run = "fail" if syntax else "skipped"
        result.notes.append(f"{options.strategy} dry-run skipped: the build failed")
    else:
        located, ids = locator(docs), ancestors or ()
        if options.strategy == "local":
            out = await dry_run_local(built.manifests, kubectl=options.kubectl, timeout=options.dry_run_timeout,
                                      ancestor_ids=ids, crd_providers=options.crd_providers, locate=located,
                                      self_id=target.ks_id)  # fmt: skip
        elif options.strategy == "ssh":
            out = await dry_run_ssh(built.manifests, options.transport, remote_kubectl=options.remote_kubectl,
                                    timeout=options.dry_run_timeout, ancestor_ids=ids,
                                    crd_providers=options.crd_providers, locate=located,
                                    self_id=target.ks_id)  # fmt: skip
        else:
            raise ValueError(
                f"unknown dry-run strategy {options.strategy!r}; use one of {', '.join(STRATEGIES)}"
            )
        issues.extend(out.issues)
        result.notes.extend(out.notes)
        result.dry_run = "fail" if syntax else out.state
    result.issues = issues
    result.elapsed = time.monotonic() - start
    return result


async def _plain_build(root: Path, component: str, options: Options) -> tuple[kustomize.BuildResult, str]:
    built = await kustomize.build(
        root / component, argv=options.kustomize_argv, timeout=options.build_timeout
    )
    return built, str(root / component)


async def validate_many(
    root: Path,
    targets: Sequence[v.Target],
    options: Options,
    *,
    jobs: int | None = None,
    on_result: Any = None,
) -> v.ValidationReport:
    """Validate components in parallel, at most ``jobs`` at once; ``on_result(r)`` as each finishes.

    Cancelling the awaiting task cancels every running build / kubectl, whose process groups
    ``proc.run_command`` kills: no child outlives a cancel.
    """
    limit = asyncio.Semaphore(max(1, jobs or os.cpu_count() or 1))

    async def one(t: v.Target) -> v.ComponentResult:
        async with limit:
            r = await validate_component(root, t, options)
        if on_result is not None:
            on_result(r)
        return r

    tasks = [asyncio.ensure_future(one(t)) for t in targets]
    try:
        results = await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        # gather has cancelled each task once; a second cancel would cut their clean-up short
        # (e.g. the ssh transport telling its master connection to exit)
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return v.ValidationReport(list(results))


async def validate_plan(
    repo_root: Path, plan_files: dict[str, str], targets: Sequence[v.Target], options: Options, **kw: Any
) -> v.ValidationReport:
    """Validate ``targets`` with the plan's files rendered into a scratch copy (never the user's tree)."""
    async with kustomize.scratch_copy(repo_root, plan_files) as scratch:
        return await validate_many(scratch, targets, options, **kw)
