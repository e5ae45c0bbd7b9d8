"""What a new component must not collide with: Kustomization and folder names, namespaces,
HelmRepositories of another url, monitoring kinds outside the -monitoring split, a chart's own
ServiceMonitor switched on. Each conflict is a refusal that says what to do instead."""

from __future__ import annotations

from typing import Any

from infra_tui.core import layout
from infra_tui.core import rules as rules_mod
from infra_tui.core.model import DEFAULT_FLUX_NAMESPACE, ChangePlan, Repo
from infra_tui.core.spec import ComponentSpec

FLUX_NS = DEFAULT_FLUX_NAMESPACE


def check_conflicts(repo: Repo, spec: ComponentSpec, rules: rules_mod.Rules, result: ChangePlan) -> None:
    """Add to ``result.refusals`` (and ``result.warnings``) what adding ``spec`` to ``repo`` collides with."""
    refuse = result.refusals.append
    mon_suffix = rules.monitoring_suffix
    name = spec.name
    ns = spec.target_namespace
    mon_name = name + mon_suffix
    existing = _existing_names(repo)
    comp_dir = layout.component_dir(name)
    mon_dir = layout.component_dir(mon_name)
    if name in existing:
        refuse(
            f"Kustomization '{name}' already exists ({existing[name]}); change it with `infra-tui edit {name}`"
        )
    elif comp_dir in repo.components or (repo.root / comp_dir).exists():
        refuse(
            f"{comp_dir}/ already exists; change the component with `infra-tui edit {name}` or pick another name"
        )
    if spec.monitoring.enabled:
        if mon_name in existing:
            refuse(
                f"Kustomization '{mon_name}' already exists ({existing[mon_name]}); change it with `infra-tui edit {name}`"
            )
        elif mon_dir in repo.components or (repo.root / mon_dir).exists():
            refuse(f"{mon_dir}/ already exists; change it with `infra-tui edit {name}`")
    used_ns = _namespaces_in_use(repo)
    if ns in used_ns and name not in existing:
        refuse(
            f"namespace '{ns}' is already created by {used_ns[ns]}; one namespace per component: set another namespace"
        )
    repo_name = spec.repository_name
    helm_repos = _helm_repositories(repo)
    if repo_name in helm_repos:
        url, where = helm_repos[repo_name]
        if url.rstrip("/") != spec.chart.repository.url.rstrip("/"):
            refuse(
                f"HelmRepository flux-system/{repo_name} already exists with url {url} ({where}); "
                "set chart.repository.name to another name"
            )
        else:
            result.warnings.append(
                f"HelmRepository flux-system/{repo_name} is also defined in {where} with the same url; both Kustomizations apply it"
            )
    for kind in spec.creates:
        if kind in rules.monitoring_kinds:
            refuse(
                f"spec creates: {kind} belongs in the {mon_name} split; use monitoring: {{serviceMonitor: true}} / {{prometheusRule: true}} instead"
            )
    switched_on = _servicemonitor_switches_on(spec.values, rules.servicemonitor_switches)
    for path in switched_on:
        refuse(
            f"spec values.{path}: true turns on the chart's own ServiceMonitor; set monitoring.serviceMonitor: true instead "
            f"(the chart's is disabled and one is written to {mon_dir}/)"
        )


def _existing_names(repo: Repo) -> dict[str, str]:
    """Kustomization name -> where it is defined (file:line), over every env."""
    out: dict[str, str] = {}
    for env in repo.envs.values():
        for k in env.kustomizations:
            out.setdefault(k.name, f"{k.file}:{k.line}")
    return out


def _namespaces_in_use(repo: Repo) -> dict[str, str]:
    out: dict[str, str] = {}
    for comp in repo.components.values():
        for r in comp.resources:
            if r.kind == "Namespace":
                out.setdefault(r.name, f"{r.file}")
    return out


def _helm_repositories(repo: Repo) -> dict[str, tuple[str, str]]:
    """flux-system HelmRepository name -> (url, file)."""
    out: dict[str, tuple[str, str]] = {}
    for comp in repo.components.values():
        for r in comp.resources:
            if r.kind == "HelmRepository" and (r.namespace or FLUX_NS) == FLUX_NS:
                url = (r.data.get("spec") or {}).get("url") if isinstance(r.data.get("spec"), dict) else None
                out.setdefault(r.name, (str(url or ""), r.file))
    return out


def _servicemonitor_switches_on(values: Any, switches: set[str], prefix: tuple[str, ...] = ()) -> list[str]:
    hits: list[str] = []
    if isinstance(values, dict):
        for k, v in values.items():
            path = (*prefix, str(k))
            if str(k) == "enabled" and prefix and prefix[-1] in switches and v is True:
                hits.append(".".join(path))
            hits.extend(_servicemonitor_switches_on(v, switches, path))
    return hits
