"""``plan_fixes(repo, findings, env) -> ChangePlan``: every fixable lint finding turned into one plan
(``infra-tui lint --fix``), with the same byte-keeping edits as ``edit``.

What is fixed, per rule:

* ``crd-dependency``, ``required-dependency``, ``monitoring-deps`` (missing dependsOn): the
  dependency is added, with a ``# REVIEW:`` comment saying why;
* ``monitoring-deps`` (shape), ``ks-shape``: the Kustomization's keys set to the house shape;
* ``monitoring-split``: the PrometheusRule/ServiceMonitor documents move to ``<name>-monitoring/``
  (created with its kustomization.yaml and a Flux Kustomization in every env that deploys the
  component, or added to the existing split) and leave the component's kustomization.yaml;
* ``chart-servicemonitor``: the chart's switch set to ``false``;
* ``helm-remediation-retries``: ``install``/``upgrade.remediation.retries: 3``;
* ``namespace-pss``: the PSS labels added;
* ``helm-force``, ``helm-cleanup-on-fail``, ``helm-uninstall-strategy``,
  ``helm-remediate-last-failure``: the key removed (also inside a Flux patch of HelmReleases), each
  with a ``# REVIEW:`` comment;
* ``webhook-cnp``: ``cilium-network-policies/allow-k8s-api.yaml`` added and listed.

Everything else (cycles, missing targets, base/overlays, ...) stays in ``plan.findings`` with
what to do by hand in ``plan.warnings``. Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from pathlib import PurePosixPath
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from infra_tui.core import learned_changes, render, yamlio
from infra_tui.core import rules as rules_mod
from infra_tui.core.edit import finish_plan
from infra_tui.core.model import DEFAULT_FLUX_NAMESPACE, ChangePlan, FluxKustomization, Repo, ks_id
from infra_tui.core.rules import Finding
from infra_tui.core.workspace import (
    Workspace,
    add_dependency,
    append_documents,
    deps_in_workspace,
    find_kustomization_doc,
    kustomization_resources,
)

FIXED_BY_HAND = {
    "dependency-cycle": "remove one dependsOn edge of the cycle (`infra-tui edit NAME` with dependsOn: {remove: [...]})",
    "dependency-missing": "add the missing Kustomization or remove the dependsOn entry",
    "dependency-cross-kind": "depend on the Kustomization that deploys the HelmRelease instead",
    "base-overlays": "move each overlay's differences into Flux patches in clusters/<env>/infrastructure.yaml, then delete base/ and overlays/",
    "networkpolicy-apiserver": "replace the NetworkPolicy with a CiliumNetworkPolicy using toEntities: [kube-apiserver]",
    "webhook-dependency": "remove the dependsOn on the webhook component unless the Kustomization uses its CRDs",
    "restart-annotation": "remove the annotation and fix the root cause (e.g. use reloader)",
}


def plan_fixes(
    repo: Repo, findings: Iterable[Finding], env: str | None = None, *, rules: rules_mod.Rules | None = None
) -> ChangePlan:
    """One plan that fixes every fixable finding of ``env``; the others are returned in
    ``plan.findings`` (with what to do by hand in ``plan.warnings``)."""
    rules = rules or rules_mod.for_repo(repo)
    env_name = env or repo.primary_env
    env_obj = repo.env(env_name)
    result = ChangePlan()
    ws = Workspace(repo.root)
    notes: list[str] = []
    recreate: list[str] = []
    by_id = env_obj.by_id()
    touched: dict[str, set[str]] = {env_name: set()}
    new_kss: dict[str, list[str]] = {env_name: []}
    unfixed: list[Finding] = []
    findings = list(findings)
    # a PrometheusRule/ServiceMonitor that moves to the -monitoring split no longer needs its
    # Kustomization to depend on the monitoring provider: the move fixes that crd-dependency too
    moving = {f.kustomization for f in findings if f.rule == "monitoring-split" and f.fixable}
    monitoring_id = {k.id for k in learned_changes.monitoring_providers(rules, env_obj)}
    # dependsOn additions first, moves last: a move may create a Kustomization others refer to
    order = {"monitoring-split": 2, "webhook-cnp": 1}
    for f in sorted(findings, key=lambda f: order.get(f.rule, 0)):
        ks = by_id.get(f.kustomization or "")
        info = f.info
        done = False
        if not f.fixable:
            done = False
        elif f.rule == "crd-dependency" and f.kustomization in moving and set(_adds(info)) <= monitoring_id:
            done = True
        elif (
            f.rule in ("crd-dependency", "required-dependency", "monitoring-deps")
            and "add" in info
            and ks is not None
        ):
            for target_id in _adds(info):
                target = by_id.get(target_id)
                if target is None:
                    continue
                why = {
                    "crd-dependency": f"lint --fix: {target.name} provides the CRD of what {ks.name} creates",
                    "required-dependency": f"lint --fix: {f.message.split(': ', 1)[-1]}",
                    "monitoring-deps": f"lint --fix: a -monitoring split depends on {rules.monitoring_provider} and its parent",
                }[f.rule]
                add_dependency(ws, ks, target, why)
                notes.append(f"{ks.name}: dependsOn {target.name} added ({f.rule})")
                touched[env_name].add(ks.id)
            done = True
        elif f.rule in ("ks-shape", "monitoring-deps") and ks is not None:
            _fix_shape(ws, ks, rules, monitoring=f.rule == "monitoring-deps")
            notes.append(f"{ks.name}: set to the house Kustomization shape ({f.rule})")
            touched[env_name].add(ks.id)
            done = True
        elif f.rule == "monitoring-split" and ks is not None and info.get("resource_file"):
            done = _fix_monitoring_split(
                repo, ws, ks, info["resource_file"], rules, notes, recreate, touched, new_kss
            )
        elif f.rule == "chart-servicemonitor" and info.get("values_path"):
            path = tuple(info["values_path"])
            idx = ws.doc_index(f.file, f.line)
            ws.edit(f.file, idx, partial(_disable_switch, path=path, ks=ks, rules=rules))
            notes.append(
                f"{f.file}: values.{'.'.join(path)} set to false; put the ServiceMonitor in the -monitoring split"
            )
            done = True
        elif f.rule == "helm-remediation-retries":
            ws.edit(f.file, ws.doc_index(f.file, f.line), _set_retries)
            notes.append(f"{f.file}: install/upgrade remediation retries set to 3")
            done = True
        elif f.rule == "namespace-pss":
            ws.edit(f.file, ws.doc_index(f.file, f.line), lambda d: _add_labels(d, rules.namespace_labels))
            notes.append(f"{f.file}: Pod Security Standard labels added (restricted)")
            done = True
        elif (
            f.rule
            in (
                "helm-force",
                "helm-cleanup-on-fail",
                "helm-uninstall-strategy",
                "helm-remediate-last-failure",
            )
            and "path" in info
        ):
            path = tuple(info["path"])
            if "patch_index" in info and ks is not None:
                done = _fix_patch(ws, ks, int(info["patch_index"]), path, f.rule)
            else:
                ws.edit(
                    f.file,
                    ws.doc_index(f.file, f.line),
                    partial(_remove_key, path=("spec", *path), rule=f.rule),
                )
                done = True
            if done:
                notes.append(
                    f"{f.file}: spec.{'.'.join(path)} removed ({f.rule}); fix the root cause instead"
                )
        elif f.rule == "webhook-cnp" and info.get("component") and ks is not None:
            folder = info["component"]
            cnp = f"{folder}/{render.CNP_FILE}"
            if ws.text(cnp) is None:
                comp = repo.components.get(folder)
                ns = next(
                    (r.name for r in (comp.resources if comp else []) if r.kind == "Namespace"), None
                ) or next(
                    (
                        r.namespace
                        for r in (comp.resources if comp else [])
                        if r.kind == "HelmRelease" and r.namespace
                    ),
                    ks.name,
                )
                ws.set(cnp, render.cached(render.render_cnp, ns).text)
                kustomization_resources(ws, folder, add=[render.CNP_FILE])
                cilium = env_obj.find(rules.provider_for_kind("CiliumNetworkPolicy") or "cilium")
                if cilium is not None and cilium.id not in ks.depends_on_ids:
                    add_dependency(
                        ws,
                        ks,
                        cilium,
                        f"lint --fix: {cilium.name} provides the CRD of the CiliumNetworkPolicy",
                    )
                    touched[env_name].add(ks.id)
                notes.append(f"{folder}: allow-k8s-api CiliumNetworkPolicy added for webhook admission")
            done = True
        if not done:
            unfixed.append(f)
    envs = sorted(set(touched) | set(new_kss), key=lambda e: (e != env_name, e))
    for e in envs:
        touched.setdefault(e, set())
        new_kss.setdefault(e, [])
    for e in envs:  # dependsOn of deployed Kustomizations that changed
        for kid in sorted(touched[e]):
            old = repo.envs[e].by_id().get(kid)
            if old is not None and deps_in_workspace(ws, old) != old.depends_on_ids:
                recreate.append(f"dependsOn of deployed Kustomization {old.name} changes in {e}")
    result = finish_plan(repo, ws, result, envs, touched, new_kss, notes, recreate, rules, force=True)
    result.findings = list(unfixed) + list(result.findings)
    for f in unfixed:
        how = FIXED_BY_HAND.get(f.rule, "fix by hand")
        result.warnings.append(f"not fixed: [{f.rule}] {f.file}:{f.line}: {f.message} -> {how}")
    return result


# --------------------------------------------------------------------------- single fixes


def _adds(info: dict[str, Any]) -> tuple[str, ...]:
    add = info.get("add")
    if add is None:
        return ()
    return tuple(add) if isinstance(add, (tuple, list)) else (add,)


def _fix_shape(ws: Workspace, ks: FluxKustomization, rules: rules_mod.Rules, *, monitoring: bool) -> None:
    shape = dict(rules.kustomization_shape)
    split = ks.name.endswith(rules.monitoring_suffix)
    if monitoring or split:
        shape["wait"] = rules.monitoring_wait
        shape["timeout"] = rules.monitoring_timeout
    idx = find_kustomization_doc(ws, ks)

    def fn(d: Any) -> None:
        spec = d.setdefault("spec", CommentedMap())
        for key in ("interval", "prune", "wait", "timeout"):
            if key not in shape:
                continue
            if key == "interval" and key in spec:
                continue  # any interval is fine
            if key == "timeout" and key in spec and not (monitoring or split):
                continue  # the shape only needs a timeout
            if spec.get(key) != shape[key]:
                render.set_key(spec, key, shape[key], after="path" if "path" in spec else None)
        want = shape.get("sourceRef") or {}
        if want:
            ref = spec.get("sourceRef")
            if not isinstance(ref, dict):
                ref = spec["sourceRef"] = CommentedMap()
            for k, v in want.items():
                ref[k] = v

    ws.edit(ks.file, idx, fn)


def _disable_switch(
    d: Any, path: tuple[str, ...], ks: FluxKustomization | None, rules: rules_mod.Rules
) -> None:
    node = d["spec"]["values"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = False
    split = f"{ks.name}{rules.monitoring_suffix}" if ks else "the -monitoring split"
    node.yaml_add_eol_comment(f"# REVIEW: lint --fix: managed separately in {split}", path[-1])


def _set_retries(d: Any) -> None:
    spec = d.setdefault("spec", CommentedMap())
    for phase in ("install", "upgrade"):
        block = spec.get(phase)
        if not isinstance(block, dict):
            block = CommentedMap()
            render.set_key(spec, phase, block, after="chart" if "chart" in spec else None)
        rem = block.get("remediation")
        if not isinstance(rem, dict):
            rem = block["remediation"] = CommentedMap()
        if not isinstance(rem.get("retries"), int):
            rem["retries"] = 3


def _add_labels(d: Any, labels: dict[str, str]) -> None:
    meta = d.setdefault("metadata", CommentedMap())
    lab = meta.get("labels")
    if not isinstance(lab, dict):
        lab = meta["labels"] = CommentedMap()
    for k, v in labels.items():
        lab.setdefault(k, v)


def _remove_key(d: Any, path: tuple[str, ...], rule: str) -> None:
    chain = [d]
    for key in path[:-1]:
        if not isinstance(chain[-1], dict) or key not in chain[-1]:
            return
        chain.append(chain[-1][key])
    parent = chain[-1]
    if not isinstance(parent, dict) or path[-1] not in parent:
        return
    del parent[path[-1]]
    # drop parents left empty, then comment where the key was
    depth = len(chain) - 1
    while depth > 1 and isinstance(chain[depth], dict) and not chain[depth]:
        del chain[depth - 1][path[depth - 1]]
        depth -= 1
    holder, key = chain[depth - 1], path[depth - 1]
    if isinstance(holder, CommentedMap) and key in holder:
        removed = [".".join(path[1:])]
        token = holder.ca.items.get(key, [None, None, None])[2] if key in holder.ca.items else None
        prior = getattr(token, "value", "") or ""
        m = re.match(r"# REVIEW: lint --fix removed (.+?) \(anti-patterns?\)", prior.strip())
        if m:
            removed = [*m.group(1).split(", "), *removed]
            holder.ca.items.pop(key, None)
        what = "anti-pattern" if len(removed) == 1 else "anti-patterns"
        holder.yaml_add_eol_comment(
            f"# REVIEW: lint --fix removed {', '.join(removed)} ({what}); fix the root cause instead", key
        )


def _fix_patch(ws: Workspace, ks: FluxKustomization, index: int, path: tuple[str, ...], rule: str) -> bool:
    """Remove an anti-pattern key from a Flux patch string of HelmReleases."""
    doc_index = find_kustomization_doc(ws, ks)
    data = ws.load(ks.file, doc_index)
    patches = (data.get("spec") or {}).get("patches") or []
    if index >= len(patches) or not isinstance(patches[index].get("patch"), str):
        return False
    text = str(patches[index]["patch"])
    parsed = yamlio.load_one(text)
    if isinstance(parsed, list):  # JSON6902 ops
        target = "/spec/" + "/".join(path)
        kept = [op for op in parsed if not (isinstance(op, dict) and op.get("path") == target)]
        if len(kept) == len(parsed):
            return False
        new_text = yamlio.dump_plain(render.to_commented(kept))
    elif isinstance(parsed, dict) and parsed.get("kind", "HelmRelease") == "HelmRelease":
        cm = yamlio.rt_load(text)
        before = yamlio.rt_dump(cm)
        _remove_key(cm, ("spec", *path), rule)
        new_text = yamlio.rt_dump(cm)
        if new_text == before:
            return False
        if not cm.get("spec"):
            new_text = ""  # the patch only set the anti-pattern: drop the whole patch
    else:
        return False

    def fn(d: Any) -> None:
        patches = d["spec"]["patches"]
        if new_text:
            patches[index]["patch"] = LiteralScalarString(new_text)
            return
        del patches[index]
        if not patches:
            del d["spec"]["patches"]
        key = "spec"
        d.yaml_add_eol_comment(
            f"# REVIEW: lint --fix removed a patch that only set {'.'.join(path)} ({rule}); fix the root cause instead",
            key,
        )

    ws.edit(ks.file, doc_index, fn)
    return True


def _fix_monitoring_split(
    repo: Repo,
    ws: Workspace,
    ks: FluxKustomization,
    resource_file: str,
    rules: rules_mod.Rules,
    notes: list[str],
    recreate: list[str],
    touched: dict[str, set[str]],
    new_kss: dict[str, list[str]],
) -> bool:
    folder = (ks.path or "").strip().removeprefix("./").rstrip("/")
    text = ws.text(resource_file)
    if not folder or text is None:
        return True  # an earlier fix already moved this file
    split_name = ks.name + rules.monitoring_suffix
    parent_dir = str(PurePosixPath(folder).parent)
    split_dir = (
        f"{parent_dir}/{PurePosixPath(folder).name}{rules.monitoring_suffix}"
        if parent_dir != "."
        else f"{folder}{rules.monitoring_suffix}"
    )
    chunks = yamlio.split_documents(text)
    keep: list[yamlio.Chunk] = []
    move: list[yamlio.Chunk] = []
    for c in chunks:
        data = None if c.is_empty() else yamlio.load_one(c.body)
        (move if isinstance(data, dict) and data.get("kind") in rules.monitoring_kinds else keep).append(c)
    if not move:
        return True
    base = PurePosixPath(resource_file).name
    target_file = f"{split_dir}/{base}"
    moved_text = "".join(c.text for c in move)
    if ws.text(target_file) is not None:
        target_file = f"{split_dir}/{PurePosixPath(resource_file).stem}-{ks.name}.yaml"
    ws.set(target_file, moved_text)
    rel_from_folder = (
        str(PurePosixPath(resource_file).relative_to(folder))
        if resource_file.startswith(folder + "/")
        else None
    )
    if any(not c.is_empty() for c in keep):
        ws.set(resource_file, "".join(c.text for c in keep))
    else:
        ws.set(resource_file, None)
        if rel_from_folder:
            kustomization_resources(ws, folder, remove=[rel_from_folder])
    # the split folder and its Kustomization
    kfile = f"{split_dir}/kustomization.yaml"
    if ws.text(kfile) is None:
        k = yamlio.rt_load(render.skeleton_text("monitoring-kustomization.yaml"))
        k["resources"] = CommentedSeq([PurePosixPath(target_file).name])
        comp_k = yamlio.load_one(ws.text(f"{folder}/kustomization.yaml") or "") or {}
        if isinstance(comp_k, dict) and comp_k.get("namespace"):
            k.insert(2, "namespace", comp_k["namespace"])
        ws.set(kfile, yamlio.rt_dump(k))
    else:
        kustomization_resources(ws, split_dir, add=[PurePosixPath(target_file).name])
    for e, env_obj in repo.envs.items():
        parent = next(
            (
                k
                for k in env_obj.kustomizations
                if (k.path or "").strip().removeprefix("./").rstrip("/") == folder
            ),
            None,
        )
        if parent is None:
            continue
        if env_obj.find(split_name) is None and ks_id(parent.namespace, split_name) not in new_kss.get(e, []):
            moved = sorted({str((yamlio.load_one(c.body) or {}).get("kind")) for c in move})
            deps = [
                (p.name, p.namespace, learned_changes.monitoring_note(p, rules, moved))
                for p in learned_changes.monitoring_providers(rules, env_obj)
            ]
            notes.extend(n for _, _, n in deps if n)
            deps.append((parent.name, parent.namespace, None))
            body = render.cached(
                render.render_flux_kustomization, split_name, f"./{split_dir}", tuple(deps), True, (), None
            )
            after, _, _ = append_documents(ws.text(parent.file), [body.text])
            ws.set(parent.file, after)
            new_kss.setdefault(e, []).append(ks_id(DEFAULT_FLUX_NAMESPACE, split_name))
            touched.setdefault(e, set()).add(parent.id)
    kinds = sorted({str((yamlio.load_one(c.body) or {}).get("kind")) for c in move})
    notes.append(f"{', '.join(kinds)} moved from {resource_file} to {target_file} ({split_name})")
    recreate.append(
        f"monitoring split out of deployed component {ks.name}: {', '.join(kinds)} move to {split_name}"
    )
    return True
