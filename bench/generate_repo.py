"""Generate a large flat Flux repo for benchmarks: N components in the house shape.

Usage: python bench/generate_repo.py DIR [N]   (also importable: generate(dir, n))
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

PROVIDERS = ["cluster-secrets", "cilium", "cert-manager", "monitoring", "longhorn-system"]

KS = """---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
{deps}  interval: 5m
  path: ./namespaces/{name}
  prune: false
  sourceRef:
    kind: GitRepository
    name: flux-system
  wait: true
  timeout: 10m
"""

FILES = {
    "kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n  - helm-repository.yaml\n  - helm-release.yaml\n",
    "namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: latest\n",
    "helm-repository.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://charts.example.com/{name}\n",
    "helm-release.yaml": (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n  namespace: {name}\nspec:\n"
        '  interval: 1h\n  chart:\n    spec:\n      chart: {name}\n      version: "1.x"\n      sourceRef:\n        kind: HelmRepository\n'
        "        name: {name}\n        namespace: flux-system\n  install:\n    remediation:\n      retries: 3\n  upgrade:\n"
        "    remediation:\n      retries: 3\n  values:\n    replicaCount: 2\n    serviceMonitor:\n      enabled: false\n"
    ),
}


def generate(root: Path, n: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    names = list(PROVIDERS) + [f"svc-{i:04d}" for i in range(n - len(PROVIDERS))]
    docs = ["# generated benchmark repo\n"]
    for i, name in enumerate(names):
        deps: list[str] = []
        if i >= len(PROVIDERS):
            pool = names[max(0, i - 40) : i]
            deps = sorted(set(rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))))
        dep_text = "  dependsOn:\n" + "".join(f"    - name: {d}\n" for d in deps) if deps else ""
        docs.append(KS.format(name=name, deps=dep_text))
        folder = root / "namespaces" / name
        folder.mkdir(parents=True, exist_ok=True)
        for fname, body in FILES.items():
            (folder / fname).write_text(body.format(name=name))
    env = root / "clusters" / "local-kube"
    env.mkdir(parents=True, exist_ok=True)
    (env / "infrastructure.yaml").write_text("".join(docs))
    return root


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
