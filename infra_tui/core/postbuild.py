"""Flux ``postBuild`` variable substitution, as kustomize-controller does it after the build. Pure.

kustomize-controller gathers variables from ``spec.postBuild.substituteFrom`` (ConfigMaps and
Secrets, in order, later ones win) and ``spec.postBuild.substitute`` (wins over both), then, when
there is at least one variable, runs ``envsubst`` over each built object's YAML and parses it again;
an object labelled or annotated ``kustomize.toolkit.fluxcd.io/substitute: disabled`` is left alone.
``${VAR}``, ``${VAR:-default}``/``${VAR:=default}`` (default when unset or empty),
``${VAR-default}``/``${VAR=default}`` (default when unset) and ``$${VAR}`` (a literal ``${VAR}``)
are handled; an unset variable becomes empty, as in Flux.

Offline, a source this module cannot read (a SOPS-encrypted Secret, an object not in Git) leaves
its variables unknown: ``${VAR}`` then stays as written, and is not judged.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_tui.core.yamlio import LoadedDocument, load_documents

DISABLE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
_VAR = re.compile(r"\$\$\{|\$\{([_A-Za-z][_A-Za-z0-9]*)(?:(:?[-=])([^}]*))?\}")
_VAR_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")


@dataclass(eq=False)
class PostBuild:
    """The variables a Flux Kustomization substitutes into its built objects."""

    ks_id: str  # flux-system/cilium
    file: str  # where the Flux Kustomization is written
    line: int
    values: dict[str, str] = field(default_factory=dict)
    defined_at: dict[str, str] = field(default_factory=dict)  # var -> "file:line"
    complete: bool = True  # every source was read: an unset variable becomes "" as in Flux
    notes: list[str] = field(default_factory=list)  # sources that could not be read offline

    @property
    def active(self) -> bool:
        """kustomize-controller substitutes only when it has at least one variable."""
        return bool(self.values) or not self.complete


@dataclass(frozen=True)
class Substitution:
    """One ``${VAR}`` replaced in an object: the variable and the value it got."""

    var: str
    value: str
    defined_at: str | None


def substitute(text: str, post_build: PostBuild) -> tuple[str, list[Substitution]]:
    """``text`` with its variables replaced, and what was replaced (unknown ones stay as written)."""
    used: list[Substitution] = []

    def repl(m: re.Match[str]) -> str:
        if m[0] == "$${":
            return "${"
        name, op, default = m[1], m[2], m[3]
        if name in post_build.values:
            value = post_build.values[name]
            if op and op.startswith(":") and value == "":
                value = default or ""
        elif op is not None:
            value = default or ""
        elif post_build.complete:
            value = ""
        else:
            return m[0]  # may come from a source we cannot read: left for Flux
        used.append(Substitution(name, value, post_build.defined_at.get(name)))
        return value

    return _VAR.sub(repl, text), used


def disabled(obj: Mapping[str, Any]) -> bool:
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    if not isinstance(meta, Mapping):
        return False
    return any(isinstance(meta.get(k), Mapping) and meta[k].get(DISABLE_KEY) == "disabled"
               for k in ("labels", "annotations"))  # fmt: skip


# --------------------------------------------------------------------------- gathering variables


@dataclass(frozen=True)
class _Source:
    kind: str
    name: str
    namespace: str | None
    data: Mapping[str, Any]
    file: str
    line: int
    text: str


def _key_line(source: _Source, key: str) -> int:
    pattern = re.compile(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:")
    for n, line in enumerate(source.text.splitlines()):
        if n + 1 >= source.line and pattern.match(line):
            return n + 1
    return source.line


def collect_sources(root: Path, files: Iterable[str]) -> list[_Source]:
    """Every ConfigMap and Secret written in ``files`` (repo-relative), where postBuild may find variables."""
    out: list[_Source] = []
    for rel in files:
        try:
            text = (root / rel).read_text()
        except (OSError, UnicodeDecodeError):
            continue
        if "ConfigMap" not in text and "Secret" not in text:
            continue
        docs, _errors = load_documents(text, rel)
        out.extend(sources_in(rel, docs, text))
    return out


def sources_in(rel: str, docs: Iterable[LoadedDocument], text: str) -> list[_Source]:
    """The ConfigMaps and Secrets among one file's parsed documents."""
    out: list[_Source] = []
    for d in docs:
        if isinstance(d.data, dict) and d.data.get("kind") in ("ConfigMap", "Secret"):
            meta = d.data.get("metadata") or {}
            if isinstance(meta, dict) and meta.get("name"):
                out.append(_Source(str(d.data["kind"]), str(meta["name"]), meta.get("namespace"), d.data, rel,
                                   d.line, text))  # fmt: skip
    return out


