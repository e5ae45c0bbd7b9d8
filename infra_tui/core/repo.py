"""Reading a Flux repo from disk into the model: what Flux deploys, cluster by cluster.

Each cluster (env) is walked from its entry folder by ``core.fluxtree`` (kustomize's tree through
``core.kustree``): the folder its sync objects name (``core.envs``: ``flux bootstrap``'s
``clusters/<name>/flux-system/gotk-sync.yaml``, the same objects in another file, a FluxInstance),
the flat shape's ``clusters/<env>/``, or the folders named with ``--path``. The flat shape of the house patterns (``clusters/<env>/
infrastructure.yaml`` + ``namespaces/<component>/``) is one case of that walk; its undeployed
``namespaces/`` folders are still known to the wizard, but never linted.

Only files the walk reaches are read. Reading never stops at the first bad file: every problem
becomes a ``Problem`` (file, line, what to do) and the rest still loads. Pure: no Textual, no
subprocess.
"""

from __future__ import annotations

import collections
import os
import stat
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_tui.core import envs as envs_mod
from infra_tui.core import fluxtree, kustree, roots, textfile, yamlio
from infra_tui.core import settings as settings_mod
from infra_tui.core.fluxtree import is_flux_kustomization, parse_flux_kustomization
from infra_tui.core.kustree import KUSTOMIZATION_FILES, SKIP_DIRS, YAML_SUFFIXES
from infra_tui.core.model import (
    DEFAULT_FLUX_NAMESPACE,
    FLUX_KS_GROUP,
    KUSTOMIZE_GROUP,
    Component,
    Env,
    FluxKustomization,
    Problem,
    Repo,
    Resource,
    ks_id,
    mapping,
)
from infra_tui.errors import UserError

__all__ = ["is_flux_kustomization", "parse_flux_kustomization", "load", "find_root", "as_resources"]


def is_kustomize_file(doc: Any) -> bool:
    """kustomize's own ``kind: Kustomization`` (kustomize.config.k8s.io), not Flux's."""
    return isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith(KUSTOMIZE_GROUP + "/")


_norm = roots.norm


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
        return self.docs_at(rel, os.path.normpath(os.path.abspath(path)))

    def docs_at(self, rel: str, full: str) -> list[yamlio.LoadedDocument]:
        """``docs`` of the file at absolute, normalised ``full``, known as ``rel``."""
        hit_docs = self.parsed.get(rel)
        if hit_docs is not None:
            return hit_docs
        try:
            st = os.stat(full)
            hit = _PARSED.get(full)
            if hit is not None and hit[0] == (st.st_mtime_ns, st.st_size):
                docs, errors = hit[2], hit[3]
                if hit[1] != rel:  # the same file read against another root: errors name it anew
                    errors = [yamlio.YamlError(rel, e.line, e.message) for e in errors]
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


# --------------------------------------------------------------------------- the repo as a TreeFS


@dataclass
class _DiskFS:
    """``kustree.TreeFS`` over the repo on disk, reading through the load's ``_Reader``."""

    reader: _Reader
    _lines: dict[str, list[str]] = field(default_factory=dict)
    _stat: dict[str, os.stat_result | None] = field(default_factory=dict)

    def path(self, rel: str) -> str:
        return os.path.normpath(os.path.join(str(self.reader.root), rel)) if rel else str(self.reader.root)

    def _st(self, rel: str) -> os.stat_result | None:
        if rel not in self._stat:
            try:
                self._stat[rel] = os.stat(self.path(rel))
            except PermissionError:
                raise  # load() names the path: one line, exit 2
            except OSError:
                self._stat[rel] = None
        return self._stat[rel]

    def kind(self, rel: str) -> str | None:
        st = self._st(rel)
        if st is None:
            return None
        return kustree.DIR if stat.S_ISDIR(st.st_mode) else kustree.FILE if stat.S_ISREG(st.st_mode) else None

    def listdir(self, rel: str) -> list[str]:
        try:
            return sorted(os.listdir(self.path(rel)))
        except PermissionError:
            raise  # load() names the path: one line, exit 2
        except OSError as exc:
            self.reader.problems.append(
                Problem(rel, 0, f"cannot list this folder: {textfile.why_unreadable(exc)}")
            )
            return []

    def kustomization(self, rel: str) -> dict[str, Any] | None:
        docs = self.docs(rel)
        return docs[0].data if docs and isinstance(docs[0].data, dict) else None

    def identity(self, rel: str) -> Hashable:
        st = self._st(rel)
        return rel if st is None else (st.st_dev, st.st_ino)

    def text(self, rel: str) -> str | None:
        try:
            return textfile.read_text(self.path(rel))
        except (OSError, UnicodeDecodeError):
            return None

    def docs(self, rel: str) -> list[yamlio.LoadedDocument]:
        hit = self.reader.parsed.get(rel)
        if hit is not None:
            return hit
        if rel.startswith(("/", "..")):  # outside the root (a --path probe): the reader names it
            return self.reader.docs(Path(self.path(rel)))
        return self.reader.docs_at(rel, self.path(rel))

    def lines(self, rel: str) -> list[str]:
        hit = self._lines.get(rel)
        if hit is None:
            hit = self._lines[rel] = (self.text(rel) or "").splitlines()
        return hit


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


