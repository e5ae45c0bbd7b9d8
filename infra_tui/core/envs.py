"""Which clusters (envs) a repo holds and the folder Flux enters each from. Pure: files only.

A cluster is found where its bootstrap left a trace in the repo:

- ``flux bootstrap``'s ``<path>/flux-system/gotk-sync.yaml`` (the GitRepository of this repo and
  the Kustomization that syncs ``<path>``), or a ``flux-system`` folder of placeholders (its parent);
- the same pair of sync objects in any other file (``clusters/dev/config/cluster.yaml``), when
  they are the root sync of this repo: both in namespace ``flux-system``, the Kustomization's
  ``sourceRef`` that GitRepository, and that GitRepository this repo (see ``root_sync``);
- the flat shape's ``clusters/<env>/infrastructure.yaml``;
- a FluxInstance (or the flux-instance chart's values) whose ``sync`` names a path of this repo.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from infra_tui.core import fluxtree, kustree, textfile, yamlio
from infra_tui.core.kustree import SKIP_DIRS, YAML_SUFFIXES
from infra_tui.core.model import DEFAULT_FLUX_NAMESPACE, mapping

MAX_DEPTH = 6  # folders below the repo root searched for sync objects
SYNC_FILE = "gotk-sync.yaml"
_GIT_REPOSITORY = re.compile(r"^kind:[ \t]*['\"]?GitRepository\b", re.MULTILINE)


class Reader(Protocol):
    """What the search needs of ``core.repo``'s reader: the root, repo-relative names, parsed
    documents (problems recorded for files that are part of a cluster)."""

    root: Path

    def rel(self, path: Path) -> str: ...

    def docs(self, path: Path) -> list[yamlio.LoadedDocument]: ...


def flat_envs(base: Path) -> list[fluxtree.EntryPoint]:
    clusters = base / "clusters"
    if not clusters.is_dir():
        return []
    return [
        fluxtree.EntryPoint(d.name, f"clusters/{d.name}")
        for d in sorted(clusters.iterdir())
        if d.is_dir() and not d.name.startswith(".") and (d / "infrastructure.yaml").is_file()
    ]


def entries(reader: Reader, scanned: Scan | None = None) -> tuple[list[fluxtree.EntryPoint], bool]:
    """The clusters of the repo at ``reader.root`` and whether it is the flat shape (``scanned``:
    ``scan(reader, reader.root)`` when the caller has it already)."""
    root = reader.root
    if flat_envs(root):  # the flat shape, unless `flux bootstrap --path clusters/<env>` made it
        found = fluxtree.unique_names(
            [e for d in sorted(root.glob("clusters/*/flux-system")) for e in scan(reader, d, 0).bootstrapped]
        )
        scanned = None
    else:
        scanned = scanned or scan(reader, root, anywhere=True)
        found = fluxtree.unique_names(scanned.bootstrapped)
    flat = not found and bool(flat_envs(root))
    if flat:
        found = flat_envs(root)
    elif not found and scanned is not None:
        found = fluxtree.unique_names(scanned.operator())
    return found, flat


def _walk(base: Path, max_depth: int) -> Iterator[tuple[str, list[str]]]:
    base_s = str(base)
    for dirpath, dirnames, filenames in os.walk(base_s):
        depth = 0 if dirpath == base_s else dirpath[len(base_s) + 1 :].count(os.sep) + 1
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".") and depth < max_depth
        )
        yield dirpath, sorted(filenames)


@dataclass
class Scan:
    """What one pass over the repo's YAML files found (each file read once)."""

    reader: Reader
    base: Path
    bootstrapped: list[fluxtree.EntryPoint] = field(default_factory=list)
    operator_files: list[Path] = field(default_factory=list)

    def operator(self) -> list[fluxtree.EntryPoint]:
        """Clusters bootstrapped by the flux-operator: a FluxInstance (or the flux-instance
        chart's HelmRelease values) whose ``sync`` names a GitRepository path of this repo.
        Parsed only when asked: a repo with sync objects never reads these files."""
        found: list[fluxtree.EntryPoint] = []
        for path in self.operator_files:
            for d in self.reader.docs(path):
                spec = mapping(mapping(d.data).get("spec"))
                sync = mapping(spec.get("sync")) or mapping(
                    mapping(mapping(spec.get("values")).get("instance")).get("sync")
                )
                target = sync.get("path")
                if (
                    sync.get("kind", "GitRepository") == "GitRepository"
                    and isinstance(target, str)
                    and "${" not in target
                ):
                    entry = kustree.norm(target.strip().removeprefix("./").lstrip("/"))
                    if (self.base / entry).is_dir():
                        name = str(sync.get("name") or fluxtree.SYNC_SOURCE)
                        rel = self.reader.rel(path)
                        found.append(fluxtree.EntryPoint(entry.rsplit("/", 1)[-1], entry, name, rel))
        return list({e.entry: e for e in found}.values())

    def __bool__(self) -> bool:
        return bool(self.bootstrapped) or bool(self.operator())


