"""What a repo teaches: CRD providers, webhook components, house style and similar services.

``providers(repo, env)`` is the cheap part every lint needs (no disk reads: the loaded model only);
``learn(repo, env)`` adds the house style and per-component resources/replicas, with the line of
every value (it reads the files again for key lines, list indentation and quoting).

Every fact carries its evidence (``file:line``) and a count. ``render_file`` writes them as the
commented ``.infra-tui.learned.yaml`` a person reviews in Git; ``read_file`` reads it back, and
``effective(repo, env)`` is what the other commands use: the file's facts while it is fresh (the
inputs' content hash matches), else the facts derived now, plus the bootstrap-provided groups the
file (or ``.infra-tui.yaml`` ``rules: bootstrap_provided``) confirms.

Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from infra_tui.core import rules as rules_mod
from infra_tui.core import yamlio
from infra_tui.core.model import Component, Env, FluxKustomization, Repo, Resource, short_name
from infra_tui.errors import UserError

LEARNED_FILE = ".infra-tui.learned.yaml"
FORMAT_VERSION = 1

WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
BUILTIN_GROUPS = rules_mod.BUILTIN_GROUPS
is_builtin_group = rules_mod.is_builtin_group


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True, order=True)
class Evidence:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class ProviderFact:
    """A Kustomization installs the CRDs of ``groups`` (and of ``kinds``)."""

    provider: str  # Kustomization id
    groups: list[str]
    kinds: list[str]
    via: str  # "CustomResourceDefinition", "chart cert-manager", "source github.com/...", ...
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.evidence)


@dataclass
class BootstrapFact:
    """CRD kinds used in the env that no Kustomization provides: installed before Flux, or missing."""

    group: str
    kinds: list[str]
    used_by: list[str]  # Kustomization ids
    evidence: list[Evidence] = field(default_factory=list)
    confirmed: bool = False

    @property
    def count(self) -> int:
        return len(self.evidence)


@dataclass
class WebhookFact:
    component: str  # Kustomization id
    via: str
    intercepts: bool
    evidence: list[Evidence] = field(default_factory=list)
    chart: str | None = None  # the chart table entry, when known by its chart

    @property
    def count(self) -> int:
        return len(self.evidence)


@dataclass
class StyleFact:
    """The majority value of one style key; ``value`` None: most leave it unset."""

    key: str
    value: Any
    count: int
    total: int
    evidence: list[Evidence] = field(default_factory=list)
    detail: str = ""  # e.g. the central HelmRepository Kustomization
    folder: str = ""  # helm_repositories central: the folder holding them
    kustomization: str = ""  # helm_repositories central: the Kustomization (id) applying that folder


@dataclass
class ValueFact:
    path: str  # dotted path under spec.values
    value: Any
    evidence: Evidence


@dataclass
class ServiceFact:
    """One HelmRelease's resources / replicas: a model for similar services."""

    component: str  # Kustomization id
    release: str
    chart: str
    family: str | None
    evidence: Evidence
    replicas: list[ValueFact] = field(default_factory=list)
    resources: list[ValueFact] = field(default_factory=list)


