"""Skeletons -> files: every YAML file infra-tui generates, rendered from ``templates/skeletons/``.

The skeletons are loaded once, copied (unpickled: ~6x faster than deepcopy, comments included) and
filled as data with ruamel.yaml, never as text. Each ``render_*`` returns a ``Rendered``: the text,
its plain data (for the in-memory lint) and its ``# REVIEW:`` notes. ``cached(render_x, *args)``
memoises a render on exactly its inputs, so a keystroke that changes one value re-renders one file.

Shared by the three planners (``scaffold``, ``edit``, ``fix``). Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import copy
import io
import pickle
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from infra_tui.core import yamlio
from infra_tui.core.model import DEFAULT_FLUX_NAMESPACE

FLUX_NS = DEFAULT_FLUX_NAMESPACE
CNP_FILE = "cilium-network-policies/allow-k8s-api.yaml"
CREATES_ANNOTATION = "infra-tui.io/creates"
"""Flux Kustomization annotation listing the CRD kinds its charts create (spec ``creates``), so
that lint and later edits know why it depends on their providers."""
PLACEHOLDERS = ("COMPONENT", "NAMESPACE")

# --------------------------------------------------------------------------- skeletons


@cache
def skeleton_text(name: str) -> str:
    try:
        return resources.files("infra_tui.templates").joinpath("skeletons", name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:  # a broken install, not a user error
        raise RuntimeError(
            f"skeleton templates/skeletons/{name} is missing from the infra-tui install"
        ) from exc


@cache
def _skeleton_data(name: str) -> Any:
    return yamlio.rt_load(skeleton_text(name))


@cache
def _skeleton_pickle(name: str) -> bytes:
    # unpickling a ruamel tree is ~6x faster than deepcopy, comments included
    return pickle.dumps(_skeleton_data(name))


def skeleton(name: str, fill: dict[str, str] | None = None) -> Any:
    """A fresh round-trip copy of ``templates/skeletons/<name>``, placeholders replaced in every
    string scalar (as data: keys and values, never the text)."""
    data = pickle.loads(_skeleton_pickle(name))  # our own bytes
    if fill:
        _fill(data, fill)
    return data


def _fill(node: Any, fill: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key in list(node):
            value = node[key]
            if isinstance(value, str):
                node[key] = _subst(value, fill)
            else:
                _fill(value, fill)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                node[i] = _subst(value, fill)
            else:
                _fill(value, fill)


def _subst(value: str, fill: dict[str, str]) -> str:
    out = value
    for k, v in fill.items():
        if k in out:
            out = out.replace(k, v)
    if out == value:
        return value
    # keep the scalar style (quoted / literal) of the skeleton
    return type(value)(out) if type(value) is not str else out


# --------------------------------------------------------------------------- rendering helpers


@dataclass(frozen=True)
class Rendered:
    """One generated YAML text, its plain data (for the in-memory lint) and its REVIEW notes."""

    text: str
    docs: tuple[Any, ...]
    reviews: tuple[str, ...]


_MEMO: dict[tuple[Any, ...], Rendered] = {}
_MEMO_MAX = 512


def freeze(value: Any) -> Any:
    """``value`` (dicts, lists, sets, scalars) as a hashable key that tells types apart."""
    if isinstance(value, dict):
        return ("{", tuple((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("[", tuple(freeze(v) for v in value))
    if isinstance(value, set):
        return ("s", tuple(sorted(freeze(v) for v in value)))
    return (type(value).__name__, value)


def cached(fn: Callable[..., Rendered], *args: Any) -> Rendered:
    """``fn(*args)``, memoised on ``fn`` and the value of ``args``."""
    key = (fn.__name__, freeze(args))
    hit = _MEMO.get(key)
    if hit is None:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        hit = _MEMO[key] = fn(*args)
    return hit


def clear_cache() -> None:
    """Forget memoised renders (benchmarks use it to time a cold plan)."""
    _MEMO.clear()


def add_review(cm: Any, key: Any, text: str, notes: list[str]) -> None:
    """``# REVIEW: text`` at the end of ``key``'s line, and the note for the summary."""
    cm.yaml_add_eol_comment(f"# REVIEW: {text}", key)
    notes.append(text)


def set_key(cm: CommentedMap, key: str, value: Any, *, after: str | None = None) -> None:
    """Set ``key``; a new key goes right after ``after`` (skeleton key order is kept)."""
    if key in cm or after is None or after not in cm:
        cm[key] = value
        return
    cm.insert(list(cm).index(after) + 1, key, value)


def to_commented(value: Any) -> Any:
    """Plain dicts/lists -> ruamel containers (so comments can attach and the style is block)."""
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = to_commented(v)
        return out
    if isinstance(value, list):
        seq = CommentedSeq()
        seq.extend(to_commented(v) for v in value)
        return seq
    return value


_YAML = threading.local()


def _rt_dump(data: Any) -> str:
    """``yamlio.rt_dump`` with one ruamel instance per thread (the preview plans in a worker)."""
    rt = getattr(_YAML, "rt", None)
    if rt is None:
        rt = _YAML.rt = yamlio.round_trip_yaml()
    buf = io.StringIO()
    rt.dump(data, buf)
    return buf.getvalue()


