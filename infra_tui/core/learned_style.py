"""A new component's plan in the repo's own style: what ``core.learn`` learned, applied.

``apply(plan, repo, spec, envs)`` runs once at the end of ``scaffold.plan``, on the files the plan
creates and the Flux Kustomizations it appends:

* intervals (and an unstated HelmRelease timeout) take the repo's majority value; each changed line
  gets a ``# REVIEW:`` naming the count and where it was seen; keys the house rules pin (Flux
  Kustomization ``prune``/``wait``, remediation retries) keep the house value;
* chart versions are quoted as the repo quotes them; lists are indented as the repo indents them;
* values the spec does not state get ``replicas``/``resources`` of the most similar service (same
  chart, else the same family) with the brief's REVIEW texts naming that service;
* an inferred dependsOn reads "Placed after X in bootstrap order", with the provider fact learned;
* the plan's assumptions say what was learned and what fell back to the house default.

Pure: no Textual, no subprocess; works on text the plan already holds.
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any

from infra_tui.core import learn, yamlio
from infra_tui.core.model import ChangePlan, FileChange, Repo, short_name
from infra_tui.core.spec import ComponentSpec

# (kind of document, key line as generated, style key, house default)
_LINES = (
    ("HelmRelease", "  interval: ", "helmrelease.interval", "1h"),
    ("HelmRepository", "  interval: ", "helmrepository.interval", "1h"),
    ("Kustomization", "  interval: ", "kustomization.interval", "5m"),
    ("Kustomization", "  timeout: ", "kustomization.timeout", "10m"),
)
_WHAT = {
    "helmrelease": "HelmReleases",
    "helmrepository": "HelmRepositories",
    "kustomization": "Flux Kustomizations",
}
_INFERRED = re.compile(r"# REVIEW: dependsOn (\S+) inferred: (.*)$")


def _describe(fact: learn.StyleFact) -> str:
    what = _WHAT.get(fact.key.split(".", 1)[0], "files")
    return (
        f"{fact.count} of {fact.total} {what}, e.g. {fact.evidence[0]}"
        if fact.evidence
        else f"{fact.count} of {fact.total} {what}"
    )


def _value_text(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def apply(plan: ChangePlan, repo: Repo, spec: ComponentSpec, envs: list[str]) -> None:
    """Restyle ``plan`` (a new component's) after what ``repo`` teaches; see the module doc."""
    if not plan.ok or not plan.files or not repo.envs:
        return
    learned = learn.cached(repo, envs[0] if envs else None)
    notes: list[str] = []
    house: list[str] = []
    style = {s.key: s for s in learned.style}
    similar = learn.most_similar(learned, spec.chart.name, exclude=spec.name)
    central = style.get("helm_repositories")
    if central is not None and central.value == "central" and central.folder and central.kustomization:
        _centralise(plan, repo, spec, central, notes)
    for i, change in enumerate(plan.files):
        if change.created:
            text = change.after
            new = restyle(text, style, notes, path=change.path, spec=spec, similar=similar, house=house)
            if new != text:
                plan.files[i] = FileChange(change.path, None, new)
        elif change.before is not None and change.after.startswith(change.before):
            added = change.after[len(change.before) :]
            new = restyle(added, style, notes, path=change.path, spec=spec, house=house)
            new = placement_comments(new, learned)
            if new != added:
                plan.files[i] = FileChange(change.path, change.before, change.before + new)
    plan.assumptions = [placement_note(a, learned) for a in plan.assumptions]
    plan.house_defaults = list(dict.fromkeys(house))
    plan.learned = list(
        dict.fromkeys(
            [a for a in plan.assumptions if a.startswith("Placed after") and "; learned: " in a] + notes
        )
    )
    for n in notes:
        if n not in plan.assumptions:
            plan.assumptions.append(n)


def _centralise(
    plan: ChangePlan, repo: Repo, spec: ComponentSpec, fact: learn.StyleFact, notes: list[str]
) -> None:
    """Put the new HelmRepository in the repo's central folder, and depend on its Kustomization."""
    comp_dir = f"namespaces/{spec.name}"
    own = next(
        (i for i, f in enumerate(plan.files) if f.path == f"{comp_dir}/helm-repository.yaml" and f.created),
        None,
    )
    target = f"{fact.folder}/{spec.repository_name}.yaml"
    if own is None or (repo.root / target).exists():
        return
    owner = short_name(fact.kustomization)
    why = (
        f"HelmRepositories live in {fact.folder} in this repo ({fact.count} of {fact.total} HelmReleases use it, "
        f"e.g. {fact.evidence[0]})"
    )
    plan.files[own] = FileChange(target, None, f"# REVIEW: {why}\n" + plan.files[own].after)
    notes.append(why)
    for i, f in enumerate(plan.files):
        if f.created and f.path == f"{comp_dir}/kustomization.yaml":
            kept = [ln for ln in f.after.split("\n") if ln.strip() != "- helm-repository.yaml"]
            plan.files[i] = FileChange(f.path, None, "\n".join(kept))
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        kfile = repo.root / fact.folder / name
        if kfile.is_file():
            before = kfile.read_text(encoding="utf-8")
            after = _add_resource(before, f"{spec.repository_name}.yaml")
            if after != before:
                plan.files.append(FileChange(f"{fact.folder}/{name}", before, after))
            break
    placed = f"Placed after {owner} in bootstrap order: the HelmRepository lives in {fact.folder}"
    for i, f in enumerate(plan.files):
        if (
            f.created
            or f.before is None
            or not f.after.startswith(f.before)
            or not f.path.startswith("clusters/")
        ):
            continue
        env = repo.envs.get(f.path.split("/")[1])
        if env is None or env.find(owner) is None:
            continue
        added = _add_dependency(f.after[len(f.before) :], spec.name, owner, placed)
        plan.files[i] = FileChange(f.path, f.before, f.before + added)
        for p in plan.placement:
            if p.name == spec.name and p.env == env.name and fact.kustomization not in p.depends_on:
                p.depends_on.append(fact.kustomization)
                p.inferred[fact.kustomization] = f"HelmRepository in {fact.folder}"
    notes.append(placed)


def _add_resource(text: str, entry: str) -> str:
    """``text`` (a kustomization.yaml) with ``entry`` appended to its ``resources:`` list."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == "resources:"), None)
    if start is None:
        return text.rstrip("\n") + f"\nresources:\n  - {entry}\n"
    last, item = start, "  - "
    for i in range(start + 1, len(lines)):
        stripped = lines[i].lstrip(" ")
        if stripped.startswith("- "):
            last, item = i, lines[i][: len(lines[i]) - len(stripped)] + "- "
        elif stripped and not stripped.startswith("#"):
            break
    lines.insert(last + 1, f"{item}{entry}")
    return "\n".join(lines)


def _add_dependency(text: str, name: str, dep: str, review: str) -> str:
    """The appended Flux Kustomization ``name`` in ``text`` with ``dep`` first in its dependsOn."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.split("#", 1)[0].rstrip() == f"  name: {name}"), None)
    if start is None:
        return text
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("---")), len(lines))
    entry = f"    - name: {dep}  # REVIEW: {review}"
    deps = next((i for i in range(start, end) if lines[i].rstrip() == "  dependsOn:"), None)
    if deps is not None:
        lines.insert(deps + 1, entry)
    else:
        spec = next((i for i in range(start, end) if lines[i].rstrip() == "spec:"), None)
        if spec is None:
            return text
        lines[spec + 1 : spec + 1] = ["  dependsOn:", entry]
    return "\n".join(lines)


