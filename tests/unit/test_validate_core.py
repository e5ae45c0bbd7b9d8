"""core.validation: pure classification of kubectl and kustomize errors, results, targets."""

from __future__ import annotations

from infra_tui.core import validation as v
from infra_tui.core.repo import load
from tests.paths import DATA

BROKEN = DATA / "broken"
TABLE = [
    {
        "kinds": ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"],
        "group": "cilium.io",
        "provider": "cilium",
    },
    {"kinds": ["RecurringJob"], "group": "longhorn.io", "provider": "longhorn-system"},
]
NO_MATCHES = (
    'error: resource mapping not found for name: "allow-k8s-api" namespace: "good" from "STDIN": '
    'no matches for kind "CiliumNetworkPolicy" in version "cilium.io/v2"\n'
    "ensure CRDs are installed first\n"
)


def test_no_matches_is_expected_when_the_provider_is_an_ancestor():
    state, issues = v.classify_kubectl_error(NO_MATCHES, ["flux-system/cilium"], TABLE)
    assert state == "expected-missing-crd"
    assert [i.kind for i in issues] == [v.EXPECTED_MISSING_CRD]
    assert "cilium" in issues[0].message


def test_no_matches_fails_without_the_provider_and_names_the_fix():
    state, issues = v.classify_kubectl_error(NO_MATCHES, ["flux-system/monitoring"], TABLE)
    assert state == "fail"
    assert issues[0].kind == v.MISSING_CRD
    assert "add dependsOn cilium" in issues[0].message


def test_no_matches_for_an_unknown_kind_fails():
    err = 'error: resource mapping not found for name: "x" namespace: "" from "STDIN": no matches for kind "Widget" in version "acme.io/v1"'
    state, issues = v.classify_kubectl_error(err, ["flux-system/cilium"], TABLE)
    assert state == "fail" and "no known provider" in issues[0].message


def test_invalid_object_is_placed_on_its_source_line():
    err = 'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    locate = {("Deployment", "web"): ("namespaces/web/deployment.yaml", 3)}
    state, issues = v.classify_kubectl_error(err, [], TABLE, locate=locate)
    assert state == "fail"
    assert str(issues[0]).startswith('namespaces/web/deployment.yaml:3: Deployment "web": spec.replicas')


def test_mixed_errors_fail_and_accept_rules_core_crd_providers():
    from infra_tui.core.rules import load_rules

    err = NO_MATCHES + 'Error from server (Forbidden): namespaces "x" is forbidden\n'
    state, issues = v.classify_kubectl_error(err, ["flux-system/cilium"], load_rules().crd_providers)
    assert state == "fail"
    assert [i.kind for i in issues] == [v.EXPECTED_MISSING_CRD, v.CLUSTER]


def test_clean_stderr_passes():
    assert v.classify_kubectl_error("Warning: something deprecated\n", [], TABLE) == ("pass", [])


def test_build_error_names_the_missing_path_and_line():
    stderr = (
        'E1125 18:45:01.339958    9713 run.go:72] "command failed" err="accumulating resources: '
        "accumulating resources from 'helm-release.yaml': open /tmp/s/namespaces/x/helm-release.yaml: "
        'no such file or directory"'
    )
    ktext = "resources:\n  - namespace.yaml\n  - helm-release.yaml\n"
    issue = v.classify_build_error(stderr, "/tmp/s", "namespaces/x", ktext)
    assert issue.kind == v.BUILD
    assert (issue.file, issue.line) == ("namespaces/x/kustomization.yaml", 3)
    assert "namespaces/x/helm-release.yaml does not exist" in issue.message
    assert "/tmp/s" not in issue.message


def test_build_error_drops_klog_noise():
    stderr = 'E1125 18:45:01.3 1 run.go:72] "command failed" err="MalformedYAMLError: yaml: line 8: bad"'
    issue = v.classify_build_error(stderr, "/r", "namespaces/x")
    assert "run.go" not in issue.message and "MalformedYAMLError" in issue.message


def test_ancestors_are_transitive():
    edges = {"a": ["b"], "b": ["c"], "c": [], "d": ["a"]}
    assert v.ancestors("d", edges) == {"a", "b", "c"}
    assert v.ancestors("c", edges) == set()


def test_dry_run_state_order():
    assert v.dry_run_state([]) == "pass"
    assert v.dry_run_state([v.Issue(v.EXPECTED_MISSING_CRD, "x")]) == "expected-missing-crd"
    assert v.dry_run_state([v.Issue(v.EXPECTED_MISSING_CRD, "x"), v.Issue(v.SCHEMA, "y")]) == "fail"


def test_result_json_shape():
    r = v.ComponentResult(
        "namespaces/x",
        build="pass",
        dry_run="fail",
        issues=[v.Issue(v.SCHEMA, "bad", "namespaces/x/a.yaml", 4)],
    )
    out = v.ValidationReport([r]).to_json()
    row = out["results"][0]
    assert {"component", "build", "dry_run", "detail"} <= set(row)
    assert row["detail"] == "namespaces/x/a.yaml:4: bad"
    assert not v.ValidationReport([r]).ok


def test_targets_from_repo_resolve_names_and_ancestors():
    repo = load(BROKEN)
    by = {t.component: t for t in v.targets_from_repo(repo)}
    assert by["namespaces/crd-expected"].ancestors == {"flux-system/longhorn-system", "flux-system/cilium"}
    assert by["namespaces/crd-expected"].ks_id == "flux-system/crd-expected"
    picked = v.targets_from_repo(repo, None, ["good", "namespaces/bad-yaml/"])
    assert [t.component for t in picked] == ["namespaces/good", "namespaces/bad-yaml"]
    try:
        v.targets_from_repo(repo, None, ["nope"])
    except KeyError as exc:
        assert exc.args[0] == "nope"
    else:  # pragma: no cover
        raise AssertionError("expected KeyError")
