"""Bad input gets one clear line (file, line, what to do), exit 2, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra_tui.cli import main
from tests.paths import DEMO


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    dst = tmp_path / "repo"
    shutil.copytree(DEMO, dst)
    return dst


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def infra(tmp: Path, body: str) -> Path:
    f = tmp / "clusters" / "local-kube" / "infrastructure.yaml"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(body)
    return f


def test_not_a_flux_repo(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run(capsys, "graph")
    assert rc == 2
    assert err.count("\n") == 1 and "not inside a flat Flux repo" in err and "--repo" in err


def test_unreadable_yaml_names_file_and_line_and_the_rest_loads(demo, capsys):
    f = demo / "clusters" / "local-kube" / "infrastructure.yaml"
    text = f.read_text()
    f.write_text(
        text
        + "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: [broken\n"
    )
    bad_line = text.count("\n") + 5
    rc, out, err = run(capsys, "graph", "--repo", str(demo), "--format", "json")
    assert rc == 2
    assert f"clusters/local-kube/infrastructure.yaml:{bad_line}: invalid YAML" in err
    assert '"name": "netcorp-app"' in out  # everything else still loaded
    assert "Traceback" not in err


def test_kustomization_without_name(tmp_path, capsys):
    infra(
        tmp_path,
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  namespace: flux-system\nspec:\n  path: ./x\n",
    )
    rc, _, err = run(capsys, "lint", "--repo", str(tmp_path))
    assert rc == 2
    assert (
        "clusters/local-kube/infrastructure.yaml:2: Flux Kustomization without metadata.name; add a name"
        in err
    )


def test_depends_on_entry_not_a_mapping(tmp_path, capsys):
    infra(
        tmp_path,
        (
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: a\n"
            "spec:\n  dependsOn:\n    - cilium\n  path: ./x\n"
        ),
    )
    rc, _, err = run(capsys, "graph", "--repo", str(tmp_path))
    assert rc == 2
    assert (
        "infrastructure.yaml:7: a: dependsOn entry 'cilium' is not a mapping with a name; write '- name: <kustomization>'"
        in err
    )


def test_env_that_does_not_exist(demo, capsys):
    rc, _, err = run(capsys, "graph", "--repo", str(demo), "--env", "stagin")
    assert rc == 2
    assert "env 'stagin' does not exist; did you mean 'staging'?" in err and "local-kube" in err


def test_settings_with_unknown_keys(demo, capsys):
    (demo / ".infra-tui.yaml").write_text("clusters:\n  local-kube:\n    hots: kube@127.0.0.1\n")
    rc, _, err = run(capsys, "lint", "--repo", str(demo))
    assert rc == 2
    assert ".infra-tui.yaml" in err and "hots" in err and "host" in err
    assert err.count("\n") == 1


def test_path_that_does_not_exist(capsys, tmp_path):
    rc, _, err = run(capsys, "graph", "--path", str(tmp_path / "nope"))
    assert rc == 2 and "no such file or directory" in err


def test_installed_command_shows_no_traceback(tmp_path):
    exe = Path(sys.executable).with_name("infra-tui")
    if not exe.exists():
        pytest.skip("console script not installed in this venv")
    res = subprocess.run(
        [str(exe), "lint", "--repo", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr and res.stderr.startswith("infra-tui: ")
