"""What kustomize built, object by object, and where each object (and each field) came from. Pure.

The build runs with kustomize's ``buildMetadata: [originAnnotations, transformerAnnotations]``
(``services.origin_build``), so each object carries the file it was read from, or the
kustomization.yaml whose generator made it, and the kustomization.yaml files whose patches ran
over it. Those annotations are taken off here. A field is then placed:

* on its line in the source document, when the source has the same value there;
* on the ``patches`` entry of the kustomization.yaml that set it, when the render differs;
* on the generator entry (``configMapGenerator``, ``secretGenerator``) that made the object;
* on the line of the ``${VAR}`` a Flux postBuild substitution replaced, naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from infra_tui.core import postbuild
from infra_tui.core.k8s_schemas import get_path

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902")
GENERATOR_KEYS = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}
_DOC_SPLIT = re.compile(r"^---[ \t]*$", re.M)


@dataclass
class RenderedObject:
    """One object of the build output, its origin annotations taken off."""

    data: dict[str, Any]
    origin_file: str | None = None  # repo-relative file the object was read from
    generated_in: str | None = None  # repo-relative kustomization.yaml whose generator made it
    generator: str | None = None  # ConfigMapGenerator, SecretGenerator, HelmChartInflationGenerator...
    patched_in: list[str] = field(default_factory=list)  # kustomization.yaml files that ran patches on it
    before_substitution: dict[str, Any] | None = None  # the object before Flux postBuild, if it changed
    substitutions: list[postbuild.Substitution] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion", ""))

    @property
    def name(self) -> str:
        meta = self.data.get("metadata")
        return str(meta.get("name", "")) if isinstance(meta, dict) else ""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}".strip()


def _rel(path: str, build_dir: str, root: str) -> str | None:
    """A path from an annotation (relative to the build dir) as a repo-relative path."""
    if "://" in path or path.startswith(("github.com/", "git@")):
        return None
    full = os.path.normpath(os.path.join(build_dir, path))
    rel = os.path.relpath(full, root)
    return None if rel.startswith("..") else rel.replace(os.sep, "/")


def _take_annotations(obj: dict[str, Any]) -> tuple[Any, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("annotations"), dict):
        return None, None
    notes = meta["annotations"]
    origin = notes.pop(ORIGIN, None)
    trans = notes.pop(TRANSFORMATIONS, None)
    if not notes:
        del meta["annotations"]
    return origin, trans


def parse_build(
    output: str, *, build_dir: str, root: str, post_build: postbuild.PostBuild | None = None
) -> list[RenderedObject]:
    """Split kustomize's output into objects, read their origins, apply Flux postBuild substitution."""
    objects: list[RenderedObject] = []
    for text in _DOC_SPLIT.split(output):
        data = yaml.load(text, Loader=_Loader)  # safe loader
        if not isinstance(data, dict):
            continue
        origin_text, trans_text = _take_annotations(data)
        obj = RenderedObject(data)
        origin = yaml.load(origin_text, Loader=_Loader) if isinstance(origin_text, str) else None
        if isinstance(origin, dict):
            if origin.get("path"):
                obj.origin_file = _rel(str(origin["path"]), build_dir, root)
            elif origin.get("configuredIn"):
                obj.generated_in = _rel(str(origin["configuredIn"]), build_dir, root)
                by = origin.get("configuredBy")
                obj.generator = str(by.get("kind")) if isinstance(by, dict) else None
        trans = yaml.load(trans_text, Loader=_Loader) if isinstance(trans_text, str) else None
        for t in trans if isinstance(trans, list) else []:
            by = t.get("configuredBy") if isinstance(t, dict) else None
            if isinstance(by, dict) and by.get("kind") == "PatchTransformer" and t.get("configuredIn"):
                where = _rel(str(t["configuredIn"]), build_dir, root)
                if where and where not in obj.patched_in:
                    obj.patched_in.append(where)
        if post_build is not None and post_build.active and not postbuild.disabled(data) and "${" in text:
            _substitute(obj, text, post_build)
        objects.append(obj)
    return objects


