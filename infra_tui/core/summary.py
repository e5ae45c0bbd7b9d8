"""What a ``ChangePlan`` does, for people (Markdown in the brief's output format) and for machines
(the "new / edit" JSON of DESIGN.md). Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import json
from typing import Any

from infra_tui.core.diff import stat
from infra_tui.core.model import ChangePlan, FileChange, Placement, short_name

RECREATE_BLOCK = """\
[infra-tui] ⚠️ CLUSTER RECREATE REQUIRED
Changes to bootstrap ordering and resource dependencies require a fresh cluster bootstrap.
Run: vagrant destroy && vagrant up
The new configuration will bootstrap cleanly."""

PASS, FAIL, SKIP, WAIT = "✅ PASS", "❌ FAIL", "⏭️ SKIPPED", "⏳ not run yet"


def _deleted(f: FileChange) -> bool:
    return bool(getattr(f, "deleted", False))


def deleted(plan: ChangePlan) -> list[str]:
    return [f.path for f in plan.files if _deleted(f)]


def modified(plan: ChangePlan) -> list[str]:
    return [f.path for f in plan.files if not f.created and not _deleted(f)]


def _dep_names(p: Placement) -> str:
    return ", ".join(short_name(d) for d in p.depends_on) or "nothing"


def placement_line(p: Placement, with_env: bool) -> str:
    env = f" in {p.env}" if with_env and p.env else ""
    return f"`{p.name}` → Layer {p.layer} (depends on: {_dep_names(p)}){env}"


def _modified_note(plan: ChangePlan, path: str, before: str | None) -> str:
    """What happened to a modified file, in words (infrastructure.yaml: which Kustomizations)."""
    env = path.split("/")[1] if path.startswith("clusters/") and path.count("/") >= 2 else None
    names = [p.name for p in plan.placement if env and p.env == env]
    added = [n for n in names if before is not None and f"name: {n}\n" not in before]
    changed = [n for n in names if n not in added]
    parts = []
    if added:
        parts.append(
            ("Added Flux Kustomization " if len(added) == 1 else "Added Flux Kustomizations ")
            + ", ".join(f"`{n}`" for n in added)
            + " with dependencies"
        )
    if changed:
        parts.append(
            ("Changed Flux Kustomization " if len(changed) == 1 else "Changed Flux Kustomizations ")
            + ", ".join(f"`{n}`" for n in changed)
        )
    return "; ".join(parts)


def _is_new(plan: ChangePlan, p: Placement) -> bool:
    before = next((f.before for f in plan.files if f.path == f"clusters/{p.env}/infrastructure.yaml"), None)
    return before is None or f"name: {p.name}\n" not in before


def recreate_lines(plan: ChangePlan) -> list[str]:
    """YES with the reason and the brief's block, or NO and why not."""
    if plan.recreate_required:
        return [
            f"- YES: {plan.recreate_reason or 'structural change to a deployed component'}",
            "",
            "```",
            RECREATE_BLOCK,
            "```",
        ]
    new = list(dict.fromkeys(p.name for p in plan.placement if _is_new(plan, p)))
    if new and len(new) == len({p.name for p in plan.placement}):
        why = (
            "this plan only adds new Kustomizations ("
            + ", ".join(new)
            + "); nothing already deployed changes its "
            "order or content, so Flux reconciles them on the running cluster"
        )
    else:
        why = (
            "no dependsOn of a deployed Kustomization changes, no monitoring is split out of a deployed component "
            "and no CRD instance moves between Kustomizations; Flux reconciles the change in place"
        )
    return [f"- NO: {why}"]


def validation_lines(plan: ChangePlan) -> list[str]:
    v = plan.validation
    if not v:
        names = ", ".join(sorted({p.name for p in plan.placement})) or "COMPONENT"
        return [
            f"- YAML syntax: {WAIT} (`infra-tui validate {names.split(', ')[0]}` after --write)",
            f"- Kustomize build: {WAIT}",
        ]
    if v.skipped:
        return [f"- {SKIP}: {v.skipped}"]
    out: list[str] = []
    for r in v.results:
        comp = r.component
        build = r.build
        out.append(
            f"- Kustomize build `{comp}`: {PASS if build == 'pass' else FAIL}"
            + (f" ({r.detail})" if build != "pass" and r.detail else "")
        )
        dry = r.dry_run
        label = {
            "pass": PASS,
            "fail": FAIL,
            "skipped": SKIP,
            "expected-missing-crd": f"{PASS} (CRD not installed yet; a dependency provides it)",
        }.get(str(dry), str(dry))
        out.append(
            f"- YAML syntax / dry-run `{comp}`: {label}"
            + (f" ({r.detail})" if dry == "fail" and r.detail else "")
        )
    return out or [f"- {SKIP}: nothing to validate"]


