"""Reading a Flux repo from disk into the model.

Two shapes are read:

* the **flat** shape of the house patterns: ``clusters/<env>/*.yaml`` hold the env's Flux
  Kustomizations (``infrastructure.yaml`` first of all), ``namespaces/<component>/`` the
  components;
* **any** shape (``--path DIR``): every YAML file below DIR is scanned for Flux Kustomizations and
  the directory named is one cluster. This is how the public repos of the corpus (per-app
  ``ks.yaml`` files, nested kustomizations) are read.

Reading never stops at the first bad file: every problem becomes a ``Problem`` (file, line, what
to do) and the rest still loads. Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_tui.core import settings as settings_mod
from infra_tui.core import textfile, yamlio
from infra_tui.core.model import (
    DEFAULT_FLUX_NAMESPACE,
    FLUX_KS_GROUP,
    KUSTOMIZE_GROUP,
    Component,
    DependsOn,
    Env,
    FluxKustomization,
    Problem,
    Repo,
    Resource,
    ks_id,
    mapping,
)
from infra_tui.errors import UserError

YAML_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SKIP_DIRS = {".git", ".github", "node_modules", ".venv", "__pycache__"}


def is_flux_kustomization(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and doc.get("kind") == "Kustomization"
        and str(doc.get("apiVersion", "")).startswith(FLUX_KS_GROUP + "/")
    )


def is_kustomize_file(doc: Any) -> bool:
    """kustomize's own ``kind: Kustomization`` (kustomize.config.k8s.io), not Flux's."""
    return isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith(KUSTOMIZE_GROUP + "/")


def _norm(path: Path) -> Path:
    """Absolute and normalised, without resolving symlinks (resolve() costs a syscall per part)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def find_root(start: Path) -> Path:
    """Walk up from ``start`` to the directory holding ``clusters/*/infrastructure.yaml``."""
    start = _norm(start)
    for candidate in (start, *start.parents):
        clusters = candidate / "clusters"
        if clusters.is_dir() and any(clusters.glob("*/infrastructure.yaml")):
            return candidate
    raise UserError(
        f"{start} is not inside a flat Flux repo (no clusters/<env>/infrastructure.yaml found here or above); "
        "pass --repo PATH, or --path DIR to read another repo shape"
    )


# --------------------------------------------------------------------------- file cache

# Parsed files of this process, keyed by absolute path and checked against (mtime, size): the
# TUI reloads the repo after every write, and only the files that changed are parsed again.
# Parsed data is shared between loads: treat it as read-only.
_PARSED: dict[str, tuple[tuple[int, int], str, list[yamlio.LoadedDocument], list[yamlio.YamlError]]] = {}
_PARSED_MAX = 50_000


def clear_cache() -> None:
    """Forget every parsed file (benchmarks use it to time a cold load)."""
    _PARSED.clear()


@dataclass
class _Reader:
    """Reads and parses each file once per load."""

    root: Path
    problems: list[Problem] = field(default_factory=list)
    parsed: dict[str, list[yamlio.LoadedDocument]] = field(
        default_factory=dict
    )  # rel -> documents, this load
    _rel: dict[str, str] = field(default_factory=dict)

    def rel(self, path: Path) -> str:
        key = str(path)
        cached = self._rel.get(key)
        if cached is None:
            full = os.path.normpath(os.path.abspath(key))
            root = str(self.root)
            if full.startswith(root + os.sep):
                cached = full[len(root) + 1 :].replace(os.sep, "/")
            else:
                cached = Path(full).as_posix()
            self._rel[key] = cached
        return cached

    def docs(self, path: Path) -> list[yamlio.LoadedDocument]:
        rel = self.rel(path)
        if rel in self.parsed:
            return self.parsed[rel]
        full = os.path.normpath(os.path.abspath(path))
        try:
            st = os.stat(full)
            hit = _PARSED.get(full)
            if hit is not None and hit[0] == (st.st_mtime_ns, st.st_size) and hit[1] == rel:
                docs, errors = hit[2], hit[3]
            else:
                text = textfile.read_text(full)
                docs, errors = yamlio.load_documents(text, rel)
                if len(_PARSED) >= _PARSED_MAX:
                    _PARSED.clear()
                _PARSED[full] = ((st.st_mtime_ns, st.st_size), rel, docs, errors)
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(rel, 0, textfile.why_unreadable(exc)))
            self.parsed[rel] = []
            return []
        self.problems.extend(Problem(e.file, e.line, e.message) for e in errors)
        self.parsed[rel] = docs
        return docs


# --------------------------------------------------------------------------- kustomize resolution


