"""What a repo teaches: CRD providers, webhook components, house style and similar services.

``providers(repo, env)`` is the cheap part every lint needs (no disk reads: the loaded model only);
``learn(repo, env)`` adds the house style and per-component resources/replicas, with the line of
every value (it reads the files again for key lines, list indentation and quoting).

Every fact carries its evidence (``file:line``) and a count. ``render_file`` writes them as the
commented ``.infra-tui.learned.yaml`` a person reviews in Git; ``read_file`` reads it back, and
``effective(repo, env)`` is what the other commands use: the file's facts while it is fresh (the
inputs' content hash matches), else the facts derived now, plus the bootstrap-provided groups the
file (or ``.infra-tui.yaml`` ``rules: bootstrap_provided``) confirms.

The parts live beside it: ``learn_facts`` (the facts), ``charts`` (the chart table, which chart a
HelmRelease installs), ``crd_providers``, ``house_style``, ``similar_services`` and
``learned_file``; their public names stay importable from here. Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from infra_tui.core import rules as rules_mod
from infra_tui.core.charts import ChartInfo, ChartRef, ChartTable, chart_of, chart_table, repo_sources
from infra_tui.core.crd_providers import WEBHOOK_KINDS, bootstrap_provided, providers, used_groups
from infra_tui.core.house_style import (
    EVIDENCE_KEPT,
    HR_STYLE,
    KS_STYLE,
    REPO_STYLE,
    RepoText,
    repo_kustomization_names,
    style,
)
from infra_tui.core.learn_facts import (
    BootstrapFact,
    Evidence,
    Learned,
    ProviderFact,
    ServiceFact,
    StyleFact,
    ValueFact,
    WebhookFact,
)
from infra_tui.core.learned_file import (
    FORMAT_VERSION,
    LEARNED_FILE,
    LearnedFile,
    read_file,
    render_file,
    yaml_scalar,
)
from infra_tui.core.model import Repo, short_name
from infra_tui.core.similar_services import REPLICA_KEYS, most_similar, services
from infra_tui.errors import UserError

# The public names of the facts' modules stay importable from here (``learn.StyleFact``...).
__all__ = [
    "BUILTIN_GROUPS",
    "EVIDENCE_KEPT",
    "FORMAT_VERSION",
    "HR_STYLE",
    "KS_STYLE",
    "LEARNED_FILE",
    "REPLICA_KEYS",
    "REPO_STYLE",
    "WEBHOOK_KINDS",
    "BootstrapFact",
    "ChartInfo",
    "ChartRef",
    "ChartTable",
    "Effective",
    "Evidence",
    "Learned",
    "LearnedFile",
    "ProviderFact",
    "ServiceFact",
    "StyleFact",
    "ValueFact",
    "WebhookFact",
    "apply_to_rules",
    "bootstrap_provided",
    "cached",
    "chart_of",
    "chart_table",
    "confirmed_bootstrap",
    "effective",
    "input_files",
    "inputs_hash",
    "is_builtin_group",
    "learn",
    "most_similar",
    "providers",
    "read_file",
    "render_file",
    "repo_kustomization_names",
    "services",
    "stale_notice",
    "style",
    "to_dict",
    "to_text",
    "used_groups",
]

BUILTIN_GROUPS = rules_mod.BUILTIN_GROUPS
is_builtin_group = rules_mod.is_builtin_group


# --------------------------------------------------------------------------- the whole lesson


def input_files(repo: Repo) -> list[str]:
    """Every file the facts are derived from (repo-relative), sorted."""
    files: set[str] = set()
    for env in repo.envs.values():
        files.update(env.files)
        files.update(k.file for k in env.kustomizations)
    for comp in repo.components.values():
        files.update(comp.files)
        for name in repo_kustomization_names():
            if (repo.root / comp.dir / name).is_file():
                files.add(f"{comp.dir}/{name}")
    return sorted(files)


def inputs_hash(repo: Repo) -> str:
    h = hashlib.sha256()
    for rel in input_files(repo):
        h.update(rel.encode() + b"\0")
        try:
            with open(os.path.join(repo.root, rel), "rb") as fh:
                h.update(fh.read())
        except OSError:
            h.update(b"\1missing")
        h.update(b"\0")
    return "sha256:" + h.hexdigest()


def learn(repo: Repo, env_name: str | None = None, *, with_hash: bool = True) -> Learned:
    """Every fact of one env (the primary one by default), with evidence; ``with_hash``: and the
    content hash of the inputs (for the learned file)."""
    env = repo.env(env_name)
    rules = rules_mod.rules_from_tables(
        rules_mod.merge_tables(rules_mod.default_tables(), _settings_rules(repo))
    )
    facts, hooks, notes = providers(repo, env.name)
    text = RepoText(repo.root)
    sources = repo_sources(repo)
    out = Learned(
        env.name,
        inputs_hash(repo) if with_hash else "",
        facts,
        bootstrap_provided(repo, env.name, facts, rules),
        hooks,
        style(repo, env.name, text, sources),
        services(repo, env.name, text, sources),
        notes,
    )
    confirmed = confirmed_bootstrap(repo)
    for b in out.bootstrap_provided:
        b.confirmed = b.group in confirmed or any(k in confirmed for k in b.kinds)
    return out


def _settings_rules(repo: Repo) -> dict[str, Any] | None:
    settings = getattr(repo, "settings", None)
    return getattr(settings, "rules", None) if settings is not None else None


def confirmed_bootstrap(repo: Repo) -> set[str]:
    """Groups / kinds confirmed as installed before Flux: the learned file's and .infra-tui.yaml's."""
    out: set[str] = set()
    extra = _settings_rules(repo) or {}
    out.update(str(x) for x in extra.get("bootstrap_provided") or [])
    try:
        lf = _learned_file(repo)
    except UserError:
        lf = None
    if lf is not None:
        out |= lf.confirmed
    return out


_FILES: dict[int, tuple[Repo, LearnedFile | None]] = {}


def _learned_file(repo: Repo) -> LearnedFile | None:
    """The repo's learned file, read once per repo object."""
    hit = _FILES.get(id(repo))
    if hit is not None and hit[0] is repo:
        return hit[1]
    lf = read_file(repo.root)
    if len(_FILES) > 8:
        _FILES.clear()
    _FILES[id(repo)] = (repo, lf)
    return lf


