"""The edit form's model: what a component has on disk now (``current``), and the edit spec that
turns it into what the form holds (``edit_spec``). No Textual here.

The form shows whole values; ``core.edit.plan_edit`` takes merge patches. ``values_patch`` is the
bridge: the RFC 7386 patch from the values on disk to the values in the editor, so only the keys
that changed reach the file (and only their lines change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from infra_tui.core import render
from infra_tui.core import rules as rules_mod
from infra_tui.core.model import Repo, mapping, short_name


@dataclass
class Current:
    """A component as the repo has it, in the edit form's terms (one env's dependsOn)."""

    name: str
    env: str
    envs: list[str]
    folder: str
    chart: str = ""
    version: str = ""
    repo_url: str = ""
    timeout: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    env_values: dict[str, dict[str, Any]] = field(default_factory=dict)  # non-primary env -> patch values
    webhook: bool = False
    service_monitor: bool = False
    prometheus_rule: bool = False
    creates: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)  # short names, this env
    candidates: list[str] = field(default_factory=list)  # Kustomizations it may depend on
    release: str | None = None  # the HelmRelease edited (None: the component has none)
    problem: str | None = None  # why it cannot be edited at all


def _hr_values_of_patch(patch: Any, name: str) -> dict[str, Any] | None:
    """The ``spec.values`` of a Flux patch entry that targets the HelmRelease ``name``."""
    if not isinstance(patch, dict) or not isinstance(patch.get("patch"), str):
        return None
    target = patch.get("target")
    if (
        not isinstance(target, dict)
        or target.get("kind") != "HelmRelease"
        or target.get("name") not in (name, None)
    ):
        return None
    try:
        doc = yaml.safe_load(patch["patch"])
    except yaml.YAMLError:
        return None
    values = mapping(mapping(doc).get("spec")).get("values")
    return dict(values) if isinstance(values, dict) else None


def current(repo: Repo, component: str, env: str | None = None) -> Current:
    """What ``component`` has on disk, as the edit form shows it."""
    from infra_tui.core import edit as edit_mod  # ruamel.yaml: imported off the event loop by callers

    env_name = env or repo.primary_env
    target, err = edit_mod.resolve_component(repo, component)
    if target is None:
        return Current(component, env_name, [], "", problem=err)
    ks = target.kss.get(env_name) or next(iter(target.kss.values()))
    env_obj = repo.envs[ks.env] if ks.env in repo.envs else repo.env(env_name)
    out = Current(component, env_obj.name, list(target.kss), target.folder)
    rules = rules_mod.for_repo(repo)
    if target.hr is not None:
        out.release = target.hr.name
        spec = mapping(target.hr.data.get("spec"))
        chart = mapping(mapping(spec.get("chart")).get("spec"))
        out.chart = str(chart.get("chart") or "")
        out.version = str(chart.get("version") or "")
        out.timeout = str(spec.get("timeout") or "")
        out.values = dict(mapping(spec.get("values")))
    if target.hrepo is not None:
        out.repo_url = str(mapping(target.hrepo.data.get("spec")).get("url") or "")
    cnp = f"{target.folder}/{render.CNP_FILE}"
    out.webhook = any(r.file == cnp for r in (target.comp.resources if target.comp else []))
    mon = repo.components.get(f"namespaces/{component}{rules.monitoring_suffix}")
    kinds = {r.kind for r in mon.resources} if mon else set()
    out.service_monitor = "ServiceMonitor" in kinds
    out.prometheus_rule = "PrometheusRule" in kinds
    out.creates = rules_mod.declared_kinds(ks)
    out.depends_on = [short_name(d) for d in ks.depends_on_ids]
    out.candidates = sorted(k.name for k in env_obj.kustomizations if k.name != component)
    for e, k in target.kss.items():
        if e == repo.primary_env:
            continue
        for patch in k.patches or []:
            values = _hr_values_of_patch(patch, out.release or component)
            if values is not None:
                out.env_values[e] = values
                break
        else:
            out.env_values[e] = {}
    if target.comp is None or not repo.flat:
        out.problem = f"{component}: {target.folder or '(no path)'} is not a namespaces/<component>/ folder this tool can edit"
    return out


def values_text(values: dict[str, Any]) -> str:
    """Values as the editor shows them (block YAML, keys in the file's order)."""
    if not values:
        return ""
    return yaml.safe_dump(values, sort_keys=False, default_flow_style=False, allow_unicode=True, width=200)


def values_patch(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The merge patch (RFC 7386) that turns ``old`` into ``new``: changed keys, ``None`` for
    removed ones, nested mappings patched key by key; lists are replaced whole."""
    patch: dict[str, Any] = {}
    for key in old:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if isinstance(value, dict) and isinstance(before, dict):
            sub = values_patch(before, value)
            if sub:
                patch[key] = sub
        elif before is _MISSING or before != value or type(before) is not type(value):
            patch[key] = value
    return patch


_MISSING = object()


@dataclass
class FormValues:
    """What the edit form holds now (the same shape as ``Current``'s editable part)."""

    chart: str
    version: str
    repo_url: str
    timeout: str
    values: dict[str, Any]
    env_values: dict[str, dict[str, Any]]
    webhook: bool
    service_monitor: bool
    prometheus_rule: bool
    creates: list[str]
    depends_on: list[str]


def edit_spec(cur: Current, form: FormValues) -> tuple[dict[str, Any], dict[str, str]]:
    """The edit spec mapping (DESIGN.md "edit spec") from ``cur`` to ``form``, and the reasons
    fields cannot change as typed (form field id -> reason)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    chart: dict[str, Any] = {}
    if form.chart != cur.chart:
        if form.chart:
            chart["name"] = form.chart
        else:
            errors["chart"] = "a chart name is needed"
    if form.version != cur.version:
        if form.version:
            chart["version"] = form.version
        else:
            errors["version"] = 'a semver constraint is needed ("*" for any)'
    if form.repo_url != cur.repo_url:
        if form.repo_url:
            chart["repository"] = {"url": form.repo_url}
        else:
            errors["repo-url"] = "a repository URL is needed"
    if chart:
        data["chart"] = chart
    if form.timeout != cur.timeout:
        data["timeout"] = form.timeout or None
    patch = values_patch(cur.values, form.values)
    if patch:
        data["values"] = patch
    env_patches = {
        e: p for e, vals in form.env_values.items() if (p := values_patch(cur.env_values.get(e, {}), vals))
    }
    if env_patches:
        data["env_values"] = env_patches
    if form.webhook != cur.webhook:
        data["webhook"] = form.webhook
    mon: dict[str, bool] = {}
    if form.service_monitor != cur.service_monitor:
        mon["serviceMonitor"] = form.service_monitor
    if form.prometheus_rule != cur.prometheus_rule:
        mon["prometheusRule"] = form.prometheus_rule
    if mon:
        data["monitoring"] = mon
    dropped = [k for k in cur.creates if k not in form.creates]
    added_kinds = [k for k in form.creates if k not in cur.creates]
    if dropped:
        data["creates"] = {"add": added_kinds, "remove": dropped}
    elif added_kinds:
        data["creates"] = added_kinds
    add = [d for d in form.depends_on if d not in cur.depends_on]
    remove = [d for d in cur.depends_on if d not in form.depends_on]
    if add or remove:
        data["dependsOn"] = {"add": add, "remove": remove}
    if cur.release and data and cur.release != cur.name:
        data["release"] = cur.release
    return data, errors
