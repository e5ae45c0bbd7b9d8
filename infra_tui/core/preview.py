"""The wizard's preview model: what one edit recomputes (plan, graph, diff, summary), and whether
the plan on screen can be written. No Textual here.

``compute(repo, fields, env)`` runs in a worker thread on every edit; it must stay cheap (budget
in DESIGN.md: p95 under one frame on a 300-component repo). The plan comes from
``core.scaffold.plan`` (imported in the worker: it pulls in ruamel.yaml, which the first frame does
not need); the graph from ``core.graph.build`` with the plan's Kustomizations added.
``write_blocker`` is the one answer to "can we write?" for the Write button and ctrl+s; its plan
half, ``plan_blocker``, answers it for ``infra-tui new/edit/lint --fix`` too, in the same words.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from infra_tui.core import diff as diff_mod
from infra_tui.core import graph as graph_mod
from infra_tui.core import layout
from infra_tui.core import spec as spec_mod
from infra_tui.core import summary as summary_mod
from infra_tui.core.model import (
    ChangePlan,
    DependsOn,
    Env,
    FluxKustomization,
    Repo,
    flux_id,
)


@dataclass
class FileDiff:
    """One file of the plan, as the diff view shows it."""

    path: str
    created: bool
    diff: str  # unified diff text
    added: int = 0
    removed: int = 0


@dataclass(repr=False)  # messages carry it; Textual may repr messages, and a graph repr is big
class Preview:
    """Everything the preview pane shows for one state of the form."""

    fields: dict[str, Any]
    graph: graph_mod.Graph
    plan: ChangePlan | None = None
    new_ids: list[str] = field(default_factory=list)
    inferred: dict[str, str] = field(default_factory=dict)  # dependency id -> reason kind
    diffs: list[FileDiff] = field(default_factory=list)
    summary: str = ""
    problems: list[str] = field(default_factory=list)  # why the plan cannot be written
    elapsed: float = 0.0

    @property
    def writable(self) -> bool:
        """The plan may be written: no refusal, no other problem, and it changes something."""
        return plan_blocker(self.plan, self.problems) is None


def plan_blocker(plan: ChangePlan | None, problems: Sequence[str] | None = None) -> str | None:
    """Why ``plan`` cannot be written, or None when it can: it was refused, something else stops it
    (``problems``; default: the plan's refusals), or it changes nothing. The CLI asks this; the
    wizard asks it through ``write_blocker``, so both refuse a plan in the same words."""
    if problems is None:
        problems = plan.refusals if plan is not None else []
    if plan is not None and plan.ok and plan.files and not problems:
        return None
    return "the plan cannot be written: " + "; ".join(problems or ["it changes nothing"])


def write_blocker(
    fields: Mapping[str, Any],
    errors: Mapping[str, str],
    missing: Sequence[str],
    preview: Preview | None,
) -> str | None:
    """Why the wizard's plan cannot be written now, or None when it can: the form's fields and
    their errors, what is still missing, and the preview of exactly these fields (None while it is
    being computed)."""
    if not fields.get("name"):
        return "nothing to write yet: fill in the wizard"
    if errors:
        return "fix the fields marked ✗ first: " + ", ".join(errors)
    if missing:
        return "still needed: " + ", ".join(missing)
    if preview is None or preview.fields != fields:
        return "the preview is still being computed; try again"
    return plan_blocker(preview.plan, preview.problems)


def _placement_kustomizations(plan: ChangePlan, env: str) -> list[FluxKustomization]:
    """The plan's Kustomizations as graph nodes (from its placement)."""
    out = []
    for p in plan.placement:
        if p.env and p.env != env:
            continue
        ns, _, name = flux_id(p.name).partition("/")
        out.append(
            FluxKustomization(
                name=name,
                namespace=ns,
                file=layout.env_file(env),
                line=0,
                api_version="kustomize.toolkit.fluxcd.io/v1",
                env=env,
                path=f"./{layout.component_dir(name)}",
                depends_on=[DependsOn(flux_id(d), 0) for d in p.depends_on],
            )
        )
    return out


def make_spec(fields: dict[str, Any]) -> spec_mod.ComponentSpec:
    """The form's fields (DESIGN.md "Component spec" shape) as a ComponentSpec."""
    return spec_mod.parse(fields)


def compute(repo: Repo, fields: dict[str, Any] | None, env: str | None = None) -> Preview:
    """Plan + graph + diff + summary for the form's current fields."""
    t0 = time.perf_counter()
    env_name = env or repo.primary_env
    base_env = repo.env(env_name)
    if not fields or not fields.get("name"):
        return Preview(fields or {}, graph_mod.build(base_env), elapsed=time.perf_counter() - t0)
    from infra_tui.core import scaffold  # in the worker: it imports ruamel.yaml

    try:
        plan = scaffold.plan(repo, make_spec(fields), env=env_name)
    except Exception as exc:  # a half-typed spec must never crash the preview
        g = graph_mod.build(base_env)
        return Preview(
            fields, g, problems=[f"{exc.__class__.__name__}: {exc}"], elapsed=time.perf_counter() - t0
        )
    return from_plan(repo, plan, fields, env_name, t0=t0)


def env_with_plan(base_env: Env, plan: ChangePlan, removed: Sequence[str] = ()) -> tuple[Env, list[str]]:
    """``base_env`` as the plan leaves it: the dependsOn of the Kustomizations it places replaced,
    the ones it adds appended, ``removed`` ids dropped. Also the ids that are new."""
    placed = {k.id: k for k in _placement_kustomizations(plan, base_env.name)}
    gone = set(removed)
    kss = []
    for k in base_env.kustomizations:
        if k.id in gone:
            continue
        p = placed.pop(k.id, None)
        changed = p is not None and p.depends_on_ids != k.depends_on_ids
        kss.append(replace(k, depends_on=p.depends_on) if changed and p is not None else k)
    new = list(placed.values())
    env = Env(base_env.name, kss + new, list(base_env.files), set(base_env.helmrelease_ids))
    return env, [k.id for k in new]


def from_plan(
    repo: Repo,
    plan: ChangePlan,
    fields: dict[str, Any],
    env: str | None = None,
    *,
    removed: Sequence[str] = (),
    t0: float | None = None,
) -> Preview:
    """The preview of any plan (new, edit, fix, remove): the graph as the plan leaves the env, the
    diff of every file, the summary, and why it cannot be written."""
    t0 = time.perf_counter() if t0 is None else t0
    env_name = env or repo.primary_env
    base = repo.env(env_name)
    after, new_ids = env_with_plan(base, plan, removed)
    same = all(a is b for a, b in zip(after.kustomizations, base.kustomizations, strict=False))
    g = plan.graphs.get(env_name) if not removed else None  # the planner's, when it built one
    if g is None:
        g = (
            graph_mod.of_env(base)
            if same and len(after.kustomizations) == len(base.kustomizations)
            else graph_mod.build(after)
        )
    inferred: dict[str, str] = {}
    for p in plan.placement:
        for dep, reason in (p.inferred or {}).items():
            if reason != "added":  # edit marks explicit additions "added": not an inference
                inferred.setdefault(flux_id(dep), reason)
    diffs = []
    for fc in plan.files:
        text = diff_mod.unified(fc, context=5 if fc.path.endswith("infrastructure.yaml") else 3)
        diffs.append(FileDiff(fc.path, fc.created, text, *diff_mod.stat(fc)))
    summary = summary_mod.to_markdown(plan) if plan.files else ""
    return Preview(
        fields,
        g,
        plan=plan,
        new_ids=new_ids,
        inferred=inferred,
        diffs=diffs,
        summary=summary,
        problems=list(plan.refusals),
        elapsed=time.perf_counter() - t0,
    )


def compute_edit(repo: Repo, fields: dict[str, Any] | None, env: str | None = None) -> Preview:
    """The edit screen's preview: ``fields`` is ``{"component": NAME, "edit": EDIT SPEC MAPPING}``
    (DESIGN.md "edit spec" keys); an empty edit shows the env as it is."""
    t0 = time.perf_counter()
    env_name = env or repo.primary_env
    fields = fields or {}
    edit = fields.get("edit") or {}
    if not fields.get("component") or not edit:
        return Preview(fields, graph_mod.of_env(repo.env(env_name)), elapsed=time.perf_counter() - t0)
    from infra_tui.core import edit as edit_mod  # in the worker: it imports ruamel.yaml

    try:
        plan = edit_mod.plan_edit(repo, fields["component"], spec_mod.parse_edit(edit, fields["component"]))
    except Exception as exc:  # a half-typed edit must never crash the preview
        return Preview(
            fields,
            graph_mod.build(repo.env(env_name)),
            problems=[f"{exc.__class__.__name__}: {exc}"],
            elapsed=time.perf_counter() - t0,
        )
    return from_plan(repo, plan, fields, env_name, t0=t0)
