"""Bad input a repo or a user brings: one line naming the file and line, exit 2, no traceback
(issue 11, items 2, 6, 8 and 9). The every-command matrix is tests/test_hostile_repos.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra_tui.cli import main
from infra_tui.core import yamlio
from tests.hostile_repos import billion_laughs, tree_hash
from tests.paths import ROOT
from tests.repo_builder import FlatRepo, ks, line_of


@pytest.fixture(autouse=True)
def _no_config_override(monkeypatch):
    monkeypatch.delenv("INFRA_TUI_CONFIG", raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return FlatRepo(tmp_path / "repo").house("cilium").house("app", ["cilium"]).write()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# ---------------------------------------------------------------- item 2: bounded YAML


def test_alias_bomb_in_a_spec_file_is_one_line(repo, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: bomb\nchart: {name: bomb, repository: {url: https://x.example}}\nvalues:\n"
        + billion_laughs("  ")
    )
    for argv in (["new", "--spec", str(spec)], ["edit", "app", "--spec", str(spec)]):
        rc, _, err = run(capsys, *argv, "--repo", str(repo))
        assert rc == 2
        assert err.count("\n") == 1 and re.match(
            rf"infra-tui: {re.escape(str(spec))}:\d+: alias expansion too large", err
        ), err


def test_recursive_alias_and_bomb_refused_by_every_reader():
    recursive = "labels: &x {self: *x}\n"
    with pytest.raises(yamlio.YamlRefused, match="alias expansion too large"):
        yamlio.load_one(recursive)
    with pytest.raises(yamlio.YamlRefused, match="alias expansion too large"):
        yamlio.rt_load(billion_laughs())
    assert "alias expansion too large" in yamlio.alias_problem(billion_laughs())
    # merge keys, the aliases real repos use, stay fine
    assert yamlio.load_one("a: &a {x: 1}\nb: {<<: *a, y: 2}\n") == {"a": {"x": 1}, "b": {"x": 1, "y": 2}}


def test_alias_bomb_in_settings_is_one_line(repo, capsys):
    (repo / ".infra-tui.yaml").write_text("rules:\n  extra:\n" + billion_laughs("    "))
    rc, _, err = run(capsys, "lint", "--repo", str(repo))
    assert rc == 2 and "alias expansion too large" in err and err.count("\n") == 1


# ---------------------------------------------------------------- item 6: no traceback, exit 2


def test_spec_file_not_utf8(repo, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"name: caf\xe9\n")
    rc, _, err = run(capsys, "new", "--spec", str(spec), "--repo", str(repo))
    assert (
        rc == 2
        and err
        == f"infra-tui: {spec}: cannot read the spec file: not UTF-8 text (byte 9); save it as UTF-8\n"
    )


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (
            "  crd_providers: 5\n",
            ":3: rules.crd_providers must be a list of mappings with kinds, group, provider",
        ),
        (
            "  crd_providers:\n    - provider: foo\n",
            ":4: rules.crd_providers[0] has no kinds; every entry needs kinds, provider",
        ),
        ("  webhook_components: [[a]]\n", ":3: rules.webhook_components[0] must be a name"),
        (
            "  crd_providers:\n    - kinds: [A]\n      provder: foo\n",
            ":5: unknown key 'provder' in rules.crd_providers[0]; did you mean 'provider'?",
        ),
        (
            "  required_dependencys: []\n",
            ":3: unknown key 'required_dependencys' in rules; did you mean 'required_dependencies'?",
        ),
    ],
)
def test_rule_tables_are_validated(repo, capsys, rules, expected):
    (repo / ".infra-tui.yaml").write_text("# repo settings\nrules:\n" + rules)
    rc, _, err = run(capsys, "lint", "--repo", str(repo))
    assert rc == 2 and err.count("\n") == 1, err
    assert f".infra-tui.yaml{expected}" in err, err


def test_unknown_component_and_missing_json_are_bad_input(repo, tmp_path, capsys):
    edit = tmp_path / "edit.yaml"
    edit.write_text("chart: {version: '2.x'}\n")
    rc, _, err = run(capsys, "edit", "nope", "--spec", str(edit), "--repo", str(repo))
    assert rc == 2 and "no component or Kustomization named 'nope'" in err
    rc, _, err = run(capsys, "status", "--from-json", str(tmp_path / "missing.json"), "--repo", str(repo))
    assert rc == 2 and "--from-json" in err and "no such file" in err


@pytest.mark.parametrize("command", [["new", "--plain"], ["edit", "app", "--plain"]])
def test_plain_without_a_terminal_is_one_line(repo, command):
    proc = subprocess.run(
        [sys.executable, "-m", "infra_tui.cli", *command, "--repo", str(repo)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--plain: input ended" in proc.stderr


def test_unreadable_component_folder_as_a_user(repo):
    if not hasattr(os, "setuid") or os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists():
        pytest.skip("needs root to drop to nobody with setpriv (tests run as root in CI)")
    folder = repo / "namespaces" / "app"
    os.chmod(folder, 0o700)  # root only
    for p in [repo, *repo.parents]:
        if p != Path("/"):
            os.chmod(p, os.stat(p).st_mode | 0o005)
    for d, _, files in os.walk(repo):
        if not d.startswith(str(folder)):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(Path(d) / f, 0o644)
    proc = subprocess.run(
        [
            "/usr/bin/setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            sys.executable,
            "-m",
            "infra_tui.cli",
            "lint",
            "--repo",
            str(repo),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        env={**os.environ, "HOME": "/tmp", "PYTHONPATH": str(ROOT)},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert "namespaces/app" in proc.stderr and "permission denied" in proc.stderr


# ---------------------------------------------------------------- item 8: the file system cannot hang it


def test_symlink_loops_in_a_generated_kustomization_are_read_once(repo, capsys):
    folder = repo / "namespaces" / "app"
    (folder / "kustomization.yaml").unlink()  # Flux generates one: every YAML below the folder
    (folder / "loop").symlink_to("..")
    (folder / "self").symlink_to(".")
    rc, out, err = run(capsys, "lint", "--repo", str(repo), "--format", "json")
    assert "Traceback" not in err
    assert rc in (0, 1)


# ---------------------------------------------------------------- item 9: wrong input is not accepted


def test_new_does_not_append_to_a_list_document(repo, tmp_path, capsys):
    infra = repo / "clusters/local-kube/infrastructure.yaml"
    infra.write_text("- just\n- a list\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: redis\nchart: {name: redis, version: '1.x', repository: {name: r, url: https://x.example}}\n"
    )
    rc, _, err = run(capsys, "new", "--spec", str(spec), "--repo", str(repo), "--write", "--no-validate")
    assert (
        rc == 2 and "clusters/local-kube/infrastructure.yaml:1: this document is a list, not a mapping" in err
    )
    assert infra.read_text() == "- just\n- a list\n"


def test_lint_path_without_flux_objects(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "values.yaml").write_text("a: 1\n")
    rc, _, err = run(capsys, "lint", "--path", str(tmp_path / "plain"))
    assert rc == 2 and "no Flux Kustomizations found" in err


def test_kustomization_names_that_are_not_dns1123_are_a_finding(repo, capsys):
    infra = repo / "clusters/local-kube/infrastructure.yaml"
    infra.write_text(
        infra.read_text() + ks("x").replace("  name: x\n", "  name: 'Bad_Name\"[x]'  # <-- bad\n")
    )
    rc, out, err = run(capsys, "lint", "--repo", str(repo), "--format", "json")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "ks-name"]
    assert len(found) == 1 and found[0]["severity"] == "error" and rc == 1
    assert found[0]["line"] == line_of(infra, "# <-- bad")
    assert "not a DNS-1123 name" in found[0]["message"] and "'bad-name-x'" in found[0]["message"]


@pytest.mark.parametrize("command", ["new", "edit"])
def test_chart_version_must_be_a_semver_constraint(repo, tmp_path, capsys, command):
    spec = tmp_path / "spec.yaml"
    if command == "new":
        spec.write_text(
            "name: redis\nchart: {name: redis, version: 'latest; rm -rf /', repository: {name: r, url: https://x.example}}\n"
        )
        argv = ["new", "--spec", str(spec)]
    else:
        spec.write_text("chart: {version: 'latest; rm -rf /'}\n")
        argv = ["edit", "app", "--spec", str(spec)]
    before = tree_hash(repo)
    rc, _, err = run(capsys, *argv, "--repo", str(repo), "--write", "--no-validate")
    assert rc in (1, 2) and "Traceback" not in err
    assert "'latest; rm -rf /' is not a semver constraint" in err and '"1.x"' in err
    assert tree_hash(repo) == before


@pytest.mark.parametrize("port", ["0", "70000", "22x"])
def test_port_is_checked(repo, capsys, port):
    with pytest.raises(SystemExit) as exc:
        main(["status", "--port", port, "--repo", str(repo)])
    assert exc.value.code == 2 and "is not a port number (1-65535)" in capsys.readouterr().err
