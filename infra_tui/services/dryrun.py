"""Dry-run of a component's manifests, three ways.

* ``offline`` (the default): JSON-schema validation with no cluster, per *source document*, so
  every error carries the file and line of the field at fault. CRD kinds the patterns generate are
  checked against the schemas in ``templates/schemas/`` (trimmed from the published CRDs); core
  kinds against the ``kubernetes-validate`` bundle when the ``schemas`` extra is installed, else a
  structural check only (and the result says so).
* ``local``: ``kubectl apply --dry-run=server -f -`` against the current kube context, only when
  one is configured and answers a cheap ``kubectl version`` quickly; otherwise ``skipped``.
* ``ssh``: the same on the control plane through the read-only SSH transport (duck-typed: any
  object with ``async run_kubectl(args, stdin) -> Result``), manifests on stdin.

Nothing here ever runs ``kubectl apply`` without ``--dry-run``.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.resources
import json
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jsonschema
import yaml

from infra_tui.core import validation as v
from infra_tui.core.yamlio import key_line, load_documents, split_documents
from infra_tui.services import kustomize, proc, ssh

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

STRATEGIES = ("offline", "local", "ssh")

# API groups served by kube-apiserver itself (no CRD needed).
CORE_GROUPS = frozenset(
    {
        "", "apps", "batch", "autoscaling", "policy", "rbac.authorization.k8s.io", "networking.k8s.io",
        "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "admissionregistration.k8s.io",
        "apiextensions.k8s.io", "certificates.k8s.io", "discovery.k8s.io", "node.k8s.io", "events.k8s.io",
        "flowcontrol.apiserver.k8s.io", "resource.k8s.io", "apiregistration.k8s.io", "authentication.k8s.io",
        "authorization.k8s.io", "internal.apiserver.k8s.io", "storagemigration.k8s.io",
    }
)  # fmt: skip
NOT_CLUSTER_OBJECTS = frozenset({"kustomize.config.k8s.io"})  # kustomization.yaml, Component
SUBSTITUTION = re.compile(r"\$\{[^}]+\}")  # Flux postBuild variables, substituted after the build
MAX_ERRORS_PER_DOC = 8

_S = {"type": "string"}
_OBJ = {"type": "object"}
_META = {"type": "object", "required": ["name"], "properties": {"name": _S, "namespace": _S}}
_POD_TEMPLATE = {"type": "object", "properties": {"metadata": _OBJ, "spec": {"type": "object", "required": ["containers"],
                 "properties": {"containers": {"type": "array", "minItems": 1, "items": {"type": "object",
                 "required": ["name"], "properties": {"name": _S, "image": _S}}}}}}}  # fmt: skip
_WORKLOAD_SPEC = {
    "type": "object",
    "required": ["selector", "template"],
    "properties": {"replicas": {"type": "integer"}, "selector": _OBJ, "template": _POD_TEMPLATE},
}
# Basic shape of common core kinds: used only when kubernetes-validate is not installed.
STRUCTURAL_CORE: dict[str, dict[str, Any]] = {
    "Namespace": {},
    "ConfigMap": {"data": {"type": "object", "additionalProperties": {"type": "string"}}},
    "Secret": {"data": {"type": "object", "additionalProperties": {"type": "string"}},
               "stringData": {"type": "object", "additionalProperties": {"type": "string"}}},
    "Service": {"spec": {"type": "object", "properties": {"ports": {"type": "array", "items": {"type": "object",
                "required": ["port"], "properties": {"port": {"type": "integer"}}}}}}},
    "Deployment": {"spec": _WORKLOAD_SPEC},
    "StatefulSet": {"spec": _WORKLOAD_SPEC},
    "DaemonSet": {"spec": {**_WORKLOAD_SPEC, "properties": {"selector": _OBJ, "template": _POD_TEMPLATE}}},
    "ServiceAccount": {},
    "NetworkPolicy": {"spec": {"type": "object", "required": ["podSelector"]}},
}  # fmt: skip


# --------------------------------------------------------------------------- schemas


def _structural_schema(kind: str) -> dict[str, Any]:
    props: dict[str, Any] = {"apiVersion": _S, "kind": _S, "metadata": _META}
    props.update(STRUCTURAL_CORE.get(kind, {}))
    return {"type": "object", "required": ["apiVersion", "kind", "metadata"], "properties": props}


def kubernetes_validate_available() -> bool:
    try:
        importlib.resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    except (ModuleNotFoundError, TypeError):
        return False
    return True


@functools.lru_cache(maxsize=1)
def _kv_schema_dir() -> Path | None:
    """The newest strict schema folder of the kubernetes-validate bundle, or None."""
    try:
        base = importlib.resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    except ModuleNotFoundError:
        return None
    dirs = [p for p in base.iterdir() if p.name.endswith("-local-strict")]  # type: ignore[attr-defined]

    def version_key(p: Any) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.name.split("-")[0]))

    return Path(str(max(dirs, key=version_key))) if dirs else None


@functools.lru_cache(maxsize=1)
def _kv_registry() -> Any:
    from referencing import Registry, Resource

    folder = _kv_schema_dir()
    assert folder is not None
    defs = json.loads((folder / "_definitions.json").read_text())
    return Resource.from_contents(defs) @ Registry()


def crd_schema_root() -> Path:
    """The bundled JSON schemas of CRD kinds (``templates/schemas``)."""
    return Path(str(importlib.resources.files("infra_tui.templates").joinpath("schemas")))


@functools.lru_cache(maxsize=256)
def validator_for(api_version: str, kind: str) -> tuple[jsonschema.protocols.Validator | None, str]:
    """A cached validator for (apiVersion, kind) and where its schema came from.

    Source is ``crd`` (bundled CRD schema), ``kubernetes-validate``, ``structural`` (core kind,
    no bundle installed) or ``none`` (a CRD kind we carry no schema for).
    """
    group, _, version = api_version.rpartition("/")
    if group not in CORE_GROUPS:
        path = crd_schema_root() / group / f"{kind.lower()}_{version}.json"
        if path.is_file():
            schema = json.loads(path.read_text())
            return jsonschema.Draft202012Validator(schema), "crd"
        return None, "none"
    folder = _kv_schema_dir()
    if folder is not None:
        short = group.split(".", 1)[0]
        name = f"{kind.lower()}-{short}-{version}.json" if group else f"{kind.lower()}-{version}.json"
        path = folder / name
        if path.is_file():
            from referencing import Resource

            schema = json.loads(path.read_text())
            registry = Resource.from_contents(schema) @ _kv_registry()
            return jsonschema.Draft202012Validator(schema, registry=registry), "kubernetes-validate"
        return jsonschema.Draft202012Validator(_structural_schema(kind)), "structural"
    return jsonschema.Draft202012Validator(_structural_schema(kind)), "structural"


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


def _norm(rel: str) -> str:
    parts: list[str] = []
    for p in rel.split("/"):
        if p in ("", "."):
            continue
        if p == ".." and parts:
            parts.pop()
        else:
            parts.append(p)
    return "/".join(parts)


def component_files(root: Path, component_dir: str, overlay: dict[str, str] | None = None) -> list[str]:
    """Manifest files a component's kustomization.yaml reaches (resources and components, recursively).

    A folder without kustomization.yaml contributes every .yaml/.yml file below it (as Flux does).
    Missing entries are left to the build step to report. Paths are repo-relative.
    """
    out: list[str] = []
    seen: set[str] = set()

    def visit_dir(rel_dir: str) -> None:
        if rel_dir in seen:
            return
        seen.add(rel_dir)
        for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            text = _read(root, f"{rel_dir}/{name}", overlay)
            if text is not None:
                break
        else:
            base = root / rel_dir
            files = sorted({*(p for p in base.rglob("*.yaml")), *(p for p in base.rglob("*.yml"))})
            out.extend(p.relative_to(root).as_posix() for p in files if p.is_file())
            out.extend(k for k in (overlay or {}) if k.startswith(rel_dir + "/") and k not in out)
            return
        try:
            data = yaml.load(text, Loader=_Loader) or {}  # safe loader
        except yaml.YAMLError:
            return  # the syntax check reports it
        if not isinstance(data, dict):
            return
        for entry in [*(data.get("resources") or []), *(data.get("components") or [])]:
            if not isinstance(entry, str) or "://" in entry or entry.startswith(("github.com/", "git@")):
                continue
            rel = _norm(f"{rel_dir}/{entry}")
            if (overlay and rel in overlay) or (root / rel).is_file():
                if rel not in out:
                    out.append(rel)
            elif (root / rel).is_dir():
                visit_dir(rel)

    visit_dir(_norm(component_dir))
    return out


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


def _dotted(path: Sequence[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def _message(err: jsonschema.ValidationError) -> str:
    custom = err.schema.get(f"x-message-{err.validator}") if isinstance(err.schema, dict) else None
    if custom:
        return str(custom)
    if err.validator in ("oneOf", "anyOf") and err.context:
        best = jsonschema.exceptions.best_match(err.context)
        return best.message if best is not None else "does not match any allowed shape"
    msg = err.message
    return msg if len(msg) <= 200 else msg[:197] + "..."


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(x) for k, x in value.items() if x is not None}
    if isinstance(value, list):
        return [_drop_nulls(x) for x in value]
    return value


def _substituted(err: jsonschema.ValidationError) -> bool:
    """A value Flux postBuild substitutes later (``${VAR}``) is not judged before substitution."""
    return isinstance(err.instance, str) and bool(SUBSTITUTION.search(err.instance))


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
) -> OfflineResult:
    """Validate source documents with no cluster. ``ancestor_ids=None``: dependencies unknown."""
    table = v.crd_providers(crd_providers)
    ancestors = list(ancestor_ids) if ancestor_ids is not None else None
    result = OfflineResult()
    structural_only: set[str] = set()
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
        if group not in CORE_GROUPS and ancestors is not None:
            provider = v.provider_for(kind, group, table)
            if provider is not None:
                issue = v.classify_missing_crd(kind, api_version, ancestors, table, file=doc.file,
                                               line=doc.line, self_id=self_id)  # fmt: skip
                if issue.fails:
                    result.issues.append(issue)
                    continue
                validator, source = validator_for(api_version, kind)
                if validator is None:
                    result.issues.append(issue)  # expected: its schema arrives with the dependency
                    continue
        validator, source = validator_for(api_version, kind)
        if validator is None:
            unchecked.add(f"{kind} ({api_version})")
            continue
        if source == "structural":
            structural_only.add(kind)
        data = {k: val for k, val in doc.data.items() if k != "sops"}  # SOPS metadata is Flux's business
        if source == "crd":
            data = _drop_nulls(data)  # the API server drops nulls of non-nullable CRD fields
        result.checked += 1
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
        shown = 0
        for err in errors:
            if _substituted(err):
                continue
            if shown == MAX_ERRORS_PER_DOC:
                result.issues.append(v.Issue(v.SCHEMA, f"{label}: more errors not shown", doc.file, doc.line))
                break
            path = list(err.absolute_path)
            result.issues.append(
                v.Issue(v.SCHEMA, f"{label}: {_dotted(path)}: {_message(err)}", doc.file, field_line(doc, path))
            )
            shown += 1
    if structural_only:
        result.notes.append(
            f"core kinds ({', '.join(sorted(structural_only))}): structural check only; "
            "install infra-tui[schemas] for full Kubernetes schemas"
        )
    if unchecked:
        result.notes.append(f"no schema for {', '.join(sorted(unchecked))}: not checked offline")
    if ancestors is None and any(d.api_version.rpartition("/")[0] not in CORE_GROUPS for d in docs
                                 if isinstance(d.data, dict)):  # fmt: skip
        result.notes.append("dependencies unknown: CRD providers not checked")
    return result


def locator(docs: Iterable[SourceDoc]) -> dict[tuple[str, str], tuple[str, int]]:
    """(kind, name) -> (file, line), to place cluster errors about built objects on their source."""
    return {(d.kind, d.name): (d.file, d.line) for d in docs if d.kind and d.name}


# --------------------------------------------------------------------------- cluster strategies


class KubectlTransport(Protocol):
    """What the ``ssh`` strategy needs from the SSH transport (``services.ssh.SshTransport``):
    ``async run(argv, *, stdin, timeout) -> Result`` with ``argv`` starting with the remote kubectl.
    An object with ``async run_kubectl(args, stdin) -> Result`` works too."""

    async def run(self, argv: list[str], *, stdin: bytes | None = None, timeout: float | None = 30.0) -> Any: ...


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


def _outcome(result: Any, ancestor_ids: Iterable[str], table: Any, locate: Any, self_id: str | None) -> ClusterOutcome:
    if getattr(result, "timed_out", False):
        return ClusterOutcome("fail", [v.Issue(v.CLUSTER, "kubectl dry-run timed out")])
    if result.returncode == 0:
        return ClusterOutcome("pass")
    state, issues = v.classify_kubectl_error(result.stderr, ancestor_ids, table, locate=locate, self_id=self_id)
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
        return ClusterOutcome("skipped", notes=["ssh dry-run skipped: no cluster host configured (--host or .infra-tui.yaml)"])
    args = ["apply", f"--dry-run={mode}", "-f", "-"]
    assert_dry_run(args)
    try:
        if hasattr(transport, "run_kubectl"):
            result = await transport.run_kubectl(args, manifests.encode())
        else:
            result = await transport.run([*remote_kubectl.split(), *args], stdin=manifests.encode(), timeout=timeout)
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


async def validate_component(root: Path, target: v.Target, options: Options) -> v.ComponentResult:
    """Build ``target.component`` under ``root`` and dry-run it with ``options.strategy``."""
    start = time.monotonic()
    result = v.ComponentResult(target.component, strategy=options.strategy)
    # The build runs while the sources are parsed in a thread: the event loop (the TUI's) never
    # spends a frame on YAML or schemas.
    building = asyncio.ensure_future(
        kustomize.build(root / target.component, argv=options.kustomize_argv, timeout=options.build_timeout)
    )
    try:
        docs, syntax = await asyncio.to_thread(lambda: load_sources(root, component_files(root, target.component)))
        built = await building
    finally:
        if not building.done():
            building.cancel()
            await asyncio.gather(building, return_exceptions=True)
    issues: list[v.Issue] = list(syntax)
    if not built.ok:
        result.build = "fail"
        ktext = _read(root, f"{target.component}/kustomization.yaml", None)
        issues.insert(0, v.classify_build_error(built.stderr, str(root), target.component, ktext))

    ancestors = sorted(target.ancestors) if target.ancestors is not None else None
    if options.strategy == "offline":
        off = await asyncio.to_thread(validate_documents, docs, ancestor_ids=ancestors,
                                      crd_providers=options.crd_providers, self_id=target.ks_id)  # fmt: skip
        issues.extend(off.issues)
        result.notes.extend(off.notes)
        result.dry_run = v.dry_run_state(i for i in issues if i.kind != v.BUILD)
    elif not built.ok:
        result.dry_run = "fail" if syntax else "skipped"
        result.notes.append(f"{options.strategy} dry-run skipped: the build failed")
    else:
        kw = dict(ancestor_ids=ancestors or (), crd_providers=options.crd_providers,
                  locate=locator(docs), self_id=target.ks_id)  # fmt: skip
        if options.strategy == "local":
            out = await dry_run_local(built.manifests, kubectl=options.kubectl, timeout=options.dry_run_timeout, **kw)
        elif options.strategy == "ssh":
            out = await dry_run_ssh(built.manifests, options.transport, remote_kubectl=options.remote_kubectl,
                                    timeout=options.dry_run_timeout, **kw)  # fmt: skip
        else:
            raise ValueError(f"unknown dry-run strategy {options.strategy!r}; use one of {', '.join(STRATEGIES)}")
        issues.extend(out.issues)
        result.notes.extend(out.notes)
        result.dry_run = "fail" if syntax else out.state
    result.issues = issues
    result.elapsed = time.monotonic() - start
    return result


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
