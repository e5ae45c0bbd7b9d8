"""The Kustomizations infra-tui reports are exactly those the real `kubectl kustomize` renders when
walking Flux's reconciliation tree from the entry (issue 14), on the generated fixtures and the
corpus repos.

The walk below is the test's own, as kustomize-controller does it, with kubectl doing every build:
copy the repo, write the kustomization.yaml Flux generates where a folder has none (every manifest
below it; a sub-folder with its own kustomization.yaml as that folder), add the Flux
Kustomization's spec.components and targetNamespace to it, render, substitute the parent's
postBuild variables, and follow each rendered Flux Kustomization whose source is the repo.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from infra_tui.core import repo
from tests.corpus import CLUSTERS, corpus_paths
from tests.unit.test_fluxtree import app_ks, fleet

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None and not os.environ.get("CI"), reason="kubectl not installed")
KFILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class _Loader(yaml.SafeLoader):
    """Safe loading, with the YAML 1.1 '=' value key (recyclarr's config) read as a string."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def _docs(text: str) -> list[dict]:
    return [d for d in yaml.load_all(text, Loader=_Loader) if isinstance(d, dict)]


VAR = re.compile(r"\$\{([_A-Za-z][_A-Za-z0-9]*)(?::?[-=]([^}]*))?\}")


def _generate(folder: Path) -> None:
    """kustomize-controller's generated kustomization.yaml for a folder without one."""
    resources: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if any((here / d / k).is_file() for k in KFILES):
                resources.append(str((here / d).relative_to(folder)))
            else:
                keep.append(d)
        dirnames[:] = keep
        resources += [
            str((here / f).relative_to(folder)) for f in sorted(filenames) if f.endswith((".yaml", ".yml"))
        ]
    (folder / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources}
        )
    )


def _render(folder: Path, components: list[str], namespace: str | None) -> list[dict] | None:
    kfile = next((folder / k for k in KFILES if (folder / k).is_file()), None)
    if kfile is None:
        _generate(folder)
        kfile = folder / "kustomization.yaml"
    if components or namespace:
        data = yaml.safe_load(kfile.read_text()) or {}
        data["components"] = [*(data.get("components") or []), *components]
        if namespace:
            data["namespace"] = namespace
        kfile.write_text(yaml.safe_dump(data))
    res = subprocess.run(
        [KUBECTL, "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if res.returncode != 0:
        return None  # Flux fails this build too: it deploys nothing from it
    return _docs(res.stdout)


def _substitute(doc: dict, variables: dict[str, str]) -> dict:
    def sub(m: re.Match[str]) -> str:
        value = variables.get(m[1], "")
        return value if value else (m[2] or "")

    return yaml.safe_load(VAR.sub(sub, yaml.safe_dump(doc))) if variables else doc


def rendered_ids(root: Path, entries: list[str], tmp: Path, failed: list[str] | None = None) -> set[str]:
    work = tmp / "render"
    shutil.copytree(root, work, symlinks=True)
    ids: set[str] = set()
    configmaps: dict[str, dict[str, str]] = {}
    queue: list[tuple[str, list[str], str | None, dict[str, str]]] = [(e, [], None, {}) for e in entries]
    while queue:
        rel, components, namespace, variables = queue.pop(0)
        target = work / rel
        built = _docs(target.read_text()) if target.is_file() else _render(target, components, namespace)
        if built is None:
            (failed if failed is not None else []).append(rel)
            continue
        docs = [_substitute(d, variables) for d in built]
        for d in docs:
            if d.get("kind") == "ConfigMap":
                configmaps[d["metadata"]["name"]] = {k: str(v) for k, v in (d.get("data") or {}).items()}
        for d in docs:
            if d.get("kind") != "Kustomization" or not d.get("apiVersion", "").startswith(
                "kustomize.toolkit"
            ):
                continue
            meta, spec = d["metadata"], d.get("spec") or {}
            kid = f"{meta.get('namespace') or 'flux-system'}/{meta['name']}"
            if kid in ids:
                continue
            ids.add(kid)
            ref = spec.get("sourceRef") or {}
            path = str(spec.get("path") or "").removeprefix("./")
            if ref.get("kind", "GitRepository") != "GitRepository" or ref.get("name") != "flux-system":
                continue
            if not (work / path).is_dir() or "${" in path:
                continue
            post = spec.get("postBuild") or {}
            child_vars: dict[str, str] = {}
            for src in post.get("substituteFrom") or []:
                child_vars.update(configmaps.get(src.get("name"), {}))
            child_vars.update({k: str(v) for k, v in (post.get("substitute") or {}).items()})
            queue.append((path, list(spec.get("components") or []), spec.get("targetNamespace"), child_vars))
    return ids


def reported_ids(r: repo.Repo) -> set[str]:
    return {k.id for k in next(iter(r.envs.values())).kustomizations}


def test_fixture_fleet_matches_kubectl(tmp_path):
    root = fleet(tmp_path / "repo")
    (root / "clusters/prod/apps.yaml").write_text(
        app_ks(
            "apps",
            "./apps",
            extra="  targetNamespace: team\n  postBuild:\n    substitute:\n      SUFFIX: blue\n",
        )
    )
    (root / "apps/web/ks.yaml").write_text(
        app_ks("web-${SUFFIX}", "./apps/web/app", ("base",)).replace(
            "  namespace: flux-system\n", "  namespace: ${NS:=ignored}\n", 1
        )
    )
    model = repo.load(root)
    assert len(model.envs) == 1
    failed: list[str] = []
    expected = rendered_ids(root, ["clusters/prod"], tmp_path, failed)
    assert failed == []
    assert reported_ids(model) == expected
    assert "team/web-blue" in expected and "flux-system/legacy" not in expected


# onedr0p's cluster is read from kubernetes/ (tests/corpus.py); Flux enters it at the
# Kustomization the flux-operator syncs: kubernetes/flux/cluster (kubernetes/ as a whole would
# list kustomize Components as resources, which kustomize refuses)
ENTRY = {"onedr0p": ["onedr0p__home-ops/kubernetes/flux/cluster"]}
# files the corpus copy left out (SOURCES.md): empty stand-ins, so kubectl can build the folder
LEFT_OUT = {"kustomize-helm@d54e250/production": ["clusters/production/flux-system/gotk-components.yaml"]}


@pytest.mark.parametrize("cluster", sorted(CLUSTERS))
def test_corpus_clusters_match_kubectl(cluster, tmp_path):
    model = repo.load(paths=corpus_paths(cluster))
    root = model.root
    if cluster in ENTRY:
        entry_model = repo.load(paths=[root / p.split("/", 1)[1] for p in ENTRY[cluster]])
        assert reported_ids(entry_model) == reported_ids(model)
        entries = [p.split("/", 1)[1] for p in ENTRY[cluster]]
    else:
        entries = [os.path.relpath(p, root) for p in corpus_paths(cluster)]
    if cluster in LEFT_OUT:
        copy = tmp_path / "copy"
        shutil.copytree(root, copy, symlinks=True)
        for rel in LEFT_OUT[cluster]:
            (copy / rel).write_text("")
        root = copy
    # builds kubectl cannot do in a partial copy (an app folder whose kustomization.yaml was not
    # copied) deploy nothing; they hold no Flux Kustomization in the model either
    failed: list[str] = []
    assert reported_ids(model) == rendered_ids(root, entries, tmp_path, failed)
    assert not any(
        k.file.startswith(tuple(f + "/" for f in failed))
        for k in next(iter(model.envs.values())).kustomizations
    )
