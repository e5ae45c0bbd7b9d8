"""``plan_edit(repo, component, edit) -> ChangePlan``: change an existing component, keeping every
untouched byte of the files it touches.

The edits keep every untouched byte (``core/workspace.py`` says how); new files come from the same
skeletons as ``scaffold`` (``core/render.py``); deleted files are ``workspace.FileDeletion``.

The edit spec (``spec.EditSpec``, ``spec.parse_edit``) has the keys of the component spec, only those to change.
``values`` and ``env_values`` are merge patches (a ``null`` removes a key); ``dependsOn`` and
``creates`` are a list to add or ``{add: [...], remove: [...]}``; ``envs`` limits the edit to those
envs.

A plan that changes dependsOn of a deployed Kustomization or moves CRD instances between
Kustomizations sets ``recreate_required`` with the reason. Pure: no Textual, no subprocess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ruamel.yaml.comments import CommentedMap

from infra_tui.core import graph as graph_mod
from infra_tui.core import learned_changes, render
from infra_tui.core import rules as rules_mod
from infra_tui.core.model import (
    DEFAULT_FLUX_NAMESPACE,
    ChangePlan,
    Component,
    Env,
    FluxKustomization,
    Placement,
    Repo,
    Resource,
    ks_id,
    short_name,
)
from infra_tui.core.rules import Finding
from infra_tui.core.spec import UNSET, EditSpec, closest
from infra_tui.core.workspace import (
    Workspace,
    add_dependency,
    append_documents,
    component_files,
    component_from_workspace,
    deps_in_workspace,
    env_after,
    find_kustomization_doc,
    kustomization_resources,
    merge_env_patch,
    merge_patch,
    remove_dependency,
    set_path,
)

FLUX_NS = DEFAULT_FLUX_NAMESPACE


# --------------------------------------------------------------------------- the plan


@dataclass
class _Target:
    """The component being edited."""

    name: str
    folder: str
    kss: dict[str, FluxKustomization]  # env -> its Kustomization
    mon_kss: dict[str, FluxKustomization]
    comp: Component | None
    hr: Resource | None
    hrepo: Resource | None


def resolve_component(repo: Repo, name: str) -> tuple[_Target | None, str | None]:
    found = {e: env.find(name) for e, env in repo.envs.items()}
    kss = {e: k for e, k in found.items() if k is not None and k.name == name}
    if not kss:
        names = sorted({k.name for env in repo.envs.values() for k in env.kustomizations})
        hint = closest(name, names, cutoff=0.5)
        return None, f"component '{name}' does not exist" + (
            f"; did you mean '{hint}'?" if hint else "; see `infra-tui graph`"
        )
    first = next(iter(kss.values()))
    comp = repo.component_for(first)
    folder = (first.path or "").strip().removeprefix("./").rstrip("/")
    rules = rules_mod.for_repo(repo)
    mon_name = name + rules.monitoring_suffix
    mon_found = {e: repo.envs[e].find(mon_name) for e in kss}
    mon = {e: k for e, k in mon_found.items() if k is not None}
    releases = [r for r in (comp.resources if comp else []) if r.kind == "HelmRelease"]
    hr = next((r for r in releases if r.name == name), releases[0] if len(releases) == 1 else None)
    hrepo = (
        _repository_of(hr, comp)
        if hr
        else next((r for r in (comp.resources if comp else []) if r.kind == "HelmRepository"), None)
    )
    return _Target(name, folder, kss, mon, comp, hr, hrepo), None


def _repository_of(hr: Resource, comp: Component | None) -> Resource | None:
    ref = (((hr.data.get("spec") or {}).get("chart") or {}).get("spec") or {}).get("sourceRef") or {}
    repos = [r for r in (comp.resources if comp else []) if r.kind == "HelmRepository"]
    return next((r for r in repos if r.name == ref.get("name")), repos[0] if len(repos) == 1 else None)


def _set_creates(d: Any, kinds: list[str]) -> None:
    """The creates annotation listing ``kinds``; none when there are none (and no annotations left
    empty)."""
    if kinds:
        d["metadata"].setdefault("annotations", CommentedMap())[render.CREATES_ANNOTATION] = ", ".join(kinds)
        return
    annotations = d["metadata"].get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(render.CREATES_ANNOTATION, None)
        if not annotations:
            del d["metadata"]["annotations"]


def _needed_providers(rules: rules_mod.Rules, kinds: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind in sorted(kinds):
        p = rules.provider_for_kind(kind)
        if p:
            out.setdefault(p, []).append(kind)
    return out


def plan_edit(
    repo: Repo,
    component: str,
    edit: EditSpec,
    *,
    env: str | None = None,
    force: bool = False,
    rules: rules_mod.Rules | None = None,
) -> ChangePlan:
    """What changing ``component`` as ``edit`` says would do. Never writes."""
    result = ChangePlan()
    refuse = result.refusals.append
    for p in edit.problems:
        refuse(str(p) if p.file else f"edit spec {p}")
    target, err = resolve_component(repo, component)
    if err:
        refuse(err)
    if result.refusals or target is None:
        return result
    rules = rules or rules_mod.for_repo(repo)
    if edit.is_empty():
        refuse(
            "the edit spec changes nothing; give at least one field to change (chart.version, values, dependsOn, ...)"
        )
        return result
    envs = edit.envs or ([env] if env else list(target.kss))
    for e in envs:
        if e not in target.kss:
            refuse(f"{component} is not deployed in env '{e}' (it is in {', '.join(target.kss)})")
    for e in edit.env_values:
        if e not in envs:
            refuse(f"edit spec env_values.{e}: the edit covers {', '.join(envs)} only")
        elif e == repo.primary_env:
            refuse(f"edit spec env_values.{e}: {e} is the primary env; change values instead")
    if target.comp is None or not repo.flat:
        refuse(
            f"{component}: its folder {target.folder or '(no path)'} is not a namespaces/<component>/ folder this tool can edit"
        )
    if result.refusals:
        return result
    assert target.comp is not None
    ws = Workspace(repo.root)
    notes: list[str] = []
    recreate: list[str] = []
    name = target.name
    ns = next((r.name for r in target.comp.resources if r.kind == "Namespace"), None) or (
        target.hr.namespace if target.hr and target.hr.namespace else name
    )
    comp_kinds = {r.kind for r in target.comp.resources} | set(
        rules_mod.declared_kinds(next(iter(target.kss.values())))
    )
    touched: dict[str, set[str]] = {
        e: {target.kss[e].id} for e in envs
    }  # env -> Kustomizations to place and lint
    new_kss: dict[str, list[str]] = {e: [] for e in envs}

    # ---- the HelmRelease (the one named like the component, the only one, or `release:`)
    releases = [r for r in target.comp.resources if r.kind == "HelmRelease"]
    if edit.release is not None:
        target.hr = next((r for r in releases if r.name == edit.release), None)
        if target.hr is None:
            hint = closest(edit.release, [r.name for r in releases])
            refuse(
                f"edit spec release: {target.folder}/ has no HelmRelease '{edit.release}'"
                + (
                    f"; did you mean '{hint}'?"
                    if hint
                    else f"; it has {', '.join(r.name for r in releases) or 'none'}"
                )
            )
            return result
        target.hrepo = _repository_of(target.hr, target.comp)
    elif (
        target.hr is None
        and len(releases) > 1
        and (
            edit.chart_name
            or edit.chart_version
            or edit.values
            or edit.timeout is not UNSET
            or edit.repository_url
        )
    ):
        refuse(
            f"{target.folder}/ has {len(releases)} HelmReleases ({', '.join(r.name for r in releases)}); "
            "say which one with release: NAME in the edit spec"
        )
        return result
    hr = target.hr
    if (
        edit.chart_name
        or edit.chart_version
        or edit.values
        or edit.timeout is not UNSET
        or edit.service_monitor
    ) and hr is None:
        refuse(
            f"{component} has no HelmRelease in {target.folder}/; chart, values and timeout cannot be changed"
        )
        return result
    if hr is not None:
        hr_index = ws.doc_index(hr.file, hr.line)
        for keys, value in (
            (("spec", "chart", "spec", "version"), edit.chart_version),
            (("spec", "chart", "spec", "chart"), edit.chart_name),
        ):
            if value is not None and not ws.set_scalar(hr.file, hr_index, keys, value):
                ws.edit(hr.file, hr_index, partial(set_path, keys=keys, value=value))
        timeout = edit.timeout
        if timeout is None:
            ws.edit(hr.file, hr_index, lambda d: d.get("spec", {}).pop("timeout", None))
        elif isinstance(timeout, str) and not ws.set_scalar(hr.file, hr_index, ("spec", "timeout"), timeout):
            ws.edit(
                hr.file, hr_index, lambda d: render.set_key(d["spec"], "timeout", timeout, after="interval")
            )
        values = edit.values
        if values:

            def merge_values(d: Any) -> None:
                spec = d.setdefault("spec", CommentedMap())
                if not isinstance(spec.get("values"), dict):
                    spec["values"] = CommentedMap()
                merge_patch(spec["values"], values)
                if not spec["values"]:
                    del spec["values"]

            ws.edit(hr.file, hr_index, merge_values)
    # ---- the HelmRepository
    if edit.repository_url:
        hrepo = target.hrepo
        if hrepo is None:
            refuse(f"{component} has no HelmRepository in {target.folder}/; its url cannot be changed")
            return result
        idx = ws.doc_index(hrepo.file, hrepo.line)
        oci = edit.repository_url.startswith("oci://")
        if not ws.set_scalar(hrepo.file, idx, ("spec", "url"), edit.repository_url):
            ws.edit(hrepo.file, idx, lambda d: d["spec"].__setitem__("url", edit.repository_url))
        current = ws.load(hrepo.file, idx)
        if oci and current["spec"].get("type") != "oci":
            ws.edit(hrepo.file, idx, lambda d: render.set_key(d["spec"], "type", "oci", after="interval"))
        elif not oci and "type" in current["spec"]:
            ws.edit(hrepo.file, idx, lambda d: d["spec"].pop("type", None))

    # ---- webhook CNP
    cnp_path = f"{target.folder}/{render.CNP_FILE}"
    if edit.webhook is True and ws.text(cnp_path) is None:
        ws.set(cnp_path, render.cached(render.render_cnp, ns).text)
        kustomization_resources(ws, target.folder, add=[render.CNP_FILE])
        comp_kinds.add("CiliumNetworkPolicy")
    elif edit.webhook is False and ws.text(cnp_path) is not None:
        ws.set(cnp_path, None)
        kustomization_resources(ws, target.folder, remove=[render.CNP_FILE])
        notes.append(
            f"dependsOn cilium of {name} kept: remove it with dependsOn: {{remove: [cilium]}} if nothing else needs it"
        )

    # ---- declared CRD kinds (the infra-tui.io/creates annotation)
    if edit.creates or edit.remove_creates:
        declared = {k for e in envs for k in rules_mod.declared_kinds(target.kss[e])}
        for kind in edit.remove_creates:
            if kind not in declared:
                refuse(
                    f"edit spec creates.remove: {name} does not declare that it creates {kind}; it declares: "
                    f"{', '.join(sorted(declared)) or 'nothing'}"
                )
        for e in envs:
            ks = target.kss[e]
            have = rules_mod.declared_kinds(ks)
            want = [k for k in have if k not in edit.remove_creates]
            want += [k for k in edit.creates if k not in want]
            if want != have:
                idx = find_kustomization_doc(ws, ks)
                ws.edit(ks.file, idx, partial(_set_creates, kinds=want))
                touched[e].add(ks.id)
        resource_kinds = {r.kind for r in target.comp.resources}
        comp_kinds -= {k for k in edit.remove_creates if k not in resource_kinds}
        comp_kinds |= set(edit.creates)
        if edit.remove_creates:
            notes.append(
                f"{', '.join(edit.remove_creates)} no longer declared by {name}: a dependsOn added for "
                "their CRDs stays; remove it with dependsOn: {remove: [...]} if nothing else needs it"
            )

    # ---- dependsOn: explicit adds and removes, then providers now needed
    for e in envs:
        env_obj = repo.envs[e]
        ks = target.kss[e]
        for dep in edit.add_deps:
            t = env_obj.resolve(dep)
            if t is None:
                hint = closest(dep, [k.name for k in env_obj.kustomizations])
                refuse(
                    f"dependsOn '{dep}' does not exist in env {e}"
                    + (f"; did you mean '{hint}'?" if hint else "")
                )
                continue
            if t.id not in ks.depends_on_ids:
                add_dependency(ws, ks, t, None)
                touched[e].add(ks.id)
        needed = _needed_providers(rules, comp_kinds)
        required = {r.depends_on: r.reason for r in rules.required_dependencies if r.component == name}
        for dep in edit.remove_deps:
            t = env_obj.resolve(dep)
            tid = t.id if t else (dep if "/" in dep else ks_id(ks.namespace, dep))
            if tid not in ks.depends_on_ids:
                refuse(
                    f"{name} does not dependsOn '{dep}' in env {e}; its dependsOn: {', '.join(short_name(d) for d in ks.depends_on_ids) or 'none'}"
                )
                continue
            short = short_name(tid)
            why = None
            if short in needed:
                why = (
                    f"crd-dependency: {name} creates {', '.join(needed[short])}, whose CRD comes from {short}"
                )
            elif short in required:
                why = f"required-dependency: {required[short]}"
            if why and not force:
                refuse(f"removing dependsOn {short} breaks the rule {why}; pass --force to remove it anyway")
                continue
            if why:
                result.warnings.append(f"--force: dependsOn {short} removed although {why}")
            remove_dependency(ws, ks, tid)
            touched[e].add(ks.id)
        removed = {short_name(d) for d in edit.remove_deps}
        for provider, kinds in needed.items():
            if provider == name or provider in removed:
                continue
            t = env_obj.find(provider)
            if t is None:
                refuse(
                    f"{name} creates {', '.join(kinds)}, whose CRD comes from {provider}, which env {e} does not have"
                )
                continue
            if t.id not in ks.depends_on_ids and t.id not in deps_in_workspace(ws, ks):
                add_dependency(ws, ks, t, f"dependsOn {provider} inferred: {', '.join(kinds)} needs its CRDs")
                notes.append(f"dependsOn {provider} inferred: {', '.join(kinds)} needs its CRDs")
                touched[e].add(ks.id)

    # ---- env value overrides (Flux patches in that env's infrastructure.yaml)
    for e, vals in edit.env_values.items():
        ks = target.kss[e]
        idx = find_kustomization_doc(ws, ks)
        ws.edit(ks.file, idx, partial(merge_env_patch, name=name, ns=ns, values=vals))
        touched[e].add(ks.id)

    # ---- monitoring split on / off
    if edit.service_monitor is not None or edit.prometheus_rule is not None:
        _edit_monitoring(
            repo, ws, target, edit, envs, ns, rules, notes, recreate, new_kss, touched, refuse, result
        )
    if result.refusals:
        return result

    # ---- dependsOn changes of deployed Kustomizations -> recreate
    for e in envs:
        for kid in sorted(touched[e]):
            old = repo.envs[e].by_id()[kid]
            new = deps_in_workspace(ws, old)
            if new != old.depends_on_ids:
                added = [short_name(d) for d in new if d not in old.depends_on_ids]
                gone = [short_name(d) for d in old.depends_on_ids if d not in new]
                what = ", ".join(
                    filter(
                        None,
                        [
                            f"adds {', '.join(added)}" if added else "",
                            f"removes {', '.join(gone)}" if gone else "",
                        ],
                    )
                )
                recreate.append(f"dependsOn of deployed Kustomization {old.name} changes in {e} ({what})")

    return finish_plan(repo, ws, result, envs, touched, new_kss, notes, recreate, rules, force)


def _edit_monitoring(
    repo: Repo,
    ws: Workspace,
    target: _Target,
    edit: EditSpec,
    envs: list[str],
    ns: str,
    rules: rules_mod.Rules,
    notes: list[str],
    recreate: list[str],
    new_kss: dict[str, list[str]],
    touched: dict[str, set[str]],
    refuse: Callable[[str], None],
    result: ChangePlan,
) -> None:
    name = target.name
    mon_name = name + rules.monitoring_suffix
    mon_dir = f"namespaces/{mon_name}"
    sm_file = f"{mon_dir}/servicemonitor-{name}.yaml"
    pr_file = f"{mon_dir}/prometheus-rules.yaml"
    has_split = ws.text(f"{mon_dir}/kustomization.yaml") is not None
    listed = set(component_files(ws, mon_dir)) if has_split else set()
    want_sm = (
        edit.service_monitor
        if edit.service_monitor is not None
        else any("servicemonitor" in f for f in listed)
    )
    want_pr = edit.prometheus_rule if edit.prometheus_rule is not None else pr_file in listed
    if not has_split and (want_sm or want_pr):
        res = []
        if want_pr:
            ws.set(pr_file, render.cached(render.render_prometheus_rules, name, ns, bool(want_sm)).text)
            res.append("prometheus-rules.yaml")
        if want_sm:
            ws.set(sm_file, render.cached(render.render_service_monitor, name, ns).text)
            res.append(f"servicemonitor-{name}.yaml")
        ws.set(
            f"{mon_dir}/kustomization.yaml",
            render.cached(render.render_monitoring_kustomization, tuple(res)).text,
        )
        kinds = [k for k, on in (("PrometheusRule", want_pr), ("ServiceMonitor", want_sm)) if on]
        for e in envs:
            env_obj = repo.envs[e]
            providers = learned_changes.monitoring_providers(rules, env_obj)
            if not providers:
                refuse(
                    f"monitoring needs the Kustomization '{rules.monitoring_provider}', which env {e} does not have"
                )
                continue
            deps = tuple(
                (p.name, p.namespace, learned_changes.monitoring_note(p, rules, kinds)) for p in providers
            )
            notes.extend(n for _, _, n in deps if n)
            body = render.cached(
                render.render_flux_kustomization,
                mon_name,
                f"./{mon_dir}",
                (*deps, (name, target.kss[e].namespace, None)),
                True,
                (),
                None,
            )
            path = target.kss[e].file
            after, _, _ = append_documents(ws.text(path), [body.text])
            ws.set(path, after)
            new_kss[e].append(ks_id(FLUX_NS, mon_name))
            # the brief counts a monitoring split of a running component as structural: its
            # monitoring moves to a new Kustomization ordered after monitoring and the component
            recreate.append(
                f"monitoring split out of deployed Kustomization {name} in {e}: new {mon_name} "
                f"(dependsOn {', '.join(p.name for p in providers)}, {name})"
                + ("; the chart's own ServiceMonitor is switched off" if want_sm and target.hr else "")
            )
    elif has_split:
        if want_sm and not any("servicemonitor" in f for f in listed):
            ws.set(sm_file, render.cached(render.render_service_monitor, name, ns).text)
            kustomization_resources(ws, mon_dir, add=[f"servicemonitor-{name}.yaml"])
        if want_pr and pr_file not in listed:
            ws.set(pr_file, render.cached(render.render_prometheus_rules, name, ns, bool(want_sm)).text)
            kustomization_resources(ws, mon_dir, add=["prometheus-rules.yaml"])
        drop = [
            f for f in listed if ("servicemonitor" in f and not want_sm) or (f == pr_file and not want_pr)
        ]
        for f in drop:
            ws.set(f, None)
        if drop and not (want_sm or want_pr):
            ws.set(f"{mon_dir}/kustomization.yaml", None)
            for e in envs:
                ks = target.mon_kss.get(e)
                if ks is not None:
                    ws.remove_document(ks.file, find_kustomization_doc(ws, ks))
                    notes.append(
                        f"{mon_name} removed from {e}: with prune: false its objects stay in the cluster until deleted by hand"
                    )
        elif drop:
            kustomization_resources(ws, mon_dir, remove=[f.removeprefix(mon_dir + "/") for f in drop])
    if want_sm and target.hr is not None:
        idx = ws.doc_index(target.hr.file, target.hr.line)
        current = ws.load(target.hr.file, idx)
        sm = ((current.get("spec") or {}).get("values") or {}).get("serviceMonitor")
        if not (isinstance(sm, dict) and sm.get("enabled") is False):

            def disable(d: Any) -> None:
                spec = d.setdefault("spec", CommentedMap())
                if not isinstance(spec.get("values"), dict):
                    spec["values"] = CommentedMap()
                sm = spec["values"].setdefault("serviceMonitor", CommentedMap())
                sm["enabled"] = False
                sm.yaml_add_eol_comment(f"# Managed separately in {mon_name}", "enabled")

            ws.edit(target.hr.file, idx, disable)


def finish_plan(
    repo: Repo,
    ws: Workspace,
    result: ChangePlan,
    envs: list[str],
    touched: dict[str, set[str]],
    new_kss: dict[str, list[str]],
    notes: list[str],
    recreate: list[str],
    rules: rules_mod.Rules,
    force: bool,
) -> ChangePlan:
    """Placement, cycles, lint of what changed, recreate verdict: shared by edit and lint --fix."""
    refuse = result.refusals.append
    result.warnings.extend(dict.fromkeys(ws.warnings))
    changed_files = {p for p in ws.order if ws.original.get(p) != ws.current.get(p)}
    # every folder above a changed file: "does the change touch folder F" is a set lookup
    changed_dirs = {p.rsplit("/", i)[0] for p in changed_files for i in range(1, p.count("/") + 1)}
    graphs: dict[str, graph_mod.Graph] = {}
    for e in envs:
        env_obj = repo.envs[e]
        after_env = env_after(ws, env_obj)
        g_before = graph_mod.of_env(env_obj)
        unchanged = len(after_env.kustomizations) == len(env_obj.kustomizations) and all(
            a is b for a, b in zip(after_env.kustomizations, env_obj.kustomizations, strict=True)
        )
        g = graphs[e] = g_before if unchanged else graph_mod.build(after_env)
        ids = touched.get(e, set()) | set(new_kss.get(e, []))
        old_cycles = {frozenset(c) for c in g_before.cycles}
        for cycle in g.cycles:
            if ids & set(cycle) and frozenset(cycle) not in old_cycles:
                refuse(
                    f"the change would make a dependsOn cycle in env {e}: "
                    + " -> ".join(short_name(n) for n in cycle)
                )
        by_id = after_env.by_id()
        # Kustomizations whose folder the change touches count as changed too
        for k in after_env.kustomizations:
            folder = (k.path or "").strip().removeprefix("./").rstrip("/")
            if folder and folder in changed_dirs:
                ids = ids | {k.id}
        for kid in sorted(ids, key=lambda i: (g.layer.get(i, 0), i)):
            placed = by_id.get(kid)
            if placed is None:
                continue
            old = env_obj.by_id().get(kid)
            inferred = {
                d: "added" for d in placed.depends_on_ids if old is None or d not in old.depends_on_ids
            }
            result.placement.append(
                Placement(placed.name, g.layer.get(kid, 0), placed.depends_on_ids, env=e, inferred=inferred)
            )
        # lint: what the change adds, on the Kustomizations it touches (components re-read from the workspace)
        comps = dict(repo.components)
        for kid in ids:
            linted = by_id.get(kid)
            folder = (linted.path or "").strip().removeprefix("./").rstrip("/") if linted else ""
            if folder and (folder in changed_dirs or folder not in comps):
                comps[folder] = component_from_workspace(ws, folder, folder.rsplit("/", 1)[-1])
        before_f = _lint_subset(repo, env_obj, repo.components, g_before, ids, rules)
        after_f = _lint_subset(repo, after_env, comps, g, ids, rules)
        old_keys = {(f.rule, f.kustomization, f.message) for f in before_f}
        added = [f for f in after_f if (f.rule, f.kustomization, f.message) not in old_keys]
        result.findings.extend(added)
        for f in added:
            if force:
                result.warnings.append(f"--force: the change adds lint finding {f.rule}: {f.message}")
            else:
                refuse(
                    f"the change would add lint finding {f.rule} ({f.severity}): {f.message}; fix the edit, or pass --force"
                )
    if result.refusals:
        result.placement = []
        return result
    result.files = ws.changes()
    result.graphs = graphs
    result.assumptions = list(dict.fromkeys(notes))
    if recreate:
        result.recreate_required = True
        result.recreate_reason = "; ".join(dict.fromkeys(recreate))
    learned_changes.apply(result, repo, envs)  # what it creates or adds, in the repo's own style
    return result


def _lint_subset(
    repo: Repo,
    env: Env,
    components: dict[str, Component],
    g: graph_mod.Graph,
    ids: set[str],
    rules: rules_mod.Rules,
) -> list[Finding]:
    names = {short_name(i) for i in ids}  # a name compare first: an id is built per call
    sub = Env(
        env.name,
        [k for k in env.kustomizations if k.name in names and k.id in ids],
        list(env.files),
        set(env.helmrelease_ids),
    )
    view = Repo(
        root=repo.root,
        envs={env.name: sub},
        components=components,
        problems=[],
        flat=repo.flat,
        settings=repo.settings,
    )
    return [
        f for f in rules_mod.lint(view, env.name, rules, graph=g, read_disk=False) if f.kustomization in ids
    ]
