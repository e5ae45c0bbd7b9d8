"""The shipped Kubernetes schemas: made by tools/make_k8s_schemas.py, and as strict as the original.

``kubernetes-validate`` (test extra only) is the reference: on every built-in object the corpus
renders (real ``kubectl kustomize``), and on broken variants of each, both must give the same
verdict.
"""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from infra_tui.core import k8s_schemas as ks
from infra_tui.services import kustomize
from tests.corpus import CORPUS
from tests.paths import ROOT

kubernetes_validate = pytest.importorskip("kubernetes_validate")


def test_the_shipped_bundle_is_what_the_generator_makes(tmp_path):
    minor = ks.DEFAULT_KUBERNETES_VERSION
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "make_k8s_schemas.py"), minor, "--out", str(tmp_path)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr
    made = json.loads(gzip.decompress((tmp_path / f"{minor}.json.gz").read_bytes()))
    shipped = json.loads(gzip.decompress((ks.schema_root() / "kubernetes" / f"{minor}.json.gz").read_bytes()))
    assert made["$defs"] == shipped["$defs"] and made["kinds"] == shipped["kinds"]
    assert shipped["kinds"]["apps/v1"]["Deployment"] == "io.k8s.api.apps.v1.Deployment"


def test_versions_resolve_to_a_shipped_minor():
    assert ks.resolve_version(None) == (ks.DEFAULT_KUBERNETES_VERSION, None)
    assert ks.resolve_version("v1.32.4") == ("1.32", None)
    used, note = ks.resolve_version("1.99")
    assert used == ks.shipped_versions()[-1] and note and "1.99" in note
    with pytest.raises(ValueError):
        ks.resolve_version("latest")


def _mutations(obj: dict) -> list[tuple[str, dict]]:
    """Broken variants a user writes by mistake: an unknown field, list labels, a quoted number."""
    out = []
    if isinstance(obj.get("spec"), dict):
        bad = copy.deepcopy(obj)
        bad["spec"]["replicaz"] = 1
        out.append(("unknown spec field", bad))
    bad = copy.deepcopy(obj)
    bad.setdefault("metadata", {})["labels"] = ["a", "b"]
    out.append(("list labels", bad))
    if isinstance(obj.get("spec"), dict) and isinstance(obj["spec"].get("replicas"), int):
        bad = copy.deepcopy(obj)
        bad["spec"]["replicas"] = str(bad["spec"]["replicas"])
        out.append(("quoted replicas", bad))
    return out


def _build(folder: Path) -> str | None:
    try:
        argv = kustomize.kustomize_argv()
    except kustomize.KustomizeNotFound:
        return None
    res = subprocess.run([*argv, *kustomize.LOAD_RESTRICTOR, str(folder)], capture_output=True, text=True,
                         timeout=120, check=False)  # fmt: skip
    return res.stdout if res.returncode == 0 else None


@pytest.mark.kubectl
def test_verdicts_match_kubernetes_validate_on_every_rendered_corpus_object():
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}; set INFRA_TUI_CORPUS")
    try:
        kustomize.kustomize_argv()
    except kustomize.KustomizeNotFound as exc:
        pytest.skip(str(exc))
    folders = sorted({p.parent for p in CORPUS.rglob("kustomization.yaml")})
    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(_build, folders))
    minor = ks.DEFAULT_KUBERNETES_VERSION
    compared, differences = 0, []
    for folder, out in zip(folders, outputs, strict=True):
        for obj in yaml.load_all(out or "", Loader=yaml.CSafeLoader):
            if not isinstance(obj, dict) or not ks.is_builtin(
                str(obj.get("apiVersion")), str(obj.get("kind")), minor
            ):
                continue
            for what, variant in [("as rendered", obj), *_mutations(obj)]:
                problems, _ = ks.check_object(variant, minor)
                ours = any(p.severity == "error" for p in problems)
                try:
                    kubernetes_validate.validate(copy.deepcopy(variant), minor, strict=True)
                    theirs = False
                except kubernetes_validate.ValidationError:
                    theirs = True
                compared += 1
                if ours != theirs:
                    differences.append((str(folder.relative_to(CORPUS)), obj.get("kind"), what, ours, theirs))
    assert compared >= 250  # 127 rendered built-in objects in the corpus of 2026-11 + 141 broken variants
    assert differences == []


def test_kubernetes_version_setting_is_read_and_a_bad_one_names_its_line():
    from infra_tui.core.settings import parse_settings
    from infra_tui.errors import UserError

    assert (
        parse_settings("kubernetes_version: 1.30\n", "s.yaml").kubernetes_version == "1.30"
    )  # not the float 1.3
    assert parse_settings("clusters: {}\n", "s.yaml").kubernetes_version is None
    with pytest.raises(UserError) as err:
        parse_settings("rules: {}\nkubernetes_version: latest\n", "s.yaml")
    assert "s.yaml:2" in str(err.value) and "1.32" in str(err.value)