def scan(reader: Reader, base: Path, max_depth: int = MAX_DEPTH, *, anywhere: bool = False) -> Scan:
    """The sync objects below ``base``: ``flux bootstrap``'s ``flux-system`` folders (the
    Kustomization of ``gotk-sync.yaml`` names the entry; a folder of placeholders names its parent).
    With ``anywhere``, also the root sync objects in any other file (``root_sync``) and the
    FluxInstance files (``Scan.operator``)."""
    out = Scan(reader, base)
    found: list[fluxtree.EntryPoint | tuple[str, list[yamlio.LoadedDocument]]] = []
    urls: set[str] = set()
    for dirpath, filenames in _walk(base, max_depth):
        in_flux_system = os.path.basename(dirpath) == "flux-system" and SYNC_FILE in filenames
        if in_flux_system:
            files = [Path(dirpath) / f for f in filenames if f.endswith(YAML_SUFFIXES)]
            candidates = [
                (reader.rel(f), reader.docs(f)) for f in files if "GitRepository" in (peek(f) or "")
            ]
            urls.update(u for _, file_docs in candidates for u in _git_urls(file_docs))
            synced = fluxtree.sync_entries(iter(candidates))
            if synced:
                found.extend(synced)
            else:
                parent = reader.rel(Path(dirpath).parent)
                found.append(fluxtree.EntryPoint(parent.rsplit("/", 1)[-1], parent, sync_file=None))
        if not anywhere:
            continue
        for name in filenames:
            if not name.endswith(YAML_SUFFIXES) or (in_flux_system and name == SYNC_FILE):
                continue
            path = Path(dirpath) / name
            text = peek(path) or ""  # never blocks: a FIFO named x.yaml is not read
            if "sync:" in text and ("FluxInstance" in text or "flux-instance" in text):
                out.operator_files.append(path)
            if _GIT_REPOSITORY.search(text) and "Kustomization" in text:
                rel = reader.rel(path)
                # parsed quietly: a file that holds no root sync is not part of any cluster
                found.append((rel, yamlio.load_documents(text, rel)[0]))
    # gotk-sync.yaml first: another file syncing the same folder adds no cluster
    seen = {e.entry for e in found if isinstance(e, fluxtree.EntryPoint)}
    for item in found:
        if isinstance(item, fluxtree.EntryPoint):
            out.bootstrapped.append(item)
            continue
        for e in root_sync(*item, urls):
            if e.entry not in seen and (reader.root / e.entry).is_dir():
                seen.add(e.entry)
                out.bootstrapped.append(e)
    return out


def root_sync(rel: str, file_docs: list[yamlio.LoadedDocument], urls: set[str]) -> list[fluxtree.EntryPoint]:
    """The root sync of this repo in a file that is not ``gotk-sync.yaml``: a GitRepository and a
    Flux Kustomization, both with ``metadata.namespace: flux-system``, the Kustomization's
    ``sourceRef`` that GitRepository (its namespace, if given, flux-system too), its path literal.

    The GitRepository must be this repo: named ``flux-system`` (the name every bootstrap gives
    it), or another name when the file lies inside the folder its Kustomization syncs (the
    cluster syncs its own sync objects, as a bootstrap does); and where the repo's gotk-sync.yaml
    files name its URL (``urls``), that URL. A tenant's pair (its own namespace, a GitRepository
    of another repo) is no cluster.
    """
    repos = {
        str(meta.get("name")): d.data
        for d in file_docs
        if isinstance(d.data, dict)
        and d.data.get("kind") == "GitRepository"
        and (meta := mapping(d.data.get("metadata"))).get("namespace") == DEFAULT_FLUX_NAMESPACE
    }
    found: list[fluxtree.EntryPoint] = []
    for d in file_docs:
        if not fluxtree.is_flux_kustomization(d.data):
            continue
        spec = mapping(d.data.get("spec"))
        ref = mapping(spec.get("sourceRef"))
        path = spec.get("path")
        name = str(ref.get("name") or "")
        if (
            mapping(d.data.get("metadata")).get("namespace") != DEFAULT_FLUX_NAMESPACE
            or ref.get("kind", "GitRepository") != "GitRepository"
            or ref.get("namespace", DEFAULT_FLUX_NAMESPACE) != DEFAULT_FLUX_NAMESPACE
            or name not in repos
            or not isinstance(path, str)
            or "${" in path
        ):
            continue
        entry = kustree.norm(path.strip().removeprefix("./").lstrip("/"))
        inside = bool(entry) and (rel == entry or rel.startswith(entry + "/"))
        url = normal_url(mapping(repos[name].get("spec")).get("url"))
        if (name == fluxtree.SYNC_SOURCE or inside) and (not urls or url in urls):
            found.append(fluxtree.EntryPoint(entry.rsplit("/", 1)[-1] or "root", entry, name, rel))
    return found


def _git_urls(file_docs: list[yamlio.LoadedDocument]) -> set[str]:
    return {
        u
        for d in file_docs
        if isinstance(d.data, dict) and d.data.get("kind") == "GitRepository"
        if (u := normal_url(mapping(d.data.get("spec")).get("url")))
    }


def normal_url(url: Any) -> str:
    """A Git URL as ``host/path``, whatever its form (``https://``, ``ssh://git@``, ``git@host:``,
    a trailing ``.git``), so that two spellings of one repo compare equal."""
    if not isinstance(url, str):
        return ""
    u = url.strip()
    scheme = re.match(r"^[a-z][a-z0-9+.-]*://", u, re.IGNORECASE)
    if scheme:
        u = u[scheme.end() :]
    elif re.match(r"^[^/@]+@[^/:]+:", u):  # scp-like git@host:path
        u = u.replace(":", "/", 1)
    u = u.rsplit("@", 1)[-1] if "@" in u.split("/", 1)[0] else u
    host, _, rest = u.partition("/")
    host = host.split(":", 1)[0].lower()  # a port names the same repo
    return f"{host}/{rest.strip('/').removesuffix('.git')}".rstrip("/")


def peek(path: Path) -> str | None:
    """The text of a regular file (``core.textfile``: never a blocking read), or None."""
    try:
        return textfile.read_text(path)
    except (OSError, UnicodeDecodeError):
        return None
