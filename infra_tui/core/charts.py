"""The chart table (``templates/chart_crds.yaml``: which charts install which CRDs, register
webhooks, belong to a family) and which chart a HelmRelease installs, read from the repo's
HelmRepository / OCIRepository / GitRepository objects. No disk reads but the shipped table."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from infra_tui.core import rules as rules_mod
from infra_tui.core import yamlio
from infra_tui.core.model import Repo, Resource

_get = rules_mod.value_at


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
        path = url_path(url) if url else ""
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


def url_path(url: str) -> str:
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


@dataclass
class Sources:
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


def repo_sources(repo: Repo) -> Sources:
    out = Sources()
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


def chart_of(hr: Resource, comp_dir: str | None, sources: Sources) -> ChartRef:
    """The chart a HelmRelease installs: name, and the URL of its source when that was read."""
    spec: dict[str, Any] = hr.data["spec"] if isinstance(hr.data.get("spec"), dict) else {}
    ref = spec.get("chartRef")
    if isinstance(ref, dict) and ref.get("name"):
        kind, name = str(ref.get("kind", "OCIRepository")), str(ref["name"])
        hit = sources.find(kind, name, comp_dir)
        url = hit[0] if hit else None
        oci_chart = url_path(url).rsplit("/", 1)[-1] if url else None
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
