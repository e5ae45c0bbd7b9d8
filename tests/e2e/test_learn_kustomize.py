"""``infra-tui learn --kustomize``: CRDs that only appear in kustomize output (here a remote base,
a local Git repo reached by ``file://``, so no network) become provider facts; written to the
learned file, lint then knows their provider."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from infra_tui.cli import main
from infra_tui.core import learn_rendered, repo
from tests.repo_builder import FlatRepo, kustomization_yaml
from tests.unit.test_kustomize import pytestmark as kustomize_marks

pytestmark = kustomize_marks  # real kustomize (or kubectl kustomize) and git


WIDGET_CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.io
spec:
  group: example.io
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
"""


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True)


def remote_base(tmp_path: Path) -> str:
    """A Git repo holding the CRD, as a kustomize remote base URL (file://: no network)."""
    upstream = tmp_path / "upstream"
    (upstream / "crds").mkdir(parents=True)
    (upstream / "crds/widgets.yaml").write_text(WIDGET_CRD)
    (upstream / "crds/kustomization.yaml").write_text("resources:\n  - widgets.yaml\n")
    git("init", "-q", cwd=upstream)
    git("add", ".", cwd=upstream)
    git("commit", "-qm", "crds", cwd=upstream)
    return f"file://{upstream}//crds?ref=HEAD"


def widget_repo(tmp_path: Path) -> Path:
    url = remote_base(tmp_path)
    b = FlatRepo(tmp_path / "repo")
    b.house("widget-operator")
    b.house("app")
    files = ["namespace.yaml", "helm-repository.yaml", "helm-release.yaml"]
    b.components["widget-operator"]["kustomization.yaml"] = kustomization_yaml(files) + f"  - {url}\n"
    b.components["app"]["widget.yaml"] = (
        "apiVersion: example.io/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: app\nspec: {}\n"
    )
    return b.write()


def learn_json(root: Path, capsys, *extra: str) -> tuple[dict, str]:
    capsys.readouterr()
    assert main(["learn", "--repo", str(root), "--format", "json", *extra]) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def test_crds_of_a_remote_base_are_learned_from_kustomize_output(tmp_path, capsys):
    root = widget_repo(tmp_path)
    (target,) = learn_rendered.build_targets(repo.load(root))
    assert target.folder == "namespaces/widget-operator" and target.why.startswith("remote base file://")
    plain, _ = learn_json(root, capsys)
    assert [b["group"] for b in plain["bootstrap_provided"]] == ["example.io"]
    assert not any("example.io" in p["groups"] for p in plain["providers"])

    built, err = learn_json(root, capsys, "--kustomize", "--write")
    assert "kustomize: built 1 folder(s) with remote bases or generators; 1 provider fact(s)" in err
    (fact,) = [p for p in built["providers"] if "example.io" in p["groups"]]
    assert fact["provider"] == "flux-system/widget-operator" and fact["kinds"] == ["Widget"]
    assert fact["via"].startswith("kustomize build (remote base file://")
    assert fact["evidence"] == ["namespaces/widget-operator/kustomization.yaml:7"]
    assert built["bootstrap_provided"] == []
    # written to .infra-tui.learned.yaml, lint now knows who provides Widget
    capsys.readouterr()
    assert main(["lint", "--repo", str(root), "--format", "json"]) == 1
    found = json.loads(capsys.readouterr().out)["findings"]
    assert any(
        f["rule"] == "crd-dependency"
        and f["severity"] == "error"
        and f["kustomization"] == "flux-system/app"
        and "does not dependsOn widget-operator" in f["message"]
        for f in found
    )


def test_a_failed_build_is_one_line_and_learns_nothing(tmp_path, capsys):
    root = widget_repo(tmp_path)
    k = root / "namespaces/widget-operator/kustomization.yaml"
    k.write_text(k.read_text().replace("?ref=HEAD", "?ref=no-such-ref"))
    data, err = learn_json(root, capsys, "--kustomize")
    (line,) = [ln for ln in err.splitlines() if "failed" in ln]
    assert line.startswith("namespaces/widget-operator: kustomize build failed (remote base file://")
    assert not any("example.io" in p["groups"] for p in data["providers"])
    assert [b["group"] for b in data["bootstrap_provided"]] == ["example.io"]