@dataclass
class Learned:
    env: str
    inputs_hash: str = ""
    providers: list[ProviderFact] = field(default_factory=list)
    bootstrap_provided: list[BootstrapFact] = field(default_factory=list)
    webhooks: list[WebhookFact] = field(default_factory=list)
    style: list[StyleFact] = field(default_factory=list)
    services: list[ServiceFact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # charts that would provide CRDs but are told not to

    def style_value(self, key: str) -> StyleFact | None:
        return next((s for s in self.style if s.key == key), None)


# --------------------------------------------------------------------------- the chart table


@dataclass(frozen=True)
class ChartInfo:
    name: str
    charts: tuple[str, ...]
    sources: tuple[str, ...]
    groups: tuple[str, ...]
    kinds: tuple[str, ...]
    crds: str
    switch: tuple[tuple[str, ...], ...]
    switch_default: bool
    webhook: bool
    intercepts: bool
    family: str | None


@dataclass(frozen=True)
class ChartTable:
    charts: tuple[ChartInfo, ...]
    families: dict[str, tuple[str, ...]]
    _by_source: dict[str, ChartInfo] = field(default_factory=dict, repr=False)
    _by_chart: dict[str, ChartInfo] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for info in reversed(self.charts):  # the first entry naming a chart wins
            self._by_source.update(dict.fromkeys(info.sources, info))
            self._by_chart.update(dict.fromkeys(info.charts, info))

    def match(self, chart: str | None, url: str | None, *, exact_only: bool = False) -> ChartInfo | None:
        """The entry for a chart name and/or a source URL (``oci://``, ``https://`` or git): the URL
        naming an entry's source exactly, else the chart name (or the URL's last part)."""
        path = _url_path(url) if url else ""
        if path and path in self._by_source:
            return self._by_source[path]
        if exact_only:
            return None
        name = chart or (path.rsplit("/", 1)[-1] if path else None)
        return self._by_chart.get(name) if name else None

    def family_of(self, chart: str) -> str | None:
        info = self.match(chart, None)
        if info is not None and info.family:
            return info.family
        lowered = chart.lower()
        for family, words in self.families.items():
            if any(w in lowered for w in words):
                return family
        return None


def _url_path(url: str) -> str:
    """``oci://quay.io/cilium/charts/cilium`` -> ``quay.io/cilium/charts/cilium`` (no scheme, no .git)."""
    rest = url.split("://", 1)[-1].strip().rstrip("/")
    rest = rest.split("@", 1)[-1] if rest.startswith("git@") else rest
    return (
        rest.replace(":", "/", 1).removesuffix(".git")
        if rest.startswith("github.com:")
        else rest.removesuffix(".git")
    )


@functools.lru_cache(maxsize=1)
def chart_table() -> ChartTable:
    text = resources.files("infra_tui.templates").joinpath("chart_crds.yaml").read_text(encoding="utf-8")
    data = yamlio.load_one(text) or {}
    charts = tuple(
        ChartInfo(
            name=str(c["name"]),
            charts=tuple(c.get("charts") or [c["name"]]),
            sources=tuple(c.get("sources") or ()),
            groups=tuple(c.get("groups") or ()),
            kinds=tuple(c.get("kinds") or ()),
            crds=str(c.get("crds", "crds")),
            switch=tuple(tuple(p) for p in c.get("switch") or ()),
            switch_default=bool(c.get("switch_default", True)),
            webhook=bool(c.get("webhook", False)),
            intercepts=bool(c.get("intercepts", False)),
            family=c.get("family"),
        )
        for c in data.get("charts") or []
    )
    families = {str(k): tuple(v) for k, v in (data.get("families") or {}).items()}
    return ChartTable(charts, families)


# --------------------------------------------------------------------------- model helpers


_get = rules_mod.value_at


def _deployed(repo: Repo, env: Env) -> Iterator[tuple[FluxKustomization, Component | None]]:
    for ks in env.kustomizations:
        yield ks, repo.component_for(ks)


@dataclass
class _Sources:
    """HelmRepository / OCIRepository / GitRepository URLs by name, from every component read."""

    by_kind: dict[str, dict[str, list[tuple[str, Resource, str]]]] = field(default_factory=dict)

    def add(self, res: Resource, comp_dir: str) -> None:
        url = _get(res.data, ("spec", "url"))
        if isinstance(url, str):
            self.by_kind.setdefault(res.kind, {}).setdefault(res.name, []).append((url, res, comp_dir))

    def find(self, kind: str, name: str, comp_dir: str | None) -> tuple[str, Resource, str] | None:
        hits = self.by_kind.get(kind, {}).get(name) or []
        for hit in hits:
            if hit[2] == comp_dir:
                return hit
        return hits[0] if hits else None


def _sources(repo: Repo) -> _Sources:
    out = _Sources()
    for comp in repo.components.values():
        for r in comp.resources:
            if r.kind in ("HelmRepository", "OCIRepository", "GitRepository"):
                out.add(r, comp.dir)
    return out


@dataclass(frozen=True)
class ChartRef:
    chart: str | None  # chart name
    url: str | None  # repository / OCI URL
    source_kind: str | None
    source_name: str | None
    source: Resource | None  # the HelmRepository / OCIRepository object, if read
    source_dir: str | None  # the folder it was read from


def chart_of(hr: Resource, comp_dir: str | None, sources: _Sources) -> ChartRef:
    """The chart a HelmRelease installs: name, and the URL of its source when that was read."""
    spec: dict[str, Any] = hr.data["spec"] if isinstance(hr.data.get("spec"), dict) else {}
    ref = spec.get("chartRef")
    if isinstance(ref, dict) and ref.get("name"):
        kind, name = str(ref.get("kind", "OCIRepository")), str(ref["name"])
        hit = sources.find(kind, name, comp_dir)
        url = hit[0] if hit else None
        oci_chart = _url_path(url).rsplit("/", 1)[-1] if url else None
        return ChartRef(oci_chart, url, kind, name, hit[1] if hit else None, hit[2] if hit else None)
    cspec = _get(spec, ("chart", "spec")) or {}
    chart: str | None = cspec.get("chart") if isinstance(cspec.get("chart"), str) else None
    src: dict[str, Any] = cspec["sourceRef"] if isinstance(cspec.get("sourceRef"), dict) else {}
    src_kind, src_name = src.get("kind"), src.get("name")
    hit = sources.find(str(src_kind), str(src_name), comp_dir) if src_kind and src_name else None
    url = hit[0] if hit else None
    if chart and "/" in chart and not url:  # chart: ./charts/x from a GitRepository
        chart = chart.rstrip("/").rsplit("/", 1)[-1]
    return ChartRef(chart, url, src_kind, src_name, hit[1] if hit else None, hit[2] if hit else None)


def _switch_value(values: Any, path: tuple[str, ...]) -> Any:
    return _get(values, path)


def _provides_crds(info: ChartInfo, hr: Resource) -> tuple[bool, str]:
    """Whether this HelmRelease installs the chart's CRDs, and why not (for the notes)."""
    spec: dict[str, Any] = hr.data["spec"] if isinstance(hr.data.get("spec"), dict) else {}
    if info.crds == "crds":
        policy = _get(spec, ("install", "crds"))
        if isinstance(policy, str) and policy.lower() == "skip":
            return False, "install.crds: Skip"
    if info.crds == "templates" and info.switch:
        values = spec.get("values")
        for path in info.switch:
            v = _switch_value(values, path)
            if isinstance(v, bool):
                return (v, "" if v else f"values.{'.'.join(path)}: false")
        if not info.switch_default and not spec.get("valuesFrom"):
            return False, f"values.{'.'.join(info.switch[0])} is not set (the chart's default is off)"
    return True, ""


# --------------------------------------------------------------------------- providers (cheap)


def _add_provider(
    out: dict[tuple[str, str], ProviderFact],
    ks: FluxKustomization,
    via: str,
    groups: Iterable[str],
    kinds: Iterable[str],
    ev: Evidence,
) -> None:
    fact = out.get((ks.id, via))
    if fact is None:
        fact = out[(ks.id, via)] = ProviderFact(ks.id, [], [], via)
    fact.groups.extend(g for g in groups if g not in fact.groups)
    fact.kinds.extend(k for k in kinds if k not in fact.kinds)
    if ev not in fact.evidence:
        fact.evidence.append(ev)


def providers(
    repo: Repo, env_name: str | None = None
) -> tuple[list[ProviderFact], list[WebhookFact], list[str]]:
    """Which Kustomization of the env provides which CRD groups, which register admission
    webhooks, and notes on charts told not to install their CRDs. Reads nothing from disk."""
    env = repo.env(env_name)
    table = chart_table()
    sources = _sources(repo)
    found: dict[tuple[str, str], ProviderFact] = {}
    hooks: dict[str, WebhookFact] = {}
    notes: list[str] = []
    for ks, comp in _deployed(repo, env):
        resources_ = comp.resources if comp else []
        for r in resources_:
            ev = Evidence(r.file, r.line)
            if r.kind == "CustomResourceDefinition":
                group = _get(r.data, ("spec", "group"))
                kind = _get(r.data, ("spec", "names", "kind"))
                if isinstance(group, str) and group:
                    _add_provider(
                        found,
                        ks,
                        "CustomResourceDefinition",
                        [group],
                        [kind] if isinstance(kind, str) else [],
                        ev,
                    )
            elif r.kind == "ConstraintTemplate":
                kind = _get(r.data, ("spec", "crd", "spec", "names", "kind"))
                if isinstance(kind, str) and kind:
                    _add_provider(found, ks, "ConstraintTemplate", ["constraints.gatekeeper.sh"], [kind], ev)
            elif r.kind == "HelmRelease":
                ref = chart_of(r, comp.dir if comp else None, sources)
                info = table.match(ref.chart, ref.url)
                if info is None:
                    continue
                if info.webhook:
                    _add_webhook(hooks, ks, f"chart {info.name}", info.intercepts, ev, info)
                if not info.groups:
                    continue
                ok, why = _provides_crds(info, r)
                if ok:
                    _add_provider(found, ks, f"chart {info.name}", info.groups, info.kinds, ev)
                else:
                    notes.append(
                        f"{short_name(ks.id)}: chart {info.name} does not install its CRDs here ({why}) at {ev}"
                    )
            elif r.kind in WEBHOOK_KINDS:
                _add_webhook(hooks, ks, r.kind, False, ev)
            elif r.kind == "Kustomization" and r.group.startswith("kustomize.toolkit.fluxcd.io"):
                # a nested Flux Kustomization applying upstream manifests (CRDs from a Git tag)
                _source_provider(
                    found,
                    ks,
                    _get(r.data, ("spec", "sourceRef")),
                    comp.dir if comp else None,
                    sources,
                    table,
                    ev,
                )
        _source_provider(
            found, ks, ks.source_ref, comp.dir if comp else None, sources, table, Evidence(ks.file, ks.line)
        )
        for check in _get(ks.data, ("spec", "healthChecks")) or []:
            if (
                isinstance(check, dict)
                and check.get("kind") == "CustomResourceDefinition"
                and "." in str(check.get("name", ""))
            ):
                group = str(check["name"]).split(".", 1)[1]
                _add_provider(
                    found,
                    ks,
                    "healthChecks CustomResourceDefinition",
                    [group],
                    [],
                    Evidence(ks.file, ks.line),
                )
        if comp is None or not resources_:
            # the folder was not read (not in this checkout): go by the Kustomization's name
            info, what = _by_name(table, ks)
            if info is not None and info.groups:
                _add_provider(
                    found,
                    ks,
                    f"{what} (chart {info.name}; folder not read)",
                    info.groups,
                    info.kinds,
                    Evidence(ks.file, ks.line),
                )
            if info is not None and info.webhook:
                _add_webhook(
                    hooks,
                    ks,
                    f"{what} (chart {info.name}; folder not read)",
                    info.intercepts,
                    Evidence(ks.file, ks.line),
                    info,
                )
    facts = sorted(found.values(), key=lambda f: (f.groups[0] if f.groups else "", f.provider, f.via))
    return facts, sorted(hooks.values(), key=lambda w: w.component), notes


_GENERIC_DIRS = frozenset(
    {
        "app",
        "apps",
        "operator",
        "base",
        "overlays",
        "prod",
        "dev",
        "staging",
        "main",
        "test",
        "crds",
        "config",
        "configs",
        "instance",
        "default",
        "release",
        "controller",
        "controllers",
        "kubernetes",
    }
)


def _by_name(table: ChartTable, ks: FluxKustomization) -> tuple[ChartInfo | None, str]:
    """A chart entry named like the Kustomization (``cilium-app``) or its path (``grafana/operator``)."""
    name = ks.name
    names = [
        name,
        *(
            name.removesuffix(s)
            for s in ("-app", "-crds", "-operator", "-controller", "-system")
            if name.endswith(s)
        ),
    ]
    path = "" if "${" in (ks.path or "") else (ks.path or "")  # substituted at run time: not a name
    parts = [p for p in path.strip().strip("/").split("/") if p not in ("", ".")]
    paths = [f"{parts[-2]}-{parts[-1]}"] if len(parts) >= 2 else []
    paths += [parts[-1]] if parts and parts[-1] not in _GENERIC_DIRS else []
    for what, candidates in (("name", names), ("path", paths)):
        for candidate in candidates:
            for info in table.charts:
                if candidate == info.name or candidate in info.charts:
                    return info, what
    return None, ""


def _source_provider(
    found: dict[tuple[str, str], ProviderFact],
    ks: FluxKustomization,
    ref: Any,
    comp_dir: str | None,
    sources: _Sources,
    table: ChartTable,
    ev: Evidence,
) -> None:
    if (
        not isinstance(ref, dict)
        or ref.get("kind") not in ("GitRepository", "OCIRepository")
        or not ref.get("name")
    ):
        return
    hit = sources.find(str(ref["kind"]), str(ref["name"]), comp_dir)
    if hit is None:
        return
    info = table.match(None, hit[0], exact_only=True)
    if info is not None and info.groups:
        _add_provider(found, ks, f"source {_url_path(hit[0])}", info.groups, info.kinds, ev)


def _add_webhook(
    hooks: dict[str, WebhookFact],
    ks: FluxKustomization,
    via: str,
    intercepts: bool,
    ev: Evidence,
    info: ChartInfo | None = None,
) -> None:
    fact = hooks.setdefault(ks.id, WebhookFact(ks.id, via, intercepts, chart=info.name if info else None))
    fact.intercepts = fact.intercepts or intercepts
    if ev not in fact.evidence:
        fact.evidence.append(ev)


def used_groups(repo: Repo, env_name: str | None = None) -> dict[str, BootstrapFact]:
    """CRD groups the env's manifests create instances of, with who uses them and where."""
    env = repo.env(env_name)
    out: dict[str, BootstrapFact] = {}
    for ks, comp in _deployed(repo, env):
        for r in comp.resources if comp else []:
            group = r.group
            if is_builtin_group(group) or r.kind == "CustomResourceDefinition":
                continue
            fact = out.setdefault(group, BootstrapFact(group, [], []))
            if r.kind not in fact.kinds:
                fact.kinds.append(r.kind)
            if ks.id not in fact.used_by:
                fact.used_by.append(ks.id)
            ev = Evidence(r.file, r.line)
            if ev not in fact.evidence:
                fact.evidence.append(ev)
    return out


def bootstrap_provided(
    repo: Repo, env_name: str | None, facts: list[ProviderFact], rules: rules_mod.Rules
) -> list[BootstrapFact]:
    """Groups used in the env that neither a learned provider nor the rules table's provider (a
    Kustomization of that name in the env) provides."""
    env = repo.env(env_name)
    provided = {g for f in facts for g in f.groups}
    names = {k.name for k in env.kustomizations} | {k.id for k in env.kustomizations}
    out = []
    for group, fact in sorted(used_groups(repo, env.name).items()):
        if group in provided:
            continue
        table_providers = {rules.table_provider_for_kind(k) for k in fact.kinds} - {None}
        if table_providers and table_providers <= names:
            continue
        out.append(fact)
    return out


# --------------------------------------------------------------------------- style and services (reads files)


class _Text:
    """Lines of repo files, read once."""

    def __init__(self, root: Path):
        self.lines = rules_mod.SourceLines(root)

    def locate(self, file: str, start: int, path: Iterable[str]) -> int:
        return self.lines.locate(file, start, path)

    def get(self, file: str) -> list[str]:
        return self.lines.get(file)


EVIDENCE_KEPT = 5
"""Style facts keep the first few places of their majority value (the count says how many)."""


def _majority(key: str, observed: list[tuple[Any, Any]], detail: str = "") -> StyleFact | None:
    """The most common value (ties: the one seen first); evidence may be ``Evidence`` or a
    zero-argument function making one (key lines are looked up only for the places kept)."""
    if not observed:
        return None
    counts = Counter(_hashable(v) for v, _ in observed)
    order: dict[Any, int] = {}
    for i, (v, _) in enumerate(observed):
        order.setdefault(_hashable(v), i)
    value = max(counts, key=lambda v: (counts[v], -order[v]))
    kept = [e for v, e in observed if _hashable(v) == value][:EVIDENCE_KEPT]
    ev = [e if isinstance(e, Evidence) else e() for e in kept]
    return StyleFact(key, value, counts[value], len(observed), ev, detail)


def _key_evidence(text: _Text, file: str, start: int, data: Any, path: tuple[str, ...]) -> Any:
    if _get(data, path) is None:
        return Evidence(file, start)
    return lambda: Evidence(file, text.locate(file, start, path))


def _hashable(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)


KS_STYLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("interval", ("spec", "interval")),
    ("timeout", ("spec", "timeout")),
    ("wait", ("spec", "wait")),
    ("prune", ("spec", "prune")),
    ("retryInterval", ("spec", "retryInterval")),
)
HR_STYLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("interval", ("spec", "interval")),
    ("timeout", ("spec", "timeout")),
    ("chart.interval", ("spec", "chart", "spec", "interval")),
    ("install.remediation.retries", ("spec", "install", "remediation", "retries")),
    ("upgrade.remediation.retries", ("spec", "upgrade", "remediation", "retries")),
)
REPO_STYLE: tuple[tuple[str, tuple[str, ...]], ...] = (("interval", ("spec", "interval")),)


