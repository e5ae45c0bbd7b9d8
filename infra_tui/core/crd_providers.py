"""Which Kustomization of an env provides which CRD groups, which register admission webhooks, and
which CRD groups are used but provided by none (installed before Flux, or missing). The cheap part
of ``core.learn`` every lint needs: the loaded model only, no disk reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infra_tui.core import rules as rules_mod
from infra_tui.core.charts import (
    ChartInfo,
    ChartTable,
    Sources,
    chart_of,
    chart_table,
    repo_sources,
    url_path,
)
from infra_tui.core.learn_facts import BootstrapFact, Evidence, ProviderFact, WebhookFact, deployed
from infra_tui.core.model import FluxKustomization, Repo, Resource, short_name

WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
is_builtin_group = rules_mod.is_builtin_group
_get = rules_mod.value_at


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
    sources = repo_sources(repo)
    found: dict[tuple[str, str], ProviderFact] = {}
    hooks: dict[str, WebhookFact] = {}
    notes: list[str] = []
    for ks, comp in deployed(repo, env):
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
    sources: Sources,
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
        _add_provider(found, ks, f"source {url_path(hit[0])}", info.groups, info.kinds, ev)


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
    for ks, comp in deployed(repo, env):
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
