"""What Flux deploys: the reconciliation tree of one cluster, walked from its entry folder. Pure.

The entry folder is built as kustomize-controller builds it (``core.kustree``: its
kustomization.yaml, or every manifest below it). Each Flux Kustomization found in what is built is
deployed; its ``spec.path`` (with ``spec.components``) is built in turn when its source is this
repo (the GitRepository the cluster syncs, ``flux-system`` as ``flux bootstrap`` names it), and so
on down. On the way, a parent's ``targetNamespace`` and the namespace of the kustomization.yaml
files around a document set its namespace, and the parent's ``postBuild`` variables (``substitute``
and the ConfigMaps / unencrypted Secrets of ``substituteFrom`` found in the repo) are substituted
into the child's fields (``${VAR}``, ``${VAR:=default}``), as Flux does after the build.

Where a build's folder has no kustomization.yaml, kustomize-controller generates one and decodes
every YAML file it lists: documents that are no objects (a values file) are kept for the
``non-manifest-yaml`` rule, as Flux fails that build on them.

A document reached twice is one definition; two documents with one ``namespace/name`` are a
duplicate (both kept for the ``duplicate-id`` rule, the first reached is deployed). What no walk
reaches is not deployed: it is not read at all, so its problems never count.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from infra_tui.core import kustree, postbuild, yamlio
from infra_tui.core.model import (
    DEFAULT_FLUX_NAMESPACE,
    FLUX_KS_GROUP,
    DependsOn,
    FluxKustomization,
    NotAnObject,
    Problem,
    ks_id,
    mapping,
)

SYNC_SOURCE = "flux-system"  # the GitRepository `flux bootstrap` writes for the repo itself


def is_flux_kustomization(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and doc.get("kind") == "Kustomization"
        and str(doc.get("apiVersion", "")).startswith(FLUX_KS_GROUP + "/")
    )


def parse_flux_kustomization(
    data: dict[str, Any],
    *,
    file: str,
    line: int,
    env: str,
    default_namespace: str,
    doc_index: int,
    lines: list[str] | None = None,
    problems: list[Problem],
) -> FluxKustomization | None:
    """Build a ``FluxKustomization`` from one parsed document, reporting bad fields as problems."""
    lines = lines or []
    meta = data.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        problems.append(Problem(file, line, "Flux Kustomization without metadata.name; add a name"))
        return None
    name = str(meta["name"])
    namespace = str(meta.get("namespace") or default_namespace)
    spec = mapping(data.get("spec"))
    deps: list[DependsOn] = []
    raw_deps = spec.get("dependsOn") or []
    deps_line = yamlio.key_line(lines, ("spec", "dependsOn"), line) if raw_deps else line
    if not isinstance(raw_deps, list):
        problems.append(
            Problem(file, deps_line, f"{name}: spec.dependsOn must be a list of {{name, namespace}} mappings")
        )
        raw_deps = []
    entry_lines = yamlio.block_list_items(lines, deps_line)[0] if raw_deps else []
    for offset, entry in enumerate(raw_deps):
        entry_line = entry_lines[offset] if offset < len(entry_lines) else deps_line + 1 + offset
        if not isinstance(entry, dict) or not entry.get("name"):
            problems.append(
                Problem(
                    file,
                    entry_line,
                    f"{name}: dependsOn entry {entry!r} is not a mapping with a name; write '- name: <kustomization>'",
                )
            )
            continue
        deps.append(
            DependsOn(ks_id(str(entry.get("namespace") or namespace), str(entry["name"])), entry_line)
        )
    raw_patches = spec.get("patches")
    patches: list[Any] = raw_patches if isinstance(raw_patches, list) else []
    for patch in patches:
        text = patch.get("patch") if isinstance(patch, dict) else None
        if isinstance(text, str) and (why := yamlio.alias_problem(text)):
            problems.append(
                Problem(
                    file, yamlio.key_line(lines, ("spec", "patches"), line), f"{name}: a patch string: {why}"
                )
            )
            patches = []
            break
    return FluxKustomization(
        name=name,
        namespace=namespace,
        file=file,
        line=line,
        api_version=str(data.get("apiVersion")),
        env=env,
        path=spec.get("path") if isinstance(spec.get("path"), str) else None,
        depends_on=deps,
        wait=spec.get("wait") if isinstance(spec.get("wait"), bool) else None,
        timeout=str(spec["timeout"]) if spec.get("timeout") is not None else None,
        interval=str(spec["interval"]) if spec.get("interval") is not None else None,
        retry_interval=str(spec["retryInterval"]) if spec.get("retryInterval") is not None else None,
        prune=spec.get("prune") if isinstance(spec.get("prune"), bool) else None,
        suspend=bool(spec.get("suspend", False)),
        source_ref=spec.get("sourceRef") if isinstance(spec.get("sourceRef"), dict) else None,
        patches=patches,
        doc_index=doc_index,
        data=data,
    )


# --------------------------------------------------------------------------- the walk


@dataclass
class OutOfReach:
    """A deployed Flux Kustomization whose content cannot be read from this repo, and why."""

    ks: FluxKustomization
    reason: str


@dataclass
class Deployed:
    """One cluster's reconciliation tree."""

    entry: list[str]
    kustomizations: list[FluxKustomization] = field(default_factory=list)
    builds: dict[str, kustree.KustomizeTree] = field(default_factory=dict)  # ks id -> what it builds
    entry_trees: list[kustree.KustomizeTree] = field(default_factory=list)
    out_of_reach: list[OutOfReach] = field(default_factory=list)
    duplicates: list[tuple[FluxKustomization, FluxKustomization]] = field(default_factory=list)
    not_objects: list[NotAnObject] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: set[str] = field(default_factory=set)  # every manifest file reached
    folders: set[str] = field(default_factory=set)  # every folder a build started from


