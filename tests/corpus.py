"""Where the real public Flux repos of ../shared/corpus are, and how each cluster is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(os.environ.get("INFRA_TUI_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))

# cluster -> folders that make it up (read with --path), from corpus/SOURCES.md
CLUSTERS: dict[str, list[str]] = {
    "kustomize-helm/production": ["fluxcd__flux2-kustomize-helm-example/clusters/production"],
    "kustomize-helm/staging": ["fluxcd__flux2-kustomize-helm-example/clusters/staging"],
    "kustomize-helm@d54e250/production": ["fluxcd__flux2-kustomize-helm-example@d54e250/clusters/production"],
    "multi-tenancy/production": ["fluxcd__flux2-multi-tenancy/clusters/production"],
    "hub-spoke/staging": ["fluxcd__flux2-hub-spoke-example/hub/staging.yaml"],
    "onedr0p": ["onedr0p__home-ops/kubernetes"],
    "ricsanfre/prod": ["ricsanfre__pi-cluster/kubernetes/clusters/prod"],
    "ricsanfre/dev": ["ricsanfre__pi-cluster/kubernetes/clusters/dev"],
    "joryirving/main": [
        "joryirving__home-ops/kubernetes/clusters/main",
        "joryirving__home-ops/kubernetes/apps/main",
    ],
    "joryirving/test": [
        "joryirving__home-ops/kubernetes/clusters/test",
        "joryirving__home-ops/kubernetes/apps/test",
    ],
}


def corpus_paths(cluster: str) -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}; set INFRA_TUI_CORPUS")
    return [CORPUS / p for p in CLUSTERS[cluster]]
