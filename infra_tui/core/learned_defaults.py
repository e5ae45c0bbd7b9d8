"""Where each default of the wizard comes from: learned from the repo (which component, which
line) or the house default. The wizard shows one short marker per defaulted field; the Learned view
lists every fact as rows. Both read a ``learn.Learned`` (``learn.cached``); nothing here reads disk.

Pure: no Textual, no subprocess.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from infra_tui.core import learn
from infra_tui.core.model import short_name


@dataclass(frozen=True)
class FieldDefault:
    """What a new component gets for one field the user leaves empty, and why."""

    field: str  # the wizard's field id: interval, timeout, version, repo-name, namespace, values
    value: str  # what the plan uses ("" when it adds nothing)
    learned: bool
    source: str = ""  # "cni (namespaces/cni/helm-release.yaml:7)" when learned
    count: str = ""  # "5 of 5"

    @property
    def marker(self) -> str:
        """The short text next to the field."""
        if not self.learned:
            # a short value fits the narrow form; the interval row shows its value itself
            shown = self.value and len(self.value) <= 10 and self.field != "interval"
            return "house default" + (f": {self.value}" if shown else "")
        return f"learned from {self.source}"

    @property
    def detail(self) -> str:
        """The marker with the value and the count (the field's tooltip)."""
        if not self.learned:
            return f"{self.field}: {self.value or 'nothing'}, the house default (nothing in this repo to learn it from)"
        count = f" ({self.count} seen)" if self.count else ""
        return f"{self.field}: {self.value}, learned from {self.source}{count}"


def component_of(evidence: learn.Evidence) -> str:
    """``cni (namespaces/cni/helm-release.yaml:7)``: the folder the evidence sits in, and where."""
    parent = PurePosixPath(evidence.file).parent
    if not parent.name or parent.parts[:1] == ("clusters",):
        return str(evidence)
    return f"{parent.name} ({evidence})"


def _style(learned: learn.Learned | None, key: str) -> learn.StyleFact | None:
    fact = learned.style_value(key) if learned is not None else None
    return fact if fact is not None and fact.value is not None and fact.evidence else None


def _scalar(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def field_defaults(learned: learn.Learned | None, chart: str = "", name: str = "") -> dict[str, FieldDefault]:
    """Every defaulted field of the wizard, learned or the house default (``learned`` None: nothing
    learned yet, every field is the house default)."""
    out: dict[str, FieldDefault] = {}
    for field, key, house in (
        ("interval", "helmrelease.interval", "1h"),
        ("timeout", "helmrelease.timeout", ""),
    ):
        fact = _style(learned, key)
        out[field] = (
            FieldDefault(
                field,
                _scalar(fact.value),
                True,
                component_of(fact.evidence[0]),
                f"{fact.count} of {fact.total}",
            )
            if fact is not None
            else FieldDefault(field, house or "none (Helm's 5m)", False)
        )
    quote = _style(learned, "yaml.version_quote")
    out["version"] = (
        FieldDefault(
            "version",
            f"* quoted {quote.value}",
            True,
            component_of(quote.evidence[0]),
            f"{quote.count} of {quote.total}",
        )
        if quote is not None
        else FieldDefault("version", '"*"', False)
    )
    central = _style(learned, "helm_repositories")
    out["repo-name"] = (
        FieldDefault(
            "repo-name",
            f"in {central.folder}",
            True,
            f"{central.folder} ({central.evidence[0]})",
            f"{central.count} of {central.total}",
        )
        if central is not None and central.value == "central" and central.folder
        else FieldDefault("repo-name", "the component's name, in its folder", False)
    )
    out["namespace"] = FieldDefault("namespace", "the component's name", False)
    similar = learn.most_similar(learned, chart, exclude=name) if learned is not None and chart else None
    if similar is not None:
        service, why = similar
        what = [v.path for v in service.replicas] + [v.path for v in service.resources]
        out["values"] = FieldDefault(
            "values",
            ", ".join(what),
            True,
            f"{short_name(service.component)} ({why}: {service.evidence})",
        )
    else:
        out["values"] = FieldDefault("values", "the chart's own", False)
    return out


@dataclass(frozen=True)
class FactRow:
    """One row of the Learned view."""

    section: str  # provider, bootstrap, webhook, style, service, note
    fact: str
    source: str
    count: int | str
    evidence: str


def fact_rows(learned: learn.Learned) -> list[FactRow]:
    """Every learned fact as a row: what, from which Kustomization / how, how many times, where."""

    def ev(items: list[learn.Evidence]) -> str:
        shown = ", ".join(str(e) for e in items[:2])
        return shown + (f" (+{len(items) - 2})" if len(items) > 2 else "")

    rows: list[FactRow] = []
    for p in learned.providers:
        kinds = ", ".join(p.kinds[:4]) + (" …" if len(p.kinds) > 4 else "")
        what = ", ".join(p.groups) + (f" ({kinds})" if kinds else "")
        rows.append(
            FactRow("CRD provider", what, f"{short_name(p.provider)} · {p.via}", p.count, ev(p.evidence))
        )
    for b in learned.bootstrap_provided:
        status = "confirmed" if b.confirmed else "REVIEW: installed before Flux?"
        rows.append(
            FactRow(
                "bootstrap",
                f"{b.group} ({', '.join(b.kinds)})",
                f"used by {', '.join(short_name(u) for u in b.used_by)} · {status}",
                b.count,
                ev(b.evidence),
            )
        )
    for w in learned.webhooks:
        rows.append(
            FactRow(
                "webhook",
                short_name(w.component),
                w.via + (" · intercepts API calls" if w.intercepts else ""),
                w.count,
                ev(w.evidence),
            )
        )
    for s in learned.style:
        value = "unset" if s.value is None else _scalar(s.value)
        rows.append(
            FactRow(
                "style",
                f"{s.key}: {value}",
                s.detail or "majority",
                f"{s.count} of {s.total}",
                ev(s.evidence),
            )
        )
    for svc in learned.services:
        bits = [f"{v.path}={v.value}" for v in svc.replicas] + [v.path for v in svc.resources]
        rows.append(
            FactRow(
                "service",
                f"{short_name(svc.component)}/{svc.release}",
                f"chart {svc.chart}" + (f" [{svc.family}]" if svc.family else ""),
                len(bits),
                f"{svc.evidence}" + (": " + ", ".join(bits) if bits else ""),
            )
        )
    rows += [FactRow("note", n, "", "", "") for n in learned.notes]
    return rows
