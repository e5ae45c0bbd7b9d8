"""In-memory edits of a repo: the texts of the files a plan touches, and the byte-keeping edits on them.

How bytes are kept:

* a scalar that already exists (chart version, timeout, url) is replaced *in its line*: the old
  scalar's text is swapped for the new one in the same quoting style (``format_scalar``), so a
  version bump changes exactly one line;
* structural edits (values, dependsOn, patches, resources lists) round-trip only the one document
  they touch through ruamel.yaml, with the indentation detected from that document; the other
  documents of the file are spliced back as text (``yamlio.MultiDocFile``);
* appending documents to a (possibly 1,000-document) file never splits it (``append_documents``).

Also here: the repo "as it would be" after the edits (``env_after``, ``component_from_workspace``),
merge patches (RFC 7386) and the file reads of a plan, cached on (mtime, size) for the preview.
Shared by the three planners (``scaffold``, ``edit``, ``fix``). Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from infra_tui.core import diff, kustree, textfile, yamlio
from infra_tui.core import repo as repo_mod
from infra_tui.core.model import (
    DEFAULT_FLUX_NAMESPACE,
    Component,
    Env,
    FileChange,
    FluxKustomization,
    Problem,
    ks_id,
)
from infra_tui.core.render import helm_release_patch, to_commented

FLUX_NS = DEFAULT_FLUX_NAMESPACE

# --------------------------------------------------------------------------- reading and appending

_READ_CACHE: dict[str, tuple[int, int, str]] = {}


def read_text(path: Path) -> str | None:
    """File text (None when missing), cached on (mtime, size): the preview re-plans on every keystroke."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    key = str(path)
    hit = _READ_CACHE.get(key)
    if hit and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
        return hit[2]
    text = textfile.read_text(path)  # "\n" line ends, no BOM: apply puts the file's own form back
    _READ_CACHE[key] = (st.st_mtime_ns, st.st_size, text)
    return text


def clear_cache() -> None:
    """Forget cached file reads (benchmarks use it to time a cold plan)."""
    _READ_CACHE.clear()
    _SPLITS.clear()


_SPLITS: dict[int, tuple[str, list[yamlio.Chunk]]] = {}


def split_read(text: str) -> list[yamlio.Chunk]:
    """``yamlio.split_documents`` of a text ``read_text`` returned (the same object while the file
    is unchanged), kept: every keystroke's plan splits the env's big infrastructure.yaml as read.
    A fresh list; the chunks are frozen."""
    hit = _SPLITS.get(id(text))
    if hit is None or hit[0] is not text:
        if len(_SPLITS) >= 64:
            _SPLITS.pop(next(iter(_SPLITS)), None)
        hit = _SPLITS[id(text)] = (text, yamlio.split_documents(text))
    return list(hit[1])


_MARKER = re.compile(r"^---(?:[ \t].*)?$", re.M)


def append_documents(before: str | None, bodies: list[str]) -> tuple[str, list[int], int]:
    """Append documents to a multi-document file with ``MultiDocFile.append``, without splitting
    the (possibly 1,000-document) existing text: it is held as one chunk, and every byte of it is
    kept. Returns (new text, 1-based first content line of each new document, chunk index that
    ``split_documents`` gives the first new document)."""
    text = before or ""
    mdf = yamlio.MultiDocFile([yamlio.Chunk("", text, 1)] if text else [])
    for body in bodies:
        mdf.append(body)
    after = str(mdf)
    new_chunks = mdf.chunks[len(mdf.chunks) - len(bodies) :]
    starts = [c.first_content_line() for c in new_chunks]
    if not text.strip():
        return after, starts, 0
    markers = len(_MARKER.findall(text))
    m = _MARKER.search(text)
    leading = 1 if m is None or m.start() > 0 else 0  # text before the first marker is a chunk of its own
    return after, starts, markers + leading


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
    y = yamlio.quote_yaml11_specials(YAML(typ="rt"))
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
        return bool(yamlio.load_one(f"k: {value}") == {"k": value})
    except Exception:  # any parse failure: not a plain scalar
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
    _chunks: dict[str, tuple[str, list[yamlio.Chunk]]] = field(default_factory=dict, repr=False)

    def text(self, path: str) -> str | None:
        if path not in self.current:
            text = read_text(self.root / path)
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
        """The documents of ``path`` as it is now (a fresh list: callers replace items in it)."""
        text = self.text(path) or ""
        cached = self._chunks.get(path)
        if cached is None or cached[0] is not text:
            # splitting a 5,000-line infrastructure.yaml costs ~10 ms; an edit asks many times
            split = split_read if text is self.original.get(path) else yamlio.split_documents
            cached = self._chunks[path] = (text, split(text))
        return list(cached[1])

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
        self.replace_body(path, index, new_body)

    def replace_body(self, path: str, index: int, body: str | None) -> None:
        """Document ``index`` of ``path`` gets ``body`` (None: the document is removed); the
        others keep their bytes."""
        chunks = self.chunks(path)
        if body is None:
            del chunks[index]
        else:
            old = chunks[index]
            chunks[index] = yamlio.Chunk(old.marker, body, old.start_line)
        text = "".join(c.text for c in chunks)
        self.set(path, text)
        kept = _spliced_chunks(chunks, index, body is None, text)
        if kept is not None:
            self._chunks[path] = (text, kept)

    def remove_document(self, path: str, index: int) -> None:
        self.replace_body(path, index, None)

    def set_scalar(self, path: str, index: int, keys: tuple[str, ...], value: str) -> bool:
        """Replace an existing single-line scalar in place. False when it is not there (or not a
        single-line scalar): the caller edits structurally instead."""
        chunks = self.chunks(path)
        chunk = chunks[index]
        if "*" in chunk.body:
            yamlio.load_one(chunk.body)  # aliases bounded as everywhere (raises YamlRefused)
        where = yamlio.scalar_position(chunk.body, keys)
        if where is None:
            return False
        line_no, col = where
        lines = chunk.body.splitlines(keepends=True)
        line = lines[line_no]
        end = _scalar_extent(line, col)
        if end is None:
            return False
        old = line[col:end]
        lines[line_no] = line[:col] + format_scalar(value, old) + line[end:]
        self.replace_body(path, index, "".join(lines))
        return True


