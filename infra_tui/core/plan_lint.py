"""Lint of the repo as it would be after a new component: the planned files as an in-memory
component (nothing read from disk: the plan's lines are not written yet) and the findings that
concern what the plan adds."""

from __future__ import annotations

from infra_tui.core import graph as graph_mod
from infra_tui.core import rules as rules_mod
from infra_tui.core.model import Component, Env, FluxKustomization, Repo, Resource, ks_id, mapping
from infra_tui.core.render import Rendered
from infra_tui.core.rules import Finding


def components_after(gen: dict[str, Rendered], comp_dir: str, mon_dir: str | None) -> dict[str, Component]:
    """The component folders the plan creates (``gen``: path -> rendered file), as the model."""
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


def lint_added(
    repo: Repo,
    env_name: str,
    new_kss: list[FluxKustomization],
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
    old_env = repo.envs[env_name]
    env_after = Env(env_name, list(new_kss), list(old_env.files), set(old_env.helmrelease_ids))
    for ks in new_kss:
        comp = components.get((ks.path or "").removeprefix("./"))
        if comp:
            for r in comp.resources:
                if r.kind == "HelmRelease":
                    env_after.helmrelease_ids.add(ks_id(r.namespace or ks.namespace, r.name))
    after = Repo(
        root=repo.root,
        envs={env_name: env_after},
        components={**repo.components, **components},
        problems=[],
        flat=repo.flat,
        settings=repo.settings,
    )
    new_ids = {k.id for k in new_kss}
    # the plan's lines are not on disk yet: lint the in-memory "after" without reading files
    return [
        f
        for f in rules_mod.lint(after, env_name, rules, graph=g, read_disk=False)
        if f.kustomization in new_ids or f.file in created
    ]
