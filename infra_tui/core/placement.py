"""Where a new component lands in an env: its dependsOn (the explicit ones, the CRD providers of
what it creates, the required dependencies, each inferred one with its reason) and the env's
bootstrap graph with the new Kustomizations laid on top, fast enough for every keystroke."""

from __future__ import annotations

from collections.abc import Callable

from infra_tui.core import graph as graph_mod
from infra_tui.core import rules as rules_mod
from infra_tui.core.model import Env, FluxKustomization, Repo, short_name
from infra_tui.core.spec import ComponentSpec, closest

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


def dependencies(
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