Docs = Callable[[str], list[yamlio.LoadedDocument]]
Lines = Callable[[str], list[str]]


def reconcile(
    fs: kustree.TreeFS,
    docs: Docs,
    lines: Lines,
    entries: list[str],
    env: str,
    *,
    source: str = SYNC_SOURCE,
) -> Deployed:
    """Walk Flux's reconciliation tree from ``entries`` (repo-relative folders or files).

    ``docs(rel)``/``lines(rel)``: the parsed documents / text lines of a file (the caller reads
    and caches them, and records their parse problems: only files reached are ever read).
    """
    out = Deployed([kustree.norm(e) for e in entries])
    for entry in out.entry:
        if fs.kind(entry) == kustree.FILE:
            out.entry_trees.append(kustree.KustomizeTree(entry, files=[entry], has_kustomization=False))
        else:
            out.entry_trees.append(kustree.walk(fs, entry))
    seen_docs: set[tuple[str, int]] = set()
    checked: set[str] = set()  # files of generated kustomizations checked for objects
    by_id: dict[str, FluxKustomization] = {}
    sources: list[Any] = []
    read_for_sources: set[str] = set()

    def var_sources() -> list[Any]:
        for f in sorted(out.files - read_for_sources):
            read_for_sources.add(f)
            file_docs = docs(f)
            if any(
                isinstance(d.data, dict) and d.data.get("kind") in ("ConfigMap", "Secret") for d in file_docs
            ):
                sources.extend(postbuild.sources_in(f, file_docs, "\n".join(lines(f))))
        return sources

    # an entry folder is built by the cluster's sync Kustomization when it holds it: its postBuild
    # and targetNamespace apply to the entry's own documents, as to any other build
    queue: list[tuple[kustree.KustomizeTree, FluxKustomization | None]] = [
        (t, _self_sync(t, docs, env, source)) for t in out.entry_trees
    ]
    while queue:
        tree, owner = queue.pop(0)
        out.folders.add(tree.folder)
        out.problems.extend(Problem(p.file, p.line, p.message) for p in tree.problems)
        out.files.update(tree.manifests)
        out.not_objects.extend(_not_objects(tree, docs, owner, checked))
        pb = postbuild.post_build_for(owner, var_sources) if owner is not None else None
        target_ns = _target_namespace(owner)
        for rel in tree.manifests:
            file_docs = docs(rel)
            if not any(is_flux_kustomization(d.data) for d in file_docs):
                continue
            file_lines = lines(rel)
            for d in file_docs:
                if not is_flux_kustomization(d.data) or (rel, d.index) in seen_docs:
                    continue
                seen_docs.add((rel, d.index))
                data = d.data
                if pb is not None and pb.active and not postbuild.disabled(data):
                    data = _substituted(data, pb)
                ns = target_ns or tree.namespace_of.get(rel) or DEFAULT_FLUX_NAMESPACE
                if target_ns or rel in tree.namespace_of:
                    data = _with_namespace(data, ns)
                ks = parse_flux_kustomization(
                    data,
                    file=rel,
                    line=d.line,
                    env=env,
                    default_namespace=ns,
                    doc_index=d.index,
                    lines=file_lines,
                    problems=out.problems,
                )
                if ks is None:
                    continue
                if ks.id in by_id:
                    out.duplicates.append((by_id[ks.id], ks))
                    continue
                by_id[ks.id] = ks
                out.kustomizations.append(ks)
                child = _build(fs, ks, source, out)
                if child is not None:
                    out.builds[ks.id] = child
                    queue.append((child, ks))
    return out


