"""Offline validation checks what Flux applies: the rendered build, strictly, placed on its source.

Each case is a small flat repo whose component the real ``kubectl kustomize`` builds; the offline
dry-run checks every rendered object against the shipped Kubernetes schemas (no extra installed)
and must name the class, the file and the line (or the kustomization.yaml entry) to fix.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from infra_tui import cli
from infra_tui.core import validation as v
from infra_tui.core.repo import load
from infra_tui.core.rules import load_rules
from infra_tui.core.settings import load_settings
from infra_tui.services import dryrun, kustomize
from tests.paths import DEMO
from tests.repo_builder import FlatRepo

pytestmark = pytest.mark.kubectl

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: app
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
{extra}"""


@pytest.fixture(autouse=True)
def _needs_kustomize() -> None:
    try:
        kustomize.kustomize_argv()
    except kustomize.KustomizeNotFound as exc:
        pytest.skip(str(exc))


def validate(root: Path, name: str = "app", **options) -> v.ComponentResult:
    repo = load(root)
    repo.settings = load_settings(repo.root)
    opts = dryrun.Options(crd_providers=load_rules().crd_providers, kustomize_argv=kustomize.kustomize_argv(),
                          kubernetes_version=getattr(repo.settings, "kubernetes_version", None), **options)  # fmt: skip
    targets = v.targets_from_repo(repo, None, [name])
    return asyncio.run(dryrun.validate_many(repo.root, targets, opts, jobs=1)).results[0]


def line_of(root: Path, rel: str, snippet: str) -> int:
    lines = (root / rel).read_text().splitlines()
    hits = [n for n, line in enumerate(lines, 1) if snippet in line]
    assert len(hits) == 1, (snippet, hits)
    return hits[0]


def failing(result: v.ComponentResult) -> list[v.Issue]:
    return [i for i in result.issues if i.fails]


def app(tmp_path: Path, files: dict[str, str | None], kustomization: str | None = None, **ks_kw) -> Path:
    repo = FlatRepo(tmp_path).ks("app", **ks_kw).component("app", helm=False, files=files)
    if kustomization is not None:
        repo.components["app"]["kustomization.yaml"] = kustomization
    return repo.write()


def test_list_shaped_namespace_labels_are_a_schema_error_on_their_line(tmp_path):
    root = app(tmp_path, {"namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n  labels:\n"
                                            "    - team-a\n"})  # fmt: skip
    r = validate(root)
    assert (r.build, r.dry_run) == ("pass", "fail")
    [issue] = failing(r)
    assert issue.kind == v.SCHEMA
    assert (issue.file, issue.line) == ("namespaces/app/namespace.yaml", 5)
    assert "metadata.labels" in issue.message and "expected object, got array" in issue.message


def test_unknown_field_in_a_deployment_is_an_error_on_its_line(tmp_path):
    deploy = DEPLOYMENT.format(replicas=2, extra="          imagePullPolicyy: Always\n")
    root = app(tmp_path, {"deployment.yaml": deploy})
    r = validate(root)
    assert r.dry_run == "fail"
    [issue] = failing(r)
    assert issue.kind == v.SCHEMA
    assert issue.file == "namespaces/app/deployment.yaml"
    assert issue.line == line_of(root, issue.file, "imagePullPolicyy")
    assert "unknown field 'imagePullPolicyy'" in issue.message and "containers[0]" in issue.message


def test_string_replicas_from_a_kustomize_patch_points_at_the_patch_entry(tmp_path):
    kust = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n"
        "  - deployment.yaml\npatches:\n  - target: {kind: Service}\n    patch: |-\n      - op: add\n"
        "        path: /metadata/labels\n        value: {a: b}\n"
        "  - target: {kind: Deployment, name: web}\n    patch: |-\n      - op: replace\n"
        '        path: /spec/replicas\n        value: "2"\n'
    )
    root = app(tmp_path, {"deployment.yaml": DEPLOYMENT.format(replicas=2, extra="")}, kust)
    # the sources alone are valid: the render is not
    docs, _ = dryrun.load_sources(root, dryrun.component_files(root, "namespaces/app"))
    assert [i for i in dryrun.validate_documents(docs).issues if i.fails] == []
    r = validate(root)
    assert (r.build, r.dry_run) == ("pass", "fail")
    [issue] = failing(r)
    assert issue.kind == v.SCHEMA
    assert (issue.file, issue.line) == ("namespaces/app/kustomization.yaml", 12)  # the second patches entry
    assert (
        "spec.replicas: expected integer, got string" in issue.message and "set by the patch" in issue.message
    )


