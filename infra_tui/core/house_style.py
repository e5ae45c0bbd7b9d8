"""The repo's house style: the majority value of each Kustomization / HelmRelease /
HelmRepository key, list indentation, version quoting and where HelmRepositories live, each with
the places it was seen. Reads the files again for key lines (``RepoText``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from infra_tui.core import rules as rules_mod
from infra_tui.core.charts import Sources, chart_of
from infra_tui.core.learn_facts import Evidence, StyleFact, unique_components
from infra_tui.core.model import Component, Env, FluxKustomization, Repo

_get = rules_mod.value_at


class RepoText:
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


def _key_evidence(text: RepoText, file: str, start: int, data: Any, path: tuple[str, ...]) -> Any:
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


def style(repo: Repo, env_name: str | None, text: RepoText, sources: Sources) -> list[StyleFact]:
    env = repo.env(env_name)
    comps = unique_components(repo, env)
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


def _list_indent(text: RepoText, files: list[str]) -> StyleFact | None:
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


def _version_quote(text: RepoText, comps: list[tuple[FluxKustomization, Component]]) -> StyleFact | None:
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
    repo: Repo, env: Env, comps: list[tuple[FluxKustomization, Component]], sources: Sources
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