def _unique_components(repo: Repo, env: Env) -> list[tuple[FluxKustomization, Component]]:
    seen: set[str] = set()
    out = []
    for ks, comp in _deployed(repo, env):
        if comp is not None and comp.dir not in seen:
            seen.add(comp.dir)
            out.append((ks, comp))
    return out


def style(repo: Repo, env_name: str | None, text: _Text, sources: _Sources) -> list[StyleFact]:
    env = repo.env(env_name)
    comps = _unique_components(repo, env)
    facts: list[StyleFact | None] = []
    for key, path in KS_STYLE:
        obs = [
            (_get(ks.data, path), _key_evidence(text, ks.file, ks.line, ks.data, path))
            for ks in env.kustomizations
        ]
        facts.append(_majority(f"kustomization.{key}", obs))
    kinds: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...], str], ...] = (
        ("HelmRelease", HR_STYLE, "helmrelease"),
        ("HelmRepository", REPO_STYLE, "helmrepository"),
    )
    for kind, keys, prefix in kinds:
        objs = [r for _, comp in comps for r in comp.resources if r.kind == kind]
        for key, path in keys:
            obs = [(_get(r.data, path), _key_evidence(text, r.file, r.line, r.data, path)) for r in objs]
            facts.append(_majority(f"{prefix}.{key}", obs))
    facts.append(_list_indent(text, _style_files(repo, env, comps)))
    facts.append(_version_quote(text, comps))
    facts.append(_repository_layout(repo, env, comps, sources))
    return [f for f in facts if f is not None]