def _rendered(data: Any, notes: list[str]) -> Rendered:
    text = _rt_dump(data)
    docs, _ = yamlio.load_documents(text, "<generated>")
    return Rendered(text, tuple(d.data for d in docs), tuple(notes))


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-.]", name) if part)


# --------------------------------------------------------------------------- the generated files


def render_namespace(namespace: str, stated: bool, labels: dict[str, str]) -> Rendered:
    notes: list[str] = []
    data = skeleton("namespace.yaml", {"NAMESPACE": namespace, "COMPONENT": namespace})
    meta = data["metadata"]
    meta["name"] = namespace
    lab = meta.get("labels")
    if not isinstance(lab, dict):
        lab = meta["labels"] = CommentedMap()
    for k, v in labels.items():
        lab[k] = v
    if not stated:
        add_review(meta, "name", "namespace not stated: it defaults to the component name", notes)
    return _rendered(data, notes)


def render_helm_repository(name: str, url: str, name_stated: bool) -> Rendered:
    notes: list[str] = []
    oci = url.startswith("oci://")
    data = skeleton(
        "helm-repository-oci.yaml" if oci else "helm-repository.yaml", {"REPO_NAME": name, "REPO_URL": url}
    )
    meta = data["metadata"]
    meta["name"] = name
    meta["namespace"] = FLUX_NS
    spec = data["spec"]
    if oci:
        set_key(spec, "type", "oci", after="interval")
    else:
        spec.pop("type", None)
    spec["url"] = url
    spec.ca.items.pop("url", None)  # the skeleton's hint comment
    if not name_stated:
        add_review(meta, "name", "chart repository name not stated: it defaults to the component name", notes)
    return _rendered(data, notes)


def render_helm_release(
    name: str,
    namespace: str,
    chart: str,
    version: str | None,
    repository: str,
    values: dict[str, Any],
    timeout: str | None,
    disable_service_monitor: bool,
) -> Rendered:
    notes: list[str] = []
    data = skeleton(
        "helm-release.yaml",
        {"COMPONENT": name, "NAMESPACE": namespace, "CHART": chart, "REPO_NAME": repository},
    )
    meta = data["metadata"]
    meta["name"] = name
    meta["namespace"] = namespace
    spec = data["spec"]
    cspec = spec["chart"]["spec"]
    cspec["chart"] = chart
    cspec["version"] = DoubleQuotedScalarString(version or "*")
    if version is None:
        add_review(
            cspec,
            "version",
            'chart version not stated: "*" takes any version; pin a constraint such as "1.x"',
            notes,
        )
    cspec["sourceRef"]["name"] = repository
    cspec["sourceRef"]["namespace"] = FLUX_NS
    set_key(spec, "timeout", timeout or "5m", after="interval")
    if timeout is None:
        add_review(
            spec, "timeout", "timeout not stated: 5m (the Helm default); raise it for slow installs", notes
        )
    skeleton_sm = (
        (spec.get("values") or {}).get("serviceMonitor") if isinstance(spec.get("values"), dict) else None
    )
    vals = to_commented(values)
    if disable_service_monitor:
        sm = vals.get("serviceMonitor")
        if isinstance(sm, dict):
            sm["enabled"] = False
        else:
            sm = skeleton_sm if isinstance(skeleton_sm, CommentedMap) else CommentedMap(enabled=False)
            vals["serviceMonitor"] = sm
            add_review(
                vals,
                "serviceMonitor",
                "the chart's ServiceMonitor switch is assumed to be values.serviceMonitor.enabled; check the chart",
                notes,
            )
        sm.yaml_add_eol_comment(f"# Managed separately in {name}-monitoring", "enabled")
    if vals:
        spec["values"] = vals
    else:
        spec.pop("values", None)
    return _rendered(data, notes)


def render_kustomization(resources_list: tuple[str, ...]) -> Rendered:
    data = skeleton("kustomization.yaml")
    seq = data.get("resources")
    if not isinstance(seq, CommentedSeq):
        seq = data["resources"] = CommentedSeq()
    # keep the skeleton's comments (attached to the last item), replace the items
    comments = copy.deepcopy(seq.ca.items)
    del seq[:]
    seq.extend(resources_list)
    if comments:
        last_old = max(comments)
        seq.ca.items.clear()
        seq.ca.items[len(seq) - 1] = comments[last_old]
    return _rendered(data, [])


def render_cnp(namespace: str) -> Rendered:
    notes: list[str] = []
    data = skeleton("allow-k8s-api.yaml", {"NAMESPACE": namespace, "COMPONENT": namespace})
    data["metadata"]["namespace"] = namespace
    if "ingress" in data["spec"]:
        add_review(
            data["spec"],
            "ingress",
            "webhook ports 443/8443 assumed; match the chart's webhook service port",
            notes,
        )
    return _rendered(data, notes)


def render_monitoring_kustomization(resources_list: tuple[str, ...]) -> Rendered:
    data = skeleton("monitoring-kustomization.yaml")
    seq = data.get("resources")
    if not isinstance(seq, CommentedSeq):
        seq = data["resources"] = CommentedSeq()
    del seq[:]
    seq.extend(resources_list)
    return _rendered(data, [])


