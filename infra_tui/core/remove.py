"""``plan_remove(repo, component) -> ChangePlan``: take a component out of the repo.

The plan deletes the component's folder and its ``-monitoring`` split's folder, and removes their
Flux Kustomizations from every env's file (the other documents keep every byte: the file is split
into documents as text and only the removed ones go, ``Workspace.remove_document``). It is refused
while any other Kustomization, in any env, depends on what goes (the refusal lists them).
Removing something deployed is a recreate: with the house's ``prune: false`` Flux leaves its
objects in the running cluster. Pure: no Textual, no subprocess (it reads the folder's files).
"""

from __future__ import annotations

from infra_tui.core import rules as rules_mod
from infra_tui.core.model import ChangePlan, FluxKustomization, Repo
from infra_tui.core.spec import closest
from infra_tui.core.workspace import Workspace, find_kustomization_doc


def _folder(ks: FluxKustomization) -> str:
    return (ks.path or "").strip().removeprefix("./").rstrip("/")


def plan_remove(repo: Repo, component: str, *, rules: rules_mod.Rules | None = None) -> ChangePlan:
    """What removing ``component`` (and its -monitoring split) would do. Never writes."""
    result = ChangePlan()
    refuse = result.refusals.append
    rules = rules or rules_mod.for_repo(repo)
    names = {component, component + rules.monitoring_suffix}
    for env in repo.envs.values():  # a split named otherwise (netcorp-monitoring of netcorp-app)
        parent = env.find(component)
        if parent is None:
            continue
        for k in env.kustomizations:
            others = {d.rsplit("/", 1)[-1] for d in k.depends_on_ids} - {component}
            if (
                k.name.endswith(rules.monitoring_suffix)
                and parent.id in k.depends_on_ids
                and others <= {rules.monitoring_provider}
            ):
                names.add(k.name)
    going: dict[str, list[FluxKustomization]] = {}
    for env_name, env in repo.envs.items():
        found = [k for k in env.kustomizations if k.name in names]
        if found:
            going[env_name] = found
    if not any(k.name == component for kss in going.values() for k in kss):
        all_names = sorted({k.name for env in repo.envs.values() for k in env.kustomizations})
        hint = closest(component, all_names, cutoff=0.5)
        refuse(f"component '{component}' does not exist" + (f"; did you mean '{hint}'?" if hint else ""))
        return result
    if not repo.flat:
        refuse(f"{component}: only the flat namespaces/<component>/ layout can be removed by this tool")
        return result
    # ---- refused while anything else waits for it
    dependants: list[str] = []
    for env_name, kss in going.items():
        ids = {k.id for k in kss}
        for k in repo.envs[env_name].kustomizations:
            if k.id in ids:
                continue
            needs = [d for d in k.depends_on_ids if d in ids]
            if needs:
                dependants.append(
                    f"{k.name} ({env_name}, dependsOn {', '.join(d.rsplit('/', 1)[-1] for d in needs)})"
                )
    if dependants:
        refuse(
            f"{component} cannot be removed: other Kustomizations depend on it: {'; '.join(dependants)}; "
            "remove those dependsOn first (`infra-tui edit NAME`)"
        )
        return result
    ws = Workspace(repo.root)
    folders: list[str] = []
    for kss in going.values():
        for k in kss:
            folder = _folder(k)
            if folder and folder not in folders:
                folders.append(folder)
    for folder in folders:
        if folder.count("/") != 1 or not folder.startswith("namespaces/"):
            refuse(
                f"{component}: {folder or '(no path)'} is not a namespaces/<component>/ folder; remove it by hand"
            )
            return result
        shared = sorted(
            f"{k.name} ({e})"
            for e, env in repo.envs.items()
            for k in env.kustomizations
            if _folder(k) == folder and k.name not in names
        )
        if shared:
            refuse(
                f"{folder}/ is also deployed by {', '.join(shared)}; it cannot be deleted with {component}"
            )
            return result
        base = repo.root / folder
        if base.is_symlink():
            refuse(f"{folder} is a symlink; remove it by hand")
            return result
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file() or p.is_symlink()):
            rel = path.relative_to(repo.root).as_posix()
            if path.is_symlink():
                refuse(f"{rel} is a symlink; remove {folder}/ by hand")
                return result
            try:
                ws.set(rel, None)
            except (OSError, UnicodeDecodeError) as exc:
                refuse(f"{rel}: cannot read it ({exc.__class__.__name__}); remove {folder}/ by hand")
                return result
    # ---- its Kustomizations, from every env's file (last document first: indexes stay valid)
    recreate: list[str] = []
    for env_name, kss in going.items():
        for k in sorted(kss, key=lambda k: (k.file, -k.line)):
            ws.remove_document(k.file, find_kustomization_doc(ws, k))
        prune = [k.name for k in kss if (k.data.get("spec") or {}).get("prune") is not True]
        if prune:
            recreate.append(
                f"removing deployed Kustomization {', '.join(prune)} from {env_name}: with prune: false Flux "
                "leaves its objects in the running cluster"
            )
        else:
            result.assumptions.append(
                f"{', '.join(k.name for k in kss)} in {env_name}: prune: true, Flux deletes its objects"
            )
    result.files = ws.changes()
    result.assumptions.append(
        f"removed {component} from {', '.join(going)}: folders {', '.join(f + '/' for f in folders)}"
    )
    if recreate:
        result.recreate_required = True
        result.recreate_reason = "; ".join(recreate)
    return result
