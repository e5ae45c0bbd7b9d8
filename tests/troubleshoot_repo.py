"""The repo behind tests/data/status/troubleshoot/: the Git side of that cluster.

Flux Kustomizations and their component folders, each HelmRelease in the folder its Kustomization
deploys, so the repo model maps every HelmRelease to its Kustomization. Drift against the replayed
cluster on purpose: ``grafana`` is only in Git, ``legacy-app`` only in the cluster,
``netcorp-app`` depends on ``redis`` only in Git, and chart versions differ for ``redis`` (Git
20.x, rolled back to 19.6.4) and ``keycloak`` (Git 99.x, a version that does not exist; 24.0.5
deployed) and ``postgre`` (nothing deployed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.repo_builder import FlatRepo, helm_release_yaml

TROUBLESHOOT = Path(__file__).parent / "data" / "status" / "troubleshoot"

# component -> (namespace, chart, version in Git)
RELEASES = {
    "cilium": ("kube-system", "cilium", "1.16.x"),
    "postgre": ("database", "postgresql", "15.x"),
    "redis": ("cache", "redis", "20.x"),
    "keycloak": ("auth", "keycloak", "99.x"),
    "podinfo": ("podinfo", "podinfo", "6.x"),
    "grafana": ("grafana", "grafana", "8.x"),
}


def release(name: str) -> str:
    ns, chart, version = RELEASES[name]
    text = helm_release_yaml(name, ns)
    return text.replace(f"      chart: {name}\n", f"      chart: {chart}\n").replace(
        'version: "1.x"', f'version: "{version}"'
    )


def write_troubleshoot_repo(root: Path) -> Path:
    repo = FlatRepo(root)
    for name, deps in (
        ("cilium", []),
        ("postgre", ["cilium"]),
        ("netcorp-app", ["postgre", "redis"]),
        ("redis", ["cilium"]),
        ("keycloak", ["cilium"]),
        ("podinfo", ["cilium"]),
        ("grafana", ["cilium"]),
    ):
        repo.ks(name, deps)
        if name in RELEASES:
            repo.component(name, namespace=RELEASES[name][0], files={"helm-release.yaml": release(name)})
        else:
            repo.component(name, helm=False)
    return repo.write()


FETCHED_AT = datetime(2026, 11, 27, 9, 25, 0, tzinfo=UTC)
"""A fixed poll time for the replayed cluster: ages on screen do not depend on the wall clock."""


def write_mixed_list(path: Path) -> Path:
    """Kustomizations, HelmReleases and every event of the fixture in one saved List (what
    ``status --from-json`` and ``JsonFileSource`` read)."""
    items = []
    for name in ("kustomizations.json", "helmreleases.json"):
        items += json.loads((TROUBLESHOOT / name).read_text())["items"]
    for f in sorted((TROUBLESHOOT / "events").glob("*.json")):
        items += json.loads(f.read_text())["items"]
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def troubleshoot_snapshot(path: Path):
    """The fixture's snapshot, parsed as a poll would, at ``FETCHED_AT``."""
    from infra_tui.services.cluster import parse_kustomizations

    return parse_kustomizations(path.read_text(), f"file:{path.name}", fetched_at=FETCHED_AT)
