"""The repo behind tests/data/status/troubleshoot/: the Git side of that cluster.

Flux Kustomizations and their component folders, each HelmRelease in the folder its Kustomization
deploys, so the repo model maps every HelmRelease to its Kustomization. Drift against the replayed
cluster on purpose: ``grafana`` is only in Git, ``legacy-app`` only in the cluster,
``netcorp-app`` depends on ``redis`` only in Git, and chart versions differ for ``redis`` (Git
20.x, rolled back to 19.6.4) and ``keycloak`` (Git 99.x, a version that does not exist; 24.0.5
deployed) and ``postgre`` (nothing deployed).
"""

from __future__ import annotations

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
