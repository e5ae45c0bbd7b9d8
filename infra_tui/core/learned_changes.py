"""An edit's or a fix's plan in the repo's own style: what ``core.learn`` learned, applied to
what ``edit.plan_edit`` and ``fix.plan_fixes`` create or add.

``apply(plan, repo, envs)`` runs once at the end of both planners (``edit.finish_plan``):

* files the plan creates (a monitoring split, a CiliumNetworkPolicy, ...) and Flux Kustomizations it
  appends are restyled as ``core.learned_style`` restyles a new component's (intervals, timeouts,
  quoting, list indentation), each changed line with a REVIEW naming where the value was learned;
* in files it changes, only the lines it adds are restyled: every other byte stays;
* an inferred dependsOn reads "Placed after X in bootstrap order: ...; learned: <how X provides the
  CRD> at <file:line>"; a ``lint --fix`` dependsOn names the learned provider fact the same way;
* the plan's ``learned`` and ``house_defaults`` say what came from the repo and what stayed the
  house default.

``monitoring_providers`` is what a ``-monitoring`` split depends on besides its parent: the house's
``monitoring`` and the Kustomization the repo's PrometheusRule/ServiceMonitor CRDs come from.

Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import difflib
import re

from infra_tui.core import diff, learn, learned_style
from infra_tui.core import rules as rules_mod
from infra_tui.core.model import ChangePlan, Env, FileChange, FluxKustomization, Repo, short_name

_FIX_PROVIDER = re.compile(r"# REVIEW: lint --fix: (\S+) provides the CRD of .*$")
_FIX_NOTE = re.compile(r"^\S+: dependsOn (\S+) added \(crd-dependency\)$")


def apply(plan: ChangePlan, repo: Repo, envs: list[str]) -> None:
    """Restyle what ``plan`` (an edit's or a fix's) creates or adds; see the module doc."""
    if not plan.ok or not plan.files or not repo.envs:
        return
    learned = learn.cached(repo, envs[0] if envs else None)
    style = {s.key: s for s in learned.style}
    notes: list[str] = []
    house: list[str] = []
    for i, change in enumerate(plan.files):
        if getattr(change, "deleted", False):
            continue
        before, after = change.before, change.after
        if before is None:
            new = learned_style.restyle(after, style, notes, path=change.path, house=house)
        elif after.startswith(before) and before.endswith("\n"):
            tail = learned_style.restyle(after[len(before) :], style, notes, path=change.path, house=house)
            new = before + tail
        else:
            only = added_lines(before, after)
            if not only:
                continue
            new = learned_style.restyle(after, style, notes, path=change.path, house=house, only=only)
        new = _fix_sources(learned_style.placement_comments(new, learned), learned)
        if new != after:
            plan.files[i] = FileChange(change.path, before, new)
    plan.assumptions = list(
        dict.fromkeys(
            [_note_source(learned_style.placement_note(a, learned), learned) for a in plan.assumptions]
            + notes
        )
    )
    plan.learned = list(dict.fromkeys([a for a in plan.assumptions if "; learned: " in a] + notes))
    plan.house_defaults = list(dict.fromkeys(house))


def added_lines(before: str, after: str) -> set[int]:
    """0-based numbers of the lines of ``after`` (split at newlines) that ``before`` does not have
    (inserted or replaced); the common head and tail are cut on the characters first
    (``diff.trim_at_newlines``), so a local edit of a large file splits only the changed region."""
    # with a newline appended, each line of text.split("\n") is a newline-ended line
    a, b = before + "\n", after + "\n"
    head_end, head, ta, tb = diff.trim_at_newlines(a, b)
    mid_a, mid_b = a[head_end:ta].split("\n")[:-1], b[head_end:tb].split("\n")[:-1]
    out: set[int] = set()
    matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            out.update(range(head + j1, head + j2))
    return out


def _fix_sources(text: str, learned: learn.Learned) -> str:
    """``lint --fix``'s "X provides the CRD of ..." REVIEWs, with where X was learned as provider."""
    if "# REVIEW: lint --fix: " not in text:
        return text
    lines = text.split("\n")
    for n, line in enumerate(lines):
        m = _FIX_PROVIDER.search(line)
        if m and "; learned: " not in line:
            lines[n] = line + learned_style.provider_source(m.group(1), learned)
    return "\n".join(lines)


def _note_source(note: str, learned: learn.Learned) -> str:
    """A fix's "X: dependsOn Y added (crd-dependency)" note, naming where Y was learned as provider."""
    m = _FIX_NOTE.search(note)
    return note + learned_style.provider_source(m.group(1), learned) if m else note


def monitoring_providers(rules: rules_mod.Rules, env: Env) -> list[FluxKustomization]:
    """What a ``-monitoring`` split depends on besides its parent: the house's monitoring
    Kustomization, and the one the repo's PrometheusRule/ServiceMonitor CRDs come from when the
    repo gives it another name (e.g. ``prometheus-operator-crds``), learned."""
    out: list[FluxKustomization] = []
    by_id = env.by_id()
    names = [rules.monitoring_provider] + [
        p for kind in sorted(rules.monitoring_kinds) for p in rules.providers_for(kind)[:1]
    ]
    for name in names:
        found = by_id.get(name) if "/" in name else env.find(name)
        if found is not None and found not in out:
            out.append(found)
    return out


def monitoring_note(provider: FluxKustomization, rules: rules_mod.Rules, kinds: list[str]) -> str | None:
    """The REVIEW of a split's dependsOn on ``provider``: None for the house's own monitoring."""
    if provider.name == rules.monitoring_provider:
        return None
    return f"dependsOn {short_name(provider.id)} inferred: {', '.join(kinds)} needs its CRDs"
