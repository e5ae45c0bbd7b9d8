"""CRLF files and files with a UTF-8 BOM can be planned over and written, and keep their form:
`new`, `edit` and `lint --fix` used to refuse them forever ("changed on disk since the plan")."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_tui.cli import main
from tests.repo_builder import FlatRepo, helm_release_yaml

INFRA = "clusters/local-kube/infrastructure.yaml"
BOM = b"\xef\xbb\xbf"


def crlf(path: Path, *, bom: bool = False) -> None:
    data = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes((BOM if bom else b"") + data)


def assert_form(path: Path, *, bom: bool) -> None:
    data = path.read_bytes()
    assert data.startswith(BOM) == bom
    assert data.count(b"\n") == data.count(b"\r\n") > 0  # every line ends with CRLF


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = FlatRepo(tmp_path / "repo").house("cilium").house("app", ["cilium"]).write()
    crlf(root / INFRA, bom=True)
    crlf(root / "namespaces/app/helm-release.yaml")
    return root


def test_new_appends_to_a_crlf_bom_infrastructure_yaml(repo, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(
        b"name: redis\r\nchart:\r\n  name: redis\r\n  version: '1.x'\r\n  repository: {name: bitnami, url: https://charts.example.com}\r\n"
    )
    before = (repo / INFRA).read_bytes()
    rc = main(["new", "--spec", str(spec), "--repo", str(repo), "--write", "--no-validate"])
    err = capsys.readouterr().err
    assert rc == 0, err
    after = (repo / INFRA).read_bytes()
    assert after.startswith(before)  # every byte kept
    assert b"  path: ./namespaces/redis\r\n" in after
    assert_form(repo / INFRA, bom=True)


def test_edit_keeps_crlf(repo, tmp_path, capsys):
    edit = tmp_path / "edit.yaml"
    edit.write_text("chart: {version: '2.x'}\n")
    rc = main(["edit", "app", "--spec", str(edit), "--repo", str(repo), "--write", "--no-validate"])
    err = capsys.readouterr().err
    assert rc == 0, err
    text = (repo / "namespaces/app/helm-release.yaml").read_bytes()
    assert b'version: "2.x"\r\n' in text or b"version: '2.x'\r\n" in text or b"version: 2.x\r\n" in text
    assert_form(repo / "namespaces/app/helm-release.yaml", bom=False)


def test_lint_fix_writes_a_crlf_file(tmp_path, capsys):
    hr = helm_release_yaml("app", spec="  upgrade:\n    force: true\n", retries=False)
    root = (
        FlatRepo(tmp_path / "repo")
        .house("cilium")
        .ks("app", ["cilium"])
        .component("app", files={"helm-release.yaml": hr})
        .write()
    )
    crlf(root / "namespaces/app/helm-release.yaml", bom=True)
    rc = main(["lint", "--fix", "--write", "--repo", str(root)])
    err = capsys.readouterr().err
    assert "changed on disk" not in err and "wrote" in err, err
    data = (root / "namespaces/app/helm-release.yaml").read_bytes()
    assert b"force: true" not in data
    assert_form(root / "namespaces/app/helm-release.yaml", bom=True)
    assert rc in (0, 1)
