"""The one kustomization-tree walker: what kustomize reads when it builds a folder. Pure.

``walk(fs, folder)`` follows a folder's kustomization.yaml ``resources``, ``components`` and
``bases`` (files and folders, recursively; remote URLs are skipped), records the files that are
patches or generator inputs (not objects), and the ``namespace:`` each file gets from the
kustomization.yaml files around it (the outermost wins, as in kustomize). A folder without a
kustomization.yaml is read as kustomize-controller generates one: every manifest below it, except
that a sub-folder holding its own kustomization.yaml is included as that kustomization. Hidden
folders (``.archive/``) and ``.git`` / ``.github`` are not read there.

The walk reads through a ``TreeFS``: the repo on disk (``core.repo``), the repo with a plan's
files laid over it (``core.workspace``, ``services.dryrun``). Paths are repo-relative posix strings.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from infra_tui.core import yamlio

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
YAML_SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", ".github", "node_modules", ".venv", "__pycache__"}
# files source-controller leaves out of every artifact (its default ignore patterns; fluxcd/pkg
# sourceignore ExcludeCI / ExcludeExtra): Flux never builds them
SOURCE_IGNORED = {
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    ".goreleaser.yml",
    ".goreleaser.brew.yml",
    ".sops.yaml",
    ".flux.yaml",
    ".golangci.yaml",
}
FILE, DIR = "file", "dir"


class TreeFS(Protocol):
    """What the walk needs to know about a repo."""

    def kind(self, rel: str) -> str | None:
        """``"file"``, ``"dir"``, or None when nothing is there."""

    def listdir(self, rel: str) -> list[str]:
        """Entry names of a folder (sorted by the walk)."""

    def kustomization(self, rel: str) -> dict[str, Any] | None:
        """The first document of a kustomization file, or None when it cannot be read as one."""

    def identity(self, rel: str) -> Hashable:
        """The same value for the same folder reached twice (on disk: device and inode)."""

    def text(self, rel: str) -> str | None:
        """A file's text (for the line of a bad entry), or None."""


@dataclass(frozen=True)
class TreeProblem:
    file: str
    line: int
    message: str


@dataclass
class KustomizeTree:
    """What a folder builds: its manifest files and what kustomize does with them."""

    folder: str
    files: list[str] = field(default_factory=list)  # manifests, in build order (objects)
    patch_files: set[str] = field(default_factory=set)  # patches: not objects of their own
    generator_files: list[str] = field(default_factory=list)  # configMapGenerator/secretGenerator inputs
    generated: dict[str, dict[str, str]] = field(default_factory=dict)  # "ConfigMap/name" -> key -> file
    kustomization_files: list[str] = field(default_factory=list)
    namespace_of: dict[str, str] = field(default_factory=dict)  # file -> kustomization namespace:
    from_components: set[str] = field(default_factory=set)  # files reached through components
    problems: list[TreeProblem] = field(default_factory=list)
    has_kustomization: bool = True
    flux_generated: set[str] = field(
        default_factory=set
    )  # files kustomize-controller's generated kustomization lists

    @property
    def manifests(self) -> list[str]:
        """The files that hold objects: ``files`` without patches and kustomization files."""
        return [f for f in self.files if f not in self.patch_files]


def norm(rel: str) -> str:
    """``a/./b/../c`` -> ``a/c``; the repo root is ``""``."""
    out = posixpath.normpath(rel) if rel else ""
    return "" if out == "." else out


def join(folder: str, entry: str) -> str:
    return norm(posixpath.join(folder, entry)) if folder else norm(entry)


def kustomization_file(fs: TreeFS, folder: str) -> str | None:
    for name in KUSTOMIZATION_FILES:
        rel = join(folder, name)
        if fs.kind(rel) == FILE:
            return rel
    return None


def is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@"))


def walk(
    fs: TreeFS, folder: str, *, components: Iterable[str] = (), seen: set[Hashable] | None = None
) -> KustomizeTree:
    """What kustomize builds from ``folder`` (plus Flux ``spec.components``, relative to it)."""
    tree = KustomizeTree(norm(folder))
    _walk(fs, tree.folder, tree, seen if seen is not None else set(), list(components), False, by_flux=True)
    return tree