def _style_files(repo: Repo, env: Env, comps: list[tuple[FluxKustomization, Component]]) -> list[str]:
    files = list(env.files)
    for _, comp in comps:
        files.extend(comp.files)
        for name in repo_kustomization_names():
            if (repo.root / comp.dir / name).is_file():
                files.append(f"{comp.dir}/{name}")
    return list(dict.fromkeys(files))


def repo_kustomization_names() -> tuple[str, ...]:
    return ("kustomization.yaml", "kustomization.yml", "Kustomization")


def _list_indent(text: _Text, files: list[str]) -> StyleFact | None:
    """``key:`` followed by ``- item`` at the key's column (flush) or deeper (indented)."""
    obs: list[tuple[Any, Evidence]] = []
    for rel in files:
        lines = text.get(rel)
        for i, line in enumerate(lines[:-1]):
            body = line.split(" #", 1)[0].rstrip()
            if not body.endswith(":") or body.lstrip().startswith(("#", "-")):
                continue
            nxt = lines[i + 1]
            item = nxt.lstrip(" ")
            if not item.startswith("- "):
                continue
            indent, child = len(line) - len(line.lstrip(" ")), len(nxt) - len(item)
            obs.append(("indented" if child > indent else "flush", Evidence(rel, i + 2)))
    return _majority("yaml.list_indent", obs)


