"""``.infra-tui.learned.yaml``: the learned facts written as a commented file a person reviews in
Git (``render_file``), and read back (``read_file``; bad content is one ``UserError`` line)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra_tui.core.learn_facts import Evidence, Learned, ProviderFact, WebhookFact
from infra_tui.core.model import short_name
from infra_tui.errors import UserError

LEARNED_FILE = ".infra-tui.learned.yaml"
FORMAT_VERSION = 1


def _flow(items: Iterable[Any]) -> str:
    return "[" + ", ".join(yaml_scalar(i) for i in items) + "]"


def yaml_scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    dumped = yaml.safe_dump(s, default_flow_style=True, width=10_000).strip()
    return dumped.removesuffix("\n...").removesuffix("...").strip()


def render_file(learned: Learned) -> str:
    """The commented ``.infra-tui.learned.yaml`` for ``learned``."""
    out = [
        "# What infra-tui learned from this repo (`infra-tui learn --write`). Review it like code:",
        "# delete a fact that is wrong, set `confirmed: true` on bootstrap_provided groups that really",
        "# are installed before Flux. Every command reads this file while `inputs_hash` matches the repo;",
        "# `.infra-tui.yaml` (rules: crd_providers, bootstrap_provided) overrides it.",
        f"version: {FORMAT_VERSION}",
        f"env: {yaml_scalar(learned.env)}",
        f"inputs_hash: {yaml_scalar(learned.inputs_hash)}",
        "",
        "# Which Kustomization installs the CRDs of each API group (lint's crd-dependency, new's dependsOn).",
        "providers:" + (" []" if not learned.providers else ""),
    ]
    for p in learned.providers:
        out += [
            f"  # {short_name(p.provider)} provides {', '.join(p.groups)}: {p.via}, seen {p.count}x",
            f"  - provider: {yaml_scalar(p.provider)}",
            f"    groups: {_flow(p.groups)}",
            f"    kinds: {_flow(p.kinds)}",
            f"    via: {yaml_scalar(p.via)}",
            f"    evidence: {_flow(str(e) for e in p.evidence)}",
        ]
    out += [
        "",
        "# CRD groups used here that no Kustomization provides.",
        "bootstrap_provided:" + (" []" if not learned.bootstrap_provided else ""),
    ]
    for b in learned.bootstrap_provided:
        out += [
            f"  # REVIEW: {b.group} is used by {len(b.used_by)} Kustomization(s) ({b.count} objects) and provided by none;"
            " installed before Flux? then set confirmed: true (lint stops flagging it), else add its provider",
            f"  - group: {yaml_scalar(b.group)}",
            f"    kinds: {_flow(b.kinds)}",
            f"    used_by: {_flow(b.used_by)}",
            f"    evidence: {_flow(str(e) for e in b.evidence)}",
            f"    confirmed: {yaml_scalar(b.confirmed)}",
        ]
    out += [
        "",
        "# Components that register admission webhooks (they get the allow-k8s-api CiliumNetworkPolicy).",
        "webhooks:" + (" []" if not learned.webhooks else ""),
    ]
    for w in learned.webhooks:
        out += [
            f"  - component: {yaml_scalar(w.component)}",
            f"    via: {yaml_scalar(w.via)}",
            f"    intercepts: {yaml_scalar(w.intercepts)}",
            f"    chart: {yaml_scalar(w.chart)}",
            f"    evidence: {_flow(str(e) for e in w.evidence)}",
        ]
    out += [
        "",
        "# House style: the majority value of each key (count of total), where it was seen.",
        "style:" + (" {}" if not learned.style else ""),
    ]
    for s in learned.style:
        out += [
            f"  # {s.count} of {s.total}" + (f"; {s.detail}" if s.detail else ""),
            f"  {s.key}: {{value: {yaml_scalar(s.value)}, count: {s.count}, of: {s.total}, evidence: {_flow(str(e) for e in s.evidence[:5])}}}",
        ]
    out += [
        "",
        "# Resources and replicas per HelmRelease: models for similar services.",
        "services:" + (" []" if not learned.services else ""),
    ]
    for sv in learned.services:
        out += [
            f"  - component: {yaml_scalar(sv.component)}",
            f"    release: {yaml_scalar(sv.release)}",
            f"    chart: {yaml_scalar(sv.chart)}",
            f"    family: {yaml_scalar(sv.family)}",
            f"    evidence: {yaml_scalar(str(sv.evidence))}",
        ]
        if sv.replicas:
            out.append("    replicas:")
            out += [
                f"      - {{path: {yaml_scalar(v.path)}, value: {v.value}, evidence: {yaml_scalar(str(v.evidence))}}}"
                for v in sv.replicas
            ]
        if sv.resources:
            out.append("    resources:")
            out += [
                f"      - {{path: {yaml_scalar(v.path)}, evidence: {yaml_scalar(str(v.evidence))}, value: {_inline(v.value)}}}"
                for v in sv.resources
            ]
    if learned.notes:
        out += ["", "# Charts that could install CRDs but are told not to here.", "notes:"]
        out += [f"  - {yaml_scalar(n)}" for n in learned.notes]
    return "\n".join(out) + "\n"


def _inline(v: Any) -> str:
    return yaml.safe_dump(v, default_flow_style=True, width=10_000).strip()


@dataclass
class LearnedFile:
    """``.infra-tui.learned.yaml`` as read back."""

    path: Path
    env: str
    inputs_hash: str
    providers: list[ProviderFact]
    confirmed: set[str]  # groups and kinds confirmed bootstrap-provided
    webhooks: list[WebhookFact]
    stale: bool = False


def _evidence(items: Any) -> list[Evidence]:
    out = []
    for item in items or []:
        file, _, line = str(item).rpartition(":")
        out.append(Evidence(file, int(line)) if line.isdigit() else Evidence(str(item), 0))
    return out


def read_file(root: Path) -> LearnedFile | None:
    """The repo's learned file, or None. Bad content: ``UserError`` naming the file and line."""
    path = Path(root) / LEARNED_FILE
    if not path.is_file():
        return None
    rel = LEARNED_FILE
    try:
        data = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"cannot read ({exc.__class__.__name__}); fix or delete it and run infra-tui learn --write",
            file=rel,
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UserError(
            f"not valid YAML ({getattr(exc, 'problem', exc)}); fix it or run infra-tui learn --write",
            file=rel,
            line=mark.line + 1 if mark else None,
        ) from exc
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise UserError(
            f"not a version {FORMAT_VERSION} learned file; run infra-tui learn --write to make it again",
            file=rel,
        )
    try:
        provs = [
            ProviderFact(
                str(p["provider"]),
                [str(g) for g in p.get("groups") or []],
                [str(k) for k in p.get("kinds") or []],
                str(p.get("via", "")),
                _evidence(p.get("evidence")),
            )
            for p in data.get("providers") or []
        ]
        confirmed: set[str] = set()
        for b in data.get("bootstrap_provided") or []:
            if b.get("confirmed") is True:
                confirmed.add(str(b["group"]))
        hooks = [
            WebhookFact(
                str(w["component"]),
                str(w.get("via", "")),
                bool(w.get("intercepts")),
                _evidence(w.get("evidence")),
                str(w["chart"]) if w.get("chart") else None,
            )
            for w in data.get("webhooks") or []
        ]
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise UserError(
            f"an entry lacks a field or has the wrong shape ({exc}); fix it or run infra-tui learn --write",
            file=rel,
        ) from exc
    return LearnedFile(
        path, str(data.get("env", "")), str(data.get("inputs_hash", "")), provs, confirmed, hooks
    )
