"""Where things live in the flat repo shape (spec/patterns.md): one place for the paths."""

from __future__ import annotations

CLUSTERS = "clusters"
NAMESPACES = "namespaces"


def env_file(env: str) -> str:
    """``clusters/<env>/infrastructure.yaml``: every Flux Kustomization of that env."""
    return f"{CLUSTERS}/{env}/infrastructure.yaml"


def component_dir(name: str) -> str:
    """``namespaces/<name>``: the folder of a component (and of its ``-monitoring`` split)."""
    return f"{NAMESPACES}/{name}"
