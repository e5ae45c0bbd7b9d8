"""`infra-tui lint --fix [--write]` end to end on a seeded-broken copy of the demo repo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from infra_tui.cli import main
from tests.paths import DEMO


def seeded(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(DEMO, repo)
    hr = repo / "namespaces" / "redis" / "helm-release.yaml"
    hr.write_text(
        hr.read_text().replace("  upgrade:\n", "  upgrade:\n    force: true\n    cleanupOnFail: true\n", 1)
    )
    ns = repo / "namespaces" / "mongodb" / "namespace.yaml"
    ns.write_text(
        "\n".join(line for line in ns.read_text().splitlines() if "pod-security" not in line) + "\n"
    )
    return repo


def lint_json(capsys, repo: Path) -> tuple[int, list[dict]]:
    rc = main(["lint", "--repo", str(repo), "--format", "json"])
    return rc, json.loads(capsys.readouterr().out)["findings"]


def test_fix_dry_run_changes_nothing_and_write_leaves_no_fixable_finding(tmp_path, capsys):
    repo = seeded(tmp_path)
    rc, before = lint_json(capsys, repo)
    assert rc == 1
    assert {f["rule"] for f in before} >= {"helm-force", "helm-cleanup-on-fail", "namespace-pss"}
    snapshot = {p: p.read_bytes() for p in repo.rglob("*.yaml")}

    rc = main(["lint", "--repo", str(repo), "--fix"])
    out, err = capsys.readouterr()
    assert rc == 1  # a dry run leaves the errors in place
    assert "-    force: true" in out and "nothing written" in err
    assert {p: p.read_bytes() for p in repo.rglob("*.yaml")} == snapshot

    rc = main(["lint", "--repo", str(repo), "--fix", "--write"])
    capsys.readouterr()
    assert rc == 0
    rc, after = lint_json(capsys, repo)
    assert rc == 0 and [f for f in after if f["fixable"]] == []
    text = (repo / "namespaces" / "redis" / "helm-release.yaml").read_text()
    assert (
        "force: true" not in text
        and "cleanupOnFail: true" not in text
        and "# REVIEW: lint --fix removed" in text
    )


def test_unfixable_findings_are_listed_with_what_to_do(tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(DEMO, repo)
    infra = repo / "clusters" / "local-kube" / "infrastructure.yaml"
    infra.write_text(infra.read_text().replace("    - name: cilium\n", "    - name: cilium-typo\n", 1))
    rc = main(["lint", "--repo", str(repo), "--fix", "--write"])
    _, err = capsys.readouterr()
    assert rc == 1
    assert "by hand:" in err and "[dependency-missing]" in err and "remove the dependsOn entry" in err
