"""``plan(repo, spec) -> ChangePlan``: a new component in the house patterns, before anything is written.

The wizard re-runs this on every keystroke, so it is built to stay within one frame on a
300-component repo:

* generated files come from ``core/render.py`` (skeletons filled as data, each render memoised on
  exactly its inputs, so a keystroke that changes one value re-renders one file);
* ``infrastructure.yaml`` is never round-tripped as a whole: the new Kustomizations are dumped on
  their own and appended with ``workspace.append_documents``, every other byte stays;
* the lint of the repo "as it would be" runs on an in-memory copy of the model (nothing re-read
  from disk) restricted to what the plan adds; the graph is built with ``graph.build(env, extra)``.

Every default the user did not state becomes a ``# REVIEW: ...`` comment at its line and an entry
of ``plan.assumptions``. Refusals (``plan.refusals``) leave ``plan.files`` empty.

Pure: reads the files it changes, writes nothing, no Textual, no subprocess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra_tui.core import graph as graph_mod
from infra_tui.core import layout, learned_changes, learned_style, render, render_named, workspace
from infra_tui.core import repo as repo_mod
from infra_tui.core import rules as rules_mod
from infra_tui.core.model import (
    DEFAULT_FLUX_NAMESPACE,
    ChangePlan,
    FileChange,
    FluxKustomization,
    Placement,
    Problem,
    Repo,
    ks_id,
    short_name,
)
from infra_tui.core.new_conflicts import check_conflicts
from infra_tui.core.placement import dependencies, graph_with
from infra_tui.core.plan_lint import components_after, lint_added
from infra_tui.core.render import (
    CNP_FILE,
    CREATES_ANNOTATION,
    Rendered,
    cached,
    helm_release_patch,
    render_cnp,
    render_flux_kustomization,
    render_helm_release,
    render_helm_repository,
    render_kustomization,
    render_monitoring_kustomization,
    render_namespace,
    render_prometheus_rules,
    render_service_monitor,
)
from infra_tui.core.rules import Finding
from infra_tui.core.spec import ComponentSpec, closest
from infra_tui.core.workspace import append_documents

FLUX_NS = DEFAULT_FLUX_NAMESPACE
__all__ = [
    "CNP_FILE",
    "CREATES_ANNOTATION",
    "append_documents",
    "clear_cache",
    "declared_creates",
    "graph_with",
    "plan",
    "rules_for",
]


def clear_cache() -> None:
    """Forget memoised renders and file reads (benchmarks use it to time a cold plan)."""
    render.clear_cache()
    render_named.clear_cache()
    workspace.clear_cache()


def rules_for(repo: Repo) -> rules_mod.Rules:
    """The rules of ``repo`` (loaded once per repo object)."""
    return rules_mod.for_repo(repo)


# --------------------------------------------------------------------------- the plan


@dataclass
class _EnvPlan:
    env: str
    file: str
    before: str | None
    after: str
    new_kss: list[FluxKustomization]


NOT_FLAT = (
    "writing is for the flat shape (clusters/<env>/infrastructure.yaml + namespaces/<name>/); this repo is "
    "another Flux layout: it is read, linted and watched, not written"
)


def plan(
    repo: Repo, spec: ComponentSpec, *, env: str | None = None, rules: rules_mod.Rules | None = None
) -> ChangePlan:
    """What adding ``spec`` to ``repo`` would change. Never writes; refusals leave ``files`` empty."""
    result = ChangePlan()
    refuse = result.refusals.append
    for p in spec.problems:
        refuse(str(p) if p.file else f"spec {p}")
    if not repo.flat:
        refuse(NOT_FLAT)
    if result.refusals and not spec.name:
        return result
    rules = rules or rules_for(repo)
    mon_suffix = rules.monitoring_suffix

    # ---- where: envs
    env_names = list(spec.envs) or [env or repo.primary_env]
    for e in env_names:
        if e not in repo.envs:
            hint = closest(e, list(repo.envs))
            refuse(
                f"env '{e}' does not exist (no clusters/{e}/infrastructure.yaml)"
                + (f"; did you mean '{hint}'?" if hint else f"; envs: {', '.join(repo.envs)}")
            )
    primary = repo.primary_env
    for e in spec.env_values:
        if e not in env_names:
            refuse(
                f"spec env_values.{e}: {e} is not one of the component's envs ({', '.join(env_names)}); add it to envs or remove the overrides"
            )
        elif e == primary:
            refuse(f"spec env_values.{e}: {e} is the primary env; put its values under values")

    # ---- what exists already (names, folders, namespaces, HelmRepositories)
    name = spec.name
    ns = spec.target_namespace
    mon_name = name + mon_suffix
    comp_dir = layout.component_dir(name)
    mon_dir = layout.component_dir(mon_name)
    repo_name = spec.repository_name
    check_conflicts(repo, spec, rules, result)
    if result.refusals:
        return result

    # ---- what the plan contains
    webhook = spec.webhook if spec.webhook is not None else name in rules.webhook_components
    notes_extra: list[str] = []
    if spec.webhook is None and webhook:
        notes_extra.append(
            f"{name} is a known webhook component: CiliumNetworkPolicy allow-k8s-api added for webhook admission"
        )
    own_kinds: list[str] = ["Namespace", "HelmRepository", "HelmRelease"]
    has_cilium = {
        e: repo.envs[e].find(rules.provider_for_kind("CiliumNetworkPolicy") or "cilium") is not None
        for e in env_names
    }
    if webhook and not all(has_cilium.values()):
        missing_in = [e for e, ok in has_cilium.items() if not ok]
        if spec.webhook:
            refuse(
                f"webhook: true needs a CiliumNetworkPolicy, whose CRD comes from cilium, which env {', '.join(missing_in)} does not have"
            )
            return result
        webhook = False
        result.warnings.append(
            f"{name} registers webhooks but env {', '.join(missing_in)} has no cilium: no CiliumNetworkPolicy added"
        )
    if webhook:
        own_kinds.append("CiliumNetworkPolicy")
    for kind in spec.creates:
        if kind not in own_kinds:
            own_kinds.append(kind)
        if rules.provider_for_kind(kind) is None and kind not in (
            "Namespace",
            "HelmRepository",
            "HelmRelease",
        ):
            result.warnings.append(
                f"no CRD provider is known for {kind}; if it needs one, add it to rules.crd_providers in .infra-tui.yaml"
            )

    files: list[FileChange] = []
    notes: list[str] = []
    gen: dict[str, Rendered] = {}

    # the name's keystrokes: these files from a template without the name (render_named)
    named = render_named.cached_named
    gen[f"{comp_dir}/namespace.yaml"] = named(
        render_namespace, name, ns, spec.namespace is not None, dict(rules.namespace_labels)
    )
    gen[f"{comp_dir}/helm-repository.yaml"] = named(
        render_helm_repository,
        name,
        repo_name,
        spec.chart.repository.url,
        spec.chart.repository.name is not None,
    )
    gen[f"{comp_dir}/helm-release.yaml"] = named(
        render_helm_release,
        name,
        name,
        ns,
        spec.chart.name,
        spec.chart.version,
        repo_name,
        spec.values,
        spec.timeout,
        spec.monitoring.service_monitor,
    )
    kres = ["namespace.yaml", "helm-repository.yaml", "helm-release.yaml"]
    if webhook:
        gen[f"{comp_dir}/{CNP_FILE}"] = named(render_cnp, name, ns)
        kres.append(CNP_FILE)
    gen[f"{comp_dir}/kustomization.yaml"] = cached(render_kustomization, tuple(kres))
    if spec.monitoring.enabled:
        mres: list[str] = []
        if spec.monitoring.prometheus_rule:
            gen[f"{mon_dir}/prometheus-rules.yaml"] = cached(
                render_prometheus_rules, name, ns, spec.monitoring.service_monitor
            )
            mres.append("prometheus-rules.yaml")
        if spec.monitoring.service_monitor:
            gen[f"{mon_dir}/servicemonitor-{name}.yaml"] = cached(render_service_monitor, name, ns)
            mres.append(f"servicemonitor-{name}.yaml")
        gen[f"{mon_dir}/kustomization.yaml"] = cached(render_monitoring_kustomization, tuple(mres))
    order = (
        [p for p in gen if p.startswith(comp_dir + "/") and p.count("/") == 2]
        + [p for p in gen if p.startswith(comp_dir + "/") and p.count("/") > 2]
        + [p for p in gen if p.startswith(mon_dir + "/")]
    )
    for path in order:
        r = gen[path]
        files.append(FileChange(path, None, r.text))
        notes.extend(r.reviews)

    # ---- the Flux Kustomizations, per env
    env_plans: list[_EnvPlan] = []
    placements: list[Placement] = []
    for e in env_names:
        env_obj = repo.envs[e]
        deps, dep_ids, inferred = dependencies(env_obj, spec, own_kinds, rules, refuse)

        patches: tuple[tuple[dict[str, Any], str], ...] = ()
        if e in spec.env_values and e != primary:
            patches = (helm_release_patch(spec.name, spec.target_namespace, spec.env_values[e]),)
        env_note = None
        if not spec.envs:
            env_note = f"envs not stated: added to {e} only"
        ks_r = named(
            render_flux_kustomization,
            name,
            name,
            f"./{comp_dir}",
            tuple(deps),
            False,
            patches,
            env_note,
            tuple(spec.creates),
        )
        bodies = [ks_r]
        new_specs = [(name, dep_ids, inferred)]
        if spec.monitoring.enabled:
            kinds = [
                k
                for k, on in (
                    ("PrometheusRule", spec.monitoring.prometheus_rule),
                    ("ServiceMonitor", spec.monitoring.service_monitor),
                )
                if on
            ]
            # the house's monitoring, and the repo's own provider of these CRDs when it has another name
            mon_providers = learned_changes.monitoring_providers(rules, env_obj)
            if not mon_providers:
                refuse(
                    f"monitoring needs the Kustomization '{rules.monitoring_provider}' (PrometheusRule/ServiceMonitor CRDs), which env {e} does not have"
                )
            else:
                mdeps = tuple(
                    (p.name, p.namespace, learned_changes.monitoring_note(p, rules, kinds))
                    for p in mon_providers
                ) + ((name, FLUX_NS, None),)
                mr = cached(render_flux_kustomization, mon_name, f"./{mon_dir}", mdeps, True, (), None)
                bodies.append(mr)
                new_specs.append(
                    (
                        mon_name,
                        [p.id for p in mon_providers] + [ks_id(FLUX_NS, name)],
                        {
                            **{p.id: ", ".join(kinds) for p in mon_providers},
                            ks_id(FLUX_NS, name): "parent component (namespace and endpoints)",
                        },
                    )
                )
        rel = layout.env_file(e)
        before = workspace.read_text(repo.root / rel)
        after, starts, first_index = append_documents(before, [b.text for b in bodies])
        for b in bodies:
            notes.extend(b.reviews)
        new_kss: list[FluxKustomization] = []
        probs: list[Problem] = []
        for offset, b in enumerate(bodies):
            ks = repo_mod.parse_flux_kustomization(
                b.docs[0],
                file=rel,
                line=starts[offset],
                env=e,
                default_namespace=FLUX_NS,
                doc_index=first_index + offset,
                problems=probs,
            )
            if ks is not None:
                new_kss.append(ks)
        env_plans.append(_EnvPlan(e, rel, before, after, new_kss))
        for ks_name, ids, inf in new_specs:
            placements.append(Placement(ks_name, 0, list(ids), env=e, inferred=dict(inf)))
    if result.refusals:
        return result
    notes.extend(notes_extra)

    # ---- graph, cycles, placement layers
    new_ids = {k.id for ep in env_plans for k in ep.new_kss}
    graphs: dict[str, graph_mod.Graph] = {}
    for ep in env_plans:
        g = graph_with(repo, ep.env, ep.new_kss)
        graphs[ep.env] = g
        for cycle in g.cycles:
            if new_ids & set(cycle):
                refuse(
                    f"the plan would make a dependsOn cycle in env {ep.env}: "
                    + " -> ".join(short_name(n) for n in cycle)
                )
        for placement in placements:
            if placement.env == ep.env:
                placement.layer = g.layer.get(ks_id(FLUX_NS, placement.name), 0)
    if result.refusals:
        return result

    # ---- the repo as it would be, and what lint says about what the plan adds
    created_files = {f.path for f in files}
    components = components_after(gen, comp_dir, mon_dir if spec.monitoring.enabled else None)
    findings: list[Finding] = []
    for ep in env_plans:
        findings.extend(
            lint_added(repo, ep.env, ep.new_kss, components, graphs[ep.env], rules, created_files)
        )
    result.findings = findings
    for f in findings:
        refuse(f"the plan would add lint finding {f.rule} ({f.severity}) at {f.file}:{f.line}: {f.message}")
    if result.refusals:
        result.findings = findings
        return result

    for ep in env_plans:
        files.append(FileChange(ep.file, ep.before, ep.after))
    result.files = files
    result.placement = placements
    result.assumptions = list(dict.fromkeys(notes))
    result.recreate_required = False
    result.recreate_reason = None
    learned_style.apply(result, repo, spec, env_names)  # the repo's own style and similar services
    return result


def declared_creates(ks: FluxKustomization | None) -> list[str]:
    """Kinds a Kustomization declares its charts create (``infra-tui.io/creates`` annotation)."""
    return rules_mod.declared_kinds(ks) if ks is not None else []
