"""Broken components each get the right class, with file:line; the CLI's text, JSON and exit codes.

The build step is a real ``kustomize build`` / ``kubectl kustomize``; the dry-run is ``offline``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys

import pytest

from infra_tui import cli
from infra_tui.core import k8s_schemas
from infra_tui.core import validation as v
from infra_tui.core.repo import load
from infra_tui.core.rules import load_rules
from infra_tui.services import dryrun, kustomize
from tests.paths import DATA

BROKEN = DATA / "broken"


def _kustomize_missing() -> str | None:
    try:
        kustomize.kustomize_argv()
    except kustomize.KustomizeNotFound as exc:
        return str(exc)
    return None


needs_kustomize = pytest.mark.skipif(
    _kustomize_missing() is not None, reason=f"needs kustomize or kubectl on PATH: {_kustomize_missing()}"
)


@pytest.fixture(scope="module")
def report() -> dict[str, v.ComponentResult]:
    if _kustomize_missing():
        pytest.skip(f"needs kustomize or kubectl on PATH: {_kustomize_missing()}")
    repo = load(BROKEN)
    options = dryrun.Options(
        crd_providers=load_rules().crd_providers, kustomize_argv=kustomize.kustomize_argv()
    )
    rep = asyncio.run(dryrun.validate_many(repo.root, v.targets_from_repo(repo), options, jobs=4))
    return {r.component.rsplit("/", 1)[-1]: r for r in rep.results}


def _only(result: v.ComponentResult, kind: str) -> v.Issue:
    found = [i for i in result.issues if i.kind == kind]
    assert found, f"no {kind} issue in {result.to_json()}"
    return found[0]


@pytest.mark.kubectl
def test_good_component_passes(report):
    r = report["good"]
    assert (r.build, r.dry_run, r.issues) == ("pass", "pass", [])


@pytest.mark.kubectl
def test_missing_file_is_a_build_error_with_the_line_to_fix(report):
    r = report["missing-file"]
    assert r.build == "fail" and not r.ok
    issue = _only(r, v.BUILD)
    assert (issue.file, issue.line) == ("namespaces/missing-file/kustomization.yaml", 5)
    assert "namespaces/missing-file/helm-release.yaml does not exist" in issue.message


@pytest.mark.kubectl
def test_bad_yaml_is_a_syntax_error_at_file_line(report):
    r = report["bad-yaml"]
    assert (r.build, r.dry_run) == ("fail", "fail")
    issue = _only(r, v.SYNTAX)
    assert (issue.file, issue.line) == ("namespaces/bad-yaml/config.yaml", 8)


@pytest.mark.kubectl
def test_helmrelease_interval_number_is_a_schema_error_on_its_line(report):
    r = report["wrong-type-hr"]
    assert (r.build, r.dry_run) == ("pass", "fail")
    issue = _only(r, v.SCHEMA)
    assert (issue.file, issue.line) == ("namespaces/wrong-type-hr/helm-release.yaml", 7)
    assert "spec.interval" in issue.message and "string" in issue.message


@pytest.mark.kubectl
def test_deployment_replicas_string_is_a_schema_error_on_its_line(report):
    r = report["wrong-type-deploy"]
    assert r.dry_run == "fail"
    issue = _only(r, v.SCHEMA)
    assert (issue.file, issue.line) == ("namespaces/wrong-type-deploy/deployment.yaml", 7)
    assert "spec.replicas" in issue.message and "integer" in issue.message


@pytest.mark.kubectl
def test_crd_instance_without_its_provider_fails(report):
    r = report["crd-no-provider"]
    assert (r.build, r.dry_run) == ("pass", "fail")
    issue = _only(r, v.MISSING_CRD)
    assert issue.file == "namespaces/crd-no-provider/recurring-job.yaml"
    assert "add dependsOn longhorn-system" in issue.message


@pytest.mark.kubectl
def test_crd_instance_whose_dependency_provides_it_is_expected(report):
    r = report["crd-expected"]
    assert (r.build, r.dry_run) == ("pass", "expected-missing-crd")
    assert r.ok


def test_source_documents_are_checked_with_the_shipped_schemas_alone():
    """The fallback when a build fails: each source document, full schemas, no extra installed."""
    files = dryrun.component_files(BROKEN, "namespaces/wrong-type-deploy")
    docs, syntax = dryrun.load_sources(BROKEN, files)
    out = dryrun.validate_documents(docs, ancestor_ids=[], crd_providers=[])
    assert not syntax
    assert [(i.kind, i.line) for i in out.issues] == [(v.SCHEMA, 7)]
    assert "expected integer" in out.issues[0].message and out.notes == []


def test_flux_substitution_variables_are_not_judged(tmp_path):
    (tmp_path / "hr.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\nspec:\n  replicas: ${REPLICAS}\n"
        "  selector: {}\n  template:\n    spec:\n      containers: [{name: w, image: x}]\n"
    )
    docs, _ = dryrun.load_sources(tmp_path, ["hr.yaml"])
    assert dryrun.validate_documents(docs).issues == []


def test_every_bundled_crd_schema_is_valid_json_schema():
    root = k8s_schemas.schema_root()
    files = sorted(root.rglob("*.json"))
    kinds = {p.stem for p in files}
    assert {
        "helmrelease_v2",
        "helmrepository_v1",
        "kustomization_v1",
        "ciliumnetworkpolicy_v2",
        "ciliumclusterwidenetworkpolicy_v2",
        "servicemonitor_v1",
        "prometheusrule_v1",
    } <= kinds
    import jsonschema

    for p in files:
        jsonschema.Draft202012Validator.check_schema(json.loads(p.read_text()))


# --------------------------------------------------------------------------- CLI


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["validate", "--repo", str(BROKEN), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@needs_kustomize
@pytest.mark.kubectl
def test_cli_json_all_exits_1_with_one_row_per_component(capsys):
    code, out, _ = _cli(capsys, "--all", "--format", "json", "--jobs", "2")
    assert code == 1
    rows = {r["component"]: r for r in json.loads(out)["results"]}
    assert len(rows) == 9
    assert rows["namespaces/crd-expected"]["dry_run"] == "expected-missing-crd"
    assert rows["namespaces/missing-file"]["build"] == "fail"
    assert rows["namespaces/wrong-type-hr"]["detail"].startswith(
        "namespaces/wrong-type-hr/helm-release.yaml:7:"
    )
    for r in rows.values():
        assert r["build"] in {"pass", "fail"}
        assert r["dry_run"] in {"pass", "fail", "skipped", "expected-missing-crd"}


@needs_kustomize
@pytest.mark.kubectl
def test_cli_text_one_good_component_exits_0(capsys):
    code, out, _ = _cli(capsys, "good", "crd-expected")
    assert code == 0
    assert "2 passed, 0 failed" in out


def test_cli_unknown_component_is_one_line_exit_2(capsys):
    code, _, err = _cli(capsys, "no-such-thing")
    assert code == 2
    assert err.count("\n") == 1 and "no-such-thing" in err


def test_cli_needs_names_or_all(capsys):
    code, _, err = _cli(capsys)
    assert code == 2 and "--all" in err


@needs_kustomize
@pytest.mark.kubectl
def test_cli_local_without_context_is_skipped_not_failed(capsys, monkeypatch, tmp_path):
    empty = tmp_path / "kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\n")
    monkeypatch.setenv("KUBECONFIG", str(empty))
    code, out, _ = _cli(capsys, "good", "--dry-run", "local")
    assert code == 0
    assert "dry-run=skipped" in out and "no current kube context" in out


def test_cli_without_kustomize_says_how_to_get_one(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("INFRA_TUI_KUSTOMIZE", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    code, _, err = _cli(capsys, "good")
    assert code == 2
    assert "kustomize not found" in err and "kubectl" in err and err.count("\n") == 1
    assert shutil.which("kubectl") is None  # PATH really was empty for it