def _doc_kinds(lines: list[str]) -> list[str]:
    """The ``kind`` of the document each line belongs to."""
    kinds: list[str] = []
    start = 0
    current = ""
    for i, line in enumerate(lines + ["---"]):
        if line.startswith("---") or i == len(lines):
            block = lines[start:i]
            current = next((ln.split(":", 1)[1].strip() for ln in block if ln.startswith("kind:")), "")
            kinds.extend([current] * len(block))
            if i < len(lines):
                kinds.append("")
            start = i + 1
    return kinds[: len(lines)]


def _doc_kind_at(lines: list[str], n: int) -> str:
    """``_doc_kinds(lines)[n]`` without walking the whole file."""
    if lines[n].startswith("---"):
        return ""
    start = next((i + 1 for i in range(n - 1, -1, -1) if lines[i].startswith("---")), 0)
    for line in itertools.islice(lines, start, None):
        if line.startswith("---"):
            break
        if line.startswith("kind:"):
            return line.split(":", 1)[1].strip()
    return ""


def restyle(
    text: str,
    style: dict[str, learn.StyleFact],
    notes: list[str],
    *,
    path: str,
    spec: ComponentSpec | None = None,
    similar: tuple[learn.ServiceFact, str] | None = None,
    house: list[str] | None = None,
    only: set[int] | None = None,
) -> str:
    """``text`` (generated YAML) in the repo's style: each changed line gets a REVIEW naming where
    the value was learned; ``notes`` gets those texts, ``house`` the values that stay the house
    default because the repo teaches nothing about them. ``only``: the line numbers (0-based) a
    plan added to an existing file, the others are kept byte for byte (no list re-indenting then).
    ``spec`` None: an edit or fix (a HelmRelease timeout line is then one the user stated)."""
    lines = text.split("\n")
    if only is None:
        kinds = dict(enumerate(_doc_kinds(lines)))
    else:  # a few lines of a large file: only their documents are looked at
        kinds = {n: _doc_kind_at(lines, n) for n in only if 0 <= n < len(lines)}
    for n in sorted(kinds):
        line = lines[n]
        kind = kinds[n]
        for doc_kind, prefix, key, default in _LINES:
            if kind != doc_kind or not line.startswith(prefix):
                continue
            fact = style.get(key)
            current = line[len(prefix) :].split("#", 1)[0].strip()
            if key == "kustomization.timeout" and current != default:
                continue  # a monitoring split's own timeout (house rule)
            if fact is None or fact.value is None:
                if house is not None:  # the repo does not set it: the house default stays
                    what = _WHAT.get(key.split(".", 1)[0], "files")
                    house.append(
                        f"{key.split('.', 1)[1]} {current} of {what}: house default (not learned: this repo does not set it)"
                    )
                continue
            value = _value_text(fact.value)
            if value == current:
                continue  # learned and house default agree
            review = (
                f"learned: {key.split('.', 1)[1]} {value} ({_describe(fact)}); the house default is {current}"
            )
            lines[n] = f"{prefix}{value}  # REVIEW: {review}"
            notes.append(review)
        if (
            kind == "HelmRelease"
            and line.startswith("  timeout: ")
            and spec is not None
            and spec.timeout is None
        ):
            fact = style.get("helmrelease.timeout")
            if fact is not None and fact.value is not None:
                review = f"timeout not stated: {fact.value} learned from the repo ({_describe(fact)})"
                lines[n] = f"  timeout: {fact.value}  # REVIEW: {review}"
                notes.append(review)
        if kind == "HelmRelease" and line.lstrip().startswith("version: "):
            lines[n] = _requote(line, style.get("yaml.version_quote"), notes)
        if kind == "Kustomization" and line.startswith(("  prune: ", "  wait: ")) and "#" not in line:
            key, _, current = line.strip().partition(": ")
            fact = style.get(f"kustomization.{key}")
            if fact is not None and fact.value is not None and _value_text(fact.value) != current:
                review = (
                    f"{key}: {current} is the house rule, kept although this repo mostly uses "
                    f"{_value_text(fact.value)} ({_describe(fact)})"
                )
                lines[n] = f"{line}  # REVIEW: {review}"
                notes.append(review)
    out = "\n".join(lines)
    if only is not None:
        return out
    if similar is not None and spec is not None and path.endswith("/helm-release.yaml"):
        out = _with_similar_values(out, spec, similar, notes)
    indent = style.get("yaml.list_indent")
    if indent is not None and indent.value == "flush" and "- " in out:
        out = _flush_lists(out)
        if path.endswith("/kustomization.yaml") and "\nresources:\n" in out:
            note = f"list items at their key's column, as in this repo ({indent.count} of {indent.total} lists, e.g. {indent.evidence[0]})"
            out = out.replace("\nresources:\n", f"\nresources:  # REVIEW: {note}\n", 1)
            notes.append(note)
    return out


