"""House-pattern lint: every rule id of DESIGN.md, driven by the tables of ``templates/rules.yaml``.

``lint(repo, env_name)`` returns ``Finding`` objects (rule, severity, kustomization, file, line,
message, fixable). The tables can be extended by a repo's ``.infra-tui.yaml`` (``rules:``).
Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from infra_tui.core import graph as graph_mod
from infra_tui.core import yamlio
from infra_tui.core.model import Component, Env, FluxKustomization, Repo, Resource, mapping, short_name

SEVERITIES = ("error", "warning", "info")

# API groups served by Kubernetes itself or by Flux: never a CRD some Kustomization must provide.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "storage.k8s.io",
        "apiextensions.k8s.io",
        "admissionregistration.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "node.k8s.io",
        "discovery.k8s.io",
        "certificates.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "resource.k8s.io",
        "apiregistration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "internal.apiserver.k8s.io",
        "kustomize.config.k8s.io",
        "source.extensions.fluxcd.io",
    }
)


def is_builtin_group(group: str) -> bool:
    return group in BUILTIN_GROUPS or group.endswith(".toolkit.fluxcd.io")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # error | warning | info
    kustomization: str | None  # id (namespace/name) the finding belongs to
    file: str
    line: int
    message: str
    fixable: bool = False
    data: tuple[tuple[str, Any], ...] = ()  # what a fix needs (rule-specific), hashable

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "kustomization": self.kustomization,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "fixable": self.fixable,
        }

    @property
    def info(self) -> dict[str, Any]:
        return dict(self.data)


# --------------------------------------------------------------------------- rule tables


@dataclass(frozen=True)
class CrdProvider:
    kinds: tuple[str, ...]
    group: str
    provider: str


@dataclass(frozen=True)
class RequiredDependency:
    component: str
    depends_on: str
    reason: str


@dataclass(frozen=True)
class AntiPattern:
    rule: str
    paths: tuple[tuple[str, ...], ...]
    value: Any
    why: str


@dataclass
class Rules:
    crd_providers: list[CrdProvider]
    monitoring_kinds: set[str]
    monitoring_provider: str
    monitoring_suffix: str
    monitoring_wait: bool
    monitoring_timeout: str
    webhook_components: set[str]
    intercepting_webhooks: set[str]
    required_dependencies: list[RequiredDependency]
    anti_patterns: list[AntiPattern]
    servicemonitor_switches: set[str]
    restart_annotations: set[str]
    kustomization_shape: dict[str, Any]
    namespace_labels: dict[str, str]
    learned_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """CRD group -> ids of the Kustomizations that provide it, learned from the repo (core.learn)."""
    learned_kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """CRD kind -> ids of the Kustomizations that provide it, learned from the repo."""
    bootstrap_provided: frozenset[str] = frozenset()
    """Groups / kinds confirmed as installed before Flux: no Kustomization must provide them."""
    pinned_kinds: frozenset[str] = frozenset()
    """Kinds whose provider ``.infra-tui.yaml`` names: learned facts do not override them."""
    learned: bool = False
    """Learned facts are applied: a CRD kind provided by nothing is a finding."""
    _by_kind: dict[str, str] = field(default_factory=dict, repr=False)
    _group_of: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_kind = {k: p.provider for p in self.crd_providers for k in p.kinds}
        self._group_of = {k: p.group for p in self.crd_providers for k in p.kinds if p.group}

    def table_provider_for_kind(self, kind: str, group: str = "") -> str | None:
        """The rules table's provider name of ``kind`` (of ``group`` when the table names one)."""
        if group and self._group_of.get(kind, group) != group:
            return None
        return self._by_kind.get(kind)

    def providers_for(self, kind: str, group: str = "") -> tuple[str, ...]:
        """Names or ids of the Kustomizations any one of which provides ``kind`` (of ``group``):
        the learned providers of its group (of the kind when no group is known), else the table's."""
        if kind not in self.pinned_kinds:
            learned = self.learned_groups.get(group) if group else self.learned_kinds.get(kind)
            if learned:
                return learned
        table = self.table_provider_for_kind(kind, group)
        return (table,) if table else ()

    def provider_for_kind(self, kind: str) -> str | None:
        """Name of the Kustomization that provides the CRD of ``kind`` (``cilium`` for a CNP, or
        the name the repo gave it, learned)."""
        found = self.providers_for(kind)
        return short_name(found[0]) if found else None


@functools.lru_cache(maxsize=1)
def default_tables() -> dict[str, Any]:
    """The rule tables bundled in ``templates/rules.yaml``."""
    text = resources.files("infra_tui.templates").joinpath("rules.yaml").read_text(encoding="utf-8")
    return mapping(yamlio.load_one(text))