def _substitute(obj: RenderedObject, text: str, post_build: postbuild.PostBuild) -> None:
    # On the object's YAML as kustomize wrote it (quotes kept), as kustomize-controller does.
    new_text, used = postbuild.substitute(text, post_build)
    if not used:
        return
    try:
        new = yaml.load(new_text, Loader=_Loader)
    except yaml.YAMLError:
        return  # kustomize-controller fails the same way; the schema check cannot say more
    if isinstance(new, dict):
        _take_annotations(new)
        obj.before_substitution, obj.data, obj.substitutions = obj.data, new, used


# --------------------------------------------------------------------------- where a field came from


@dataclass(frozen=True)
class Place:
    """Where to fix a field: file, line, and what put the value there (for the message)."""

    file: str | None
    line: int | None
    via: str = ""


FieldLine = Callable[[Any, Sequence[Any]], int]  # (source doc, path) -> 1-based line
ReadText = Callable[[str], "str | None"]  # repo-relative path -> text


def _source_doc(obj: RenderedObject, docs: Sequence[Any]) -> Any:
    """The source document (``.file .kind .name .data``) the object was read from."""
    same_file = [d for d in docs if d.file == obj.origin_file and isinstance(d.data, dict)]
    same_kind = [d for d in same_file if d.kind == obj.kind]
    for d in same_kind:
        if d.name == obj.name:
            return d
    for d in same_kind:
        if d.name and d.name in obj.name:  # namePrefix / nameSuffix
            return d
    if len(same_kind) == 1:
        return same_kind[0]
    return same_file[0] if len(same_file) == 1 else None


def _compose(text: str) -> Any:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None