def _version_quote(text: _Text, comps: list[tuple[FluxKustomization, Component]]) -> StyleFact | None:
    obs: list[tuple[Any, Evidence]] = []
    for _, comp in comps:
        for r in comp.resources:
            if r.kind == "HelmRelease":
                path: tuple[str, ...] = ("spec", "chart", "spec", "version")
            elif r.kind == "OCIRepository":
                path = (
                    ("spec", "ref", "tag")
                    if _get(r.data, ("spec", "ref", "tag")) is not None
                    else ("spec", "ref", "semver")
                )
            else:
                continue
            if _get(r.data, path) is None:
                continue
            line = text.locate(r.file, r.line, path)
            raw = text.get(r.file)[line - 1] if 0 < line <= len(text.get(r.file)) else ""
            value = raw.split(":", 1)[-1].strip()
            obs.append(
                (
                    "double" if value.startswith('"') else "single" if value.startswith("'") else "plain",
                    Evidence(r.file, line),
                )
            )
    return _majority("yaml.version_quote", obs)


def _repository_layout(
    repo: Repo, env: Env, comps: list[tuple[FluxKustomization, Component]], sources: _Sources
) -> StyleFact | None:
    """Per component (the HelmRepository next to its HelmRelease) or central (one folder)."""
    owner = {comp.dir: ks for ks, comp in comps}
    obs: list[tuple[Any, Evidence]] = []
    for _, comp in comps:
        for r in comp.resources:
            if r.kind != "HelmRelease":
                continue
            ref = chart_of(r, comp.dir, sources)
            if ref.source_dir is None or ref.source_kind not in ("HelmRepository", "OCIRepository"):
                continue
            if ref.source_dir == comp.dir:
                obs.append(("per-component", Evidence(r.file, r.line)))
            else:
                obs.append((f"central:{ref.source_dir}", Evidence(r.file, r.line)))
    fact = _majority("helm_repositories", obs)
    if fact is None:
        return None
    if isinstance(fact.value, str) and fact.value.startswith("central:"):
        folder = fact.value.split(":", 1)[1]
        ks = owner.get(folder)
        dependants = sum(1 for k in env.kustomizations if ks is not None and ks.id in k.depends_on_ids)
        fact.value = "central"
        fact.detail = f"{folder} (Kustomization {ks.name if ks else '?'}; {dependants} depend on it)"
        fact.folder = folder
        fact.kustomization = ks.id if ks else ""
    return fact


REPLICA_KEYS = ("replicas", "replicaCount")


