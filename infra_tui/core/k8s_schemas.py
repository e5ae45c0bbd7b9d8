"""The JSON schemas offline validation checks objects against, and the check itself. Pure.

* Built-in kinds: ``templates/schemas/kubernetes/<minor>.json.gz``, one compact bundle per
  Kubernetes minor, made by ``tools/make_k8s_schemas.py`` from kubernetes-validate's strict
  schemas (``additionalProperties: false`` wherever Kubernetes knows every field, so an unknown
  field is an error, as with ``kubectl --validate=strict``). The minor follows the repo settings'
  ``kubernetes_version`` (nearest shipped minor not newer), else ``DEFAULT_KUBERNETES_VERSION``.
* CRD kinds the patterns generate: ``templates/schemas/<group>/<kind>_<version>.json`` (trimmed
  from the published CRDs). Their ``metadata`` is checked against the built-in ObjectMeta; a field
  their schema does not list is a warning (the API server prunes it), not an error.
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jsonschema

DEFAULT_KUBERNETES_VERSION = "1.34"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
IGNORED_TOP_LEVEL = frozenset({"sops"})  # SOPS metadata: Flux decrypts and drops it before applying
Source = Literal["kubernetes", "crd", "none"]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class SchemaProblem:
    """One way an object does not match its schema: where (a path into the object) and why."""

    path: tuple[str | int, ...]
    message: str
    severity: Severity = "error"
    unknown_field: bool = False


def schema_root() -> Path:
    """The shipped schemas: ``kubernetes/<minor>.json.gz`` and ``<group>/<kind>_<version>.json``."""
    return Path(str(importlib.resources.files("infra_tui.templates").joinpath("schemas")))


def _minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(x) for x in minor.split("."))


@functools.lru_cache(maxsize=1)
def shipped_versions() -> tuple[str, ...]:
    """Kubernetes minors with a shipped bundle, oldest first (``("1.25", ..., "1.37")``)."""
    folder = schema_root() / "kubernetes"
    names = [p.name.removesuffix(".json.gz") for p in folder.glob("*.json.gz")]
    return tuple(sorted((n for n in names if re.fullmatch(r"\d+\.\d+", n)), key=_minor_key))


def resolve_version(requested: str | None) -> tuple[str, str | None]:
    """The shipped minor to use for ``requested`` (``"1.32"``, ``"v1.32.4"``, None) and a note if not exact.

    Raises ``ValueError`` for a version that is not ``MAJOR.MINOR[.PATCH]``.
    """
    shipped = shipped_versions()
    if not requested:
        return DEFAULT_KUBERNETES_VERSION, None
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", str(requested).strip())
    if not m:
        raise ValueError(f"kubernetes_version {requested!r} is not a Kubernetes version such as 1.32")
    want = f"{m[1]}.{m[2]}"
    if want in shipped:
        return want, None
    older = [v for v in shipped if _minor_key(v) <= _minor_key(want)]
    used = older[-1] if older else shipped[0]
    return (
        used,
        f"no schemas for Kubernetes {want}; checked against {used} (shipped: {shipped[0]}-{shipped[-1]})",
    )


@functools.lru_cache(maxsize=4)
def _bundle(minor: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        gzip.decompress((schema_root() / "kubernetes" / f"{minor}.json.gz").read_bytes())
    )
    return data


def is_builtin(api_version: str, kind: str, minor: str = DEFAULT_KUBERNETES_VERSION) -> bool:
    """True when ``kind`` in ``api_version`` is served by kube-apiserver itself in ``minor``."""
    return kind in _bundle(minor)["kinds"].get(api_version, {})


@functools.lru_cache(maxsize=16)
def builtin_groups(minor: str = DEFAULT_KUBERNETES_VERSION) -> frozenset[str]:
    """API groups kube-apiserver serves itself in ``minor`` (``""`` for the core group)."""
    return frozenset(av.rpartition("/")[0] for av in _bundle(minor)["kinds"])


@functools.lru_cache(maxsize=512)
def _builtin_validator(minor: str, definition: str) -> Any:
    bundle = _bundle(minor)
    return jsonschema.Draft202012Validator({"$defs": bundle["$defs"], "$ref": f"#/$defs/{definition}"})


@functools.lru_cache(maxsize=256)
def _crd_validator(group: str, kind: str, version: str) -> Any:
    path = schema_root() / group / f"{kind.lower()}_{version}.json"
    if not group or not path.is_file():
        return None
    return jsonschema.Draft202012Validator(json.loads(path.read_text()))


def validator_for(api_version: str, kind: str, minor: str = DEFAULT_KUBERNETES_VERSION) -> tuple[Any, Source]:
    """A cached validator for (apiVersion, kind) and where its schema comes from.

    ``kubernetes`` (a built-in kind of ``minor``), ``crd`` (a bundled CRD schema) or ``none``.
    """
    definition = _bundle(minor)["kinds"].get(api_version, {}).get(kind)
    if definition is not None:
        return _builtin_validator(minor, definition), "kubernetes"
    group, _, version = api_version.rpartition("/")
    validator = _crd_validator(group, kind, version)
    return (validator, "crd") if validator is not None else (None, "none")


# --------------------------------------------------------------------------- the check


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(x) for k, x in value.items() if x is not None}
    if isinstance(value, list):
        return [_drop_nulls(x) for x in value]
    return value


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def _type_name(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _problems(err: jsonschema.ValidationError) -> list[SchemaProblem]:
    path = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = set((err.schema.get("properties") or {}) if isinstance(err.schema, dict) else ())
        extra = [k for k in err.instance if k not in known] or ["?"]
        return [SchemaProblem((*path, k), f"unknown field {k!r}", unknown_field=True) for k in extra]
    if err.validator == "type":
        want = [t for t in ([err.validator_value] if isinstance(err.validator_value, str) else err.validator_value)
                if t != "null"]  # fmt: skip
        return [
            SchemaProblem(
                path, f"expected {' or '.join(want)}, got {_type_name(err.instance)} {_short(err.instance)}"
            )
        ]
    if err.validator in ("oneOf", "anyOf") and err.context:
        kinds = sorted({t for e in err.context if e.validator == "type" for t in
                        ([e.validator_value] if isinstance(e.validator_value, str) else e.validator_value) if t != "null"})  # fmt: skip
        if kinds:
            return [
                SchemaProblem(
                    path,
                    f"expected {' or '.join(kinds)}, got {_type_name(err.instance)} {_short(err.instance)}",
                )
            ]
        best = jsonschema.exceptions.best_match(err.context)
        return [SchemaProblem(path, best.message if best is not None else "does not match any allowed shape")]
    if err.validator == "required":
        return [SchemaProblem(path, err.message.replace("is a required property", "is required"))]
    msg = err.message
    return [SchemaProblem(path, msg if len(msg) <= 200 else msg[:197] + "...")]


def _unlisted_fields(value: Any, schema: Any, path: tuple[str | int, ...]) -> list[SchemaProblem]:
    """Fields a CRD schema does not list where it neither forbids nor preserves unknown fields."""
    if not isinstance(schema, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    out: list[SchemaProblem] = []
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, sub in value.items():
            if isinstance(props, dict) and key in props:
                out.extend(_unlisted_fields(sub, props[key], (*path, key)))
            elif isinstance(extra, dict):
                out.extend(_unlisted_fields(sub, extra, (*path, key)))
            elif isinstance(props, dict) and extra is None:
                out.append(SchemaProblem((*path, key), f"unknown field {key!r} (the API server drops it)",
                                         severity="warning", unknown_field=True))  # fmt: skip
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, sub in enumerate(value):
            out.extend(_unlisted_fields(sub, schema["items"], (*path, i)))
    return out


def check_object(
    data: dict[str, Any], minor: str = DEFAULT_KUBERNETES_VERSION
) -> tuple[list[SchemaProblem], Source]:
    """Check one object (``apiVersion`` and ``kind`` set) against its schema, strictly.

    Built-in kinds: every mismatch and unknown field is an error. CRD kinds with a bundled schema:
    mismatches are errors, fields the schema does not list are warnings. Every kind: ``metadata``
    is checked against the built-in ObjectMeta. A top-level ``sops`` key is ignored.
    """
    obj = {k: v for k, v in data.items() if k not in IGNORED_TOP_LEVEL}
    validator, source = validator_for(str(obj.get("apiVersion", "")), str(obj.get("kind", "")), minor)
    errors: list[jsonschema.ValidationError] = []
    unlisted: list[SchemaProblem] = []
    if source == "kubernetes":
        errors = list(validator.iter_errors(obj))
    else:
        if source == "crd":
            obj = _drop_nulls(obj)  # the API server drops nulls of non-nullable CRD fields
            # metadata is judged by the built-in ObjectMeta below, not by the CRD's trimmed copy
            errors = [e for e in validator.iter_errors(obj) if list(e.absolute_path)[:1] != ["metadata"]]
            body = {k: v for k, v in obj.items() if k != "metadata"}
            unlisted = _unlisted_fields(body, validator.schema, ())
        if "metadata" in obj:
            meta = _builtin_validator(minor, OBJECT_META)
            for err in meta.iter_errors(obj["metadata"]):
                err.path.appendleft("metadata")
                errors.append(err)
    problems = [p for err in errors for p in _problems(err)]
    problems.extend(unlisted)
    problems.sort(key=lambda p: (p.severity != "error", [str(x) for x in p.path]))
    return problems, source


def get_path(data: Any, path: Sequence[str | int]) -> tuple[bool, Any]:
    """(found, value) at ``path`` inside nested dicts and lists."""
    node = data
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return False, None
    return True, node


def dotted(path: Sequence[str | int]) -> str:
    """``("spec", "ports", 0, "port")`` -> ``spec.ports[0].port``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"