def _spliced_chunks(
    chunks: list[yamlio.Chunk], index: int, removed: bool, text: str
) -> list[yamlio.Chunk] | None:
    """What ``yamlio.split_documents(text)`` gives for ``text``, the join of ``chunks`` where only
    ``chunks[index]`` is new (or the one there was removed), without splitting the (possibly
    5,000-line) text again: the documents after it move by the lines it gained. None when that
    split could differ (the new document splits otherwise on its own or does not end its line
    before the next one; line breaks other than newlines): the caller splits then."""
    if not chunks or not diff.newlines_only(text):
        return None
    if not removed:
        new = chunks[index]
        alone = yamlio.split_documents(new.text) if new.text else []
        if len(alone) != 1 or (alone[0].marker, alone[0].body) != (new.marker, new.body):
            return None
        if index < len(chunks) - 1 and not new.text.endswith("\n"):
            return None
    out = list(chunks)
    line = 1 if index == 0 else chunks[index - 1].start_line + chunks[index - 1].text.count("\n")
    for i in range(index, len(chunks)):
        c = chunks[i]
        if c.start_line != line:
            moved = _clone(c)  # keeps what the chunk knows of its body (is_empty)
            moved.start_line = line
            out[i] = moved
        elif removed or i > index:
            break  # an unchanged document where it was: so are the ones after it
        line += c.text.count("\n")
    return out


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
            target[key] = to_commented(value)


# --------------------------------------------------------------------------- edits on the repo's documents


def find_kustomization_doc(ws: Workspace, ks: FluxKustomization) -> int:
    """The chunk index of ``ks`` in its file (by name, robust to earlier edits of the file)."""
    for i, c in enumerate(ws.chunks(ks.file)):
        if ks.name not in c.body or c.is_empty():  # parse only the documents that can be it
            continue
        try:
            d = yamlio.load_one(c.body)
        except Exception:  # a document that does not parse is not it
            continue
        if (
            repo_mod.is_flux_kustomization(d)
            and (d.get("metadata") or {}).get("name") == ks.name
            and ((d.get("metadata") or {}).get("namespace") or ks.namespace) == ks.namespace
        ):
            return i
    raise KeyError(ks.id)


def _dependency_items(
    ws: Workspace, ks: FluxKustomization, index: int
) -> tuple[list[str], list[yamlio.BlockItem]] | None:
    """The lines of ``ks``'s document and its dependsOn items, when they can be edited as lines:
    a block list of ``- name: x`` (``namespace: y``) entries, "\n" line ends."""
    body = ws.chunks(ks.file)[index].body
    if "\r" in body or "*" in body or "&" in body:
        return None
    items = yamlio.block_mapping_items(body, ("spec", "dependsOn"))
    if not items:
        return None
    lines = body.splitlines(keepends=True)
    for item in items:
        if lines[item.line][: item.column].strip() != "-" or not set(item.values) <= {"name", "namespace"}:
            return None
    return lines, items