def _walk(values: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(values, dict):
        for k, v in values.items():
            yield (*prefix, str(k)), v
            yield from _walk(v, (*prefix, str(k)))


def services(repo: Repo, env_name: str | None, text: _Text, sources: _Sources) -> list[ServiceFact]:
    env = repo.env(env_name)
    table = chart_table()
    out = []
    for ks, comp in _unique_components(repo, env):
        for r in comp.resources:
            if r.kind != "HelmRelease":
                continue
            ref = chart_of(r, comp.dir, sources)
            chart = ref.chart or r.name
            fact = ServiceFact(ks.id, r.name, chart, table.family_of(chart), Evidence(r.file, r.line))
            for path, value in _walk(_get(r.data, ("spec", "values"))):
                line_of = functools.partial(text.locate, r.file, r.line, ("spec", "values", *path))
                if path[-1] in REPLICA_KEYS and isinstance(value, int) and not isinstance(value, bool):
                    fact.replicas.append(ValueFact(".".join(path), value, Evidence(r.file, line_of())))
                elif (
                    path[-1] == "resources"
                    and isinstance(value, dict)
                    and ({"requests", "limits"} & set(value))
                ):
                    fact.resources.append(ValueFact(".".join(path), value, Evidence(r.file, line_of())))
            out.append(fact)
    return out


# --------------------------------------------------------------------------- the whole lesson


def input_files(repo: Repo) -> list[str]:
    """Every file the facts are derived from (repo-relative), sorted."""
    files: set[str] = set()
    for env in repo.envs.values():
        files.update(env.files)
        files.update(k.file for k in env.kustomizations)
    for comp in repo.components.values():
        files.update(comp.files)
        for name in repo_kustomization_names():
            if (repo.root / comp.dir / name).is_file():
                files.add(f"{comp.dir}/{name}")
    return sorted(files)


def inputs_hash(repo: Repo) -> str:
    h = hashlib.sha256()
    for rel in input_files(repo):
        h.update(rel.encode() + b"\0")
        try:
            with open(os.path.join(repo.root, rel), "rb") as fh:
                h.update(fh.read())
        except OSError:
            h.update(b"\1missing")
        h.update(b"\0")
    return "sha256:" + h.hexdigest()


def learn(repo: Repo, env_name: str | None = None, *, with_hash: bool = True) -> Learned:
    """Every fact of one env (the primary one by default), with evidence; ``with_hash``: and the
    content hash of the inputs (for the learned file)."""
    env = repo.env(env_name)
    rules = rules_mod.rules_from_tables(
        rules_mod.merge_tables(rules_mod.default_tables(), _settings_rules(repo))
    )
    facts, hooks, notes = providers(repo, env.name)
    text = _Text(repo.root)
    sources = _sources(repo)
    out = Learned(
        env.name,
        inputs_hash(repo) if with_hash else "",
        facts,
        bootstrap_provided(repo, env.name, facts, rules),
        hooks,
        style(repo, env.name, text, sources),
        services(repo, env.name, text, sources),
        notes,
    )
    confirmed = confirmed_bootstrap(repo)
    for b in out.bootstrap_provided:
        b.confirmed = b.group in confirmed or any(k in confirmed for k in b.kinds)
    return out


def _settings_rules(repo: Repo) -> dict[str, Any] | None:
    settings = getattr(repo, "settings", None)
    return getattr(settings, "rules", None) if settings is not None else None


# --------------------------------------------------------------------------- the learned file


def _flow(items: Iterable[Any]) -> str:
    return "[" + ", ".join(_scalar(i) for i in items) + "]"


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    dumped = yaml.safe_dump(s, default_flow_style=True, width=10_000).strip()
    return dumped.removesuffix("\n...").removesuffix("...").strip()


def render_file(learned: Learned) -> str:
    """The commented ``.infra-tui.learned.yaml`` for ``learned``."""
    out = [
        "# What infra-tui learned from this repo (`infra-tui learn --write`). Review it like code:",
        "# delete a fact that is wrong, set `confirmed: true` on bootstrap_provided groups that really",
        "# are installed before Flux. Every command reads this file while `inputs_hash` matches the repo;",
        "# `.infra-tui.yaml` (rules: crd_providers, bootstrap_provided) overrides it.",
        f"version: {FORMAT_VERSION}",
        f"env: {_scalar(learned.env)}",
        f"inputs_hash: {_scalar(learned.inputs_hash)}",
        "",
        "# Which Kustomization installs the CRDs of each API group (lint's crd-dependency, new's dependsOn).",
        "providers:" + (" []" if not learned.providers else ""),
    ]
    for p in learned.providers:
        out += [
            f"  # {short_name(p.provider)} provides {', '.join(p.groups)}: {p.via}, seen {p.count}x",
            f"  - provider: {_scalar(p.provider)}",
            f"    groups: {_flow(p.groups)}",
            f"    kinds: {_flow(p.kinds)}",
            f"    via: {_scalar(p.via)}",
            f"    evidence: {_flow(str(e) for e in p.evidence)}",
        ]
    out += [
        "",
        "# CRD groups used here that no Kustomization provides.",
        "bootstrap_provided:" + (" []" if not learned.bootstrap_provided else ""),
    ]
    for b in learned.bootstrap_provided:
        out += [
            f"  # REVIEW: {b.group} is used by {len(b.used_by)} Kustomization(s) ({b.count} objects) and provided by none;"
            " installed before Flux? then set confirmed: true (lint stops flagging it), else add its provider",
            f"  - group: {_scalar(b.group)}",
            f"    kinds: {_flow(b.kinds)}",
            f"    used_by: {_flow(b.used_by)}",
            f"    evidence: {_flow(str(e) for e in b.evidence)}",
            f"    confirmed: {_scalar(b.confirmed)}",
        ]
    out += [
        "",
        "# Components that register admission webhooks (they get the allow-k8s-api CiliumNetworkPolicy).",
        "webhooks:" + (" []" if not learned.webhooks else ""),
    ]
    for w in learned.webhooks:
        out += [
            f"  - component: {_scalar(w.component)}",
            f"    via: {_scalar(w.via)}",
            f"    intercepts: {_scalar(w.intercepts)}",
            f"    chart: {_scalar(w.chart)}",
            f"    evidence: {_flow(str(e) for e in w.evidence)}",
        ]
    out += [
        "",
        "# House style: the majority value of each key (count of total), where it was seen.",
        "style:" + (" {}" if not learned.style else ""),
    ]
    for s in learned.style:
        out += [
            f"  # {s.count} of {s.total}" + (f"; {s.detail}" if s.detail else ""),
            f"  {s.key}: {{value: {_scalar(s.value)}, count: {s.count}, of: {s.total}, evidence: {_flow(str(e) for e in s.evidence[:5])}}}",
        ]
    out += [
        "",
        "# Resources and replicas per HelmRelease: models for similar services.",
        "services:" + (" []" if not learned.services else ""),
    ]
    for sv in learned.services:
        out += [
            f"  - component: {_scalar(sv.component)}",
            f"    release: {_scalar(sv.release)}",
            f"    chart: {_scalar(sv.chart)}",
            f"    family: {_scalar(sv.family)}",
            f"    evidence: {_scalar(str(sv.evidence))}",
        ]
        if sv.replicas:
            out.append("    replicas:")
            out += [
                f"      - {{path: {_scalar(v.path)}, value: {v.value}, evidence: {_scalar(str(v.evidence))}}}"
                for v in sv.replicas
            ]
        if sv.resources:
            out.append("    resources:")
            out += [
                f"      - {{path: {_scalar(v.path)}, evidence: {_scalar(str(v.evidence))}, value: {_inline(v.value)}}}"
                for v in sv.resources
            ]
    if learned.notes:
        out += ["", "# Charts that could install CRDs but are told not to here.", "notes:"]
        out += [f"  - {_scalar(n)}" for n in learned.notes]
    return "\n".join(out) + "\n"


def _inline(v: Any) -> str:
    return yaml.safe_dump(v, default_flow_style=True, width=10_000).strip()


@dataclass
class LearnedFile:
    """``.infra-tui.learned.yaml`` as read back."""

    path: Path
    env: str
    inputs_hash: str
    providers: list[ProviderFact]
    confirmed: set[str]  # groups and kinds confirmed bootstrap-provided
    webhooks: list[WebhookFact]
    stale: bool = False


def _evidence(items: Any) -> list[Evidence]:
    out = []
    for item in items or []:
        file, _, line = str(item).rpartition(":")
        out.append(Evidence(file, int(line)) if line.isdigit() else Evidence(str(item), 0))
    return out


def read_file(root: Path) -> LearnedFile | None:
    """The repo's learned file, or None. Bad content: ``UserError`` naming the file and line."""
    path = Path(root) / LEARNED_FILE
    if not path.is_file():
        return None
    rel = LEARNED_FILE
    try:
        data = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"cannot read ({exc.__class__.__name__}); fix or delete it and run infra-tui learn --write",
            file=rel,
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UserError(
            f"not valid YAML ({getattr(exc, 'problem', exc)}); fix it or run infra-tui learn --write",
            file=rel,
            line=mark.line + 1 if mark else None,
        ) from exc
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise UserError(
            f"not a version {FORMAT_VERSION} learned file; run infra-tui learn --write to make it again",
            file=rel,
        )
    try:
        provs = [
            ProviderFact(
                str(p["provider"]),
                [str(g) for g in p.get("groups") or []],
                [str(k) for k in p.get("kinds") or []],
                str(p.get("via", "")),
                _evidence(p.get("evidence")),
            )
            for p in data.get("providers") or []
        ]
        confirmed: set[str] = set()
        for b in data.get("bootstrap_provided") or []:
            if b.get("confirmed") is True:
                confirmed.add(str(b["group"]))
        hooks = [
            WebhookFact(
                str(w["component"]),
                str(w.get("via", "")),
                bool(w.get("intercepts")),
                _evidence(w.get("evidence")),
                str(w["chart"]) if w.get("chart") else None,
            )
            for w in data.get("webhooks") or []
        ]
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise UserError(
            f"an entry lacks a field or has the wrong shape ({exc}); fix it or run infra-tui learn --write",
            file=rel,
        ) from exc
    return LearnedFile(
        path, str(data.get("env", "")), str(data.get("inputs_hash", "")), provs, confirmed, hooks
    )


def confirmed_bootstrap(repo: Repo) -> set[str]:
    """Groups / kinds confirmed as installed before Flux: the learned file's and .infra-tui.yaml's."""
    out: set[str] = set()
    extra = _settings_rules(repo) or {}
    out.update(str(x) for x in extra.get("bootstrap_provided") or [])
    try:
        lf = _learned_file(repo)
    except UserError:
        lf = None
    if lf is not None:
        out |= lf.confirmed
    return out


_FILES: dict[int, tuple[Repo, LearnedFile | None]] = {}


def _learned_file(repo: Repo) -> LearnedFile | None:
    """The repo's learned file, read once per repo object."""
    hit = _FILES.get(id(repo))
    if hit is not None and hit[0] is repo:
        return hit[1]
    lf = read_file(repo.root)
    if len(_FILES) > 8:
        _FILES.clear()
    _FILES[id(repo)] = (repo, lf)
    return lf


def stale_notice(repo: Repo) -> str | None:
    """One line when the learned file no longer matches the repo (None when fresh or absent)."""
    lf = _learned_file(repo)
    if lf is None:
        return None
    if lf.inputs_hash != _hash_once(repo):
        lf.stale = True
        return f"{LEARNED_FILE} is stale (the repo changed since it was written); run `infra-tui learn --write` and review the diff"
    return None


@dataclass(frozen=True)
class Effective:
    """What lint and the planners use: provider ids per group and per kind, webhook components,
    and confirmed bootstrap-provided groups/kinds."""

    groups: dict[str, tuple[str, ...]]
    kinds: dict[str, tuple[str, ...]]
    webhooks: tuple[WebhookFact, ...]
    bootstrap: frozenset[str]
    source: str  # "file" | "derived"


_EFFECTIVE: dict[tuple[int, str], tuple[Repo, Effective]] = {}


def effective(repo: Repo, env_name: str | None = None) -> Effective:
    """The facts lint and the planners use for one env: the learned file's while it is fresh and
    about this env, else derived now; cached per repo object."""
    env = repo.env(env_name)
    key = (id(repo), env.name)
    hit = _EFFECTIVE.get(key)
    if hit is not None and hit[0] is repo:
        return hit[1]
    try:
        lf = _learned_file(repo)
    except UserError:  # reported by the command that loaded the repo (stale_notice); derive instead
        lf = None
    use_file = lf is not None and lf.env == env.name and not lf.stale and lf.inputs_hash == _hash_once(repo)
    if use_file:
        assert lf is not None
        facts, hooks, source = lf.providers, lf.webhooks, "file"
    else:
        facts, hooks, _ = providers(repo, env.name)
        source = "derived"
    groups: dict[str, list[str]] = {}
    kinds: dict[str, list[str]] = {}
    for f in facts:
        for index, names in ((groups, f.groups), (kinds, f.kinds)):
            for n in names:
                ids = index.setdefault(n, [])
                if f.provider not in ids:
                    ids.append(f.provider)
    eff = Effective(
        {g: tuple(v) for g, v in groups.items()},
        {k: tuple(v) for k, v in kinds.items()},
        tuple(hooks),
        frozenset(confirmed_bootstrap(repo)),
        source,
    )
    if len(_EFFECTIVE) > 8:
        _EFFECTIVE.clear()
    _EFFECTIVE[key] = (repo, eff)
    return eff


_HASHES: dict[int, tuple[Repo, str]] = {}


def _hash_once(repo: Repo) -> str:
    hit = _HASHES.get(id(repo))
    if hit is not None and hit[0] is repo:
        return hit[1]
    digest = inputs_hash(repo)
    if len(_HASHES) > 8:
        _HASHES.clear()
    _HASHES[id(repo)] = (repo, digest)
    return digest


# --------------------------------------------------------------------------- JSON / text


def to_dict(learned: Learned) -> dict[str, Any]:
    return {
        "env": learned.env,
        "inputs_hash": learned.inputs_hash,
        "providers": [
            {
                "provider": p.provider,
                "groups": p.groups,
                "kinds": p.kinds,
                "via": p.via,
                "evidence": [str(e) for e in p.evidence],
                "count": p.count,
            }
            for p in learned.providers
        ],
        "bootstrap_provided": [
            {
                "group": b.group,
                "kinds": b.kinds,
                "used_by": b.used_by,
                "evidence": [str(e) for e in b.evidence],
                "count": b.count,
                "confirmed": b.confirmed,
            }
            for b in learned.bootstrap_provided
        ],
        "webhooks": [
            {
                "component": w.component,
                "via": w.via,
                "intercepts": w.intercepts,
                "evidence": [str(e) for e in w.evidence],
                "count": w.count,
            }
            for w in learned.webhooks
        ],
        "style": [
            {
                "key": s.key,
                "value": s.value,
                "count": s.count,
                "of": s.total,
                "detail": s.detail,
                "evidence": [str(e) for e in s.evidence],
            }
            for s in learned.style
        ],
        "services": [
            {
                "component": s.component,
                "release": s.release,
                "chart": s.chart,
                "family": s.family,
                "evidence": str(s.evidence),
                "replicas": [
                    {"path": v.path, "value": v.value, "evidence": str(v.evidence)} for v in s.replicas
                ],
                "resources": [
                    {"path": v.path, "value": v.value, "evidence": str(v.evidence)} for v in s.resources
                ],
            }
            for s in learned.services
        ],
        "notes": learned.notes,
    }


def to_text(learned: Learned) -> str:
    lines = [f"env {learned.env}", "", "CRD providers"]
    lines += [
        f"  {', '.join(p.groups) or '-'}  <- {short_name(p.provider)}  ({p.via}; {p.count}x: {', '.join(str(e) for e in p.evidence[:3])}"
        f"{' ...' if p.count > 3 else ''})"
        for p in learned.providers
    ] or ["  (none)"]
    lines += ["", "Bootstrap-provided (used, provided by no Kustomization)"]
    lines += [
        f"  {b.group} ({', '.join(b.kinds)})  used by {', '.join(short_name(u) for u in b.used_by)}; {b.count}x: "
        f"{', '.join(str(e) for e in b.evidence[:3])}{' ...' if b.count > 3 else ''}"
        + (
            "  [confirmed]"
            if b.confirmed
            else "  REVIEW: installed before Flux? confirm it in " + LEARNED_FILE
        )
        for b in learned.bootstrap_provided
    ] or ["  (none)"]
    lines += ["", "Webhook components"]
    lines += [
        f"  {short_name(w.component)}  ({w.via}{', intercepts API calls' if w.intercepts else ''}; {w.evidence[0]})"
        for w in learned.webhooks
    ] or ["  (none)"]
    lines += ["", "House style (majority)"]
    lines += [
        f"  {s.key}: {_scalar(s.value)}  ({s.count} of {s.total}{'; ' + s.detail if s.detail else ''}; e.g. {s.evidence[0]})"
        for s in learned.style
    ] or ["  (none)"]
    lines += ["", "Services (resources / replicas in HelmRelease values)"]
    for s in learned.services:
        bits = [f"{v.path}={v.value}" for v in s.replicas] + [f"{v.path} ({v.evidence})" for v in s.resources]
        lines.append(
            f"  {short_name(s.component)}/{s.release}  chart {s.chart}"
            + (f" [{s.family}]" if s.family else "")
            + (": " + ", ".join(bits) if bits else "")
        )
    if not learned.services:
        lines.append("  (none)")
    if learned.notes:
        lines += ["", "Notes"] + [f"  {n}" for n in learned.notes]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- into the rule tables


def apply_to_rules(
    rules: rules_mod.Rules, repo: Repo, env_name: str | None, settings_rules: dict[str, Any] | None
) -> None:
    """Put what ``repo`` teaches about ``env_name`` into ``rules`` (``rules.load_rules`` calls this
    once per load): learned providers, webhook components, confirmed bootstrap-provided groups.
    Kinds whose provider ``.infra-tui.yaml`` names keep that provider."""
    eff = effective(repo, env_name)
    rules.learned_groups = dict(eff.groups)
    rules.learned_kinds = dict(eff.kinds)
    rules.bootstrap_provided = eff.bootstrap
    rules.pinned_kinds = frozenset(
        str(k)
        for p in (settings_rules or {}).get("crd_providers") or []
        if isinstance(p, dict)
        for k in p.get("kinds") or []
    )
    # the house names webhook components by what they are (cert-manager): the repo's own names for
    # them count too; other charts' webhooks are facts to show, not house rules
    for hook in eff.webhooks:
        if hook.chart is None:
            continue  # a WebhookConfiguration in the tree: lint sees that itself
        info = next((c for c in chart_table().charts if c.name == hook.chart), None)
        names = {hook.chart, hook.chart.split("-")[0], *(info.charts if info else ())}
        if names & rules.webhook_components:
            rules.webhook_components.add(short_name(hook.component))
        if names & rules.intercepting_webhooks:
            rules.intercepting_webhooks.add(short_name(hook.component))
    rules.learned = True


_LEARNED: dict[tuple[int, str], tuple[Repo, Learned]] = {}


def cached(repo: Repo, env_name: str | None = None) -> Learned:
    """``learn(repo, env)``, once per repo object (the planners re-plan on every keystroke)."""
    env = repo.env(env_name)
    key = (id(repo), env.name)
    hit = _LEARNED.get(key)
    if hit is not None and hit[0] is repo:
        return hit[1]
    learned = learn(repo, env.name, with_hash=False)
    if len(_LEARNED) > 4:
        _LEARNED.clear()
    _LEARNED[key] = (repo, learned)
    return learned


def most_similar(learned: Learned, chart: str, exclude: str = "") -> tuple[ServiceFact, str] | None:
    """The service most like a new one running ``chart``: the same chart, else the same family;
    with the reason ("same chart", "same family: database")."""
    candidates = [
        s for s in learned.services if short_name(s.component) != exclude and (s.replicas or s.resources)
    ]
    same = [s for s in candidates if s.chart == chart]
    if same:
        return same[0], "same chart"
    family = chart_table().family_of(chart) if chart else None
    if family:
        fam = [s for s in candidates if s.family == family]
        if fam:
            return fam[0], f"same family: {family}"
    return None