def _not_objects(
    tree: kustree.KustomizeTree, docs: Docs, owner: FluxKustomization | None, checked: set[str]
) -> Iterator[NotAnObject]:
    """Documents kustomize-controller's generated kustomization cannot decode: it lists every YAML
    file below a folder without kustomization.yaml and decodes each as Kubernetes objects (a kind,
    and a metadata.name unless the kind is a List); empty documents are skipped."""
    for rel in tree.manifests:
        if rel not in tree.flux_generated or rel in checked:
            continue
        checked.add(rel)
        for d in docs(rel):
            data = d.data
            if data is None:
                continue
            if not isinstance(data, dict):
                why = "is not a mapping"
            elif not data.get("kind"):
                why = "has no kind"
            elif not str(data["kind"]).endswith("List") and not mapping(data.get("metadata")).get("name"):
                why = "has no metadata.name"
            else:
                continue
            yield NotAnObject(owner.id if owner else None, rel, d.line, why, tree.folder)


def _self_sync(tree: kustree.KustomizeTree, docs: Docs, env: str, source: str) -> FluxKustomization | None:
    """The Flux Kustomization in ``tree`` that builds ``tree``'s own folder from this repo (the
    root sync: ``flux-system`` in gotk-sync.yaml, ``cluster`` in a config/cluster.yaml), if any."""
    for rel in tree.manifests:
        for d in docs(rel):
            if not is_flux_kustomization(d.data):
                continue
            path = mapping(d.data.get("spec")).get("path")
            if (
                not isinstance(path, str)
                or kustree.norm(path.strip().removeprefix("./").lstrip("/")) != tree.folder
            ):
                continue
            ks = parse_flux_kustomization(
                d.data,
                file=rel,
                line=d.line,
                env=env,
                default_namespace=tree.namespace_of.get(rel) or DEFAULT_FLUX_NAMESPACE,
                doc_index=d.index,
                problems=[],  # the walk parses it again and reports
            )
            if ks is not None and in_repo(ks, source) is None:
                return ks
    return None


def _target_namespace(owner: FluxKustomization | None) -> str | None:
    if owner is None:
        return None
    tn = mapping(owner.data.get("spec")).get("targetNamespace")
    return tn if isinstance(tn, str) and tn and "${" not in tn else None


