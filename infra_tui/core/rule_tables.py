"""The shape of the ``rules:`` tables a repo adds in ``.infra-tui.yaml``, checked on the YAML nodes
so that a wrong shape or a misspelt key is one line naming the file, the line and the closest key
(instead of a TypeError when lint merges the tables, or a key silently ignored)."""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from infra_tui.errors import UserError

_STR = "a name"
_BOOL = "true or false"
_ANY = "any value"
_STR_LIST = [_STR]

TABLES: dict[str, Any] = {
    "crd_providers": [{"kinds": _STR_LIST, "group": _STR, "provider": _STR}],
    "monitoring": {"kinds": _STR_LIST, "provider": _STR, "suffix": _STR, "wait": _BOOL, "timeout": _STR},
    "webhook_components": _STR_LIST,
    "intercepting_webhooks": _STR_LIST,
    "required_dependencies": [{"component": _STR, "depends_on": _STR, "reason": _STR}],
    "anti_patterns": [{"rule": _STR, "paths": [_STR_LIST], "value": _ANY, "why": _STR}],
    "servicemonitor_switches": _STR_LIST,
    "restart_annotations": _STR_LIST,
    "kustomization_shape": {},  # any keys: the house Kustomization fields
    "namespace_labels": {},  # any label -> value
    "bootstrap_provided": _STR_LIST,  # API groups installed before Flux (core.learn): lint confirms them
}
"""Table -> shape: a dict is a mapping (empty: any keys), a one-item list a list of that shape."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "crd_providers": ("kinds", "provider"),
    "required_dependencies": ("component", "depends_on"),
    "anti_patterns": ("rule", "paths"),
}
"""List entries of these tables need these keys."""


def check(node: yaml.Node, file: str) -> None:
    """Raise ``UserError`` (file, line, what to do) unless ``node`` fits ``TABLES``.

    ``required_dependencies`` may also be written short, as component -> [dependencies]."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == "required_dependencies" and isinstance(
                value_node, yaml.MappingNode
            ):
                for name_node, deps_node in value_node.value:
                    _check(name_node, _STR, "rules.required_dependencies", file)
                    _check(deps_node, _STR_LIST, f"rules.required_dependencies.{name_node.value}", file)
                node = yaml.MappingNode(
                    node.tag,
                    [(k, v) for k, v in node.value if k is not key_node],
                    node.start_mark,
                    node.end_mark,
                )
                break
    _check(node, TABLES, "rules", file)


def _check(node: yaml.Node, shape: Any, where: str, file: str) -> None:
    line = node.start_mark.line + 1
    if shape is _ANY:
        return
    if isinstance(shape, dict):
        if not isinstance(node, yaml.MappingNode):
            raise UserError(f"{where} must be a mapping{_example(shape)}", file=file, line=line)
        table = where.split(".", 1)[-1].split("[", 1)[0]
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise UserError(
                    f"{where}: keys must be plain names", file=file, line=key_node.start_mark.line + 1
                )
            key = str(key_node.value)
            seen.add(key)
            if not shape:  # free-form mapping: values must be plain
                if not isinstance(value_node, yaml.ScalarNode) and not isinstance(
                    value_node, yaml.MappingNode
                ):
                    raise UserError(
                        f"{where}.{key} must be a single value", file=file, line=key_node.start_mark.line + 1
                    )
                continue
            if key not in shape:
                close = difflib.get_close_matches(key, list(shape), n=1, cutoff=0.5)
                hint = f"did you mean '{close[0]}'?" if close else "valid keys: " + ", ".join(shape)
                raise UserError(
                    f"unknown key '{key}' in {where}; {hint}", file=file, line=key_node.start_mark.line + 1
                )
            _check(value_node, shape[key], f"{where}.{key}", file)
        if where.endswith("]") and (missing := [k for k in REQUIRED.get(table, ()) if k not in seen]):
            raise UserError(
                f"{where} has no {', '.join(missing)}; every entry needs {', '.join(REQUIRED[table])}",
                file=file,
                line=line,
            )
        return
    if isinstance(shape, list):
        if not isinstance(node, yaml.SequenceNode):
            raise UserError(f"{where} must be a list{_example(shape)}", file=file, line=line)
        for i, item in enumerate(node.value):
            _check(item, shape[0], f"{where}[{i}]", file)
        return
    if shape is _BOOL:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool"):
            raise UserError(f"{where} must be true or false", file=file, line=line)
        return
    if (
        not isinstance(node, yaml.ScalarNode)
        or node.tag == "tag:yaml.org,2002:null"
        or not str(node.value).strip()
    ):
        raise UserError(f"{where} must be {shape}, e.g. cilium", file=file, line=line)


def _example(shape: Any) -> str:
    if isinstance(shape, list) and shape[0] is _STR:
        return ", e.g. [cilium, kyverno]"
    if isinstance(shape, list) and isinstance(shape[0], dict):
        return " of mappings with " + ", ".join(shape[0])
    if isinstance(shape, dict) and shape:
        return " with " + ", ".join(shape)
    return ""
