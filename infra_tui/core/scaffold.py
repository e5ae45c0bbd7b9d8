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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra_tui.core import graph as graph_mod
from infra_tui.core import layout, learned_style, render, workspace
from infra_tui.core import repo as repo_mod
from infra_tui.core import rules as rules_mod
from infra_tui.core.model import (
    DEFAULT_FLUX_NAMESPACE,
    ChangePlan,
    Component,
    Env,
    FileChange,
    FluxKustomization,
    Placement,
    Problem,
    Repo,
    Resource,
    ks_id,
    mapping,
    short_name,
)
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


_GRAPHS: dict[tuple[int, str], tuple[Env, list[FluxKustomization], graph_mod.Graph]] = {}


def graph_with(repo: Repo, env_name: str, extra: list[FluxKustomization]) -> graph_mod.Graph:
    """``graph.build(env, extra=extra)``, fast: the env's own graph is built once per repo load and
    the new Kustomizations are laid on top (they can only depend on existing ones). Falls back to a
    full build when an existing Kustomization names one of the new ones (a cycle is possible)."""
    env = repo.envs[env_name]
    key = (id(repo), env_name)
    hit = _GRAPHS.get(key)
    if hit is None or hit[0] is not env or hit[1] != env.kustomizations:
        if len(_GRAPHS) > 8:
            _GRAPHS.clear()
        hit = _GRAPHS[key] = (env, list(env.kustomizations), graph_mod.build(env))
    base = hit[2]
    new_ids = {k.id for k in extra}
    if any(m.target in new_ids for m in base.missing) or any(k.id in base.nodes for k in extra):
        return graph_mod.build(env, extra=extra)
    nodes = dict(base.nodes)
    deps = dict(base.deps)
    dependants = dict(base.dependants)
    layer = dict(base.layer)
    missing = list(base.missing)
    for k in extra:  # in order: a -monitoring Kustomization follows its parent
        nodes[k.id] = k
        deps[k.id] = []
        dependants[k.id] = []
        for target in k.depends_on_ids:
            if target in nodes:
                if target not in deps[k.id]:
                    deps[k.id].append(target)
                    dependants[target] = [*dependants[target], k.id]
            else:
                missing.append(
                    graph_mod.MissingDependency(k.id, target, cross_kind=target in env.helmrelease_ids)
                )
        layer[k.id] = max((layer[d] + 1 for d in deps[k.id]), default=0)
    layers = [list(x) for x in base.layers]
    for k in extra:
        while len(layers) <= layer[k.id]:
            layers.append([])
        layers[layer[k.id]].append(k.id)
        layers[layer[k.id]].sort(key=lambda x: (short_name(x), x))
    return graph_mod.Graph(env.name, nodes, deps, dependants, layer, layers, list(base.cycles), missing)