def _walk(
    fs: TreeFS,
    folder: str,
    tree: KustomizeTree,
    seen: set[Hashable],
    extra: list[str],
    via_comp: bool,
    *,
    by_flux: bool = False,
) -> None:
    """``by_flux``: the build's own folder, or a folder below it with no kustomization.yaml between:
    where none is, kustomize-controller generates one (``flux_generated``)."""
    key = fs.identity(folder)
    if key in seen:
        return
    seen.add(key)
    start = len(tree.files)
    kfile = kustomization_file(fs, folder)
    if kfile is None:
        if folder == tree.folder:
            tree.has_kustomization = False
        _generated(fs, folder, tree, seen, via_comp, by_flux)
        for comp in extra:
            _entry(fs, folder, comp, "components", kfile or folder, tree, seen, True)
        return
    tree.kustomization_files.append(kfile)
    kdoc = fs.kustomization(kfile) or {}
    for p in _patch_paths(kdoc):
        tree.patch_files.add(join(folder, p))
    for gen, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        gens = kdoc.get(gen) or []
        for g in gens if isinstance(gens, list) else []:
            srcs = g.get("files") if isinstance(g, dict) else None
            for src in srcs if isinstance(srcs, list) else []:
                if isinstance(src, str):
                    key, _, path = src.rpartition("=")
                    rel = join(folder, path)
                    tree.generator_files.append(rel)
                    name = f"{kind}/{g.get('name')}"
                    tree.generated.setdefault(name, {})[key or posixpath.basename(path)] = rel
    for key_name in ("resources", "bases", "components"):
        entries = kdoc.get(key_name) or []
        if key_name == "components":
            entries = [*(entries if isinstance(entries, list) else []), *extra]
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, str) and not is_remote(entry):
                _entry(fs, folder, entry, key_name, kfile, tree, seen, via_comp or key_name == "components")
    ns = kdoc.get("namespace")
    if isinstance(ns, str) and ns:
        for f in tree.files[start:]:
            tree.namespace_of[f] = ns  # outer kustomizations return later: the outermost wins


def _entry(
    fs: TreeFS,
    folder: str,
    entry: str,
    key_name: str,
    kfile: str,
    tree: KustomizeTree,
    seen: set[Hashable],
    via_comp: bool,
) -> None:
    target = join(folder, entry)
    kind = fs.kind(target)
    if kind == DIR:
        _walk(fs, target, tree, seen, [], via_comp)
    elif kind == FILE:
        _add(tree, target, via_comp)
    else:
        tree.problems.append(
            TreeProblem(
                kfile,
                _entry_line(fs.text(kfile), entry),
                f"'{entry}' listed in {key_name} does not exist; fix the path or remove it",
            )
        )


def _add(tree: KustomizeTree, rel: str, via_comp: bool) -> None:
    tree.files.append(rel)
    if via_comp:
        tree.from_components.add(rel)


def _generated(
    fs: TreeFS, folder: str, tree: KustomizeTree, seen: set[Hashable], via_comp: bool, by_flux: bool
) -> None:
    for name in sorted(fs.listdir(folder)):
        rel = join(folder, name)
        kind = fs.kind(rel)
        if kind == DIR:
            if name not in SKIP_DIRS and not name.startswith("."):
                _walk(fs, rel, tree, seen, [], via_comp, by_flux=by_flux)
        elif name.endswith(YAML_SUFFIXES) and name not in KUSTOMIZATION_FILES and name not in SOURCE_IGNORED:
            _add(tree, rel, via_comp)  # a FIFO or socket is reported when it is read
            if by_flux:
                tree.flux_generated.add(rel)


def _patch_paths(kdoc: dict[str, Any]) -> Iterable[str]:
    for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
        entries = kdoc.get(key) or []
        for entry in entries if isinstance(entries, list) else []:
            path = (
                entry.get("path")
                if isinstance(entry, dict)
                else entry
                if key == "patchesStrategicMerge"
                else None
            )
            if isinstance(path, str) and "\n" not in path:
                yield path


def _entry_line(text: str | None, entry: str) -> int:
    for n, line in enumerate((text or "").splitlines(), start=1):
        if entry in line and not line.lstrip().startswith("#"):
            return n
    return 0


@dataclass
class LayeredFS:
    """``TreeFS`` over texts that may differ from the disk: a plan's workspace, or files laid over
    the repo for validation. ``texts(rel)`` is a file's current text (None: no such file, or
    deleted); ``layered()`` the paths that exist only in the layer."""

    root: Path
    texts: Callable[[str], str | None]
    layered: Callable[[], Iterable[str]] = tuple

    def kind(self, rel: str) -> str | None:
        if self.texts(rel) is not None:
            return FILE
        if os.path.isdir(os.path.join(self.root, rel)):
            return DIR
        prefix = rel + "/" if rel else ""
        return DIR if any(p.startswith(prefix) for p in self.layered()) else None

    def listdir(self, rel: str) -> list[str]:
        try:
            names = set(os.listdir(os.path.join(self.root, rel)))
        except OSError:
            names = set()
        prefix = rel + "/" if rel else ""
        names |= {p[len(prefix) :].split("/", 1)[0] for p in self.layered() if p.startswith(prefix)}
        return sorted(n for n in names if self.kind(join(rel, n)) is not None)

    def kustomization(self, rel: str) -> dict[str, Any] | None:
        try:
            data = yamlio.load_one(self.texts(rel) or "")
        except Exception:  # a syntax error: the build step reports it with its line
            return None
        return data if isinstance(data, dict) else None

    def identity(self, rel: str) -> Hashable:
        return rel

    def text(self, rel: str) -> str | None:
        return self.texts(rel)