def _requote(line: str, fact: learn.StyleFact | None, notes: list[str]) -> str:
    if fact is None or fact.value == "double":
        return line
    head, _, rest = line.partition("version: ")
    value, sep, comment = rest.partition("  #")
    raw = value.strip()
    if not (raw.startswith('"') and raw.endswith('"')):
        return line
    inner = raw[1:-1]
    if fact.value == "plain" and (
        not inner or inner[0] in "*&!|>'\"%@`{[" or ":" in inner or inner.replace(".", "").isdigit()
    ):
        return line  # plain would change its meaning
    quoted = f"'{inner}'" if fact.value == "single" else inner
    note = f"chart version quoted {fact.value}, as in this repo ({fact.count} of {fact.total}, e.g. {fact.evidence[0]})"
    notes.append(note)
    return f"{head}version: {quoted}" + (f"{sep}{comment}" if sep else f"  # REVIEW: {note}")


def _flush_lists(text: str) -> str:
    """Every document of ``text`` dumped again with list items at their key's column."""
    out: list[str] = []
    chunk: list[str] = []

    def flush() -> None:
        body = "\n".join(chunk)
        if body.strip() and any(ln.strip() and not ln.lstrip().startswith("#") for ln in chunk):
            out.append(yamlio.rt_dump(yamlio.rt_load(body), indent=(2, 2, 0)).rstrip("\n"))
        elif chunk:
            out.append(body)
        chunk.clear()

    for line in text.split("\n"):
        if line.startswith("---"):
            flush()
            out.append(line)
        else:
            chunk.append(line)
    trailing = bool(chunk) and chunk[-1] == ""
    flush()
    return "\n".join(out) + ("\n" if trailing and not out[-1].endswith("\n") else "")


