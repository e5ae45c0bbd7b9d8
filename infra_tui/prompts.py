"""Terminal prompts for ``infra-tui new --plain`` / ``edit --plain`` (questionary).

The answers become the same mapping a spec file holds and go through ``spec.parse``, so prompts and
``--spec`` produce the same plan. An empty answer means "not stated": the plan picks the default
and marks it ``# REVIEW:``. Prompts use ``.unsafe_ask()``: Ctrl-C raises ``KeyboardInterrupt``,
which the command turns into "no changes were made". ``input``/``output`` are for tests
(prompt_toolkit pipe input).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import questionary

from infra_tui.core import scaffold, yamlio
from infra_tui.core import spec as spec_mod
from infra_tui.core.model import Repo


def _kw(input: Any, output: Any) -> dict[str, Any]:  # prompt_toolkit's names
    kw: dict[str, Any] = {}
    if input is not None:
        kw["input"] = input
    if output is not None:
        kw["output"] = output
    return kw


def _mapping(text: str) -> dict[str, Any] | None | str:
    """Parse a YAML (flow) mapping answer: dict, None for empty, or an error string."""
    if not text.strip():
        return None
    try:
        data = yamlio.load_one(text)
    except Exception as exc:  # any YAML error is an answer to fix
        return f"not YAML: {str(exc).splitlines()[0]}"
    if not isinstance(data, dict):
        return "write a mapping, e.g. {replicas: 2, image: {tag: v1}}"
    return data


def _validate_mapping(text: str) -> bool | str:
    result = _mapping(text)
    return result if isinstance(result, str) else True


def _list(text: str) -> list[str]:
    return [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]


def ask_new_spec(
    repo: Repo, *, env: str | None = None, input: Any = None, output: Any = None
) -> spec_mod.ComponentSpec:
    """Ask for a new component, one question at a time, each answer checked as it is typed."""
    kw = _kw(input, output)
    rules = scaffold.rules_for(repo)
    existing = {k.name for e in repo.envs.values() for k in e.kustomizations}

    def valid_name(text: str) -> bool | str:
        problem = spec_mod.dns1123_problem(text, "name")
        if problem:
            return problem
        if text in existing or f"namespaces/{text}" in repo.components:
            return f"'{text}' already exists; change it with `infra-tui edit {text}`"
        return True

    data: dict[str, Any] = {}
    name = questionary.text("Component name (DNS-1123 label):", validate=valid_name, **kw).unsafe_ask()
    data["name"] = name
    namespace = questionary.text(
        f"Namespace (empty: {name}):",
        validate=lambda t: True if not t else (spec_mod.dns1123_problem(t, "namespace") or True),
        **kw,
    ).unsafe_ask()
    if namespace:
        data["namespace"] = namespace
    env_names = list(repo.envs)
    primary = env or repo.primary_env
    if len(env_names) > 1:
        envs = questionary.checkbox(
            "Envs (space toggles, enter confirms):",
            choices=[questionary.Choice(e, checked=e == primary) for e in env_names],
            validate=lambda chosen: True if chosen else "choose at least one env",
            **kw,
        ).unsafe_ask()
        data["envs"] = envs
    else:
        envs = env_names
    chart: dict[str, Any] = {}
    chart["name"] = questionary.text(
        "Chart name:",
        validate=lambda t: (
            True if spec_mod.CHART_NAME.match(t or "") else "a chart name: lowercase letters, digits, '-'"
        ),
        **kw,
    ).unsafe_ask()
    url = questionary.text(
        "Chart repository URL (https://... or oci://...):",
        validate=lambda t: spec_mod.url_problem(t) or True,
        **kw,
    ).unsafe_ask()
    repo_name = questionary.text(
        f"HelmRepository name (empty: {name}):",
        validate=lambda t: True if not t else (spec_mod.dns1123_problem(t, "repository name") or True),
        **kw,
    ).unsafe_ask()
    chart["repository"] = {"name": repo_name, "url": url} if repo_name else {"url": url}
    version = questionary.text('Chart version constraint, e.g. "1.x" (empty: "*", any):', **kw).unsafe_ask()
    if version.strip():
        chart["version"] = version.strip()
    data["chart"] = chart
    values = questionary.text(
        "Helm values as a YAML mapping, e.g. {replicas: 2} (empty: none):",
        validate=_validate_mapping,
        **kw,
    ).unsafe_ask()
    if (parsed := _mapping(values)) and isinstance(parsed, dict):
        data["values"] = parsed
    for e in envs:
        if e == repo.primary_env:
            continue
        over = questionary.text(
            f"Value overrides for {e} (a Flux patch there; empty: none):",
            validate=_validate_mapping,
            **kw,
        ).unsafe_ask()
        if (parsed := _mapping(over)) and isinstance(parsed, dict):
            data.setdefault("env_values", {})[e] = parsed
    timeout = questionary.text(
        "HelmRelease timeout, e.g. 10m (empty: 5m):",
        validate=lambda t: True if not t or spec_mod.DURATION.match(t) else "a duration such as 10m or 1h30m",
        **kw,
    ).unsafe_ask()
    if timeout:
        data["timeout"] = timeout
    data["webhook"] = questionary.confirm(
        "Does it register admission webhooks (adds the allow-k8s-api CiliumNetworkPolicy)?",
        default=name in rules.webhook_components,
        **kw,
    ).unsafe_ask()
    kinds = sorted({k for p in rules.crd_providers for k in p.kinds} - rules.monitoring_kinds)
    creates = questionary.text(
        f"CRD kinds its manifests create, comma-separated (known: {', '.join(kinds)}; empty: none):",
        validate=lambda t: next(
            (f"'{k}' is not a kind (CamelCase)" for k in _list(t) if not spec_mod.KIND.match(k)), True
        ),
        **kw,
    ).unsafe_ask()
    if _list(creates):
        data["creates"] = _list(creates)
    sm = questionary.confirm(f"ServiceMonitor in {name}-monitoring?", default=False, **kw).unsafe_ask()
    pr = questionary.confirm(f"PrometheusRule in {name}-monitoring?", default=False, **kw).unsafe_ask()
    if sm or pr:
        data["monitoring"] = {"serviceMonitor": sm, "prometheusRule": pr}
    names = sorted({k.name for e in envs for k in repo.envs[e].kustomizations})

    def valid_deps(text: str) -> bool | str:
        for dep in _list(text):
            if dep.rsplit("/", 1)[-1] not in names:
                hint = spec_mod.closest(dep, names)
                return f"'{dep}' does not exist" + (f"; did you mean '{hint}'?" if hint else "")
        return True

    deps = questionary.text(
        "Extra dependsOn, comma-separated (CRD providers are added for you; empty: none):",
        validate=valid_deps,
        **kw,
    ).unsafe_ask()
    if _list(deps):
        data["dependsOn"] = _list(deps)
    return spec_mod.parse(data)


def ask_edit_spec(
    repo: Repo, component: str, *, env: str | None = None, input: Any = None, output: Any = None
) -> spec_mod.EditSpec:
    """Ask what to change in ``component``, each question prefilled with what the repo has now.
    Only answers that differ from the repo go into the edit spec."""
    from infra_tui.core import edit as edit_mod
    from infra_tui.errors import UserError

    kw = _kw(input, output)
    target, err = edit_mod.resolve_component(repo, component)
    if target is None:
        raise UserError(err or f"component '{component}' does not exist")
    rules = scaffold.rules_for(repo)
    ks = target.kss.get(env or "") or next(iter(target.kss.values()))
    hr = target.hr.data if target.hr else {}
    hr_spec: dict[str, Any] = hr["spec"] if isinstance(hr.get("spec"), dict) else {}
    chart_spec: dict[str, Any] = (
        ((hr_spec.get("chart") or {}).get("spec") or {}) if isinstance(hr_spec.get("chart"), dict) else {}
    )
    data: dict[str, Any] = {}
    version_now = str(chart_spec.get("version", ""))
    version = questionary.text("Chart version constraint:", default=version_now, **kw).unsafe_ask()
    if version.strip() and version.strip() != version_now:
        data.setdefault("chart", {})["version"] = version.strip()
    values = questionary.text(
        "Values to merge, as a YAML mapping (null removes a key; empty: no change):",
        validate=_validate_mapping,
        **kw,
    ).unsafe_ask()
    if (parsed := _mapping(values)) and isinstance(parsed, dict):
        data["values"] = parsed
    timeout_now = str(hr_spec.get("timeout", "") or "")
    timeout = questionary.text(
        "HelmRelease timeout:",
        default=timeout_now,
        validate=lambda t: True if not t or spec_mod.DURATION.match(t) else "a duration such as 10m",
        **kw,
    ).unsafe_ask()
    if timeout != timeout_now:
        data["timeout"] = timeout or None
    cnp_now = any(r.kind == "CiliumNetworkPolicy" for r in (target.comp.resources if target.comp else []))
    webhook = questionary.confirm(
        "allow-k8s-api CiliumNetworkPolicy (admission webhooks)?", default=cnp_now, **kw
    ).unsafe_ask()
    if webhook != cnp_now:
        data["webhook"] = webhook
    mon_dir = f"namespaces/{component}{rules.monitoring_suffix}"
    mon_comp = repo.components.get(mon_dir)
    sm_now = mon_comp is not None and any(r.kind == "ServiceMonitor" for r in mon_comp.resources)
    pr_now = mon_comp is not None and any(r.kind == "PrometheusRule" for r in mon_comp.resources)
    sm = questionary.confirm(
        f"ServiceMonitor in {component}{rules.monitoring_suffix}?", default=sm_now, **kw
    ).unsafe_ask()
    pr = questionary.confirm(
        f"PrometheusRule in {component}{rules.monitoring_suffix}?", default=pr_now, **kw
    ).unsafe_ask()
    mon: dict[str, bool] = {}
    if sm != sm_now:
        mon["serviceMonitor"] = sm
    if pr != pr_now:
        mon["prometheusRule"] = pr
    if mon:
        data["monitoring"] = mon
    creates = questionary.text(
        "More CRD kinds it creates, comma-separated (empty: none):",
        validate=lambda t: next(
            (f"'{k}' is not a kind (CamelCase)" for k in _list(t) if not spec_mod.KIND.match(k)), True
        ),
        **kw,
    ).unsafe_ask()
    if _list(creates):
        data["creates"] = _list(creates)
    names = sorted({k.name for e in target.kss for k in repo.envs[e].kustomizations})
    current = [d.rsplit("/", 1)[-1] for d in ks.depends_on_ids]

    def valid(candidates: list[str]) -> Callable[[str], bool | str]:
        def check(text: str) -> bool | str:
            for dep in _list(text):
                if dep not in candidates:
                    hint = spec_mod.closest(dep, candidates)
                    return f"'{dep}' is not one of them" + (f"; did you mean '{hint}'?" if hint else "")
            return True

        return check

    add = questionary.text(
        "dependsOn to add, comma-separated (empty: none):", validate=valid(names), **kw
    ).unsafe_ask()
    remove = questionary.text(
        f"dependsOn to remove (now: {', '.join(current) or 'none'}; empty: none):",
        validate=valid(current),
        **kw,
    ).unsafe_ask()
    if _list(add) or _list(remove):
        data["dependsOn"] = {"add": _list(add), "remove": _list(remove)}
    return spec_mod.parse_edit(data, component)