def _mapping_value(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v
    return None


def _matches(selector: Any, obj: RenderedObject) -> bool:
    if not isinstance(selector, dict):
        return True
    group, _, version = obj.api_version.rpartition("/")
    meta = obj.data.get("metadata") or {}
    have = {"kind": obj.kind, "name": obj.name, "group": group, "version": version,
            "namespace": meta.get("namespace") if isinstance(meta, dict) else None}  # fmt: skip
    for key, want in selector.items():
        if key in have and want is not None:
            value = str(have[key] or "")
            if key == "name" and str(want) in value:
                continue  # the render may add a prefix, a suffix or a generator's hash
            try:
                if not re.fullmatch(str(want), value):
                    return False
            except re.error:
                if str(want) != value:
                    return False
    return True


def _touches_smp(patch: Any, path: Sequence[Any]) -> bool:
    node = patch
    for key in path:
        if isinstance(node, list):
            return True  # lists merge by key: assume the patch may set it
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _touches_json6902(ops: Any, path: Sequence[Any]) -> bool:
    pointer = "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)
    for op in ops if isinstance(ops, list) else []:
        target = str(op.get("path", "")) if isinstance(op, dict) else ""
        if target and (
            pointer == target or pointer.startswith(target + "/") or target.startswith(pointer + "/")
        ):
            return True
    return False


def _patch_entry(
    kfile: str, ktext: str, obj: RenderedObject, path: Sequence[Any], read: ReadText, *, strict: bool = False
) -> Place | None:
    """The ``patches`` entry of ``kfile`` that targets ``obj`` and sets ``path`` (else, unless
    ``strict``, one that targets it)."""
    try:
        data = yaml.load(ktext, Loader=_Loader)
    except yaml.YAMLError:
        return None
    root = _compose(ktext)
    if not isinstance(data, dict) or root is None:
        return None
    folder = kfile.rpartition("/")[0]
    fallback: Place | None = None
    for key in PATCH_KEYS:
        entries, nodes = data.get(key), _mapping_value(root, key)
        if not isinstance(entries, list) or not isinstance(nodes, yaml.SequenceNode):
            continue
        for entry, node in zip(entries, nodes.value, strict=False):
            line = node.start_mark.line + 1
            body: Any = entry.get("patch") if isinstance(entry, dict) else None
            file_ref = (
                entry.get("path") if isinstance(entry, dict) else entry if isinstance(entry, str) else None
            )
            if isinstance(entry, str) and "\n" in entry:
                body, file_ref = entry, None
            if file_ref:
                body = read(os.path.normpath(f"{folder}/{file_ref}").replace(os.sep, "/"))
            try:
                patch = yaml.load(body, Loader=_Loader) if isinstance(body, str) else None
            except yaml.YAMLError:
                patch = None
            target = entry.get("target") if isinstance(entry, dict) else None
            if target is None and isinstance(patch, dict):
                pmeta = patch.get("metadata") or {}
                target = {
                    "kind": patch.get("kind"),
                    "name": pmeta.get("name") if isinstance(pmeta, dict) else None,
                }
            if not _matches(target, obj):
                continue
            what = f"patch {file_ref}" if file_ref else "patch"
            place = Place(kfile, line, f"set by the {what} at {kfile}:{line}")
            touches = _touches_json6902(patch, path) if isinstance(patch, list) else _touches_smp(patch, path)
            if touches:
                return place
            fallback = fallback or place
    return None if strict else fallback


def _generator_entry(obj: RenderedObject, read: ReadText) -> Place:
    kfile = obj.generated_in or ""
    text = read(kfile) if kfile else None
    key = GENERATOR_KEYS.get(obj.generator or "")
    root = _compose(text) if text and key else None
    nodes = _mapping_value(root, key) if root is not None and key else None
    if isinstance(nodes, yaml.SequenceNode):
        best = None
        for node in nodes.value:
            name = _mapping_value(node, "name")
            value = str(getattr(name, "value", ""))
            if value and (obj.name == value or obj.name.startswith(value + "-") or value in obj.name):
                if best is None or len(value) > len(str(getattr(_mapping_value(best, "name"), "value", ""))):
                    best = node
        if best is not None:
            line = best.start_mark.line + 1
            return Place(kfile, line, f"made by the {key} entry at {kfile}:{line}")
        line = nodes.start_mark.line
        return Place(kfile, line, f"made by {key} in {kfile}")
    return Place(kfile or None, None, f"made by {obj.generator or 'a generator'} in {kfile}")


def locate(
    obj: RenderedObject,
    path: Sequence[Any],
    docs: Sequence[Any],
    field_line: FieldLine,
    read: ReadText,
    component_kustomization: str,
) -> Place:
    """Where the value at ``path`` of ``obj`` was written (see the module docstring)."""
    if obj.generated_in:
        made = _generator_entry(obj, read)
        for kfile in dict.fromkeys([*obj.patched_in, obj.generated_in]):
            text = read(kfile)
            place = _patch_entry(kfile, text, obj, path, read, strict=True) if text and path else None
            if place is not None:
                return Place(place.file, place.line, f"{place.via}, on the object {made.via}")
        return made
    doc = _source_doc(obj, docs)
    before = obj.before_substitution if obj.before_substitution is not None else obj.data
    found_before, value_before = get_path(before, path)
    # a Flux postBuild variable put this value here
    if obj.substitutions and found_before and isinstance(value_before, str) and "${" in value_before:
        names = [s for s in obj.substitutions if "${" + s.var in value_before]
        said = ", ".join(
            f"${{{s.var}}} = {s.value!r}" + (f" from {s.defined_at}" if s.defined_at else "") for s in names
        )
        via = f"after Flux postBuild substitution ({said})" if said else "after Flux postBuild substitution"
        line = field_line(doc, path) if doc is not None else None
        return Place(doc.file if doc is not None else obj.origin_file, line, via)
    if doc is not None:
        found_src, value_src = get_path(doc.data, path)
        if found_src and value_src == value_before:
            return Place(doc.file, field_line(doc, path))
        # the render differs from the source: a patch of some kustomization.yaml set it
        for kfile in [*obj.patched_in, component_kustomization]:
            text = read(kfile)
            place = _patch_entry(kfile, text, obj, path, read) if text else None
            if place is not None:
                return place
        return Place(doc.file, field_line(doc, path), "" if found_src else "added by kustomize")
    if obj.origin_file:
        return Place(obj.origin_file, None)
    return Place(component_kustomization, None)


def duplicate_keys(text: str, file: str) -> list[tuple[int, str]]:
    """(line, message) for every mapping key written twice in ``text`` (every document)."""
    out: list[tuple[int, str]] = []
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.YAMLError:
        return out
    stack: list[Any] = [n for n in nodes if n is not None]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in node.value:
                key = getattr(k, "value", None)
                if isinstance(key, str) and isinstance(k, yaml.ScalarNode):
                    if key in seen and key != "<<":
                        out.append((k.start_mark.line + 1,
                                    f"duplicate key {key!r} (first at line {seen[key]}); keep one"))  # fmt: skip
                    seen.setdefault(key, k.start_mark.line + 1)
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(out)


def referenced_files(objs: Iterable[RenderedObject]) -> set[str]:
    return {o.origin_file for o in objs if o.origin_file}


# --------------------------------------------------------------------------- the offline check


MAX_PROBLEMS_PER_OBJECT = 8


@dataclass
class RenderedCheck:
    """The offline verdict on one build: issues (``core.validation.Issue``), notes, objects checked."""

    issues: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0


def check_rendered(
    objects: Sequence[RenderedObject],
    *,
    docs: Sequence[Any],
    field_line: FieldLine,
    read: ReadText,
    component: str,
    minor: str,
    ancestor_ids: Iterable[str] | None = None,
    crd_providers: Sequence[Any] | None = None,
    self_id: str | None = None,
) -> RenderedCheck:
    """Check every built object against its schema; each problem placed where it can be fixed.

    CRD instances whose CRD is not installed yet are classified as the cluster would: expected when
    a dependency provides the CRD, else missing (``ancestor_ids=None``: dependencies unknown).
    """
    from infra_tui.core import k8s_schemas as ks
    from infra_tui.core import validation as v

    table = v.crd_providers(crd_providers)
    ancestors = list(ancestor_ids) if ancestor_ids is not None else None
    kfile = f"{component}/kustomization.yaml"
    out = RenderedCheck()
    unchecked: set[str] = set()
    for obj in objects:
        api_version, kind = obj.api_version, obj.kind
        group = api_version.rpartition("/")[0]
        if not api_version or not kind:
            place = locate(obj, [], docs, field_line, read, kfile)
            out.issues.append(v.Issue(v.SCHEMA, f"missing {'apiVersion' if not api_version else 'kind'}",
                                      place.file, place.line))  # fmt: skip
            continue
        builtin = ks.is_builtin(api_version, kind, minor)
        if not builtin and group in ks.builtin_groups(minor):
            place = locate(obj, ["apiVersion"], docs, field_line, read, kfile)
            out.issues.append(v.Issue(v.SCHEMA, f"{obj.label}: {kind} in {api_version} is not served by Kubernetes "
                                      f"{minor}; use a current apiVersion", place.file, place.line))  # fmt: skip
            continue
        if not builtin and ancestors is not None and v.provider_for(kind, group, table) is not None:
            place = locate(obj, [], docs, field_line, read, kfile)
            issue = v.classify_missing_crd(kind, api_version, ancestors, table, file=place.file, line=place.line,
                                           self_id=self_id)  # fmt: skip
            if issue.fails or ks.validator_for(api_version, kind, minor)[0] is None:
                out.issues.append(issue)  # missing; or expected, its schema arriving with the dependency
                continue
        problems, source = ks.check_object(obj.data, minor)
        if source == "none":
            unchecked.add(f"{kind} ({api_version})")
        out.checked += 1
        shown = 0
        for p in problems:
            found, value = ks.get_path(obj.data, p.path)
            if found and isinstance(value, str) and "${" in value:
                continue  # a Flux variable this check cannot know: Flux substitutes it
            if shown == MAX_PROBLEMS_PER_OBJECT:
                place = locate(obj, [], docs, field_line, read, kfile)
                out.issues.append(
                    v.Issue(v.SCHEMA, f"{obj.label}: more problems not shown", place.file, place.line)
                )
                break
            place = locate(obj, p.path, docs, field_line, read, kfile)
            cls = v.UNKNOWN_FIELD if p.severity == "warning" else v.SCHEMA
            via = f" ({place.via})" if place.via else ""
            out.issues.append(
                v.Issue(cls, f"{obj.label}: {ks.dotted(p.path)}: {p.message}{via}", place.file, place.line)
            )
            shown += 1
    if unchecked:
        out.notes.append(
            f"no schema for {', '.join(sorted(unchecked))}: metadata checked, the rest not offline"
        )
    return out