def assumption_lines(plan: ChangePlan) -> list[str]:
    """The REVIEW assumptions: the house's first, then what was learned from the repo (with where),
    then the generated values that stayed the house default because the repo teaches nothing."""
    learned = set(plan.learned)
    lines = [f"- {a}" for a in plan.assumptions if a not in learned]
    taught = [a for a in plan.assumptions if a in learned]
    if taught:
        lines.append("- Learned from this repo:")
        lines += [f"  - {a}" for a in taught]
    if plan.house_defaults:
        lines.append("- House defaults (nothing in this repo to learn them from):")
        lines += [f"  - {a}" for a in plan.house_defaults]
    return lines or ["- none: every value was stated"]


def to_markdown(plan: ChangePlan) -> str:
    """The brief's "Infrastructure Implementation Complete" summary (or why the plan was refused)."""
    if plan.refusals:
        lines = ["## Infrastructure Implementation Refused", "", "Nothing was written.", "", "### Why"]
        lines += [f"- {r}" for r in plan.refusals]
        if plan.warnings:
            lines += ["", "### Warnings"] + [f"- {w}" for w in plan.warnings]
        return "\n".join(lines) + "\n"
    lines = ["## Infrastructure Implementation Complete", ""]
    lines.append("### Files Created")
    lines += [f"- `{p}`" for p in plan.created] or ["- none"]
    lines += ["", "### Files Modified"]
    if modified(plan):
        for f in plan.files:
            if f.created or _deleted(f):
                continue
            note = _modified_note(plan, f.path, f.before)
            added, removed = stat(f)
            lines.append(f"- `{f.path}`" + (f" - {note}" if note else "") + f" (+{added} -{removed})")
    else:
        lines.append("- none")
    if deleted(plan):
        lines += ["", "### Files Deleted"] + [f"- `{p}`" for p in deleted(plan)]
    lines += ["", "### Bootstrap Layer Placement"]
    envs = {p.env for p in plan.placement}
    lines += [f"- {placement_line(p, len(envs) > 1)}" for p in plan.placement] or [
        "- no Kustomization added or changed"
    ]
    inferred = [(p, dep, why) for p in plan.placement for dep, why in p.inferred.items()]
    seen: set[tuple[str, str]] = set()
    for p, dep, why in inferred:
        if (p.name, dep) in seen:
            continue
        seen.add((p.name, dep))
        lines.append(f"  - `{p.name}` → `{short_name(dep)}`: {why}")
    lines += ["", "### Assumptions Made (REVIEW)"] + assumption_lines(plan)
    if plan.warnings:
        lines += ["", "### Warnings"] + [f"- {w}" for w in plan.warnings]
    lines += ["", "### Cluster Recreate Required?"] + recreate_lines(plan)
    lines += ["", "### Validation Results"] + validation_lines(plan)
    return "\n".join(lines) + "\n"


def to_dict(plan: ChangePlan) -> dict[str, Any]:
    """DESIGN.md "new / edit" JSON (plus ``refusals`` and ``warnings``)."""
    return {
        "created": plan.created,
        "modified": modified(plan),
        "deleted": deleted(plan),
        "placement": [
            {
                "name": p.name,
                "layer": p.layer,
                "dependsOn": list(p.depends_on),
                "env": p.env,
                "inferred": dict(p.inferred),
            }
            for p in plan.placement
        ],
        "assumptions": list(plan.assumptions),
        "learned": list(plan.learned),
        "house_defaults": list(plan.house_defaults),
        "recreate_required": plan.recreate_required,
        "recreate_reason": plan.recreate_reason,
        "findings": [f.to_dict() for f in plan.findings],
        "validation": plan.validation.to_json() if plan.validation is not None else None,
        "refusals": list(plan.refusals),
        "warnings": list(plan.warnings),
    }


def to_json(plan: ChangePlan) -> str:
    return json.dumps(to_dict(plan), indent=2, ensure_ascii=False) + "\n"