def render_prometheus_rules(name: str, namespace: str, has_service_monitor: bool) -> Rendered:
    notes: list[str] = []
    data = skeleton("prometheus-rules.yaml", {"COMPONENT": name, "NAMESPACE": namespace})
    data["metadata"]["name"] = name
    data["metadata"]["namespace"] = namespace
    group = data["spec"]["groups"][0]
    template = group["rules"][0]
    camel = _camel(name)
    alerts: list[tuple[str, str, str, str, str]] = []  # alert, expr, for, severity, summary
    if has_service_monitor:
        alerts.append(
            (
                f"{camel}TargetDown",
                f'up{{namespace="{namespace}"}} == 0',
                "5m",
                "warning",
                f"{name}: Prometheus cannot scrape {{{{ $labels.instance }}}} for 5 minutes",
            )
        )
    alerts.append(
        (
            f"{camel}PodsNotReady",
            f'sum(kube_pod_status_ready{{namespace="{namespace}", condition="true"}}) == 0',
            "10m",
            "critical",
            f"{name}: no pod in namespace {namespace} has been ready for 10 minutes",
        )
    )
    rules = CommentedSeq()
    for alert, expr, for_, severity, summary in alerts:
        rule = copy.deepcopy(template)
        rule["alert"] = alert
        rule["expr"] = expr
        rule["for"] = for_
        rule["labels"]["severity"] = severity
        rule["annotations"]["summary"] = summary
        rules.append(rule)
    group["rules"] = rules
    add_review(
        group,
        "rules",
        "starter alerts (pods not ready, target down); tune thresholds and add the component's own",
        notes,
    )
    return _rendered(data, notes)


def render_service_monitor(name: str, namespace: str) -> Rendered:
    notes: list[str] = []
    data = skeleton("servicemonitor.yaml", {"COMPONENT": name, "NAMESPACE": namespace})
    data["metadata"]["name"] = name
    data["metadata"]["namespace"] = namespace
    spec = data["spec"]
    labels = spec["selector"]["matchLabels"]
    key = next(iter(labels))
    add_review(
        labels, key, f"selects the Services labelled {key}: {labels[key]}; match the chart's labels", notes
    )
    spec["namespaceSelector"]["matchNames"] = CommentedSeq([namespace])
    ep = spec["endpoints"][0]
    add_review(
        ep, "port", f"metrics port name assumed to be '{ep['port']}'; match the chart's Service", notes
    )
    return _rendered(data, notes)


def render_flux_kustomization(
    name: str,
    path: str,
    depends_on: tuple[tuple[str, str | None, str | None], ...],
    monitoring: bool,
    patches: tuple[tuple[dict[str, Any], str], ...],
    env_note: str | None,
    creates: tuple[str, ...] = (),
) -> Rendered:
    """One Flux Kustomization. ``depends_on``: (name, namespace or None, REVIEW note or None)."""
    notes: list[str] = []
    data = skeleton(
        "flux-kustomization-monitoring.yaml" if monitoring else "flux-kustomization.yaml",
        {"COMPONENT": name.removesuffix("-monitoring") if monitoring else name, "NAMESPACE": FLUX_NS},
    )
    meta = data["metadata"]
    meta["name"] = name
    meta["namespace"] = FLUX_NS
    if creates:
        meta["annotations"] = CommentedMap({CREATES_ANNOTATION: ", ".join(creates)})
    spec = data["spec"]
    spec["path"] = path
    if (
        monitoring
        and isinstance(spec.get("dependsOn"), CommentedSeq)
        and len(spec["dependsOn"]) == len(depends_on)
    ):
        # keep the skeleton's comments (what each dependency provides)
        for entry, (dep, ns, _) in zip(spec["dependsOn"], depends_on, strict=True):
            entry["name"] = dep
            if ns and ns != FLUX_NS:
                entry["namespace"] = ns
    elif depends_on:
        seq = CommentedSeq()
        for dep, ns, note in depends_on:
            entry = CommentedMap(name=dep)
            if ns and ns != FLUX_NS:
                entry["namespace"] = ns
            seq.append(entry)
            if note:
                add_review(entry, "namespace" if "namespace" in entry else "name", note, notes)
        if "dependsOn" in spec:
            spec["dependsOn"] = seq
        else:
            spec.insert(0, "dependsOn", seq)
    else:
        spec.pop("dependsOn", None)
    if patches:
        seq = CommentedSeq()
        for target, patch_text in patches:
            seq.append(to_commented({"patch": LiteralScalarString(patch_text), "target": target}))
        spec["patches"] = seq
    if env_note:
        add_review(meta, "name", env_note, notes)
    return _rendered(data, notes)


def helm_release_patch(name: str, namespace: str, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A Flux ``patches`` entry (target, patch text) that sets ``values`` on HelmRelease ``name``."""
    doc = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"values": values},
    }
    target = {"kind": "HelmRelease", "name": name, "namespace": namespace}
    return target, yamlio.dump_plain(to_commented(doc))