def stale_notice(repo: Repo) -> str | None:
    """One line when the learned file no longer matches the repo (None when fresh or absent)."""
    lf = _learned_file(repo)
    if lf is None:
        return None
    if lf.inputs_hash != _hash_once(repo):
        lf.stale = True
        return f"{LEARNED_FILE} is stale (the repo changed since it was written); run `infra-tui learn --write` and review the diff"
    return None


@dataclass(frozen=True)
class Effective:
    """What lint and the planners use: provider ids per group and per kind, webhook components,
    and confirmed bootstrap-provided groups/kinds."""

    groups: dict[str, tuple[str, ...]]
    kinds: dict[str, tuple[str, ...]]
    webhooks: tuple[WebhookFact, ...]
    bootstrap: frozenset[str]
    source: str  # "file" | "derived"


_EFFECTIVE: dict[tuple[int, str], tuple[Repo, Effective]] = {}


def effective(repo: Repo, env_name: str | None = None) -> Effective:
    """The facts lint and the planners use for one env: the learned file's while it is fresh and
    about this env, else derived now; cached per repo object."""
    env = repo.env(env_name)
    key = (id(repo), env.name)
    hit = _EFFECTIVE.get(key)
    if hit is not None and hit[0] is repo:
        return hit[1]
    try:
        lf = _learned_file(repo)
    except UserError:  # reported by the command that loaded the repo (stale_notice); derive instead
        lf = None
    use_file = lf is not None and lf.env == env.name and not lf.stale and lf.inputs_hash == _hash_once(repo)
    if use_file:
        assert lf is not None
        facts, hooks, source = lf.providers, lf.webhooks, "file"
    else:
        facts, hooks, _ = providers(repo, env.name)
        source = "derived"
    groups: dict[str, list[str]] = {}
    kinds: dict[str, list[str]] = {}
    for f in facts:
        for index, names in ((groups, f.groups), (kinds, f.kinds)):
            for n in names:
                ids = index.setdefault(n, [])
                if f.provider not in ids:
                    ids.append(f.provider)
    eff = Effective(
        {g: tuple(v) for g, v in groups.items()},
        {k: tuple(v) for k, v in kinds.items()},
        tuple(hooks),
        frozenset(confirmed_bootstrap(repo)),
        source,
    )
    if len(_EFFECTIVE) > 8:
        _EFFECTIVE.clear()
    _EFFECTIVE[key] = (repo, eff)
    return eff


_HASHES: dict[int, tuple[Repo, str]] = {}


def _hash_once(repo: Repo) -> str:
    hit = _HASHES.get(id(repo))
    if hit is not None and hit[0] is repo:
        return hit[1]
    digest = inputs_hash(repo)
    if len(_HASHES) > 8:
        _HASHES.clear()
    _HASHES[id(repo)] = (repo, digest)
    return digest


# --------------------------------------------------------------------------- JSON / text


def to_dict(learned: Learned) -> dict[str, Any]:
    return {
        "env": learned.env,
        "inputs_hash": learned.inputs_hash,
        "providers": [
            {
                "provider": p.provider,
                "groups": p.groups,
                "kinds": p.kinds,
                "via": p.via,
                "evidence": [str(e) for e in p.evidence],
                "count": p.count,
            }
            for p in learned.providers
        ],
        "bootstrap_provided": [
            {
                "group": b.group,
                "kinds": b.kinds,
                "used_by": b.used_by,
                "evidence": [str(e) for e in b.evidence],
                "count": b.count,
                "confirmed": b.confirmed,
            }
            for b in learned.bootstrap_provided
        ],
        "webhooks": [
            {
                "component": w.component,
                "via": w.via,
                "intercepts": w.intercepts,
                "evidence": [str(e) for e in w.evidence],
                "count": w.count,
            }
            for w in learned.webhooks
        ],
        "style": [
            {
                "key": s.key,
                "value": s.value,
                "count": s.count,
                "of": s.total,
                "detail": s.detail,
                "evidence": [str(e) for e in s.evidence],
            }
            for s in learned.style
        ],
        "services": [
            {
                "component": s.component,
                "release": s.release,
                "chart": s.chart,
                "family": s.family,
                "evidence": str(s.evidence),
                "replicas": [
                    {"path": v.path, "value": v.value, "evidence": str(v.evidence)} for v in s.replicas
                ],
                "resources": [
                    {"path": v.path, "value": v.value, "evidence": str(v.evidence)} for v in s.resources
                ],
            }
            for s in learned.services
        ],
        "notes": learned.notes,
    }