def _source_values(src: _Source) -> tuple[dict[str, str], str | None]:
    """The variables of one ConfigMap / Secret, or why they cannot be read offline."""
    if "sops" in src.data:
        return (
            {},
            f"{src.kind} {src.name} ({src.file}) is SOPS-encrypted: its variables are not known offline",
        )
    values: dict[str, str] = {}
    if src.kind == "Secret":
        for k, v in (src.data.get("data") or {}).items():
            try:
                values[str(k)] = base64.b64decode(str(v), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return {}, f"Secret {src.name} ({src.file}): data.{k} is not base64"
        values.update({str(k): str(v) for k, v in (src.data.get("stringData") or {}).items()})
    else:
        values.update({str(k): "" if v is None else str(v) for k, v in (src.data.get("data") or {}).items()})
    return {k: v.replace("\n", "") for k, v in values.items()}, None


def post_build_for(ks: Any, sources: Callable[[], Sequence[_Source]]) -> PostBuild | None:
    """The postBuild variables of Flux Kustomization ``ks`` (model.FluxKustomization), or None.

    ConfigMaps and Secrets named in ``substituteFrom`` are looked up in ``sources()`` (called only
    when needed; ``collect_sources``), in the Kustomization's namespace.
    """
    spec = ks.data.get("spec") if isinstance(ks.data, dict) else None
    post = spec.get("postBuild") if isinstance(spec, dict) else None
    if not isinstance(post, dict):
        return None
    pb = PostBuild(ks.id, ks.file, ks.line)
    for ref in post.get("substituteFrom") or []:
        if not isinstance(ref, dict):
            continue
        kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
        found = next((s for s in sources() if s.kind == kind and s.name == name and s.namespace in (None, ks.namespace)),
                     None)  # fmt: skip
        if found is None:
            if not ref.get("optional"):
                pb.complete = False
                pb.notes.append(f"{kind} {name} (postBuild.substituteFrom of {ks.name}) is not in Git: "
                                "its variables are not known offline")  # fmt: skip
            continue
        values, why = _source_values(found)
        if why:
            pb.complete = False
            pb.notes.append(why)
            continue
        for k, v in values.items():
            if _VAR_NAME.match(k):
                pb.values[k] = v
                pb.defined_at[k] = f"{found.file}:{_key_line(found, k)}"
    for k, v in (post.get("substitute") or {}).items():
        pb.values[str(k)] = "" if v is None else str(v).replace("\n", "")
        pb.defined_at[str(k)] = f"{ks.file} (postBuild.substitute of {ks.name})"
    return pb


def variables_of(root: Path, files: Callable[[], Iterable[str]]) -> Callable[[Any], PostBuild | None]:
    """``post_build_for`` with the ConfigMaps and Secrets of ``files()`` read once, and only when
    some Kustomization substitutes from them."""
    cache: list[list[_Source]] = []

    def sources() -> list[_Source]:
        if not cache:
            cache.append(collect_sources(root, dict.fromkeys(files())))
        return cache[0]

    return lambda ks: post_build_for(ks, sources)