@dataclass
class _KustomizeTree:
    """What a folder's kustomization.yaml (or Flux's generated one) resolves to."""

    files: list[Path] = field(default_factory=list)
    patch_files: set[Path] = field(default_factory=set)
    has_kustomization: bool = True


def _kustomization_file(folder: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        p = folder / name
        if p.is_file():
            return p
    return None


def resolve_folder(
    reader: _Reader, folder: Path, _seen: set[tuple[int, int]] | None = None
) -> _KustomizeTree:
    """The manifest files kustomize would read for ``folder``.

    Follows ``resources`` and ``components`` (files and folders, recursively); remote URLs are
    skipped. A folder without kustomization.yaml is read as Flux does: every YAML file below it.
    Each folder is read once, known by (device, inode): symlinks such as ``loop -> ..`` or
    ``self -> .`` cannot make the walk endless.
    """
    seen = _seen if _seen is not None else set()
    folder = _norm(folder)
    tree = _KustomizeTree()
    try:
        st = os.stat(folder)
    except OSError as exc:
        reader.problems.append(Problem(reader.rel(folder), 0, textfile.why_unreadable(exc)))
        return tree
    if (st.st_dev, st.st_ino) in seen:
        return tree
    seen.add((st.st_dev, st.st_ino))
    kfile = _kustomization_file(folder)
    if kfile is None:
        # Flux generates a kustomization.yaml: every manifest below the folder, except that a
        # sub-folder holding its own kustomization.yaml is included as that kustomization.
        tree.has_kustomization = False
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            reader.problems.append(
                Problem(reader.rel(folder), 0, f"cannot list this folder: {textfile.why_unreadable(exc)}")
            )
            return tree
        for entry in entries:
            if entry.is_dir() and entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                sub = resolve_folder(reader, entry, seen)
                tree.files.extend(sub.files)
                tree.patch_files |= sub.patch_files
            elif entry.name.endswith(YAML_SUFFIXES) and (entry.is_file() or entry.exists()):
                tree.files.append(entry)  # a FIFO or socket is reported when it is read
        return tree
    docs = reader.docs(kfile)
    kdoc = docs[0].data if docs and isinstance(docs[0].data, dict) else {}
    for p in _patch_paths(kdoc, folder):
        tree.patch_files.add(p)
    for key in ("resources", "components", "bases"):
        entries = kdoc.get(key) or []
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, str) or "://" in entry or entry.startswith("github.com/"):
                continue
            target = _norm(folder / entry)
            try:
                mode = os.stat(target).st_mode  # one stat: folder, file or missing
            except OSError:
                mode = 0
            if stat.S_ISDIR(mode):
                sub = resolve_folder(reader, target, seen)
                tree.files.extend(sub.files)
                tree.patch_files |= sub.patch_files
            elif stat.S_ISREG(mode):
                tree.files.append(target)
            else:
                reader.problems.append(
                    Problem(
                        reader.rel(kfile),
                        _entry_line(kfile, entry),
                        f"'{entry}' listed in {key} does not exist; fix the path or remove it",
                    )
                )
    return tree


def _patch_paths(kdoc: dict[str, Any], folder: Path) -> Iterable[Path]:
    for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
        for entry in kdoc.get(key) or []:
            path = (
                entry.get("path")
                if isinstance(entry, dict)
                else entry
                if key == "patchesStrategicMerge"
                else None
            )
            if isinstance(path, str) and "\n" not in path:
                yield _norm(folder / path)


def _entry_line(path: Path, entry: str) -> int:
    try:
        for n, line in enumerate(textfile.read_text(path).splitlines(), start=1):
            if entry in line:
                return n
    except (OSError, UnicodeDecodeError):
        pass
    return 0


def _walk_yaml(folder: Path) -> Iterable[Path]:
    def unreadable(exc: OSError) -> None:
        raise exc

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES):
                yield Path(dirpath) / name


def _resources_of(reader: _Reader, files: Iterable[Path], skip: set[Path]) -> list[Resource]:
    out: list[Resource] = []
    for path in files:
        if path in skip or path.name in KUSTOMIZATION_FILES:
            continue
        rel = reader.rel(path)
        for d in reader.docs(path):
            out.extend(as_resources(d.data, rel, d.line))
    return out


def as_resources(data: Any, rel: str, line: int) -> list[Resource]:
    """The Kubernetes objects of one parsed document (a ``List`` gives its items)."""
    if not isinstance(data, dict) or "kind" not in data:
        return []
    if data.get("kind") == "List" and isinstance(data.get("items"), list):
        return [r for item in data["items"] for r in as_resources(item, rel, line)]
    meta = mapping(data.get("metadata"))
    return [
        Resource(
            kind=str(data.get("kind")),
            api_version=str(data.get("apiVersion", "")),
            name=str(meta.get("name", "")),
            namespace=meta.get("namespace") if isinstance(meta.get("namespace"), str) else None,
            file=rel,
            line=line,
            data=data,
        )
    ]