def test_bad_field_in_a_config_map_generator_object_points_at_the_kustomization(tmp_path):
    kust = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n"
        "configMapGenerator:\n  - name: other\n    literals: [A=b]\n  - name: app-settings\n"
        "    literals: [LOG_LEVEL=debug]\npatches:\n  - target: {kind: ConfigMap, name: app-settings}\n"
        '    patch: |-\n      - op: add\n        path: /immutable\n        value: "yes"\n'
    )
    root = app(tmp_path, {}, kust)
    r = validate(root)
    assert (r.build, r.dry_run) == ("pass", "fail")
    [issue] = failing(r)
    assert issue.kind == v.SCHEMA
    assert (issue.file, issue.line) == ("namespaces/app/kustomization.yaml", 11)  # the patches entry
    assert issue.message.startswith("ConfigMap app-settings-")
    assert "immutable: expected boolean, got string" in issue.message
    assert "configMapGenerator entry at namespaces/app/kustomization.yaml:8" in issue.message


def test_generator_made_object_without_a_patch_points_at_its_generator_entry(tmp_path):
    kust = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - namespace.yaml\n"
        "configMapGenerator:\n  - name: app-settings\n    literals: [LOG_LEVEL=debug]\n"
        "    options:\n      labels: {app: web}\ncommonLabels:\n  app: web\n"
    )
    root = app(tmp_path, {}, kust)
    r = validate(root)
    assert (r.build, r.dry_run, failing(r)) == ("pass", "pass", [])


FLUX_VARS = """\
  postBuild:
    substitute:
      REPLICAS: "three"
    substituteFrom:
      - kind: ConfigMap
        name: cluster-config
"""
CLUSTER_CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-config
  namespace: flux-system
data:
  IMAGE_TAG: "1.27"