def add_dependency(ws: Workspace, ks: FluxKustomization, target: FluxKustomization, note: str | None) -> None:
    index = find_kustomization_doc(ws, ks)
    found = None if note else _dependency_items(ws, ks, index)
    if found is not None:
        # the common case as a line edit (a round-trip of the document costs ~10 ms a keystroke)
        lines, items = found
        if any(
            i.values.get("name") == target.name
            and i.values.get("namespace", ks.namespace) == target.namespace
            for i in items
        ):
            return
        prefix = lines[items[0].line][: items[0].column]
        entry = f"{prefix}name: {target.name}\n"
        if target.namespace != ks.namespace:
            entry += " " * len(prefix) + f"namespace: {target.namespace}\n"
        end = items[-1].end_line
        if not lines[end].endswith("\n"):
            lines[end] += "\n"
        lines.insert(end + 1, entry)
        ws.replace_body(ks.file, index, "".join(lines))
        return

    def fn(d: Any) -> None:
        spec = d.setdefault("spec", CommentedMap())
        deps = spec.get("dependsOn")
        if not isinstance(deps, list):
            deps = CommentedSeq()
            spec.insert(0, "dependsOn", deps)
        if any(
            isinstance(x, dict)
            and x.get("name") == target.name
            and (x.get("namespace") or ks.namespace) == target.namespace
            for x in deps
        ):
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
    found = _dependency_items(ws, ks, index)
    if found is not None:
        lines, items = found
        gone = [
            i
            for i in items
            if ks_id(i.values.get("namespace") or ks.namespace, i.values.get("name", "")) == target_id
        ]
        if gone and len(gone) < len(items):  # the key stays: drop the items' lines
            for item in reversed(gone):
                del lines[item.line : item.end_line + 1]
            ws.replace_body(ks.file, index, "".join(lines))
            return

    def fn(d: Any) -> None:
        deps = (d.get("spec") or {}).get("dependsOn")
        if not isinstance(deps, list):
            return
        for i, x in reversed(list(enumerate(deps))):
            if (
                isinstance(x, dict)
                and ks_id(str(x.get("namespace") or ks.namespace), str(x.get("name"))) == target_id
            ):
                del deps[i]
        if not deps:
            del d["spec"]["dependsOn"]

    ws.edit(ks.file, index, fn)


def component_files(ws: Workspace, folder: str) -> list[str]:
    """Manifest files kustomize builds from ``folder`` (as the workspace has it now)."""
    fs = kustree.LayeredFS(ws.root, ws.text, lambda: [p for p, t in ws.current.items() if t is not None])
    return kustree.walk(fs, folder).manifests


def component_from_workspace(ws: Workspace, folder: str, name: str) -> Component:
    comp = Component(name=name, dir=folder)
    for path in component_files(ws, folder):
        comp.files.append(path)
        docs, _ = yamlio.load_documents(ws.text(path) or "", path)
        for d in docs:
            comp.resources.extend(repo_mod.as_resources(d.data, path, d.line))
    return comp