# --------------------------------------------------------------------------- Flux Kustomizations


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
    patches: list[Any] = spec["patches"] if isinstance(spec.get("patches"), list) else []
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


def _read_flux_kustomizations(
    reader: _Reader, files: Iterable[Path], env: str, namespace_of: dict[Path, str], skip: set[Path]
) -> list[FluxKustomization]:
    out: list[FluxKustomization] = []
    for path in files:
        if path in skip:
            continue
        docs = reader.docs(path)
        if not any(is_flux_kustomization(d.data) for d in docs):
            continue
        rel = reader.rel(path)
        try:
            lines = textfile.read_text(path).splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        default_ns = namespace_of.get(_norm(path), DEFAULT_FLUX_NAMESPACE)
        for d in docs:
            if is_flux_kustomization(d.data):
                ks = parse_flux_kustomization(
                    d.data,
                    file=rel,
                    line=d.line,
                    env=env,
                    default_namespace=default_ns,
                    doc_index=d.index,
                    lines=lines,
                    problems=reader.problems,
                )
                if ks is not None:
                    out.append(ks)
    return out


def _namespace_map(reader: _Reader, scan_files: list[Path]) -> tuple[dict[Path, str], set[Path]]:
    """File -> namespace from enclosing kustomization.yaml ``namespace:``; and patch-only files.

    kustomize applies an outer kustomization's namespace over inner ones, so outer folders win.
    """
    kfiles = sorted(
        (p for p in scan_files if p.name in KUSTOMIZATION_FILES), key=lambda p: len(p.parts), reverse=True
    )
    namespace_of: dict[Path, str] = {}
    patch_files: set[Path] = set()
    for kfile in kfiles:  # innermost first, so outer assignments overwrite
        docs = reader.docs(kfile)
        kdoc = docs[0].data if docs and isinstance(docs[0].data, dict) else {}
        if not is_kustomize_file(kdoc) and kdoc.get("kind") != "Kustomization":
            continue
        tree = resolve_folder(reader, kfile.parent)
        patch_files |= tree.patch_files
        ns = kdoc.get("namespace")
        if isinstance(ns, str) and ns:
            for f in tree.files:
                namespace_of[_norm(f)] = ns
    return namespace_of, patch_files


# --------------------------------------------------------------------------- loading


def load(
    root: Path | str | None = None, *, paths: list[Path | str] | None = None, with_components: bool = True
) -> Repo:
    """Read a repo.

    ``load(root)``: the flat shape, every env under ``clusters/``. ``load(paths=[DIR, ...])``: any
    shape; all YAML below the given directories is one cluster named after the first directory.
    The repo's settings (``.infra-tui.yaml``) come with it; a bad settings file raises ``UserError``.
    """
    try:
        if paths:
            repo = _load_paths(
                [Path(p) for p in paths], root=Path(root) if root else None, with_components=with_components
            )
        else:
            repo = _load_flat(root, with_components=with_components)
    except PermissionError as exc:  # a folder that cannot be listed or entered
        raise UserError(
            f"{exc.filename}: permission denied; make it readable (chmod) or run as its owner"
        ) from None
    # every entry point (CLI, TUI, demo) plans and lints with the same rules
    repo.settings = settings_mod.load_settings(repo.root)
    return repo


def _load_flat(root: Path | str | None, *, with_components: bool) -> Repo:
    base = find_root(Path(root) if root else Path.cwd())
    reader = _Reader(_norm(base))
    envs: dict[str, Env] = {}
    clusters = base / "clusters"
    env_dirs = sorted(d for d in clusters.iterdir() if d.is_dir() and not d.name.startswith("."))
    # infrastructure.yaml is the env's file; other YAML directly in clusters/<env>/ may hold more.
    for env_dir in env_dirs:
        files = sorted(env_dir.glob("*.y*ml"), key=lambda p: (p.name != "infrastructure.yaml", p.name))
        kss = _read_flux_kustomizations(reader, files, env_dir.name, {}, set())
        for f in files:
            _require_objects(reader, f)
        if not kss and not (env_dir / "infrastructure.yaml").exists():
            continue
        envs[env_dir.name] = Env(
            env_dir.name, kss, [reader.rel(f) for f in files if reader.parsed.get(reader.rel(f))]
        )
    components: dict[str, Component] = {}
    if with_components:
        ns_root = base / "namespaces"
        if ns_root.is_dir():
            for d in sorted(p for p in ns_root.iterdir() if p.is_dir()):
                components[reader.rel(d)] = _component(reader, d)
        for env in envs.values():
            for ks in env.kustomizations:
                _attach_component(reader, base, ks, components)
    repo = Repo(root=_norm(base), envs=envs, components=components, problems=reader.problems, flat=True)
    _fill_helmrelease_ids(repo)
    return repo