# --------------------------------------------------------------------------- loading


def load(
    root: Path | str | None = None, *, paths: list[Path | str] | None = None, with_components: bool = True
) -> Repo:
    """Read what Flux deploys.

    ``load(root)``: every cluster of the repo, each walked from its entry folder (the folders
    ``flux bootstrap`` writes its sync objects into, or the flat ``clusters/<env>/``).
    ``load(paths=[DIR, ...])``: one cluster walked from the given entry folders (or files), named
    after the first. The repo's settings (``.infra-tui.yaml``) come with it; a bad settings file
    raises ``UserError``.
    """
    try:
        if paths:
            repo = _load_paths(
                [Path(p) for p in paths], root=Path(root) if root else None, with_components=with_components
            )
        else:
            repo = _load_repo(root, with_components=with_components)
    except PermissionError as exc:  # a folder that cannot be listed or entered
        raise UserError(
            f"{exc.filename}: permission denied; make it readable (chmod) or run as its owner"
        ) from None
    # every entry point (CLI, TUI, demo) plans and lints with the same rules
    repo.settings = settings_mod.load_settings(repo.root)
    return repo


def find_root(start: Path) -> Path:
    """Walk up from ``start`` to the repo: the folder holding ``clusters/*/infrastructure.yaml``
    (the flat shape), or, from ``start`` up to its Git top, one with a cluster's sync objects
    (``core.envs``)."""
    return _locate(start)[0].root


def _locate(start: Path) -> tuple[_Reader, envs_mod.Scan | None]:
    """The repo's reader, and the scan of its sync objects when finding the root made one."""
    start = _norm(start)
    flat = roots.flat_root(start)
    if flat is not None:
        return _Reader(flat), None
    # a bootstrapped repo: sync objects anywhere in ``start``; above it, only where
    # ``flux bootstrap --path clusters/<name>`` puts them, or anywhere in the Git top (never a
    # scan of the whole disk)
    reader = _Reader(start)
    scanned = envs_mod.scan(reader, start, anywhere=True)
    if scanned:
        return reader, scanned
    for candidate in start.parents:
        if any(candidate.glob("clusters/*/flux-system/gotk-sync.yaml")):
            return _Reader(candidate), None
        if (candidate / ".git").exists():  # the Git top: sync objects anywhere in it
            reader = _Reader(candidate)
            scanned = envs_mod.scan(reader, candidate, anywhere=True)
            if scanned:
                return reader, scanned
            break
    raise UserError(
        f"{start} is not inside a flat Flux repo (no clusters/<env>/infrastructure.yaml) nor a bootstrapped one "
        "(no GitRepository + Kustomization sync objects such as flux-system/gotk-sync.yaml, no FluxInstance sync) "
        "here or above; pass --repo PATH, or --path DIR to name a cluster's entry folder"
    )


def _load_repo(root: Path | str | None, *, with_components: bool) -> Repo:
    reader, scanned = _locate(Path(root) if root else Path.cwd())
    entries, flat = envs_mod.entries(reader, scanned)
    envs: dict[str, Env] = {}
    repo = Repo(root=reader.root, envs=envs, components={}, problems=reader.problems, flat=flat)
    for ep in entries:
        if ep.name in envs:
            continue
        env = _reconcile(reader, repo, [ep.entry], ep.name, ep.source, with_components=with_components)
        if flat:
            _require_env_objects(reader, ep.entry)
            infra = f"{ep.entry}/infrastructure.yaml"
            env.kustomizations.sort(key=lambda k: k.file != infra)
            env.files.sort(key=lambda f: f != infra)
            if not env.kustomizations and reader.root.joinpath(infra).exists() is False:
                continue
        envs[ep.name] = env
    if flat and with_components:
        _undeployed_components(reader, repo)
    _fill_helmrelease_ids(repo)
    return repo


def _reconcile(
    reader: _Reader, repo: Repo, entries: list[str], name: str, source: str, *, with_components: bool
) -> Env:
    fs = _DiskFS(reader)
    deployed = fluxtree.reconcile(fs, fs.docs, fs.lines, entries, name, source=source)
    reader.problems.extend(p for p in deployed.problems if p not in reader.problems)
    files = [f for t in deployed.entry_trees for f in t.manifests if fs.docs(f)]
    env = Env(
        name,
        deployed.kustomizations,
        list(dict.fromkeys(files)),
        entry=list(entries),
        duplicates=deployed.duplicates,
        not_objects=deployed.not_objects,
        out_of_reach={o.ks.id: o.reason for o in deployed.out_of_reach},
        folders=deployed.folders,
        reached=deployed.files,
    )
    if with_components:
        for ks in deployed.kustomizations:
            tree = deployed.builds.get(ks.id)
            if tree is None:
                continue
            comp = _component(reader, tree)
            repo.builds[(name, ks.id)] = comp
            repo.components.setdefault(comp.dir, comp)
    return env


