"""Similar services: the resources and replicas each HelmRelease sets in its values (with their
lines), and the service most like a new one (same chart, else same chart family)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from infra_tui.core import rules as rules_mod
from infra_tui.core.charts import Sources, chart_of, chart_table
from infra_tui.core.house_style import RepoText
from infra_tui.core.learn_facts import Evidence, Learned, ServiceFact, ValueFact, unique_components
from infra_tui.core.model import Repo, short_name

_get = rules_mod.value_at


REPLICA_KEYS = ("replicas", "replicaCount")


def _walk(values: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(values, dict):
        for k, v in values.items():
            yield (*prefix, str(k)), v
            yield from _walk(v, (*prefix, str(k)))


def services(repo: Repo, env_name: str | None, text: RepoText, sources: Sources) -> list[ServiceFact]:
    env = repo.env(env_name)
    table = chart_table()
    out = []
    for ks, comp in unique_components(repo, env):
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