def _with_namespace(data: dict[str, Any], ns: str) -> dict[str, Any]:
    meta = mapping(data.get("metadata"))
    if meta.get("namespace") == ns:
        return data
    return {**data, "metadata": {**meta, "namespace": ns}}


def _substituted(data: dict[str, Any], pb: postbuild.PostBuild) -> dict[str, Any]:
    def sub(node: Any) -> Any:
        if isinstance(node, str):
            return postbuild.substitute(node, pb)[0] if "${" in node else node
        if isinstance(node, dict):
            return {k: sub(v) for k, v in node.items()}
        if isinstance(node, list):
            return [sub(v) for v in node]
        return node

    result: dict[str, Any] = sub(copy.copy(data))
    return result


def in_repo(ks: FluxKustomization, source: str = SYNC_SOURCE) -> str | None:
    """Why ``ks``'s content is not read from this repo, or None when it is."""
    ref = ks.source_ref or {}
    kind = str(ref.get("kind") or "GitRepository")
    name = str(ref.get("name") or "")
    if kind != "GitRepository" or name != source:
        return f"its source is {kind} {name or '(unnamed)'}, not this repo's GitRepository {source}"
    return None


def _build(
    fs: kustree.TreeFS, ks: FluxKustomization, source: str, out: Deployed
) -> kustree.KustomizeTree | None:
    why = in_repo(ks, source)
    if why is None and ks.path is not None and "${" in ks.path:
        why = f"its path {ks.path} names a variable that is not known"
    if why is None:
        path = kustree.norm((ks.path or "").strip().removeprefix("./").lstrip("/"))
        if fs.kind(path) != kustree.DIR:
            why = f"its path {ks.path or './'} is not a folder of this repo"
    if why is not None:
        out.out_of_reach.append(OutOfReach(ks, why))
        return None
    comps = mapping(ks.data.get("spec")).get("components")
    components = [c for c in comps if isinstance(c, str)] if isinstance(comps, list) else []
    return kustree.walk(fs, path, components=components)


# --------------------------------------------------------------------------- envs


@dataclass(frozen=True)
class EntryPoint:
    """A cluster of the repo: its name, its entry folder, the GitRepository that is the repo."""

    name: str
    entry: str  # repo-relative folder (or file)
    source: str = SYNC_SOURCE
    sync_file: str | None = None  # where the sync objects are written


def sync_entries(candidates: Iterator[tuple[str, list[yamlio.LoadedDocument]]]) -> list[EntryPoint]:
    """Clusters bootstrapped by ``flux bootstrap``: files holding a GitRepository and a Flux
    Kustomization that syncs it (``clusters/<name>/flux-system/gotk-sync.yaml``)."""
    found: list[EntryPoint] = []
    for rel, file_docs in candidates:
        repos = {
            str(mapping(d.data.get("metadata")).get("name"))
            for d in file_docs
            if isinstance(d.data, dict) and d.data.get("kind") == "GitRepository"
        }
        for d in file_docs:
            if not is_flux_kustomization(d.data):
                continue
            spec = mapping(d.data.get("spec"))
            ref = mapping(spec.get("sourceRef"))
            path = spec.get("path")
            if ref.get("name") in repos and isinstance(path, str) and "${" not in path:
                entry = kustree.norm(path.strip().removeprefix("./").lstrip("/"))
                name = entry.rsplit("/", 1)[-1] or "root"
                found.append(EntryPoint(name, entry, str(ref.get("name")), rel))
    return found


def unique_names(entries: list[EntryPoint]) -> list[EntryPoint]:
    """Entries named by their folder; the full folder where two share a last part."""
    names = [e.name for e in entries]
    return [
        EntryPoint(e.entry if names.count(e.name) > 1 else e.name, e.entry, e.source, e.sync_file)
        for e in entries
    ]


def undeployed_scope(out: Deployed) -> set[str]:
    """The folders whose unreached Flux Kustomizations are reported as undeployed."""
    return {f for f in out.folders if f}