def to_text(learned: Learned) -> str:
    lines = [f"env {learned.env}", "", "CRD providers"]
    lines += [
        f"  {', '.join(p.groups) or '-'}  <- {short_name(p.provider)}  ({p.via}; {p.count}x: {', '.join(str(e) for e in p.evidence[:3])}"
        f"{' ...' if p.count > 3 else ''})"
        for p in learned.providers
    ] or ["  (none)"]
    lines += ["", "Bootstrap-provided (used, provided by no Kustomization)"]
    lines += [
        f"  {b.group} ({', '.join(b.kinds)})  used by {', '.join(short_name(u) for u in b.used_by)}; {b.count}x: "
        f"{', '.join(str(e) for e in b.evidence[:3])}{' ...' if b.count > 3 else ''}"
        + (
            "  [confirmed]"
            if b.confirmed
            else "  REVIEW: installed before Flux? confirm it in " + LEARNED_FILE
        )
        for b in learned.bootstrap_provided
    ] or ["  (none)"]
    lines += ["", "Webhook components"]
    lines += [
        f"  {short_name(w.component)}  ({w.via}{', intercepts API calls' if w.intercepts else ''}; {w.evidence[0]})"
        for w in learned.webhooks
    ] or ["  (none)"]
    lines += ["", "House style (majority)"]
    lines += [
        f"  {s.key}: {yaml_scalar(s.value)}  ({s.count} of {s.total}{'; ' + s.detail if s.detail else ''}; e.g. {s.evidence[0]})"
        for s in learned.style
    ] or ["  (none)"]
    lines += ["", "Services (resources / replicas in HelmRelease values)"]
    for s in learned.services:
        bits = [f"{v.path}={v.value}" for v in s.replicas] + [f"{v.path} ({v.evidence})" for v in s.resources]
        lines.append(
            f"  {short_name(s.component)}/{s.release}  chart {s.chart}"
            + (f" [{s.family}]" if s.family else "")
            + (": " + ", ".join(bits) if bits else "")
        )
    if not learned.services:
        lines.append("  (none)")
    if learned.notes:
        lines += ["", "Notes"] + [f"  {n}" for n in learned.notes]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- into the rule tables


def apply_to_rules(
    rules: rules_mod.Rules, repo: Repo, env_name: str | None, settings_rules: dict[str, Any] | None
) -> None:
    """Put what ``repo`` teaches about ``env_name`` into ``rules`` (``rules.load_rules`` calls this
    once per load): learned providers, webhook components, confirmed bootstrap-provided groups.
    Kinds whose provider ``.infra-tui.yaml`` names keep that provider."""
    eff = effective(repo, env_name)
    rules.learned_groups = dict(eff.groups)
    rules.learned_kinds = dict(eff.kinds)
    rules.bootstrap_provided = eff.bootstrap
    rules.pinned_kinds = frozenset(
        str(k)
        for p in (settings_rules or {}).get("crd_providers") or []
        if isinstance(p, dict)
        for k in p.get("kinds") or []
    )
    # the house names webhook components by what they are (cert-manager): the repo's own names for
    # them count too; other charts' webhooks are facts to show, not house rules
    for hook in eff.webhooks:
        if hook.chart is None:
            continue  # a WebhookConfiguration in the tree: lint sees that itself
        info = next((c for c in chart_table().charts if c.name == hook.chart), None)
        names = {hook.chart, hook.chart.split("-")[0], *(info.charts if info else ())}
        if names & rules.webhook_components:
            rules.webhook_components.add(short_name(hook.component))
        if names & rules.intercepting_webhooks:
            rules.intercepting_webhooks.add(short_name(hook.component))
    rules.learned = True


_LEARNED: dict[tuple[int, str], tuple[Repo, Learned]] = {}


def cached(repo: Repo, env_name: str | None = None) -> Learned:
    """``learn(repo, env)``, once per repo object (the planners re-plan on every keystroke)."""
    env = repo.env(env_name)
    key = (id(repo), env.name)
    hit = _LEARNED.get(key)
    if hit is not None and hit[0] is repo:
        return hit[1]
    learned = learn(repo, env.name, with_hash=False)
    if len(_LEARNED) > 4:
        _LEARNED.clear()
    _LEARNED[key] = (repo, learned)
    return learned
