"""services.kustomize: real builds of the demo repo and corpus folders, Flux's load restrictor,
and the scratch copy that keeps the user's tree untouched."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from infra_tui.services import kustomize
from tests.corpus import CORPUS
from tests.paths import DATA, DEMO

BROKEN = DATA / "broken"


def _missing() -> str | None:
    try:
        kustomize.kustomize_argv()
    except kustomize.KustomizeNotFound as exc:
        return str(exc)
    return None


pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(_missing() is not None, reason=f"needs kustomize or kubectl on PATH: {_missing()}"),
]

CORPUS_FOLDERS = [
    "onedr0p__home-ops/kubernetes/apps/kube-system/cilium/app",
    "onedr0p__home-ops/kubernetes/apps/cert-manager/cert-manager/app",
    "onedr0p__home-ops/kubernetes/apps/kube-system/multus/app",
    "ricsanfre__pi-cluster/kubernetes/platform/cilium/app/overlays/prod",
    "joryirving__home-ops/kubernetes/apps/base/llm/toolhive/app",
]


def _build(folder: Path) -> kustomize.BuildResult:
    return asyncio.run(kustomize.build(folder))


@pytest.mark.parametrize("rel", CORPUS_FOLDERS)
def test_real_build_of_corpus_folders(rel):
    folder = CORPUS / rel
    if not folder.is_dir():
        pytest.skip(f"corpus folder missing: {folder}")
    res = _build(folder)
    assert res.ok, res.stderr
    assert "kind: " in res.manifests


def test_real_build_of_every_demo_component():
    comps = sorted(p for p in (DEMO / "namespaces").glob("*") if p.is_dir()) if DEMO.is_dir() else []
    if not comps:
        pytest.skip("the demo repo is not in templates/demo yet")
    failed = {c.name: r.stderr for c in comps if not (r := _build(c)).ok}
    assert not failed


def test_load_restrictor_is_flux_s(tmp_path):
    # A file outside the kustomization root: kustomize's default (RootOnly) refuses it, Flux allows it.
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n"
    )
    comp = tmp_path / "namespaces" / "app"
    comp.mkdir(parents=True)
    (comp / "kustomization.yaml").write_text("resources:\n  - ../../shared/cm.yaml\n")
    res = _build(comp)
    assert res.ok, res.stderr
    assert "name: shared" in res.manifests


def test_render_scratch_never_writes_the_user_tree(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    for top in ("namespaces", "clusters"):
        src = BROKEN / top
        dst = repo / top
        for f in src.rglob("*"):
            if f.is_file():
                (dst / f.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
                (dst / f.relative_to(src)).write_text(f.read_text())
    user_file = repo / "namespaces/good/helm-release.yaml"
    before = user_file.read_text()
    plan = {
        "namespaces/good/helm-release.yaml": before.replace("interval: 1h", "interval: 2h"),
        "namespaces/new-one/kustomization.yaml": "resources: []\n",
    }
    scratch = kustomize.render_scratch(repo, plan)
    try:
        assert user_file.read_text() == before
        assert not (repo / "namespaces/new-one").exists()
        assert "interval: 2h" in (scratch / "namespaces/good/helm-release.yaml").read_text()
        assert not (scratch / ".git").exists()
        # untouched files are hard links (cheap) but the written one is not
        same = (scratch / "namespaces/good/namespace.yaml").stat().st_ino == (
            repo / "namespaces/good/namespace.yaml"
        ).stat().st_ino
        assert same or os.name != "posix"
        assert (scratch / "namespaces/good/helm-release.yaml").stat().st_ino != user_file.stat().st_ino
        assert _build(scratch / "namespaces/good").ok
    finally:
        import shutil

        shutil.rmtree(scratch)


def test_render_scratch_refuses_paths_outside_the_repo(tmp_path):
    (tmp_path / "repo" / "namespaces").mkdir(parents=True)
    with pytest.raises(ValueError):
        kustomize.render_scratch(tmp_path / "repo", {"../evil.yaml": "x"})


def test_not_found_message_is_one_line_with_how_to_get_one(monkeypatch, tmp_path):
    import sys

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("INFRA_TUI_KUSTOMIZE", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(kustomize.KustomizeNotFound) as exc:
        kustomize.kustomize_argv()
    msg = str(exc.value)
    assert (
        "\n" not in msg and "kustomize not found" in msg and "https://kubernetes.io/docs/tasks/tools/" in msg
    )


def test_kubectl_kustomize_is_the_fallback(monkeypatch, tmp_path):
    fake = tmp_path / "kubectl"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("INFRA_TUI_KUSTOMIZE", raising=False)
    assert kustomize.kustomize_argv() == [str(fake), "kustomize"]