def kustomization_resources(
    ws: Workspace, folder: str, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> None:
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


def deps_in_workspace(ws: Workspace, ks: FluxKustomization) -> list[str]:
    if ws.current.get(ks.file, ws.original.get(ks.file)) == ws.original.get(ks.file):
        return list(ks.depends_on_ids)  # its file is as the repo read it
    try:
        idx = find_kustomization_doc(ws, ks)
    except KeyError:
        return []
    data = yamlio.load_one(ws.chunks(ks.file)[idx].body)
    probs: list[Problem] = []
    k = repo_mod.parse_flux_kustomization(
        data,
        file=ks.file,
        line=ks.line,
        env=ks.env,
        default_namespace=ks.namespace,
        doc_index=idx,
        problems=probs,
    )
    return k.depends_on_ids if k else []


def set_path(d: Any, keys: tuple[str, ...], value: Any) -> None:
    for k in keys[:-1]:
        if not isinstance(d.get(k), dict):
            d[k] = CommentedMap()
        d = d[k]
    d[keys[-1]] = value


def merge_env_patch(d: Any, name: str, ns: str, values: dict[str, Any]) -> None:
    spec = d.setdefault("spec", CommentedMap())
    patches = spec.get("patches")
    if not isinstance(patches, list):
        patches = spec["patches"] = CommentedSeq()
    for p in patches:
        target = p.get("target") if isinstance(p, dict) else None
        if (
            isinstance(target, dict)
            and target.get("kind") == "HelmRelease"
            and target.get("name") in (name, None)
            and isinstance(p.get("patch"), str)
        ):
            doc = yamlio.load_one(str(p["patch"]))
            if isinstance(doc, dict) and not isinstance(doc, list):
                cm = to_commented(doc)
                cm.setdefault("spec", CommentedMap())
                if not isinstance(cm["spec"].get("values"), dict):
                    cm["spec"]["values"] = CommentedMap()
                merge_patch(cm["spec"]["values"], values)
                p["patch"] = LiteralScalarString(yamlio.dump_plain(cm))
                return
    target, text = helm_release_patch(name, ns, {k: v for k, v in values.items() if v is not None})
    patches.append(to_commented({"patch": LiteralScalarString(text), "target": target}))


# --------------------------------------------------------------------------- the repo as it would be


def env_after(ws: Workspace, env: Env) -> Env:
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
        kss.extend(_kustomizations_after(ws, k.file, env))
    for path in changed:  # a file of this env that had no Kustomization before
        if (
            path.startswith(f"clusters/{env.name}/")
            and path not in files_done
            and path not in {k.file for k in env.kustomizations}
        ):
            kss.extend(kustomizations_of(ws, path, env.name))
    return Env(env.name, kss, list(env.files), set(env.helmrelease_ids))


_READ_DOCS: dict[
    tuple[int, str], tuple[Env, str, int, tuple[set[str], dict[str, tuple[int, list[FluxKustomization]]]]]
] = {}


def _read_documents(
    env: Env, path: str, original: str
) -> tuple[set[str], dict[str, tuple[int, list[FluxKustomization]]]]:
    """The bodies of ``path``'s documents as read, and the Kustomizations of ``env`` parsed from
    each (with the document's start line); kept for the loaded env: every keystroke of an edit asks."""
    key = (id(env), path)
    hit = _READ_DOCS.get(key)
    if hit is not None and hit[0] is env and hit[1] is original and hit[2] == len(env.kustomizations):
        return hit[3]
    old_chunks = split_read(original)
    kept: dict[str, tuple[int, list[FluxKustomization]]] = {}
    for k in env.kustomizations:
        if k.file == path and 0 <= k.doc_index < len(old_chunks):
            chunk = old_chunks[k.doc_index]
            kept.setdefault(chunk.body, (chunk.start_line, []))[1].append(k)
    found = ({c.body for c in old_chunks}, kept)
    if len(_READ_DOCS) >= 16:
        _READ_DOCS.pop(next(iter(_READ_DOCS)))
    _READ_DOCS[key] = (env, original, len(env.kustomizations), found)
    return found


def _kustomizations_after(ws: Workspace, path: str, env: Env) -> list[FluxKustomization]:
    """The Kustomizations of the changed file ``path``: the documents whose text did not change
    keep their parsed objects (line and index moved), only the others are parsed again. An edit
    of one dependsOn in a 300-document infrastructure.yaml parses one document, not 300."""
    original = ws.original.get(path) or ""
    old_bodies, kept = _read_documents(env, path, original)
    out: list[FluxKustomization] = []
    used: set[str] = set()
    for i, c in enumerate(ws.chunks(path)):
        body = c.body
        if body in old_bodies and body not in used:  # as read (an empty one keeps nothing)
            used.add(body)
            hit = kept.get(body)
            if hit is not None:
                shift = c.start_line - hit[0]
                for k in hit[1]:
                    out.append(k if shift == 0 and i == k.doc_index else _moved(k, k.line + shift, i))
            continue
        if c.is_empty():
            continue
        padded = "\n" * (c.start_line - 1) + c.text  # parsed in place: lines as in the file
        # the lines as in the file up to the document's end: the line locators stop at the next
        # document's `---` or the end, which is the same line (the file is not split for it)
        lines = padded.splitlines()
        docs, _ = yamlio.load_documents(padded, path)
        probs: list[Problem] = []
        for d in docs:
            if repo_mod.is_flux_kustomization(d.data):
                parsed = repo_mod.parse_flux_kustomization(
                    d.data,
                    file=path,
                    line=d.line,
                    env=env.name,
                    default_namespace=FLUX_NS,
                    doc_index=i,
                    lines=lines,
                    problems=probs,
                )
                if parsed:
                    out.append(parsed)
    return out


def _moved(k: FluxKustomization, line: int, doc_index: int) -> FluxKustomization:
    """``dataclasses.replace(k, line=..., doc_index=...)`` without its ``__init__`` call: a line
    added near the top of a 300-document file moves every Kustomization after it."""
    moved = _clone(k)
    moved.line, moved.doc_index = line, doc_index
    return moved


_T = TypeVar("_T")


def _clone(obj: _T) -> _T:
    """A shallow copy of a plain dataclass instance (``copy.copy`` without its generic protocol:
    several times faster, and an edit makes hundreds)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


def kustomizations_of(ws: Workspace, path: str, env: str) -> list[FluxKustomization]:
    text = ws.text(path) or ""
    docs, _ = yamlio.load_documents(text, path)
    out = []
    probs: list[Problem] = []
    lines = text.splitlines()
    for d in docs:
        if repo_mod.is_flux_kustomization(d.data):
            k = repo_mod.parse_flux_kustomization(
                d.data,
                file=path,
                line=d.line,
                env=env,
                default_namespace=FLUX_NS,
                doc_index=d.index,
                lines=lines,
                problems=probs,
            )
            if k:
                out.append(k)
    return out