"""


def test_flux_substitution_producing_an_invalid_value_is_caught_on_the_variable(tmp_path):
    deploy = DEPLOYMENT.format(replicas="${REPLICAS}", extra="").replace("nginx:1.27", "nginx:${IMAGE_TAG}")
    repo = (
        FlatRepo(tmp_path)
        .ks("app", extra=FLUX_VARS)
        .component("app", helm=False, files={"deployment.yaml": deploy})
    )
    root = repo.file("clusters/local-kube/cluster-config.yaml", CLUSTER_CONFIG).write()
    r = validate(root)
    assert (r.build, r.dry_run) == ("pass", "fail")
    [issue] = failing(r)  # IMAGE_TAG from the ConfigMap gives a valid image: no error for it
    assert issue.kind == v.SCHEMA
    assert (issue.file, issue.line) == ("namespaces/app/deployment.yaml", 7)
    assert 'spec.replicas: expected integer, got string "three"' in issue.message
    assert "${REPLICAS} = 'three'" in issue.message and "postBuild" in issue.message


def test_flux_substitution_with_a_valid_value_passes_and_unknown_variables_are_not_judged(tmp_path):
    deploy = DEPLOYMENT.format(replicas="${REPLICAS}", extra="")
    root = app(tmp_path, {"deployment.yaml": deploy},
               extra='  postBuild:\n    substitute:\n      REPLICAS: "3"\n')  # fmt: skip
    assert failing(validate(root)) == []
    # a variable from a source that is not in Git stays as written, and is not judged
    root2 = app(tmp_path / "other", {"deployment.yaml": deploy},
                extra="  postBuild:\n    substituteFrom:\n      - kind: Secret\n        name: elsewhere\n")  # fmt: skip
    r = validate(root2)
    assert failing(r) == [] and any("Secret elsewhere" in n for n in r.notes)


def test_crd_field_its_schema_does_not_list_is_a_warning_not_a_failure(tmp_path):
    root = FlatRepo(tmp_path).ks("app").component("app").write()
    hr = root / "namespaces/app/helm-release.yaml"
    hr.write_text(hr.read_text().replace("  interval: 1h\n", "  interval: 1h\n  drifttDetection: {}\n", 1))
    r = validate(root)
    assert (r.build, r.dry_run) == ("pass", "pass")
    [warning] = r.issues
    assert warning.kind == v.UNKNOWN_FIELD and not warning.fails
    assert (warning.file, warning.line) == (
        "namespaces/app/helm-release.yaml",
        line_of(root, warning.file, "drifttDetection"),
    )


def test_sops_encrypted_secret_passes(tmp_path):
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: app\ntype: Opaque\n"
        "stringData:\n  password: ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]\n"
        "sops:\n  age:\n    - recipient: age1xyz\n      enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n"
        "        YWJj\n        -----END AGE ENCRYPTED FILE-----\n  lastmodified: '2026-01-01T00:00:00Z'\n"
        "  mac: ENC[AES256_GCM,data:abc,type:str]\n  version: 3.9.0\n"
    )
    root = app(tmp_path, {"secret.sops.yaml": secret})
    r = validate(root)
    assert (r.build, r.dry_run, r.issues) == ("pass", "pass", [])


def test_duplicate_key_is_a_syntax_error_at_its_line(tmp_path):
    root = app(
        tmp_path,
        {"namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n  name: app2\n"},
    )
    r = validate(root)
    assert not r.ok
    dup = [i for i in r.issues if i.kind == v.SYNTAX]
    assert dup and (dup[0].file, dup[0].line) == ("namespaces/app/namespace.yaml", 5)
    assert "duplicate key 'name'" in dup[0].message


def test_kubernetes_version_setting_picks_the_schemas(tmp_path):
    flow = (
        "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n  name: f\nspec:\n"
        "  priorityLevelConfiguration: {name: p}\n"
    )
    root = app(tmp_path, {"flowschema.yaml": flow})
    r = validate(root)  # default: a recent minor, where v1beta3 is gone (removed in 1.32)
    [issue] = failing(r)
    assert "not served by Kubernetes" in issue.message
    assert (issue.file, issue.line) == ("namespaces/app/flowschema.yaml", 1)
    (root / ".infra-tui.yaml").write_text('kubernetes_version: "1.29"\n')
    assert failing(validate(root)) == []


def test_cli_json_carries_class_file_and_line(tmp_path, capsys):
    root = app(tmp_path, {"deployment.yaml": DEPLOYMENT.format(replicas='"2"', extra="")})
    code = cli.main(["validate", "--repo", str(root), "app", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    [row] = out["results"]
    assert row["dry_run"] == "fail"
    assert row["issues"][0] == {"class": "schema", "file": "namespaces/app/deployment.yaml", "line": 7,
                                "message": 'Deployment web: spec.replicas: expected integer, got string "2"'}  # fmt: skip


def test_the_demo_repo_passes_every_component():
    repo = load(DEMO)
    opts = dryrun.Options(crd_providers=load_rules().crd_providers, kustomize_argv=kustomize.kustomize_argv())
    report = asyncio.run(dryrun.validate_many(repo.root, v.targets_from_repo(repo), opts, jobs=2))
    assert len(report.results) >= 37
    assert [r.to_json() for r in report.results if not r.ok or any(i.fails for i in r.issues)] == []


def test_every_corpus_folder_that_builds_passes_the_offline_check():
    from tests.corpus import CORPUS

    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}; set INFRA_TUI_CORPUS")
    folders = sorted({p.parent.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("kustomization.yaml")})
    opts = dryrun.Options(crd_providers=load_rules().crd_providers, kustomize_argv=kustomize.kustomize_argv())
    report = asyncio.run(dryrun.validate_many(CORPUS, [v.Target(f) for f in folders], opts, jobs=2))
    built = [r for r in report.results if r.build == "pass"]
    assert len(built) >= 120  # 126 of the 149 folders build offline (the rest need remote bases)
    assert [(r.component, [str(i) for i in r.issues if i.fails]) for r in built if r.dry_run != "pass"] == []
    assert all(
        i.kind != v.UNKNOWN_FIELD for r in built for i in r.issues
    )  # the bundled CRD schemas are current