def merge_tables(base: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    """Lists are appended to, mappings merged (recursively), scalars replaced."""
    out = dict(base)
    for key, value in (extra or {}).items():
        if isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = [*out[key], *value]
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = value
    return out


def rules_from_tables(t: dict[str, Any]) -> Rules:
    mon = t.get("monitoring") or {}
    return Rules(
        crd_providers=[
            CrdProvider(tuple(p["kinds"]), p.get("group", ""), p["provider"])
            for p in t.get("crd_providers", [])
        ],
        monitoring_kinds=set(mon.get("kinds", [])),
        monitoring_provider=mon.get("provider", "monitoring"),
        monitoring_suffix=mon.get("suffix", "-monitoring"),
        monitoring_wait=bool(mon.get("wait", False)),
        monitoring_timeout=str(mon.get("timeout", "5m")),
        webhook_components=set(t.get("webhook_components", [])),
        intercepting_webhooks=set(t.get("intercepting_webhooks", [])),
        required_dependencies=_required_dependencies(t.get("required_dependencies", [])),
        anti_patterns=[
            AntiPattern(a["rule"], tuple(tuple(p) for p in a["paths"]), a.get("value"), a.get("why", ""))
            for a in t.get("anti_patterns", [])
        ],
        servicemonitor_switches=set(t.get("servicemonitor_switches", [])),
        restart_annotations=set(t.get("restart_annotations", [])),
        kustomization_shape=dict(t.get("kustomization_shape", {})),
        namespace_labels=dict(t.get("namespace_labels", {})),
    )


def _required_dependencies(table: Any) -> list[RequiredDependency]:
    """The list of {component, depends_on, reason}, or the short form component -> [deps]."""
    if isinstance(table, dict):
        return [RequiredDependency(str(c), str(d), "") for c, deps in table.items() for d in (deps or [])]
    return [RequiredDependency(r["component"], r["depends_on"], r.get("reason", "")) for r in table]


def load_rules(repo: Repo | None = None, env_name: str | None = None) -> Rules:
    """The default tables, extended by what the repo teaches (``core.learn``: CRD providers by the
    names this repo gives them, webhook components, confirmed bootstrap-provided kinds) and by the
    repo's ``.infra-tui.yaml`` ``rules:`` section, which wins over both."""
    extra = repo.settings.rules if repo is not None else None
    short = (extra or {}).get("required_dependencies")
    if isinstance(short, dict):  # component -> [deps]: as entries, appended to the defaults
        extra = {
            **(extra or {}),
            "required_dependencies": [
                {"component": c, "depends_on": d} for c, ds in short.items() for d in ds or []
            ],
        }
    rules = rules_from_tables(merge_tables(default_tables(), extra))
    if repo is not None and repo.envs:
        from infra_tui.core import learn  # learn reads the rule tables: imported here, not at the top

        learn.apply_to_rules(rules, repo, env_name, extra)
    return rules


def creatable_kinds(rules: Rules) -> list[str]:
    """CRD kinds a component may say it creates (spec ``creates``): every provider's kinds but the
    monitoring ones, which live in the ``-monitoring`` split."""
    return [k for p in rules.crd_providers for k in p.kinds if k not in rules.monitoring_kinds]


_FOR_REPO: dict[int, tuple[Repo, Rules]] = {}


def for_repo(repo: Repo) -> Rules:
    """``load_rules(repo)``, loaded once per repo object (the preview plans on every keystroke)."""
    hit = _FOR_REPO.get(id(repo))
    if hit is not None and hit[0] is repo:
        return hit[1]
    r = load_rules(repo)
    _FOR_REPO.clear()
    _FOR_REPO[id(repo)] = (repo, r)
    return r


# --------------------------------------------------------------------------- helpers


class SourceLines:
    """Source lines of repo files, read once, to point findings at the exact key."""

    def __init__(self, root: Path, read_disk: bool = True):
        self.root = root
        self.read_disk = read_disk
        self._cache: dict[str, list[str]] = {}

    def get(self, rel: str) -> list[str]:
        if not self.read_disk:
            return []  # findings point at the document's first line
        if rel not in self._cache:
            try:
                self._cache[rel] = (self.root / rel).read_text(encoding="utf-8").splitlines()
            except OSError:
                self._cache[rel] = []
        return self._cache[rel]

    def locate(self, rel: str, start: int, path: Iterable[str]) -> int:
        """Line of the nested key ``path`` inside the document of ``rel`` starting at ``start``."""
        return yamlio.key_line(self.get(rel), path, start)

    def locate_in_order(self, rel: str, start: int, path: Iterable[str]) -> int:
        """Line of the last key of ``path`` in YAML nested in a block scalar (a Flux patch string)."""
        return yamlio.key_line(self.get(rel), path, start, in_order=True)


def _get(d: Any, path: Iterable[str]) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


value_at = _get
"""``value_at(data, ("spec", "install", "crds"))``: the nested key's value, or None."""


def _walk_values(values: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(values, dict):
        for k, v in values.items():
            yield from _walk_values(v, (*prefix, str(k)))
    else:
        yield prefix, values


def _ops_document(ops: list[Any]) -> dict[str, Any]:
    """What the ``add`` / ``replace`` operations of a JSON6902 patch write, as one nested mapping."""
    doc: dict[str, Any] = {}
    for op in ops:
        if (
            not isinstance(op, dict)
            or op.get("op") not in ("add", "replace")
            or not isinstance(op.get("path"), str)
        ):
            continue
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        if not parts or any(p == "-" or p.isdigit() for p in parts):
            continue  # list positions: not a key path
        cur = doc
        for p in parts[:-1]:
            if not isinstance(cur.get(p), dict):
                cur[p] = {}
            cur = cur[p]
        cur[parts[-1]] = op.get("value")
    return doc


def _patch_documents(patches: list[Any], want_kind: str) -> Iterator[tuple[dict[str, Any], int]]:
    """Documents inside Flux ``patches`` strings that target ``want_kind``, recursively.

    A patch may itself be a Flux Kustomization whose own ``patches`` target HelmReleases (the
    corpus has real ones): those are followed too. Yields (document, index of the top patch).
    """
    for index, patch in enumerate(patches or []):
        if not isinstance(patch, dict) or not isinstance(patch.get("patch"), str):
            continue
        target = mapping(patch.get("target"))
        try:
            docs, errors = yamlio.load_documents(patch["patch"], "<patch>")
        except Exception:  # a patch string is not ours to crash on
            continue
        for d in docs:
            data = d.data
            if isinstance(data, list):  # JSON6902 ops: read add/replace as the document they write
                if target.get("kind") == want_kind:
                    yield _ops_document(data), index
                continue
            kind = (data or {}).get("kind") or target.get("kind")
            if kind == want_kind:
                yield data, index
            if kind == "Kustomization" and isinstance(_get(data, ("spec", "patches")), list):
                for inner, _ in _patch_documents(data["spec"]["patches"], want_kind):
                    yield inner, index


# --------------------------------------------------------------------------- the linter


@dataclass
class _Ctx:
    repo: Repo
    env: Env
    graph: graph_mod.Graph
    rules: Rules
    lines: SourceLines
    by_name: dict[str, list[str]]  # short name -> ids
    out: list[Finding] = field(default_factory=list)

    def add(
        self,
        rule: str,
        severity: str,
        ks: str | None,
        file: str,
        line: int,
        message: str,
        fixable: bool = False,
        **data: Any,
    ) -> None:
        self.out.append(
            Finding(rule, severity, ks, file, line, message, fixable, tuple(sorted(data.items())))
        )

    def provider_id(self, name: str, near: FluxKustomization | None = None) -> str | None:
        """The id of the Kustomization ``name`` (a plain name, or an id) in this env, if any."""
        if "/" in name:
            if name in self.graph.nodes:
                return name
            name = short_name(name)
        ids = self.by_name.get(name) or []
        if not ids:
            return None
        if near is not None:
            for i in ids:
                if i.startswith(near.namespace + "/"):
                    return i
        return ids[0]


def lint(
    repo: Repo,
    env_name: str | None = None,
    rules: Rules | None = None,
    graph: graph_mod.Graph | None = None,
    *,
    read_disk: bool = True,
) -> list[Finding]:
    """Every finding for one env (the primary one by default), sorted by file and line.

    ``read_disk=False`` lints a repo held in memory (a plan's "after" state): no folder walk for
    base/overlays, and findings point at the first line of their document instead of the key.
    """
    env = repo.env(env_name)
    rules = rules or load_rules(repo, env.name)
    g = graph or graph_mod.build(env)
    ctx = _Ctx(repo, env, g, rules, SourceLines(repo.root, read_disk), graph_mod.ids_by_name(g))
    _check_graph(ctx)
    seen_components: set[str] = set()
    for ks in env.kustomizations:
        comp = repo.component_for(ks)
        _check_required(ctx, ks)
        _check_ks_name(ctx, ks)
        _check_ks_shape(ctx, ks)
        _check_patches(ctx, ks)
        _check_webhook_dependency(ctx, ks)
        if comp is None:
            continue
        _check_crd_dependencies(ctx, ks, comp, unprovided=read_disk)
        _check_monitoring(ctx, ks, comp)
        _check_webhook_cnp(ctx, ks, comp)
        if comp.dir in seen_components:
            continue
        seen_components.add(comp.dir)
        for res in comp.resources:
            _check_resource(ctx, ks, res, comp)
    if read_disk:
        _check_base_overlays(ctx)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    unique = list(dict.fromkeys(ctx.out))
    return sorted(unique, key=lambda f: (f.file, f.line, order.get(f.severity, 9), f.rule))


def provider_table(repo: Repo, env_name: str | None = None) -> list[CrdProvider]:
    """The CRD providers lint would advise, naming only Kustomizations that exist in the env (as
    ids): ``validate`` gives the same "add dependsOn" advice as lint, never a name that is not there."""
    env = repo.env(env_name)
    rules = load_rules(repo, env.name)
    g = graph_mod.build(env)
    ctx = _Ctx(repo, env, g, rules, SourceLines(repo.root, False), graph_mod.ids_by_name(g))
    out: list[CrdProvider] = []
    for p in rules.crd_providers:
        pid = ctx.provider_id(p.provider)
        if pid is not None:
            out.append(CrdProvider(p.kinds, p.group, pid))
    for group, ids in sorted(rules.learned_groups.items()):
        pid = next((i for i in ids if i in g.nodes), None)
        if pid is not None:
            out.append(CrdProvider((), group, pid))
    return out


def _check_graph(ctx: _Ctx) -> None:
    g = ctx.graph
    for first, second in ctx.env.duplicates:
        ctx.add(
            "duplicate-id",
            "error",
            first.id,
            second.file,
            second.line,
            f"{first.id} is defined twice in what this env deploys: {first.file}:{first.line} and "
            f"{second.file}:{second.line}; Flux applies one over the other: rename or remove one",
        )
    for n in ctx.env.not_objects:
        ctx.add(
            "non-manifest-yaml",
            "error",
            n.ks,
            n.file,
            n.line,
            f"this YAML document {n.why}: {n.folder or './'} has no kustomization.yaml, so kustomize-controller "
            "generates one listing every YAML file below it and fails the whole build on this one "
            "(failed to decode Kubernetes YAML); add a kustomization.yaml listing the manifests, or move the file out",
        )
    for cycle in g.cycles:
        first = g.nodes[cycle[0]]
        # point at the dependsOn entry that opens the cycle (cycle[0] -> cycle[1])
        line = next((d.line for d in first.depends_on if d.target == cycle[1]), first.line)
        ctx.add(
            "dependency-cycle",
            "error",
            cycle[0],
            first.file,
            line,
            "dependsOn cycle: " + " -> ".join(short_name(n) for n in cycle) + "; remove one of these edges",
        )
    # HelmRelease name -> (its id, the Kustomization deploying it): a dependsOn that names a
    # HelmRelease usually names it without its namespace (the Kustomization's is assumed)
    releases: dict[str, tuple[str, str]] = {}
    for k in ctx.env.kustomizations:
        comp = ctx.repo.component_for(k)
        for r in comp.resources if comp else ():
            if r.kind == "HelmRelease":
                releases.setdefault(r.name, (f"{r.namespace or k.namespace}/{r.name}", k.id))
    for m in g.missing:
        ks = g.nodes[m.source]
        line = next((d.line for d in ks.depends_on if d.target == m.target), ks.line)
        # by name only when no Kustomization has that name (then it is a typo'd namespace)
        release = None if short_name(m.target) in ctx.by_name else releases.get(short_name(m.target))
        if m.cross_kind or release:
            owner = f" ({short_name(release[1])})" if release else ""
            ctx.add(
                "dependency-cross-kind",
                "error",
                m.source,
                ks.file,
                line,
                f"{ks.name} dependsOn '{m.target}', which is a HelmRelease{' ' + release[0] if release else ''}, "
                f"not a Flux Kustomization; depend on the Kustomization that deploys it{owner}",
            )
        else:
            names = sorted(g.nodes)
            close = difflib.get_close_matches(m.target, names, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else "; add it or remove the entry"
            ctx.add(
                "dependency-missing",
                "error",
                m.source,
                ks.file,
                line,
                f"{ks.name} dependsOn '{m.target}', which does not exist in env {ctx.env.name}{hint}",
            )


def _check_required(ctx: _Ctx, ks: FluxKustomization) -> None:
    for req in ctx.rules.required_dependencies:
        if ks.name != req.component:
            continue
        target = ctx.provider_id(req.depends_on, ks)
        if target is None or target in ks.depends_on_ids:
            continue
        ctx.add(
            "required-dependency",
            "error",
            ks.id,
            ks.file,
            ks.line,
            f"{ks.name} must dependsOn {req.depends_on}: {req.reason}",
            fixable=True,
            add=target,
        )


CREATES_ANNOTATION = "infra-tui.io/creates"


def declared_kinds(ks: FluxKustomization) -> list[str]:
    """Kinds a Kustomization declares its charts create (the ``infra-tui.io/creates`` annotation
    written for a spec's ``creates:``): instances made at run time, not visible in Git."""
    ann = _get(ks.data, ("metadata", "annotations")) or {}
    raw = ann.get(CREATES_ANNOTATION) if isinstance(ann, dict) else None
    return [k.strip() for k in str(raw).split(",") if k.strip()] if raw else []


def _providers_needed(
    ctx: _Ctx, ks: FluxKustomization, comp: Component
) -> dict[tuple[str, ...], list[Resource]]:
    """Resources that need a CRD, by the providers (any one of them will do) of that CRD."""
    need: dict[tuple[str, ...], list[Resource]] = {}
    resources = list(comp.resources) + [
        Resource(kind, "", f"(declared by {CREATES_ANNOTATION})", None, ks.file, ks.line)
        for kind in declared_kinds(ks)
    ]
    for res in resources:
        providers = ctx.rules.providers_for(res.kind, res.group)
        if providers:
            need.setdefault(providers, []).append(res)
    return need


def _check_unprovided(ctx: _Ctx, ks: FluxKustomization, comp: Component, provided: set[int]) -> None:
    """CRD kinds no Kustomization of the env provides and nobody confirmed as installed before Flux."""
    by_group: dict[str, list[Resource]] = {}
    for res in comp.resources:
        if id(res) in provided or res.kind == "CustomResourceDefinition" or is_builtin_group(res.group):
            continue
        if res.group in ctx.rules.bootstrap_provided or res.kind in ctx.rules.bootstrap_provided:
            continue
        by_group.setdefault(res.group, []).append(res)
    for group, res_list in sorted(by_group.items()):
        kinds = sorted({r.kind for r in res_list})
        first = res_list[0]
        ctx.add(
            "crd-dependency",
            "warning",
            ks.id,
            ks.file,
            ks.line,
            f"{ks.name} creates {', '.join(kinds)} ({first.file}:{first.line}) of {group}, whose CRDs no Kustomization in "
            f"env {ctx.env.name} provides; if they are installed before Flux, confirm {group} under bootstrap_provided "
            "in .infra-tui.learned.yaml (infra-tui learn --write), else add their provider",
        )


def _check_crd_dependencies(
    ctx: _Ctx, ks: FluxKustomization, comp: Component, *, unprovided: bool = False
) -> None:
    ancestors: set[str] | None = None  # computed only when a provider is not a direct dependency
    provided: set[int] = set()
    for alternatives, res_list in _providers_needed(ctx, ks, comp).items():
        pids = [p for p in (ctx.provider_id(a, ks) for a in alternatives) if p is not None]
        if not pids:
            continue  # no such provider in this env (another naming)
        provided.update(id(r) for r in res_list)
        if ks.id in pids or any(p in ks.depends_on_ids for p in pids):
            continue  # the provider itself, or a direct dependency
        pid = pids[0]
        provider = short_name(pid)
        kinds = sorted({r.kind for r in res_list})
        first = res_list[0]
        if ancestors is None:
            ancestors = ctx.graph.ancestors(ks.id)
        reached = [p for p in pids if p in ancestors]
        if reached:
            pid = reached[0]
            provider = short_name(pid)
            ctx.add(
                "crd-dependency",
                "warning",
                ks.id,
                ks.file,
                ks.line,
                f"{ks.name} creates {', '.join(kinds)} ({first.file}:{first.line}) and reaches {provider} only indirectly; "
                f"add a direct dependsOn {provider}",
                fixable=True,
                add=pid,
            )
        else:
            ctx.add(
                "crd-dependency",
                "error",
                ks.id,
                ks.file,
                ks.line,
                f"{ks.name} creates {', '.join(kinds)} ({first.file}:{first.line}) but does not dependsOn {provider}, "
                f"which provides the CRD; add dependsOn {provider}",
                fixable=True,
                add=pid,
            )
    if unprovided and ctx.rules.learned:
        _check_unprovided(ctx, ks, comp, provided)


def _monitoring_resources(ctx: _Ctx, comp: Component) -> list[Resource]:
    return [r for r in comp.resources if r.kind in ctx.rules.monitoring_kinds]


def _is_monitoring_split(ctx: _Ctx, ks: FluxKustomization, comp: Component) -> bool:
    if ks.name.endswith(ctx.rules.monitoring_suffix):
        return True
    return bool(comp.resources) and all(r.kind in ctx.rules.monitoring_kinds for r in comp.resources)


def _kustomize_namespace(ctx: _Ctx, comp: Component) -> str | None:
    """``namespace:`` of the component's kustomization.yaml (it overrides the resources' own)."""
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        lines = ctx.lines.get(f"{comp.dir}/{name}")
        if lines:
            try:
                data = yamlio.load_one("\n".join(lines))
            except Exception:  # repo.load already reported it
                return None
            ns = data.get("namespace") if isinstance(data, dict) else None
            return ns if isinstance(ns, str) else None
    return None


def _parent_of_split(ctx: _Ctx, ks: FluxKustomization, comp: Component) -> str | None:
    """The Kustomization that creates the namespace the split's resources live in."""
    spec = mapping(ks.data.get("spec"))
    forced = spec.get("targetNamespace") or _kustomize_namespace(ctx, comp)
    namespaces = (
        {forced}
        if isinstance(forced, str) and forced
        else {r.namespace for r in comp.resources if r.namespace}
    )
    if namespaces:
        for other in ctx.env.kustomizations:
            if other.id == ks.id:
                continue
            oc = ctx.repo.component_for(other)
            if oc and any(r.kind == "Namespace" and r.name in namespaces for r in oc.resources):
                return other.id
    base = ks.name.removesuffix(ctx.rules.monitoring_suffix)
    if base != ks.name:
        return ctx.provider_id(base, ks)
    return None


def _check_monitoring(ctx: _Ctx, ks: FluxKustomization, comp: Component) -> None:
    mon = _monitoring_resources(ctx, comp)
    if not _is_monitoring_split(ctx, ks, comp):
        for r in mon:
            ctx.add(
                "monitoring-split",
                "error",
                ks.id,
                r.file,
                r.line,
                f"{r.kind} {r.name} sits in {ks.name}'s own kustomization; move it to {ks.name}{ctx.rules.monitoring_suffix} "
                "(its CRD may not exist yet when this bootstraps)",
                fixable=True,
                resource_file=r.file,
            )
        return
    if not ks.name.endswith(ctx.rules.monitoring_suffix):
        return
    provider = ctx.provider_id(ctx.rules.monitoring_provider, ks)
    parent = _parent_of_split(ctx, ks, comp)
    missing = [d for d in (provider, parent) if d and d not in ks.depends_on_ids]
    if missing:
        ctx.add(
            "monitoring-deps",
            "error",
            ks.id,
            ks.file,
            ks.line,
            f"{ks.name} must dependsOn both {ctx.rules.monitoring_provider} and its parent; add "
            + ", ".join(short_name(m) for m in missing),
            fixable=True,
            add=tuple(missing),
        )
    if ctx.repo.flat and (
        ks.wait is not ctx.rules.monitoring_wait or (ks.timeout or "") != ctx.rules.monitoring_timeout
    ):
        wrong = [
            k
            for k, bad in (
                ("wait", ks.wait is not ctx.rules.monitoring_wait),
                ("timeout", (ks.timeout or "") != ctx.rules.monitoring_timeout),
            )
            if bad
        ]
        ctx.add(
            "monitoring-deps",
            "warning",
            ks.id,
            ks.file,
            _key_line(ctx, ks, wrong),
            f"{ks.name} should have wait: {str(ctx.rules.monitoring_wait).lower()} and timeout: {ctx.rules.monitoring_timeout} "
            "(monitoring add-ons block nothing)",
            fixable=True,
            shape="monitoring",
        )


def _is_webhook_component(ctx: _Ctx, ks: FluxKustomization, comp: Component | None) -> bool:
    if ks.name in ctx.rules.webhook_components:
        return True
    return comp is not None and any(
        r.kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration") for r in comp.resources
    )


def _allows_apiserver(res: Resource) -> bool:
    for rule in _get(res.data, ("spec", "egress")) or []:
        if isinstance(rule, dict) and "kube-apiserver" in (rule.get("toEntities") or []):
            return True
    return False


def _check_webhook_cnp(ctx: _Ctx, ks: FluxKustomization, comp: Component) -> None:
    if not ctx.repo.flat or not _is_webhook_component(ctx, ks, comp):
        return
    if ctx.provider_id("cilium", ks) is None:
        return  # not a Cilium cluster
    if not any(r.kind == "HelmRelease" for r in comp.resources):
        return  # a config-only Kustomization of a webhook component
    if any(r.kind == "CiliumNetworkPolicy" and _allows_apiserver(r) for r in comp.resources):
        return
    ctx.add(
        "webhook-cnp",
        "warning",
        ks.id,
        ks.file,
        ks.line,
        f"{ks.name} registers admission webhooks but has no CiliumNetworkPolicy allowing kube-apiserver; "
        "add cilium-network-policies/allow-k8s-api.yaml",
        fixable=True,
        component=comp.dir,
    )


def _check_webhook_dependency(ctx: _Ctx, ks: FluxKustomization) -> None:
    if ks.name.endswith(ctx.rules.monitoring_suffix):
        return  # a split must depend on its parent (monitoring-deps), webhook component or not
    comp = ctx.repo.component_for(ks)
    for dep in ks.depends_on_ids:
        name = short_name(dep)
        if name not in ctx.rules.intercepting_webhooks or dep not in ctx.graph.nodes:
            continue
        provided = {k for p in ctx.rules.crd_providers if p.provider == name for k in p.kinds}
        if comp is not None and any(
            r.kind in provided or dep in ctx.rules.learned_groups.get(r.group, ()) for r in comp.resources
        ):
            continue
        if provided & set(declared_kinds(ks)):
            continue
        if comp is None or not comp.resources:
            continue
        # a webhook component's own config (kyverno-config) consumes its CRDs; anything else only waits
        if ks.name.startswith(name):
            continue
        line = next((d.line for d in ks.depends_on if d.target == dep), ks.line)
        ctx.add(
            "webhook-dependency",
            "warning",
            ks.id,
            ks.file,
            line,
            f"{ks.name} dependsOn {name}, a webhook component, without using its CRDs; let them start in parallel "
            "and let Flux retry (remove the dependsOn)",
        )


def _key_line(ctx: _Ctx, ks: FluxKustomization, keys: list[str]) -> int:
    """Line of the first of ``keys`` that ``ks`` sets under spec (the document's line if none)."""
    spec = mapping(ks.data.get("spec"))
    for key in keys:
        if key in spec:
            return ctx.lines.locate(ks.file, ks.line, ("spec", key))
    return ks.line


_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _check_ks_name(ctx: _Ctx, ks: FluxKustomization) -> None:
    """The API server refuses an object whose name (or namespace) is not DNS-1123; Flux would
    never apply it, and its dependants would wait forever."""
    for what, value, key in (("name", ks.name, "name"), ("namespace", ks.namespace, "namespace")):
        ok = _DNS1123_SUBDOMAIN.match(value) and len(value) <= (253 if what == "name" else 63)
        if what == "namespace" and ok:
            ok = "." not in value
        if not ok:
            ctx.add(
                "ks-name",
                "error",
                ks.id,
                ks.file,
                ctx.lines.locate(ks.file, ks.line, ("metadata", key)),
                f"{what} {value!r} is not a DNS-1123 name (lowercase letters, digits, '-'{', ' + repr('.') if what == 'name' else ''}); "
                "the API server refuses it: rename it, e.g. "
                + repr(re.sub(r"[^a-z0-9.-]+", "-", value.lower()).strip("-.") or "my-component"),
            )


def _check_ks_shape(ctx: _Ctx, ks: FluxKustomization) -> None:
    if not ctx.repo.flat or not (ks.path or "").removeprefix("./").startswith("namespaces/"):
        return
    shape = ctx.rules.kustomization_shape
    split = ks.name.endswith(ctx.rules.monitoring_suffix)
    wrong = []
    if "prune" in shape and ks.prune is not shape["prune"]:
        wrong.append(f"prune: {str(shape['prune']).lower()}")
    if "wait" in shape and not split and ks.wait is not shape["wait"]:
        wrong.append(f"wait: {str(shape['wait']).lower()}")
    if "timeout" in shape and not split and not ks.timeout:
        wrong.append(f"timeout: {shape['timeout']}")
    want_ref = shape.get("sourceRef") or {}
    ref = ks.source_ref or {}
    if want_ref and any(ref.get(k) != v for k, v in want_ref.items()):
        wrong.append(f"sourceRef: {want_ref.get('kind')}/{want_ref.get('name')}")
    if wrong:
        ctx.add(
            "ks-shape",
            "warning",
            ks.id,
            ks.file,
            _key_line(ctx, ks, [w.split(":")[0] for w in wrong]),
            f"{ks.name} differs from the house Kustomization shape; set " + ", ".join(wrong),
            fixable=True,
        )


def _patch_item(ctx: _Ctx, ks: FluxKustomization, index: int) -> tuple[int, int]:
    """Lines [first, end) of item ``index`` of ``spec.patches`` in ``ks``'s document (1-based)."""
    lines = ctx.lines.get(ks.file)
    key = ctx.lines.locate(ks.file, ks.line, ("spec", "patches"))
    items, end = yamlio.block_list_items(lines, key)
    if index >= len(items):
        return key, end
    return items[index], items[index + 1] if index + 1 < len(items) else end


def _patch_line(ctx: _Ctx, ks: FluxKustomization, index: int, key_path: tuple[str, ...]) -> int:
    """Line of ``spec.<key_path>`` inside patch ``index`` of ``ks`` (a patch of a patch included)."""
    first, end = _patch_item(ctx, ks, index)
    lines = ctx.lines.get(ks.file)
    # a JSON6902 op: the ``path: /spec/...`` line naming the longest prefix of key_path
    for n in range(len(key_path), 0, -1):
        pointer = "/spec/" + "/".join(k.replace("~", "~0").replace("/", "~1") for k in key_path[:n])
        for i in range(first - 1, min(end - 1, len(lines))):
            body = lines[i].lstrip(" -")
            if body.startswith("path:") and body[5:].split(" #")[0].strip().strip("'\"") == pointer:
                return ctx.lines.locate_in_order(ks.file, i + 1, key_path[n:]) if n < len(key_path) else i + 1
    return ctx.lines.locate_in_order(ks.file, first, key_path)


def _check_patches(ctx: _Ctx, ks: FluxKustomization) -> None:
    for doc, index in _patch_documents(ks.patches, "HelmRelease"):
        for finding in _helm_antipatterns(ctx, doc):
            rule, key_path, why = finding
            line = _patch_line(ctx, ks, index, key_path)
            ctx.add(
                rule,
                "error",
                ks.id,
                ks.file,
                line,
                f"{ks.name}: a patch targeting HelmReleases sets spec.{'.'.join(key_path)}: {why}",
                fixable=True,
                patch_index=index,
                path=tuple(key_path),
            )


def _helm_antipatterns(ctx: _Ctx, hr: dict[str, Any]) -> Iterator[tuple[str, tuple[str, ...], str]]:
    spec = hr.get("spec") if isinstance(hr, dict) else None
    if not isinstance(spec, dict):
        return
    for ap in ctx.rules.anti_patterns:
        for path in ap.paths:
            value = _get(spec, path)
            if value is not None and (value == ap.value or str(value).lower() == str(ap.value).lower()):
                yield ap.rule, path, ap.why


def _values_from(ctx: _Ctx, comp: Component | None, hr: Resource) -> Iterator[tuple[str, Any]]:
    """(file, values) of each ``spec.valuesFrom`` whose ConfigMap / Secret a configMapGenerator /
    secretGenerator of the component makes from a file in the repo."""
    refs = _get(hr.data, ("spec", "valuesFrom"))
    if comp is None or not isinstance(refs, list):
        return
    for ref in refs:
        if not isinstance(ref, dict):
            continue
        key = str(ref.get("valuesKey") or "values.yaml")
        rel = comp.generated.get(f"{ref.get('kind')}/{ref.get('name')}", {}).get(key)
        if rel is None:
            continue
        try:
            values = yamlio.load_one("\n".join(ctx.lines.get(rel)))
        except Exception:  # not YAML: Flux reports it when it merges the values
            continue
        target = ref.get("targetPath")
        if isinstance(target, str) and target:
            for part in reversed(target.split(".")):
                values = {part: values}
        yield rel, values


def _check_servicemonitor_switches(
    ctx: _Ctx,
    ks: FluxKustomization,
    res: Resource,
    values: Any,
    file: str,
    start: int,
    prefix: tuple[str, ...],
) -> None:
    for key_path, value in _walk_values(values):
        if (
            len(key_path) >= 2
            and key_path[-1] == "enabled"
            and key_path[-2] in ctx.rules.servicemonitor_switches
            and value is True
        ):
            line = ctx.lines.locate(file, start, (*prefix, *key_path))
            where = f"values.{'.'.join(key_path)}" if prefix else f"{file}: {'.'.join(key_path)}"
            ctx.add(
                "chart-servicemonitor",
                "warning",
                ks.id,
                file,
                line,
                f"HelmRelease {res.name} enables the chart's own ServiceMonitor ({where}); "
                f"set it to false and put the ServiceMonitor in {ks.name}{ctx.rules.monitoring_suffix}",
                fixable=bool(prefix),
                values_path=key_path,
            )


def _check_resource(ctx: _Ctx, ks: FluxKustomization, res: Resource, comp: Component | None = None) -> None:
    if res.kind == "HelmRelease":
        for rule, path, why in _helm_antipatterns(ctx, res.data):
            line = ctx.lines.locate(res.file, res.line, ("spec", *path))
            ctx.add(
                rule,
                "error",
                ks.id,
                res.file,
                line,
                f"HelmRelease {res.name} sets spec.{'.'.join(path)}: {why}",
                fixable=True,
                path=tuple(path),
            )
        spec = mapping(res.data.get("spec"))
        missing = [
            p
            for p in ("install", "upgrade")
            if not isinstance(_get(spec, (p, "remediation", "retries")), int)
        ]
        if missing and ctx.repo.flat:
            ctx.add(
                "helm-remediation-retries",
                "warning",
                ks.id,
                res.file,
                res.line,
                f"HelmRelease {res.name} has no {' or '.join(m + '.remediation.retries' for m in missing)}; set 3",
                fixable=True,
            )
        _check_servicemonitor_switches(
            ctx, ks, res, spec.get("values"), res.file, res.line, ("spec", "values")
        )
        for rel, values in _values_from(ctx, comp, res):
            _check_servicemonitor_switches(ctx, ks, res, values, rel, 1, ())
    elif res.kind == "Namespace" and ctx.repo.flat:
        labels = _get(res.data, ("metadata", "labels")) or {}
        if "pod-security.kubernetes.io/enforce" not in labels:
            ctx.add(
                "namespace-pss",
                "warning",
                ks.id,
                res.file,
                res.line,
                f"Namespace {res.name} has no pod-security.kubernetes.io/enforce label; add enforce: restricted (and enforce-version: latest)",
                fixable=True,
            )
    elif res.kind == "NetworkPolicy" and res.api_version.startswith("networking.k8s.io"):
        if _targets_apiserver(res):
            ctx.add(
                "networkpolicy-apiserver",
                "warning",
                ks.id,
                res.file,
                res.line,
                f"NetworkPolicy {res.name} allows API-server egress with ipBlock/443/6443, which Cilium's service DNAT "
                "breaks; use a CiliumNetworkPolicy with toEntities: [kube-apiserver]",
            )
    _check_restart_annotations(ctx, ks, res)


APISERVER_PORTS = {"443", "6443", "https"}
APISERVER_SERVICE_IP = ipaddress.ip_address("10.96.0.1")
"""The ``kubernetes`` Service: the first address of the service CIDR (kubeadm's 10.96.0.0/12)."""


def _covers_apiserver_service(block: dict[str, Any]) -> bool:
    try:
        net = ipaddress.ip_network(str(block.get("cidr")), strict=False)
        excluded = [ipaddress.ip_network(str(e), strict=False) for e in block.get("except") or []]
    except ValueError:
        return False
    ip = APISERVER_SERVICE_IP
    return ip in net and not any(ip in e for e in excluded)


def _targets_apiserver(res: Resource) -> bool:
    """An egress rule to the API server's endpoints by ipBlock: on its ports (443/6443, any
    address: the control plane's), or port-less to a block holding the ``kubernetes`` Service's
    address. A port-less ipBlock to a pod CIDR or an external range is not API-server egress."""
    for rule in _get(res.data, ("spec", "egress")) or []:
        if not isinstance(rule, dict):
            continue
        ports = {str(p.get("port")) for p in rule.get("ports") or [] if isinstance(p, dict)}
        blocks = [
            t["ipBlock"]
            for t in rule.get("to") or []
            if isinstance(t, dict) and isinstance(t.get("ipBlock"), dict)
        ]
        if not blocks:
            continue
        if ports & APISERVER_PORTS:
            return True
        if not ports and any(_covers_apiserver_service(b) for b in blocks):
            return True
    return False


def _annotation_maps(res: Resource) -> Iterator[tuple[tuple[str, ...], dict[Any, Any]]]:
    """(key path, mapping) of every pod-template annotation block of ``res``; for a HelmRelease,
    every ``*Annotations`` / ``annotations`` mapping in its values (``controller.podAnnotations``)."""
    template_paths: tuple[tuple[str, ...], ...] = (
        ("spec", "template", "metadata", "annotations"),
        ("spec", "jobTemplate", "spec", "template", "metadata", "annotations"),
    )
    for path in template_paths:
        ann = _get(res.data, path)
        if isinstance(ann, dict):
            yield path, ann
    if res.kind != "HelmRelease":
        return
    stack: list[tuple[tuple[str, ...], Any]] = [(("spec", "values"), _get(res.data, ("spec", "values")))]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict):
            continue
        for k, v in node.items():
            if isinstance(v, dict) and str(k).lower().endswith("annotations"):
                yield (*path, str(k)), v
            elif isinstance(v, dict):
                stack.append(((*path, str(k)), v))


def _check_restart_annotations(ctx: _Ctx, ks: FluxKustomization, res: Resource) -> None:
    for path, ann in _annotation_maps(res):
        for key in ann:
            if (
                str(key) in ctx.rules.restart_annotations
                or str(key).rsplit("/", 1)[-1] in ctx.rules.restart_annotations
            ):
                line = ctx.lines.locate(res.file, res.line, (*path, str(key)))
                ctx.add(
                    "restart-annotation",
                    "warning",
                    ks.id,
                    res.file,
                    line,
                    f"{res.kind} {res.name} carries annotation '{key}' to force restarts; fix the root cause "
                    "(e.g. use reloader) and remove it",
                )


def _check_base_overlays(ctx: _Ctx) -> None:
    if not ctx.repo.flat:
        return
    root = ctx.repo.root
    for dirpath, dirnames, _ in os.walk(root):
        dirnames[:] = [
            d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "__pycache__")
        ]
        if "base" in dirnames and "overlays" in dirnames:
            rel = Path(dirpath).relative_to(root).as_posix()
            where = f"{rel}/overlays" if rel != "." else "overlays"
            ctx.add(
                "base-overlays",
                "error",
                None,
                where,
                0,
                f"{where} uses base/ + overlays/; this repo is flat: one namespaces/<component>/ folder, env "
                "differences as Flux patches in clusters/<env>/infrastructure.yaml",
            )