def _dependencies(
    env: Env,
    spec: ComponentSpec,
    own_kinds: list[str],
    rules: rules_mod.Rules,
    refuse: Callable[[str], None],
) -> tuple[list[tuple[str, str | None, str | None]], list[str], dict[str, str]]:
    """dependsOn of the component's Kustomization in ``env``: the explicit ones, then CRD providers
    of what it creates, then required dependencies. Returns (entries for the renderer, ids, reasons
    of the inferred ones)."""
    name = spec.name
    deps: list[tuple[str, str | None, str | None]] = []
    dep_ids: list[str] = []
    inferred: dict[str, str] = {}

    def add(target: FluxKustomization, note: str | None, reason: str | None) -> None:
        if target.id in dep_ids or target.name == name:
            return
        dep_ids.append(target.id)
        deps.append((target.name, target.namespace, note))
        if reason:
            inferred[target.id] = reason

    for dep in spec.depends_on:
        target = env.resolve(dep)
        if target is None:
            hint = closest(dep, [k.name for k in env.kustomizations])
            refuse(
                f"dependsOn '{dep}' does not exist in env {env.name}"
                + (
                    f"; did you mean '{hint}'?"
                    if hint
                    else "; add that Kustomization first or remove the entry"
                )
            )
            continue
        add(target, None, None)
    by_provider: dict[str, list[str]] = {}
    for kind in own_kinds:
        provider = rules.provider_for_kind(kind)
        if provider and provider != name:
            by_provider.setdefault(provider, []).append(kind)
    for provider, kinds in by_provider.items():
        target = env.find(provider)
        if target is None:
            refuse(
                f"{name} creates {', '.join(kinds)}, whose CRD comes from {provider}, but env {env.name} has no Kustomization "
                f"'{provider}'; add it first, or remove {', '.join(kinds)} from the spec"
            )
            continue
        reason = ", ".join(kinds)
        add(target, f"dependsOn {provider} inferred: {reason} needs its CRDs", reason)
    for req in rules.required_dependencies:
        if req.component != name:
            continue
        target = env.find(req.depends_on)
        if target is None:
            refuse(
                f"{name} must depend on {req.depends_on} ({req.reason}), which env {env.name} does not have"
            )
            continue
        add(target, f"dependsOn {req.depends_on} required: {req.reason}", req.reason)
    return deps, dep_ids, inferred


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

    # ---- what exists already
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

    gen[f"{comp_dir}/namespace.yaml"] = cached(
        render_namespace, ns, spec.namespace is not None, dict(rules.namespace_labels)
    )
    gen[f"{comp_dir}/helm-repository.yaml"] = cached(
        render_helm_repository, repo_name, spec.chart.repository.url, spec.chart.repository.name is not None
    )
    gen[f"{comp_dir}/helm-release.yaml"] = cached(
        render_helm_release,
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
        gen[f"{comp_dir}/{CNP_FILE}"] = cached(render_cnp, ns)
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
        deps, dep_ids, inferred = _dependencies(env_obj, spec, own_kinds, rules, refuse)

        patches: tuple[tuple[dict[str, Any], str], ...] = ()
        if e in spec.env_values and e != primary:
            patches = (helm_release_patch(spec.name, spec.target_namespace, spec.env_values[e]),)
        env_note = None
        if not spec.envs:
            env_note = f"envs not stated: added to {e} only"
        ks_r = cached(
            render_flux_kustomization,
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
            mon_provider = env_obj.find(rules.monitoring_provider)
            if mon_provider is None:
                refuse(
                    f"monitoring needs the Kustomization '{rules.monitoring_provider}' (PrometheusRule/ServiceMonitor CRDs), which env {e} does not have"
                )
            else:
                mdeps = ((mon_provider.name, mon_provider.namespace, None), (name, FLUX_NS, None))
                mr = cached(render_flux_kustomization, mon_name, f"./{mon_dir}", mdeps, True, (), None)
                bodies.append(mr)
                kinds = [
                    k
                    for k, on in (
                        ("PrometheusRule", spec.monitoring.prometheus_rule),
                        ("ServiceMonitor", spec.monitoring.service_monitor),
                    )
                    if on
                ]
                new_specs.append(
                    (
                        mon_name,
                        [mon_provider.id, ks_id(FLUX_NS, name)],
                        {
                            mon_provider.id: ", ".join(kinds),
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
    components = _components_after(gen, comp_dir, mon_dir if spec.monitoring.enabled else None)
    findings: list[Finding] = []
    for ep in env_plans:
        findings.extend(_lint_added(repo, ep, components, graphs[ep.env], rules, created_files))
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


def _components_after(gen: dict[str, Rendered], comp_dir: str, mon_dir: str | None) -> dict[str, Component]:
    out: dict[str, Component] = {}
    for folder in (comp_dir, mon_dir):
        if folder is None:
            continue
        comp = Component(name=folder.rsplit("/", 1)[-1], dir=folder)
        for path, r in gen.items():
            if not path.startswith(folder + "/") or path.endswith("/kustomization.yaml"):
                continue
            comp.files.append(path)
            for data in r.docs:
                if not isinstance(data, dict) or "kind" not in data:
                    continue
                meta = mapping(data.get("metadata"))
                comp.resources.append(
                    Resource(
                        kind=str(data["kind"]),
                        api_version=str(data.get("apiVersion", "")),
                        name=str(meta.get("name", "")),
                        namespace=meta.get("namespace"),
                        file=path,
                        line=1,
                        data=data,
                    )
                )
        out[folder] = comp
    return out


def _lint_added(
    repo: Repo,
    ep: _EnvPlan,
    components: dict[str, Component],
    g: graph_mod.Graph,
    rules: rules_mod.Rules,
    created: set[str],
) -> list[Finding]:
    """Lint findings the plan adds in one env.

    Adding Kustomizations can only add findings about themselves, their new files, or a cycle through
    them (existing Kustomizations keep their manifests and dependsOn), so lint runs on an env that
    holds only the new Kustomizations, over the full graph of the env after the plan.
    """
    old_env = repo.envs[ep.env]
    env_after = Env(ep.env, list(ep.new_kss), list(old_env.files), set(old_env.helmrelease_ids))
    for ks in ep.new_kss:
        comp = components.get((ks.path or "").removeprefix("./"))
        if comp:
            for r in comp.resources:
                if r.kind == "HelmRelease":
                    env_after.helmrelease_ids.add(ks_id(r.namespace or ks.namespace, r.name))
    after = Repo(
        root=repo.root,
        envs={ep.env: env_after},
        components={**repo.components, **components},
        problems=[],
        flat=repo.flat,
        settings=repo.settings,
    )
    new_ids = {k.id for k in ep.new_kss}
    # the plan's lines are not on disk yet: lint the in-memory "after" without reading files
    return [
        f
        for f in rules_mod.lint(after, ep.env, rules, graph=g, read_disk=False)
        if f.kustomization in new_ids or f.file in created
    ]


def declared_creates(ks: FluxKustomization | None) -> list[str]:
    """Kinds a Kustomization declares its charts create (``infra-tui.io/creates`` annotation)."""
    return rules_mod.declared_kinds(ks) if ks is not None else []