def _require_env_objects(reader: _Reader, entry: str) -> None:
    """Each document of a flat env file must be one object (a mapping): a list or a plain value
    there is a mistake that would also make an appended document land in a broken file."""
    folder = reader.root / entry
    for path in sorted(folder.glob("*.y*ml")):
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


def _component(reader: _Reader, tree: kustree.KustomizeTree) -> Component:
    files = tree.manifests
    resources: list[Resource] = []
    for rel in files:
        for d in reader.docs(reader.root / rel):
            resources.extend(as_resources(d.data, rel, d.line))
    return Component(
        name=tree.folder.rsplit("/", 1)[-1],
        dir=tree.folder,
        resources=resources,
        files=files,
        has_kustomization=tree.has_kustomization,
        generated=tree.generated,
    )


def _undeployed_components(reader: _Reader, repo: Repo) -> None:
    """The flat shape's ``namespaces/<component>/`` folders that nothing deploys: known to the
    wizard (names, folders), never linted; their problems do not count."""
    ns_root = repo.root / "namespaces"
    if not ns_root.is_dir():
        return
    quiet = _Reader(reader.root, parsed=dict(reader.parsed))
    fs = _DiskFS(quiet)
    for d in sorted(p for p in ns_root.iterdir() if p.is_dir()):
        rel = reader.rel(d)
        if rel not in repo.components:
            try:
                repo.components[rel] = _component(quiet, kustree.walk(fs, rel))
            except PermissionError:
                continue  # nothing deploys it: unreadable is not bad input here
    repo.components = dict(sorted(repo.components.items()))


def _fill_helmrelease_ids(repo: Repo) -> None:
    for env in repo.envs.values():
        for ks in env.kustomizations:
            comp = repo.component_for(ks)
            if comp is None:
                continue
            for r in comp.resources:
                if r.kind == "HelmRelease":
                    env.helmrelease_ids.add(ks_id(r.namespace or ks.namespace, r.name))


def _guess_root(first: Path, kss: list[FluxKustomization]) -> Path:
    """The directory Flux paths are relative to: the ancestor where most ``spec.path`` exist."""
    if first.is_file():
        first = first.parent
    candidates = [first, *first.parents]
    best, best_hits = None, -1
    for cand in candidates:
        if (cand / ".git").exists():
            return cand
        hits = sum(1 for k in kss if k.path and "${" not in k.path and (cand / k.path).is_dir())
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
    first = _norm(dirs[0])
    # the entries' own Kustomizations tell where spec.path is relative to (unless --repo says)
    # and which GitRepository is the repo (the one they name most; flux bootstrap's by default)
    probe = _Reader(Path(first.anchor))
    pfs = _DiskFS(probe)
    entry_kss = fluxtree.reconcile(
        pfs, pfs.docs, pfs.lines, [probe.rel(_norm(d)) for d in dirs], "probe", source=""
    ).kustomizations
    base = _guess_root(first, entry_kss) if root is None else _norm(root)
    sources = collections.Counter(
        str(k.source_ref.get("name"))
        for k in entry_kss
        if k.source_ref
        and k.source_ref.get("kind", "GitRepository") == "GitRepository"
        and k.source_ref.get("name")
    )
    source = (
        fluxtree.SYNC_SOURCE
        if not sources or fluxtree.SYNC_SOURCE in sources
        else sources.most_common(1)[0][0]
    )
    reader = _Reader(base)
    env_name = first.name.removesuffix(".yaml").removesuffix(".yml")
    repo = Repo(root=base, envs={}, components={}, problems=reader.problems, flat=False)
    entries = [Path(os.path.relpath(_norm(d), base)).as_posix() for d in dirs]
    repo.envs[env_name] = _reconcile(reader, repo, entries, env_name, source, with_components=with_components)
    _fill_helmrelease_ids(repo)
    return repo


def undeployed(repo: Repo, env: Env) -> list[FluxKustomization]:
    """Flux Kustomizations written below the folders the walk went into that nothing deploys."""
    reader = _Reader(repo.root)
    deployed = {(k.file, k.doc_index) for k in env.kustomizations}
    deployed |= {(k.file, k.doc_index) for pair in env.duplicates for k in pair}
    out: list[FluxKustomization] = []
    seen: set[str] = set()
    for folder in sorted(env.folders | set(env.entry)):
        top = repo.root / folder
        if not top.is_dir():
            continue
        for path in _walk_yaml(top):
            rel = reader.rel(path)
            if rel in seen:
                continue
            seen.add(rel)
            text = envs_mod.peek(path) or ""
            if FLUX_KS_GROUP not in text:
                continue
            for d in reader.docs(path):
                if is_flux_kustomization(d.data) and (rel, d.index) not in deployed:
                    ks = parse_flux_kustomization(
                        d.data,
                        file=rel,
                        line=d.line,
                        env=env.name,
                        default_namespace=DEFAULT_FLUX_NAMESPACE,
                        doc_index=d.index,
                        problems=[],
                    )
                    if ks is not None:
                        out.append(ks)
    return out