def _with_similar_values(
    text: str, spec: ComponentSpec, similar: tuple[learn.ServiceFact, str], notes: list[str]
) -> str:
    service, why = similar
    same_chart = why == "same chart"
    stated = {".".join(p) for p, _ in _walk(spec.values)}
    wanted: list[tuple[str, Any, str]] = []
    for fact in service.replicas:
        if (same_chart or "." not in fact.path) and fact.path not in stated:
            wanted.append(
                (
                    fact.path,
                    fact.value,
                    f"Replicas set to match similar services ({short_name(service.component)}, {why}: {fact.evidence})",
                )
            )
    for fact in service.resources:
        if (same_chart or "." not in fact.path) and fact.path not in stated:
            wanted.append(
                (
                    fact.path,
                    fact.value,
                    f"Using standard resource limits (from {short_name(service.component)}, {why}: {fact.evidence})",
                )
            )
    if not wanted:
        return text
    return _insert_values(text, tuple((p, _freeze(v), r) for p, v, r in wanted), notes)


def _walk(values: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    if isinstance(values, dict):
        for k, v in values.items():
            out.append(((*prefix, str(k)), v))
            out.extend(_walk(v, (*prefix, str(k))))
    return out


def _freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple((k, _freeze(x)) for k, x in v.items())
    return v


def _thaw(v: Any) -> Any:
    if isinstance(v, tuple):
        return {k: _thaw(x) for k, x in v}
    return v


def _insert_values(text: str, wanted: tuple[tuple[str, Any, str], ...], notes: list[str]) -> str:
    out, reviews = _insert_values_cached(text, wanted)
    for r in reviews:
        if r not in notes:
            notes.append(r)
    return out


@functools.lru_cache(maxsize=64)
def _insert_values_cached(text: str, wanted: tuple[tuple[str, Any, str], ...]) -> tuple[str, tuple[str, ...]]:
    from ruamel.yaml.comments import CommentedMap  # only plans need ruamel

    def cm(value: Any) -> Any:
        if isinstance(value, dict):
            m = CommentedMap()
            for k, v in value.items():
                m[k] = cm(v)
            return m
        return value

    data = yamlio.rt_load(text)
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return text, ()
    values: Any = spec.get("values")
    if not isinstance(values, dict):
        values = spec["values"] = CommentedMap()
    reviews = []
    for path, frozen, review in wanted:
        keys = path.split(".")
        node: Any = values
        for k in keys[:-1]:
            if not isinstance(node.get(k), dict):
                node[k] = CommentedMap()
            node = node[k]
        if keys[-1] in node:
            continue
        node[keys[-1]] = cm(_thaw(frozen))
        node.yaml_add_eol_comment(f"# REVIEW: {review}", keys[-1])
        reviews.append(review)
    # a comment after a key whose value is a mapping comes out one space away: two, as everywhere
    return yamlio.rt_dump(data).replace(": # REVIEW: ", ":  # REVIEW: "), tuple(reviews)


def placement_comments(text: str, learned: learn.Learned) -> str:
    """Every "dependsOn X inferred: why" REVIEW in ``text`` as the brief's "Placed after X in
    bootstrap order: why", naming the learned provider fact (how X provides it, and where)."""
    if "# REVIEW: dependsOn " not in text:  # none to rewrite: a 5,000-line file is not split
        return text
    lines = text.split("\n")
    for n, line in enumerate(lines):
        m = _INFERRED.search(line)
        if m:
            lines[n] = line[: m.start()] + "# REVIEW: " + _placement_text(m.group(1), m.group(2), learned)
    return "\n".join(lines)


def provider_source(dep: str, learned: learn.Learned) -> str:
    """Where the provider ``dep`` (a Kustomization name) was learned, as a suffix for a REVIEW
    (``; learned: chart cilium at namespaces/cni/helm-release.yaml:1``); empty when it was not."""
    fact = next((p for p in learned.providers if short_name(p.provider) == dep), None)
    return f"; learned: {fact.via} at {fact.evidence[0]}" if fact is not None and fact.evidence else ""


def _placement_text(dep: str, reason: str, learned: learn.Learned) -> str:
    return f"Placed after {dep} in bootstrap order: {reason}{provider_source(dep, learned)}"


def placement_note(note: str, learned: learn.Learned) -> str:
    """``placement_comments`` for one assumption line."""
    m = re.match(r"dependsOn (\S+) inferred: (.*)$", note)
    return _placement_text(m.group(1), m.group(2), learned) if m else note
