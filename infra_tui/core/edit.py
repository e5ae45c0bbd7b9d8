"""``plan_edit(repo, component, edit) -> ChangePlan``: change an existing component, keeping every
untouched byte of the files it touches.

How bytes are kept:

* a scalar that already exists (chart version, timeout, url) is replaced *in its line*: the old
  scalar's text is swapped for the new one in the same quoting style, so a version bump changes
  exactly one line;
* structural edits (values, dependsOn, patches, resources lists) round-trip only the one document
  they touch through ruamel.yaml, with the indentation detected from that document; the other
  documents of the file are spliced back as text (``MultiDocFile``);
* new files come from the same skeletons as ``scaffold``; deleted files are ``FileDeletion``.

The edit spec has the keys of the component spec, only those to change (see ``parse_edit``).
``values`` and ``env_values`` are merge patches (a ``null`` removes a key); ``dependsOn`` is a list
to add or ``{add: [...], remove: [...]}``; ``envs`` limits the edit to those envs.

A plan that changes dependsOn of a deployed Kustomization or moves CRD instances between
Kustomizations sets ``recreate_required`` with the reason. Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from infra_tui.core import graph as graph_mod
from infra_tui.core import repo as repo_mod
from infra_tui.core import rules as rules_mod
from infra_tui.core import scaffold, yamlio
from infra_tui.core import spec as spec_mod
from infra_tui.core.model import (
    DEFAULT_FLUX_NAMESPACE,
    ChangePlan,
    Component,
    Env,
    FileChange,
    FluxKustomization,
    Placement,
    Repo,
    Resource,
    ks_id,
    short_name,
)
from infra_tui.core.spec import SpecProblem, closest

FLUX_NS = DEFAULT_FLUX_NAMESPACE


class FileDeletion(FileChange):
    """A file the plan removes (``after`` is empty)."""

    deleted = True


def is_deleted(change: FileChange) -> bool:
    return bool(getattr(change, "deleted", False))


# --------------------------------------------------------------------------- text-level editing


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) for ruamel, read from how ``text`` is indented."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    mapping: int | None = None
    offset: int | None = None
    for prev, cur in zip(lines, lines[1:], strict=False):
        ps = prev.lstrip(" ")
        pbody = ps[2:] if ps.startswith("- ") else ps
        pkey = len(prev) - len(pbody)
        if not re.match(r"^[^#'\"{}\[\]]*:\s*(#.*)?$", pbody):
            continue
        cs = cur.lstrip(" ")
        ind = len(cur) - len(cs)
        if cs.startswith("- ") or cs == "-":
            if offset is None and ind >= pkey:
                offset = ind - pkey
        elif ind > pkey and mapping is None:
            mapping = ind - pkey
        if mapping is not None and offset is not None:
            break
    if offset is None and lines and lines[0].startswith("- "):
        offset = 0
    m = mapping or 2
    o = offset if offset is not None else 2
    return m, o + 2, o


def _yaml_for(text: str) -> YAML:
    y = YAML(typ="rt")
    m, s, o = detect_indent(text)
    y.indent(mapping=m, sequence=s, offset=o)
    y.preserve_quotes = True
    y.width = 4096
    return y


def _trailing_block(body: str) -> str:
    lines = body.splitlines(keepends=True)
    i = len(lines)
    while i > 0 and (not lines[i - 1].strip() or lines[i - 1].lstrip().startswith("#")):
        i -= 1
    return "".join(lines[i:])


def _plain_ok(value: str) -> bool:
    """Can ``value`` be written as a plain scalar and read back as the same string?"""
    if not value or value != value.strip() or "\n" in value or " #" in value or ": " in value:
        return False
    try:
        return yamlio.load_one(f"k: {value}") == {"k": value}
    except Exception:  # noqa: BLE001
        return False


def format_scalar(value: str, like: str) -> str:
    """``value`` as YAML text in the quoting style of the existing scalar text ``like``."""
    if like.startswith("'") and "'" not in value:
        return f"'{value}'"
    if like.startswith('"') or not _plain_ok(value):
        return json.dumps(value, ensure_ascii=False)
    return value


def _scalar_extent(line: str, col: int) -> int | None:
    """End column of the single-line scalar starting at ``col``; None for anything else."""
    rest = line[col:]
    if not rest:
        return None
    if rest[0] == '"':
        i = 1
        while i < len(rest):
            if rest[i] == "\\":
                i += 2
                continue
            if rest[i] == '"':
                return col + i + 1
            i += 1
        return None
    if rest[0] == "'":
        i = 1
        while i < len(rest):
            if rest[i] == "'":
                if i + 1 < len(rest) and rest[i + 1] == "'":
                    i += 2
                    continue
                return col + i + 1
            i += 1
        return None
    if rest[0] in "|>&*!{[":
        return None
    m = re.search(r"\s+#", rest)
    end = m.start() if m else len(rest.rstrip())
    return col + len(rest[:end].rstrip())


# --------------------------------------------------------------------------- the workspace


@dataclass
class Workspace:
    """The texts of the files a plan touches: originals from disk, and their new versions."""

    root: Path
    original: dict[str, str | None] = field(default_factory=dict)
    current: dict[str, str | None] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def text(self, path: str) -> str | None:
        if path not in self.current:
            text = scaffold._read(self.root / path)
            self.original[path] = text
            self.current[path] = text
        return self.current[path]

    def set(self, path: str, text: str | None) -> None:
        self.text(path)
        if path not in self.order:
            self.order.append(path)
        self.current[path] = text

    def changes(self) -> list[FileChange]:
        out: list[FileChange] = []
        for path in self.order:
            before, after = self.original.get(path), self.current.get(path)
            if before == after:
                continue
            if after is None:
                if before is not None:
                    out.append(FileDeletion(path, before, ""))
                continue
            out.append(FileChange(path, before, after))
        return out

    # -- documents

    def chunks(self, path: str) -> list[yamlio.Chunk]:
        return yamlio.split_documents(self.text(path) or "")

    def doc_index(self, path: str, line: int) -> int:
        """Index of the chunk holding 1-based ``line`` (the first document when 0)."""
        chunks = self.chunks(path)
        best = next((i for i, c in enumerate(chunks) if not c.is_empty()), 0)
        for i, c in enumerate(chunks):
            if c.start_line <= line and not c.is_empty():
                best = i
        return best

    def load(self, path: str, index: int) -> Any:
        return _yaml_for(self.chunks(path)[index].body).load(self.chunks(path)[index].body)

    def edit(self, path: str, index: int, fn: Callable[[Any], None]) -> None:
        """Round-trip document ``index`` of ``path`` through ``fn``; other documents keep their bytes."""
        chunks = self.chunks(path)
        old = chunks[index]
        y = _yaml_for(old.body)
        data = y.load(old.body)
        untouched = _dump(y, y.load(old.body), old.body)
        fn(data)
        new_body = _dump(y, data, old.body)
        if untouched != old.body:
            self.warnings.append(
                f"{path}: the YAML writer reformats lines of the edited document that the edit does not touch "
                "(mixed indentation or styles); review its diff"
            )
        chunks[index] = yamlio.Chunk(old.marker, new_body, old.start_line)
        self.set(path, "".join(c.text for c in chunks))

    def remove_document(self, path: str, index: int) -> None:
        chunks = self.chunks(path)
        del chunks[index]
        self.set(path, "".join(c.text for c in chunks))

    def set_scalar(self, path: str, index: int, keys: tuple[str, ...], value: str) -> bool:
        """Replace an existing single-line scalar in place. False when it is not there (or not a
        single-line scalar): the caller edits structurally instead."""
        chunks = self.chunks(path)
        chunk = chunks[index]
        data = yamlio.rt_load(chunk.body)
        parent = data
        for k in keys[:-1]:
            if not isinstance(parent, dict) or k not in parent:
                return False
            parent = parent[k]
        if not isinstance(parent, CommentedMap) or keys[-1] not in parent or isinstance(parent[keys[-1]], (dict, list)):
            return False
        line_no, col = parent.lc.value(keys[-1])
        lines = chunk.body.splitlines(keepends=True)
        line = lines[line_no]
        end = _scalar_extent(line, col)
        if end is None:
            return False
        old = line[col:end]
        lines[line_no] = line[:col] + format_scalar(value, old) + line[end:]
        chunks[index] = yamlio.Chunk(chunk.marker, "".join(lines), chunk.start_line)
        self.set(path, "".join(c.text for c in chunks))
        return True


def _dump(y: YAML, data: Any, original: str) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    out = buf.getvalue()
    trailing = _trailing_block(original)
    if trailing and not out.endswith(trailing):
        out = out.rstrip("\n") + "\n" + trailing
    if not original.endswith("\n"):
        out = out.rstrip("\n")
    return out


def merge_patch(target: Any, patch: dict[str, Any]) -> None:
    """RFC 7386 merge into a ruamel mapping: nested mappings merge, ``None`` removes a key."""
    for key, value in patch.items():
        if value is None:
            if key in target:
                del target[key]
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_patch(target[key], value)
        else:
            target[key] = scaffold._cm(value)


# --------------------------------------------------------------------------- the edit spec


UNSET: Any = object()
EDIT_KEYS = (*spec_mod.TOP_KEYS, "release")
IMMUTABLE = ("name", "namespace")


@dataclass
class EditSpec:
    """Only the fields to change. ``UNSET`` / ``None`` / empty: leave as is."""

    envs: list[str] = field(default_factory=list)
    chart_name: str | None = None
    chart_version: str | None = None
    repository_url: str | None = None
    values: dict[str, Any] | None = None
    env_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeout: Any = UNSET  # str to set, None to remove
    webhook: bool | None = None
    creates: list[str] = field(default_factory=list)
    service_monitor: bool | None = None
    prometheus_rule: bool | None = None
    add_deps: list[str] = field(default_factory=list)
    remove_deps: list[str] = field(default_factory=list)
    release: str | None = None  # which HelmRelease, when the component has several
    problems: list[SpecProblem] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any((
            self.chart_name, self.chart_version, self.repository_url, self.values, self.env_values,
            self.timeout is not UNSET, self.webhook is not None, self.creates, self.service_monitor is not None,
            self.prometheus_rule is not None, self.add_deps, self.remove_deps,
        ))


def parse_edit(data: Any, component: str | None = None) -> EditSpec:
    """Read an edit spec (same keys as the component spec). Problems go to ``.problems``."""
    e = EditSpec()
    probs = e.problems
    if data is None:
        return e
    if not isinstance(data, dict):
        probs.append(SpecProblem("", "an edit spec is a mapping of the fields to change"))
        return e
    data = spec_mod._plain(data)
    spec_mod._unknown_keys(data, EDIT_KEYS, "", probs)
    for key in IMMUTABLE:
        if key in data and not (key == "name" and data[key] == component):
            probs.append(SpecProblem(key, "cannot change with edit; create a new component with `infra-tui new` and move the "
                                          "settings over instead"))
    if data.get("release") is not None:
        e.release = str(data["release"])
    if data.get("envs") is not None:
        envs = data["envs"] if isinstance(data["envs"], list) else [data["envs"]]
        e.envs = [str(x) for x in envs]
    chart = data.get("chart")
    if chart is not None:
        if not isinstance(chart, dict):
            probs.append(SpecProblem("chart", "must be a mapping {name, version, repository: {url}}"))
        else:
            spec_mod._unknown_keys(chart, spec_mod.CHART_KEYS, "chart.", probs)
            if chart.get("name") is not None:
                e.chart_name = str(chart["name"])
                if not spec_mod.CHART_NAME.match(e.chart_name):
                    probs.append(SpecProblem("chart.name", f"'{e.chart_name}' is not a chart name"))
            if chart.get("version") is not None:
                e.chart_version = spec_mod._str_or_none(chart["version"])
            repo = chart.get("repository")
            if isinstance(repo, str):
                repo = {"url": repo}
            if isinstance(repo, dict):
                spec_mod._unknown_keys(repo, spec_mod.REPOSITORY_KEYS, "chart.repository.", probs)
                if "name" in repo:
                    probs.append(SpecProblem("chart.repository.name", "cannot change with edit (the HelmRepository is shared by name); "
                                                                      "change the url instead"))
                if repo.get("url") is not None:
                    e.repository_url = str(repo["url"])
                    if (p := spec_mod.url_problem(e.repository_url)) is not None:
                        probs.append(SpecProblem("chart.repository.url", p))
            elif repo is not None:
                probs.append(SpecProblem("chart.repository", "must be a mapping {url} or a URL"))
    if "values" in data and data["values"] is not None:
        if isinstance(data["values"], dict):
            e.values = data["values"]
        else:
            probs.append(SpecProblem("values", f"must be a mapping (merged into the values; null removes a key), not {type(data['values']).__name__}"))
    ev = data.get("env_values")
    if ev is not None:
        if not isinstance(ev, dict) or not all(isinstance(v, dict) for v in ev.values()):
            probs.append(SpecProblem("env_values", "must be {env: {values...}}"))
        else:
            e.env_values = {str(k): v for k, v in ev.items()}
    if "timeout" in data:
        e.timeout = None if data["timeout"] is None else str(data["timeout"])
        if e.timeout is not None and not spec_mod.DURATION.match(e.timeout):
            probs.append(SpecProblem("timeout", f"'{e.timeout}' is not a duration; write e.g. 10m"))
    if data.get("webhook") is not None:
        if isinstance(data["webhook"], bool):
            e.webhook = data["webhook"]
        else:
            probs.append(SpecProblem("webhook", "must be true or false"))
    creates = data.get("creates")
    if creates is not None:
        for kind in creates if isinstance(creates, list) else [creates]:
            if isinstance(kind, str) and spec_mod.KIND.match(kind):
                e.creates.append(kind)
            else:
                probs.append(SpecProblem("creates", f"'{kind}' is not a Kubernetes kind"))
    mon = data.get("monitoring")
    if mon is not None:
        if isinstance(mon, bool):
            e.service_monitor = e.prometheus_rule = mon
        elif isinstance(mon, dict):
            spec_mod._unknown_keys(mon, spec_mod.MONITORING_KEYS, "monitoring.", probs)
            if isinstance(mon.get("serviceMonitor"), bool):
                e.service_monitor = mon["serviceMonitor"]
            if isinstance(mon.get("prometheusRule"), bool):
                e.prometheus_rule = mon["prometheusRule"]
        else:
            probs.append(SpecProblem("monitoring", "must be {serviceMonitor: bool, prometheusRule: bool}"))
    deps = data.get("dependsOn")
    if deps is not None:
        if isinstance(deps, (list, str)):
            e.add_deps = [deps] if isinstance(deps, str) else [str(d) for d in deps]
        elif isinstance(deps, dict):
            spec_mod._unknown_keys(deps, ("add", "remove"), "dependsOn.", probs)
            e.add_deps = [str(d) for d in deps.get("add") or []]
            e.remove_deps = [str(d) for d in deps.get("remove") or []]
        else:
            probs.append(SpecProblem("dependsOn", "must be a list to add, or {add: [...], remove: [...]}"))
    return e


def load_edit_file(path: str | Path, component: str | None = None) -> EditSpec:
    from infra_tui.errors import UserError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the edit spec ({exc.__class__.__name__}); check the path", file=str(p)) from exc
    docs, errors = yamlio.load_documents(text, str(p))
    if errors:
        raise UserError(errors[0].message, file=errors[0].file, line=errors[0].line)
    edit = parse_edit(docs[0].data if docs else None, component)
    edit.problems[:] = spec_mod.locate_problems(edit.problems, text, str(p), docs[0].line if docs else 1)
    return edit


# --------------------------------------------------------------------------- helpers on the repo


def find_kustomization_doc(ws: Workspace, ks: FluxKustomization) -> int:
    """The chunk index of ``ks`` in its file (by name, robust to earlier edits of the file)."""
    for i, c in enumerate(ws.chunks(ks.file)):
        if c.is_empty():
            continue
        try:
            d = yamlio.load_one(c.body)
        except Exception:  # noqa: BLE001
            continue
        if repo_mod.is_flux_kustomization(d) and (d.get("metadata") or {}).get("name") == ks.name and (
            (d.get("metadata") or {}).get("namespace") or ks.namespace) == ks.namespace:
            return i
    raise KeyError(ks.id)


def add_dependency(ws: Workspace, ks: FluxKustomization, target: FluxKustomization, note: str | None) -> None:
    index = find_kustomization_doc(ws, ks)

    def fn(d: Any) -> None:
        spec = d.setdefault("spec", CommentedMap())
        deps = spec.get("dependsOn")
        if not isinstance(deps, list):
            deps = CommentedSeq()
            spec.insert(0, "dependsOn", deps)
        if any(isinstance(x, dict) and x.get("name") == target.name and (x.get("namespace") or ks.namespace) == target.namespace for x in deps):
            return
        entry = CommentedMap(name=target.name)
        if target.namespace != ks.namespace:
            entry["namespace"] = target.namespace
        deps.append(entry)
        if note:
            entry.yaml_add_eol_comment(f"# REVIEW: {note}", list(entry)[-1])

    ws.edit(ks.file, index, fn)


def remove_dependency(ws: Workspace, ks: FluxKustomization, target_id: str) -> None:
    index = find_kustomization_doc(ws, ks)

    def fn(d: Any) -> None:
        deps = (d.get("spec") or {}).get("dependsOn")
        if not isinstance(deps, list):
            return
        for i, x in reversed(list(enumerate(deps))):
            if isinstance(x, dict) and ks_id(str(x.get("namespace") or ks.namespace), str(x.get("name"))) == target_id:
                del deps[i]
        if not deps:
            del d["spec"]["dependsOn"]

    ws.edit(ks.file, index, fn)


def component_files(ws: Workspace, folder: str) -> list[str]:
    """Manifest files listed by ``folder``/kustomization.yaml (as the workspace has it now)."""
    text = ws.text(f"{folder}/kustomization.yaml")
    if text is None:
        return []
    data = yamlio.load_one(text) or {}
    out = []
    for entry in data.get("resources") or []:
        if isinstance(entry, str) and "://" not in entry:
            p = f"{folder}/{entry}".rstrip("/")
            if ws.text(p) is not None:
                out.append(p)
            else:
                sub = f"{p}/kustomization.yaml"
                if ws.text(sub) is not None:
                    out.extend(component_files(ws, p))
    return out


def component_from_workspace(ws: Workspace, folder: str, name: str) -> Component:
    comp = Component(name=name, dir=folder)
    for path in component_files(ws, folder):
        comp.files.append(path)
        docs, _ = yamlio.load_documents(ws.text(path) or "", path)
        for d in docs:
            comp.resources.extend(repo_mod._as_resources(d.data, path, d.line))
    return comp


def kustomization_resources(ws: Workspace, folder: str, add: list[str] = (), remove: list[str] = ()) -> None:  # type: ignore[assignment]
    path = f"{folder}/kustomization.yaml"

    def fn(d: Any) -> None:
        res = d.get("resources")
        if not isinstance(res, list):
            res = d["resources"] = CommentedSeq()
        for r in remove:
            while r in res:
                i = list(res).index(r)
                # a comment hanging on the removed item moves to the one before it
                comment = res.ca.items.pop(i, None)
                del res[i]
                shifted = {k - 1 if k > i else k: v for k, v in res.ca.items.items()}
                res.ca.items.clear()
                res.ca.items.update(shifted)
                if comment and res:
                    res.ca.items.setdefault(len(res) - 1 if i >= len(res) else max(i - 1, 0), comment)
        for r in add:
            if r not in res:
                # keep a trailing comment block after the last item (the skeleton's "Do NOT include...")
                last = len(res) - 1
                comment = res.ca.items.pop(last, None) if last >= 0 else None
                res.append(r)
                if comment:
                    res.ca.items[len(res) - 1] = comment

    ws.edit(path, 0, fn)


# --------------------------------------------------------------------------- the plan


@dataclass
class _Target:
    """The component being edited."""

    name: str
    folder: str
    kss: dict[str, FluxKustomization]  # env -> its Kustomization
    mon_kss: dict[str, FluxKustomization]
    comp: Component | None
    hr: Resource | None
    hrepo: Resource | None


def resolve_component(repo: Repo, name: str) -> tuple[_Target | None, str | None]:
    kss = {e: env.find(name) for e, env in repo.envs.items()}
    kss = {e: k for e, k in kss.items() if k is not None and k.name == name}
    if not kss:
        names = sorted({k.name for env in repo.envs.values() for k in env.kustomizations})
        hint = closest(name, names, cutoff=0.5)
        return None, f"component '{name}' does not exist" + (f"; did you mean '{hint}'?" if hint else "; see `infra-tui graph`")
    first = next(iter(kss.values()))
    comp = repo.component_for(first)
    folder = (first.path or "").strip().removeprefix("./").rstrip("/")
    rules = scaffold.rules_for(repo)
    mon_name = name + rules.monitoring_suffix
    mon = {e: repo.envs[e].find(mon_name) for e in kss}
    mon = {e: k for e, k in mon.items() if k is not None}
    releases = [r for r in (comp.resources if comp else []) if r.kind == "HelmRelease"]
    hr = next((r for r in releases if r.name == name), releases[0] if len(releases) == 1 else None)
    hrepo = _repository_of(hr, comp) if hr else next((r for r in (comp.resources if comp else []) if r.kind == "HelmRepository"), None)
    return _Target(name, folder, kss, mon, comp, hr, hrepo), None


def _repository_of(hr: Resource, comp: Component | None) -> Resource | None:
    ref = (((hr.data.get("spec") or {}).get("chart") or {}).get("spec") or {}).get("sourceRef") or {}
    repos = [r for r in (comp.resources if comp else []) if r.kind == "HelmRepository"]
    return next((r for r in repos if r.name == ref.get("name")), repos[0] if len(repos) == 1 else None)


def _needed_providers(rules: rules_mod.Rules, kinds: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind in sorted(kinds):
        p = rules.provider_for_kind(kind)
        if p:
            out.setdefault(p, []).append(kind)
    return out


def plan_edit(
    repo: Repo, component: str, edit: EditSpec, *, env: str | None = None, force: bool = False,
    rules: rules_mod.Rules | None = None,
) -> ChangePlan:
    """What changing ``component`` as ``edit`` says would do. Never writes."""
    result = ChangePlan()
    refuse = result.refusals.append
    for p in edit.problems:
        refuse(str(p) if p.file else f"edit spec {p}")
    target, err = resolve_component(repo, component)
    if err:
        refuse(err)
    if result.refusals or target is None:
        return result
    rules = rules or scaffold.rules_for(repo)
    if edit.is_empty():
        refuse("the edit spec changes nothing; give at least one field to change (chart.version, values, dependsOn, ...)")
        return result
    envs = edit.envs or ([env] if env else list(target.kss))
    for e in envs:
        if e not in target.kss:
            refuse(f"{component} is not deployed in env '{e}' (it is in {', '.join(target.kss)})")
    for e in edit.env_values:
        if e not in envs:
            refuse(f"edit spec env_values.{e}: the edit covers {', '.join(envs)} only")
        elif e == repo.primary_env:
            refuse(f"edit spec env_values.{e}: {e} is the primary env; change values instead")
    if target.comp is None or not repo.flat:
        refuse(f"{component}: its folder {target.folder or '(no path)'} is not a namespaces/<component>/ folder this tool can edit")
    if result.refusals:
        return result
    assert target.comp is not None
    ws = Workspace(repo.root)
    notes: list[str] = []
    recreate: list[str] = []
    name = target.name
    ns = next((r.name for r in target.comp.resources if r.kind == "Namespace"), None) or (
        target.hr.namespace if target.hr and target.hr.namespace else name)
    comp_kinds = {r.kind for r in target.comp.resources} | set(scaffold.declared_creates(next(iter(target.kss.values()))))
    touched: dict[str, set[str]] = {e: {target.kss[e].id} for e in envs}  # env -> Kustomizations to place and lint
    new_kss: dict[str, list[str]] = {e: [] for e in envs}

    # ---- the HelmRelease (the one named like the component, the only one, or `release:`)
    releases = [r for r in target.comp.resources if r.kind == "HelmRelease"]
    if edit.release is not None:
        target.hr = next((r for r in releases if r.name == edit.release), None)
        if target.hr is None:
            hint = closest(edit.release, [r.name for r in releases])
            refuse(f"edit spec release: {target.folder}/ has no HelmRelease '{edit.release}'"
                   + (f"; did you mean '{hint}'?" if hint else f"; it has {', '.join(r.name for r in releases) or 'none'}"))
            return result
        target.hrepo = _repository_of(target.hr, target.comp)
    elif target.hr is None and len(releases) > 1 and (edit.chart_name or edit.chart_version or edit.values or edit.timeout is not UNSET
                                                    or edit.repository_url):
        refuse(f"{target.folder}/ has {len(releases)} HelmReleases ({', '.join(r.name for r in releases)}); "
               "say which one with release: NAME in the edit spec")
        return result
    hr = target.hr
    if (edit.chart_name or edit.chart_version or edit.values or edit.timeout is not UNSET or edit.service_monitor) and hr is None:
        refuse(f"{component} has no HelmRelease in {target.folder}/; chart, values and timeout cannot be changed")
        return result
    if hr is not None:
        hr_index = ws.doc_index(hr.file, hr.line)
        for keys, value in (
            (("spec", "chart", "spec", "version"), edit.chart_version),
            (("spec", "chart", "spec", "chart"), edit.chart_name),
        ):
            if value is not None and not ws.set_scalar(hr.file, hr_index, keys, value):
                ws.edit(hr.file, hr_index, lambda d, k=keys, v=value: _set_path(d, k, v))
        if edit.timeout is not UNSET:
            if edit.timeout is None:
                ws.edit(hr.file, hr_index, lambda d: d.get("spec", {}).pop("timeout", None))
            elif not ws.set_scalar(hr.file, hr_index, ("spec", "timeout"), edit.timeout):
                ws.edit(hr.file, hr_index, lambda d: scaffold._set(d["spec"], "timeout", edit.timeout, after="interval"))
        if edit.values:
            def merge_values(d: Any) -> None:
                spec = d.setdefault("spec", CommentedMap())
                if not isinstance(spec.get("values"), dict):
                    spec["values"] = CommentedMap()
                merge_patch(spec["values"], edit.values)
                if not spec["values"]:
                    del spec["values"]
            ws.edit(hr.file, hr_index, merge_values)
    # ---- the HelmRepository
    if edit.repository_url:
        hrepo = target.hrepo
        if hrepo is None:
            refuse(f"{component} has no HelmRepository in {target.folder}/; its url cannot be changed")
            return result
        idx = ws.doc_index(hrepo.file, hrepo.line)
        oci = edit.repository_url.startswith("oci://")
        if not ws.set_scalar(hrepo.file, idx, ("spec", "url"), edit.repository_url):
            ws.edit(hrepo.file, idx, lambda d: d["spec"].__setitem__("url", edit.repository_url))
        current = ws.load(hrepo.file, idx)
        if oci and current["spec"].get("type") != "oci":
            ws.edit(hrepo.file, idx, lambda d: scaffold._set(d["spec"], "type", "oci", after="interval"))
        elif not oci and "type" in current["spec"]:
            ws.edit(hrepo.file, idx, lambda d: d["spec"].pop("type", None))

    # ---- webhook CNP
    cnp_path = f"{target.folder}/{scaffold.CNP_FILE}"
    if edit.webhook is True and ws.text(cnp_path) is None:
        ws.set(cnp_path, scaffold._memo(scaffold.render_cnp, ns).text)
        kustomization_resources(ws, target.folder, add=[scaffold.CNP_FILE])
        comp_kinds.add("CiliumNetworkPolicy")
    elif edit.webhook is False and ws.text(cnp_path) is not None:
        ws.set(cnp_path, None)
        kustomization_resources(ws, target.folder, remove=[scaffold.CNP_FILE])
        notes.append(f"dependsOn cilium of {name} kept: remove it with dependsOn: {{remove: [cilium]}} if nothing else needs it")

    # ---- declared CRD kinds
    if edit.creates:
        for e in envs:
            ks = target.kss[e]
            have = scaffold.declared_creates(ks)
            want = have + [k for k in edit.creates if k not in have]
            if want != have:
                idx = find_kustomization_doc(ws, ks)
                ws.edit(ks.file, idx, lambda d, w=want: d["metadata"].setdefault("annotations", CommentedMap()).__setitem__(
                    scaffold.CREATES_ANNOTATION, ", ".join(w)))
                touched[e].add(ks.id)
        comp_kinds |= set(edit.creates)

    # ---- dependsOn: explicit adds and removes, then providers now needed
    for e in envs:
        env_obj = repo.envs[e]
        ks = target.kss[e]
        for dep in edit.add_deps:
            t = scaffold._resolve_dep(env_obj, dep)
            if t is None:
                hint = closest(dep, [k.name for k in env_obj.kustomizations])
                refuse(f"dependsOn '{dep}' does not exist in env {e}" + (f"; did you mean '{hint}'?" if hint else ""))
                continue
            if t.id not in ks.depends_on_ids:
                add_dependency(ws, ks, t, None)
                touched[e].add(ks.id)
        needed = _needed_providers(rules, comp_kinds)
        required = {r.depends_on: r.reason for r in rules.required_dependencies if r.component == name}
        for dep in edit.remove_deps:
            t = scaffold._resolve_dep(env_obj, dep)
            tid = t.id if t else (dep if "/" in dep else ks_id(ks.namespace, dep))
            if tid not in ks.depends_on_ids:
                refuse(f"{name} does not dependsOn '{dep}' in env {e}; its dependsOn: {', '.join(short_name(d) for d in ks.depends_on_ids) or 'none'}")
                continue
            short = short_name(tid)
            why = None
            if short in needed:
                why = f"crd-dependency: {name} creates {', '.join(needed[short])}, whose CRD comes from {short}"
            elif short in required:
                why = f"required-dependency: {required[short]}"
            if why and not force:
                refuse(f"removing dependsOn {short} breaks the rule {why}; pass --force to remove it anyway")
                continue
            if why:
                result.warnings.append(f"--force: dependsOn {short} removed although {why}")
            remove_dependency(ws, ks, tid)
            touched[e].add(ks.id)
        removed = {short_name(d) for d in edit.remove_deps}
        for provider, kinds in needed.items():
            if provider == name or provider in removed:
                continue
            t = env_obj.find(provider)
            if t is None:
                refuse(f"{name} creates {', '.join(kinds)}, whose CRD comes from {provider}, which env {e} does not have")
                continue
            if t.id not in ks.depends_on_ids and t.id not in _deps_in_workspace(ws, ks):
                add_dependency(ws, ks, t, f"dependsOn {provider} inferred: {', '.join(kinds)} needs its CRDs")
                notes.append(f"dependsOn {provider} inferred: {', '.join(kinds)} needs its CRDs")
                touched[e].add(ks.id)

    # ---- env value overrides (Flux patches in that env's infrastructure.yaml)
    for e, vals in edit.env_values.items():
        ks = target.kss[e]
        idx = find_kustomization_doc(ws, ks)
        ws.edit(ks.file, idx, lambda d, v=vals: _merge_env_patch(d, name, ns, v))
        touched[e].add(ks.id)

    # ---- monitoring split on / off
    if edit.service_monitor is not None or edit.prometheus_rule is not None:
        _edit_monitoring(repo, ws, target, edit, envs, ns, rules, notes, new_kss, touched, refuse, result)
    if result.refusals:
        return result

    # ---- dependsOn changes of deployed Kustomizations -> recreate
    for e in envs:
        for kid in sorted(touched[e]):
            old = repo.envs[e].by_id()[kid]
            new = _deps_in_workspace(ws, old)
            if new != old.depends_on_ids:
                added = [short_name(d) for d in new if d not in old.depends_on_ids]
                gone = [short_name(d) for d in old.depends_on_ids if d not in new]
                what = ", ".join(filter(None, [f"adds {', '.join(added)}" if added else "", f"removes {', '.join(gone)}" if gone else ""]))
                recreate.append(f"dependsOn of deployed Kustomization {old.name} changes in {e} ({what})")

    return finish_plan(repo, ws, result, envs, touched, new_kss, notes, recreate, rules, force)


def _deps_in_workspace(ws: Workspace, ks: FluxKustomization) -> list[str]:
    try:
        idx = find_kustomization_doc(ws, ks)
    except KeyError:
        return []
    data = yamlio.load_one(ws.chunks(ks.file)[idx].body)
    probs: list[Any] = []
    k = repo_mod.parse_flux_kustomization(data, file=ks.file, line=ks.line, env=ks.env, default_namespace=ks.namespace,
                                          doc_index=idx, problems=probs)
    return k.depends_on_ids if k else []


def _set_path(d: Any, keys: tuple[str, ...], value: Any) -> None:
    for k in keys[:-1]:
        if not isinstance(d.get(k), dict):
            d[k] = CommentedMap()
        d = d[k]
    d[keys[-1]] = value


def _merge_env_patch(d: Any, name: str, ns: str, values: dict[str, Any]) -> None:
    spec = d.setdefault("spec", CommentedMap())
    patches = spec.get("patches")
    if not isinstance(patches, list):
        patches = spec["patches"] = CommentedSeq()
    for p in patches:
        target = p.get("target") if isinstance(p, dict) else None
        if isinstance(target, dict) and target.get("kind") == "HelmRelease" and target.get("name") in (name, None) and isinstance(p.get("patch"), str):
            doc = yamlio.load_one(str(p["patch"]))
            if isinstance(doc, dict) and not isinstance(doc, list):
                cm = scaffold._cm(doc)
                cm.setdefault("spec", CommentedMap())
                if not isinstance(cm["spec"].get("values"), dict):
                    cm["spec"]["values"] = CommentedMap()
                merge_patch(cm["spec"]["values"], values)
                p["patch"] = LiteralScalarString(yamlio.dump_plain(cm))
                return
    target, text = scaffold._patch_for(spec_mod.ComponentSpec(name=name, namespace=ns), {k: v for k, v in values.items() if v is not None})
    patches.append(scaffold._cm({"patch": LiteralScalarString(text), "target": target}))


def _edit_monitoring(
    repo: Repo, ws: Workspace, target: _Target, edit: EditSpec, envs: list[str], ns: str, rules: rules_mod.Rules,
    notes: list[str], new_kss: dict[str, list[str]], touched: dict[str, set[str]], refuse: Callable[[str], None],
    result: ChangePlan,
) -> None:
    name = target.name
    mon_name = name + rules.monitoring_suffix
    mon_dir = f"namespaces/{mon_name}"
    sm_file = f"{mon_dir}/servicemonitor-{name}.yaml"
    pr_file = f"{mon_dir}/prometheus-rules.yaml"
    has_split = ws.text(f"{mon_dir}/kustomization.yaml") is not None
    listed = set(component_files(ws, mon_dir)) if has_split else set()
    want_sm = edit.service_monitor if edit.service_monitor is not None else any("servicemonitor" in f for f in listed)
    want_pr = edit.prometheus_rule if edit.prometheus_rule is not None else pr_file in listed
    if not has_split and (want_sm or want_pr):
        res = []
        if want_pr:
            ws.set(pr_file, scaffold._memo(scaffold.render_prometheus_rules, name, ns, bool(want_sm)).text)
            res.append("prometheus-rules.yaml")
        if want_sm:
            ws.set(sm_file, scaffold._memo(scaffold.render_service_monitor, name, ns).text)
            res.append(f"servicemonitor-{name}.yaml")
        ws.set(f"{mon_dir}/kustomization.yaml", scaffold._memo(scaffold.render_monitoring_kustomization, tuple(res)).text)
        for e in envs:
            env_obj = repo.envs[e]
            provider = env_obj.find(rules.monitoring_provider)
            if provider is None:
                refuse(f"monitoring needs the Kustomization '{rules.monitoring_provider}', which env {e} does not have")
                continue
            body = scaffold._memo(
                scaffold.render_flux_kustomization, mon_name, f"./{mon_dir}",
                ((provider.name, provider.namespace, None), (name, target.kss[e].namespace, None)), True, (), None,
            )
            path = target.kss[e].file
            after, _, _ = scaffold.append_documents(ws.text(path), [body.text])
            ws.set(path, after)
            new_kss[e].append(ks_id(FLUX_NS, mon_name))
    elif has_split:
        if want_sm and not any("servicemonitor" in f for f in listed):
            ws.set(sm_file, scaffold._memo(scaffold.render_service_monitor, name, ns).text)
            kustomization_resources(ws, mon_dir, add=[f"servicemonitor-{name}.yaml"])
        if want_pr and pr_file not in listed:
            ws.set(pr_file, scaffold._memo(scaffold.render_prometheus_rules, name, ns, bool(want_sm)).text)
            kustomization_resources(ws, mon_dir, add=["prometheus-rules.yaml"])
        drop = [f for f in listed if ("servicemonitor" in f and not want_sm) or (f == pr_file and not want_pr)]
        for f in drop:
            ws.set(f, None)
        if drop and not (want_sm or want_pr):
            ws.set(f"{mon_dir}/kustomization.yaml", None)
            for e in envs:
                ks = target.mon_kss.get(e)
                if ks is not None:
                    ws.remove_document(ks.file, find_kustomization_doc(ws, ks))
                    notes.append(f"{mon_name} removed from {e}: with prune: false its objects stay in the cluster until deleted by hand")
        elif drop:
            kustomization_resources(ws, mon_dir, remove=[f.removeprefix(mon_dir + "/") for f in drop])
    if want_sm and target.hr is not None:
        idx = ws.doc_index(target.hr.file, target.hr.line)
        current = ws.load(target.hr.file, idx)
        sm = ((current.get("spec") or {}).get("values") or {}).get("serviceMonitor")
        if not (isinstance(sm, dict) and sm.get("enabled") is False):
            def disable(d: Any) -> None:
                spec = d.setdefault("spec", CommentedMap())
                if not isinstance(spec.get("values"), dict):
                    spec["values"] = CommentedMap()
                sm = spec["values"].setdefault("serviceMonitor", CommentedMap())
                sm["enabled"] = False
                sm.yaml_add_eol_comment(f"# Managed separately in {mon_name}", "enabled")
            ws.edit(target.hr.file, idx, disable)


def finish_plan(
    repo: Repo, ws: Workspace, result: ChangePlan, envs: list[str], touched: dict[str, set[str]],
    new_kss: dict[str, list[str]], notes: list[str], recreate: list[str], rules: rules_mod.Rules, force: bool,
) -> ChangePlan:
    """Placement, cycles, lint of what changed, recreate verdict: shared by edit and lint --fix."""
    refuse = result.refusals.append
    result.warnings.extend(dict.fromkeys(ws.warnings))
    changed_files = {p for p in ws.order if ws.original.get(p) != ws.current.get(p)}
    for e in envs:
        env_obj = repo.envs[e]
        after_env = _env_after(ws, env_obj)
        g = graph_mod.build(after_env)
        g_before = graph_mod.build(env_obj)
        ids = touched.get(e, set()) | set(new_kss.get(e, []))
        old_cycles = {frozenset(c) for c in g_before.cycles}
        for cycle in g.cycles:
            if ids & set(cycle) and frozenset(cycle) not in old_cycles:
                refuse(f"the change would make a dependsOn cycle in env {e}: " + " -> ".join(short_name(n) for n in cycle))
        by_id = after_env.by_id()
        # Kustomizations whose folder the change touches count as changed too
        for k in after_env.kustomizations:
            folder = (k.path or "").strip().removeprefix("./").rstrip("/")
            if folder and any(p.startswith(folder + "/") for p in changed_files):
                ids = ids | {k.id}
        for kid in sorted(ids, key=lambda i: (g.layer.get(i, 0), i)):
            k = by_id.get(kid)
            if k is None:
                continue
            old = env_obj.by_id().get(kid)
            inferred = {d: "added" for d in k.depends_on_ids if old is None or d not in old.depends_on_ids}
            result.placement.append(Placement(k.name, g.layer.get(kid, 0), k.depends_on_ids, env=e, inferred=inferred))
        # lint: what the change adds, on the Kustomizations it touches (components re-read from the workspace)
        comps = dict(repo.components)
        for kid in ids:
            k = by_id.get(kid)
            folder = (k.path or "").strip().removeprefix("./").rstrip("/") if k else ""
            if folder and (any(p.startswith(folder + "/") for p in changed_files) or folder not in comps):
                comps[folder] = component_from_workspace(ws, folder, folder.rsplit("/", 1)[-1])
        before_f = _lint_subset(repo, env_obj, repo.components, g_before, ids, rules)
        after_f = _lint_subset(repo, after_env, comps, g, ids, rules)
        old_keys = {(f.rule, f.kustomization, f.message) for f in before_f}
        added = [f for f in after_f if (f.rule, f.kustomization, f.message) not in old_keys]
        result.findings.extend(added)
        for f in added:
            if force:
                result.warnings.append(f"--force: the change adds lint finding {f.rule}: {f.message}")
            else:
                refuse(f"the change would add lint finding {f.rule} ({f.severity}): {f.message}; fix the edit, or pass --force")
    if result.refusals:
        result.placement = []
        return result
    result.files = ws.changes()
    result.assumptions = list(dict.fromkeys(notes))
    if recreate:
        result.recreate_required = True
        result.recreate_reason = "; ".join(dict.fromkeys(recreate))
    return result


def _env_after(ws: Workspace, env: Env) -> Env:
    """The env with its Kustomizations re-read from the workspace files that changed."""
    kss: list[FluxKustomization] = []
    changed = {p for p in ws.order if ws.original.get(p) != ws.current.get(p)}
    files_done: set[str] = set()
    for k in env.kustomizations:
        if k.file not in changed:
            kss.append(k)
            continue
        if k.file in files_done:
            continue
        files_done.add(k.file)
        kss.extend(_kustomizations_of(ws, k.file, env.name))
    for path in changed:  # a file of this env that had no Kustomization before
        if path.startswith(f"clusters/{env.name}/") and path not in files_done and path not in {k.file for k in env.kustomizations}:
            kss.extend(_kustomizations_of(ws, path, env.name))
    return Env(env.name, kss, list(env.files), set(env.helmrelease_ids))


def _kustomizations_of(ws: Workspace, path: str, env: str) -> list[FluxKustomization]:
    text = ws.text(path) or ""
    docs, _ = yamlio.load_documents(text, path)
    out = []
    probs: list[Any] = []
    lines = text.splitlines()
    for d in docs:
        if repo_mod.is_flux_kustomization(d.data):
            k = repo_mod.parse_flux_kustomization(d.data, file=path, line=d.line, env=env, default_namespace=FLUX_NS,
                                                  doc_index=d.index, lines=lines, problems=probs)
            if k:
                out.append(k)
    return out


def _lint_subset(repo: Repo, env: Env, components: dict[str, Component], g: graph_mod.Graph, ids: set[str],
                 rules: rules_mod.Rules) -> list[Any]:
    sub = Env(env.name, [k for k in env.kustomizations if k.id in ids], list(env.files), set(env.helmrelease_ids))
    view = Repo(root=repo.root, envs={env.name: sub}, components=components, problems=[],
                flat=repo.flat, settings=repo.settings)
    return [f for f in rules_mod.lint(view, env.name, rules, graph=g, read_disk=False) if f.kustomization in ids]