def _require_objects(reader: _Reader, path: Path) -> None:
    """Each document of an env file must be one object (a mapping): a list or a plain value there
    is a mistake that would also make an appended document land in a broken file."""
    for d in reader.docs(path):
        if not isinstance(d.data, dict):
            what = "a list" if isinstance(d.data, list) else f"a plain value ({str(d.data)[:40]!r})"
            reader.problems.append(
                Problem(
                    reader.rel(path),
                    d.line,
                    f"this document is {what}, not a mapping; each document must be one object with apiVersion, kind and metadata",
                )
            )


def _component(reader: _Reader, folder: Path) -> Component:
    tree = resolve_folder(reader, folder)
    resources = _resources_of(reader, tree.files, tree.patch_files)
    return Component(
        name=folder.name,
        dir=reader.rel(folder),
        resources=resources,
        files=[reader.rel(f) for f in tree.files],
        has_kustomization=tree.has_kustomization,
    )


def _attach_component(
    reader: _Reader, root: Path, ks: FluxKustomization, components: dict[str, Component]
) -> None:
    if not ks.path or "${" in ks.path:
        return
    rel = ks.path.strip().removeprefix("./").rstrip("/")
    if rel in components:
        return
    folder = root / rel
    if folder.is_dir() and reader.rel(folder) == rel:
        components[rel] = _component(reader, folder)


def _fill_helmrelease_ids(repo: Repo) -> None:
    for env in repo.envs.values():
        for ks in env.kustomizations:
            comp = repo.component_for(ks)
            if comp is None:
                continue
            for r in comp.resources:
                if r.kind == "HelmRelease":
                    env.helmrelease_ids.add(ks_id(r.namespace or ks.namespace, r.name))


def _guess_root(dirs: list[Path], kss: list[FluxKustomization]) -> Path:
    """The directory Flux paths are relative to: the ancestor where most ``spec.path`` exist."""
    first = _norm(dirs[0])
    if first.is_file():
        first = first.parent
    candidates = [first, *first.parents]
    best, best_hits = None, -1
    for cand in candidates:
        if (cand / ".git").exists():
            return cand
        hits = sum(1 for k in kss if k.path and (cand / k.path).is_dir())
        if hits > best_hits:
            best, best_hits = cand, hits
        if str(cand) == cand.anchor:
            break
    if best_hits <= 0:  # paths relative to something else (an artifact): the repo top, if any
        for cand in candidates:
            if (cand / "clusters").is_dir() or (cand / "LICENSE").exists():
                return cand
    return best or first


def _load_paths(dirs: list[Path], *, root: Path | None, with_components: bool) -> Repo:
    for d in dirs:
        if not d.exists():
            raise UserError(
                f"--path {d}: no such file or directory; name a folder (or YAML file) of the repo to scan"
            )
    provisional = Path(os.path.commonpath([str(_norm(d) if d.is_dir() else _norm(d).parent) for d in dirs]))
    reader = _Reader(provisional)
    scan: list[Path] = []
    for d in dirs:
        scan.extend([_norm(d)] if d.is_file() else (_norm(p) for p in _walk_yaml(d)))
    namespace_of, patch_files = _namespace_map(reader, scan)
    env_name = _norm(dirs[0]).name.removesuffix(".yaml").removesuffix(".yml")
    kss = _read_flux_kustomizations(reader, scan, env_name, namespace_of, patch_files)
    base = _norm(root) if root else _guess_root(dirs, kss)
    # re-express file paths relative to the real root
    for ks in kss:
        ks.file = Path(os.path.relpath(provisional / ks.file, base)).as_posix()
    problems = [
        Problem(
            Path(os.path.relpath(provisional / p.file, base)).as_posix()
            if not os.path.isabs(p.file)
            else p.file,
            p.line,
            p.message,
        )
        for p in reader.problems
    ]
    env = Env(env_name, kss, sorted({k.file for k in kss}))
    components: dict[str, Component] = {}
    repo = Repo(root=base, envs={env_name: env}, components=components, problems=problems, flat=False)
    if with_components:
        creader = _Reader(base, problems=[], parsed={})
        for ks in kss:
            _attach_component(creader, base, ks, components)
        _fill_helmrelease_ids(repo)
        repo.problems.extend(p for p in creader.problems if p not in set(repo.problems))
    return repo
