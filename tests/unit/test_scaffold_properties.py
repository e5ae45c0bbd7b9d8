"""Properties of scaffold.plan over generated specs (hypothesis):

* any valid spec against the demo repo is accepted and adds no lint finding, also by the full lint
  of the repo written to disk;
* infrastructure.yaml outside the appended documents stays byte-identical, on the demo and on the
  corpus' multi-document files with header comments;
* every generated folder builds with the real ``kubectl kustomize``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra_tui.core import apply as apply_mod
from infra_tui.core import repo as repo_mod
from infra_tui.core import rules as rules_mod
from infra_tui.core import scaffold
from infra_tui.core import spec as spec_mod
from infra_tui.core.yamlio import split_documents
from tests.corpus import CORPUS
from tests.paths import DEMO

_demo_repo = repo_mod.load(DEMO)
_rules = rules_mod.load_rules(_demo_repo)
TAKEN = (
    {k.name for e in _demo_repo.envs.values() for k in e.kustomizations}
    | {c.rsplit("/", 1)[-1] for c in _demo_repo.components}
    | {
        r.name
        for c in _demo_repo.components.values()
        for r in c.resources
        if r.kind in ("Namespace", "HelmRepository")
    }
    | set(_rules.webhook_components)
    | {r.component for r in _rules.required_dependencies}
)
BOTH_ENVS = sorted(
    {k.name for k in _demo_repo.envs["local-kube"].kustomizations}
    & {k.name for k in _demo_repo.envs["staging"].kustomizations}
)
DEPENDABLE = [n for n in BOTH_ENVS if n not in _rules.webhook_components]
PROVIDED_KINDS = sorted(
    k
    for p in _rules.crd_providers
    for k in p.kinds
    if k not in _rules.monitoring_kinds and p.provider in BOTH_ENVS
)

label = st.from_regex(r"\A[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,5})?\Z", fullmatch=True)
names = label.filter(lambda n: n not in TAKEN and n + "-monitoring" not in TAKEN)
scalar = st.one_of(st.integers(-5, 1000), st.booleans(), st.text("abcxyz 0123", max_size=12), st.none())
value_key = st.from_regex(r"\A[a-z][a-zA-Z]{0,8}\Z", fullmatch=True).filter(
    lambda k: k.lower() not in {"servicemonitor", "podannotations"}
)
values = st.recursive(scalar, lambda inner: st.dictionaries(value_key, inner, max_size=3), max_leaves=8)
values_map = st.dictionaries(value_key, values, max_size=4)


@st.composite
def specs(draw, *, demo: bool = True) -> dict:
    name = draw(names)
    data: dict = {
        "name": name,
        "chart": {
            "name": draw(label),
            "repository": {
                "url": draw(st.sampled_from(["https://charts.example.com/x", "oci://ghcr.io/example/charts"]))
            },
        },
    }
    if draw(st.booleans()):
        data["chart"]["version"] = draw(st.sampled_from(["1.x", "~2.3.0", ">=1.0.0 <2.0.0", "*"]))
    if draw(st.booleans()):
        data["chart"]["repository"]["name"] = name + "-charts"
    if draw(st.booleans()):
        data["namespace"] = name + "-ns"
    if draw(st.booleans()):
        data["values"] = draw(values_map)
    if draw(st.booleans()):
        data["timeout"] = draw(st.sampled_from(["10m", "1h", "90s"]))
    if not demo:
        return data
    envs = draw(st.sampled_from([None, ["local-kube"], ["staging"], ["local-kube", "staging"]]))
    if envs:
        data["envs"] = envs
        if "staging" in envs and draw(st.booleans()):
            data["env_values"] = {"staging": draw(values_map)}
    if draw(st.booleans()):
        data["webhook"] = draw(st.booleans())
    if draw(st.booleans()):
        data["creates"] = draw(st.lists(st.sampled_from(PROVIDED_KINDS), max_size=3, unique=True))
    mon = draw(st.sampled_from([None, {"serviceMonitor": True}, {"prometheusRule": True}, True]))
    if mon is not None:
        data["monitoring"] = mon
    if draw(st.booleans()):
        data["dependsOn"] = draw(st.lists(st.sampled_from(DEPENDABLE), max_size=3, unique=True))
    return data


def finding_keys(findings) -> set[tuple]:
    return {(f.rule, f.kustomization, f.file, f.message) for f in findings}


def _copy_demo(tmp: Path) -> Path:
    root = tmp / "demo"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(DEMO, root)
    return root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=specs())
def test_any_valid_spec_adds_no_finding_in_memory(data):
    plan = scaffold.plan(_demo_repo, spec_mod.parse(data))
    assert plan.refusals == []
    assert plan.findings == []
    for f in plan.files:
        if not f.created:
            assert f.after.startswith(f.before)
            appended = f.after[len(f.before) :]
            assert appended.startswith("---\n")
            assert all(c.marker == "---\n" for c in split_documents(appended))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=specs())
def test_written_plan_adds_no_finding_on_disk(tmp_path_factory, data):
    root = _copy_demo(tmp_path_factory.mktemp("w"))
    before_repo = repo_mod.load(root)
    before = {env: finding_keys(rules_mod.lint(before_repo, env)) for env in before_repo.envs}
    texts = {p: p.read_bytes() for p in root.glob("clusters/*/infrastructure.yaml")}
    plan = scaffold.plan(before_repo, spec_mod.parse(data))
    apply_mod.apply(plan, root)
    after_repo = repo_mod.load(root)
    assert after_repo.problems == []
    for env in after_repo.envs:
        added = finding_keys(rules_mod.lint(after_repo, env)) - before[env]
        # the lint reads manifests only: a chart's declared CRD kinds are in the infra-tui.io/creates annotation
        added = {f for f in added if not (f[0] == "webhook-dependency" and data.get("creates"))}
        assert added == set()
    for path, old in texts.items():
        assert path.read_bytes().startswith(old)


HEADER_FILES = [
    "joryirving__home-ops/kubernetes/apps/main/llm/toolhive.yaml",
    "joryirving__home-ops/kubernetes/apps/main/media/plex.yaml",
    "joryirving__home-ops/kubernetes/apps/main/observability/grafana.yaml",
    "ricsanfre__pi-cluster/kubernetes/clusters/prod/apps/e-commerce-app.yaml",
    "fluxcd__flux2-hub-spoke-example/hub/staging.yaml",
    "onedr0p__home-ops/kubernetes/apps/rook-ceph/rook-ceph/ks.yaml",
]


@pytest.mark.parametrize("rel", HEADER_FILES)
def test_corpus_infrastructure_files_stay_byte_identical(tmp_path, rel):
    src = CORPUS / rel
    if not src.exists():
        pytest.skip(f"corpus file {src} is not here")
    root = tmp_path / "repo"
    (root / "clusters" / "local-kube").mkdir(parents=True)
    (root / "namespaces").mkdir()
    original = src.read_bytes()
    infra = root / "clusters" / "local-kube" / "infrastructure.yaml"
    infra.write_bytes(original)
    repo = repo_mod.load(root)

    @settings(max_examples=8, deadline=None)
    @given(data=specs(demo=False))
    def check(data):
        plan = scaffold.plan(repo, spec_mod.parse(data))
        assert plan.refusals == []
        (change,) = [f for f in plan.files if not f.created]
        assert change.before.encode() == original
        assert change.after.encode().startswith(original)
        # and the new document is a Flux Kustomization the repo reader finds after the old ones
        tmp = tmp_path / "after"
        if tmp.exists():
            shutil.rmtree(tmp)
        shutil.copytree(root, tmp)
        apply_mod.apply(plan, tmp)
        assert (tmp / "clusters/local-kube/infrastructure.yaml").read_bytes().startswith(original)
        names = [k.name for k in repo_mod.load(tmp).envs["local-kube"].kustomizations]
        assert names[-1] == data["name"]
        assert names[:-1] == [k.name for k in repo.envs["local-kube"].kustomizations]

    check()


def _kustomize() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


@pytest.mark.kubectl
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=specs())
def test_every_generated_folder_builds_with_kustomize(tmp_path_factory, data):
    cmd = _kustomize()
    if cmd is None:
        pytest.skip("neither kustomize nor kubectl is on PATH")
    root = _copy_demo(tmp_path_factory.mktemp("k"))
    plan = scaffold.plan(repo_mod.load(root), spec_mod.parse(data))
    apply_mod.apply(plan, root)
    folders = sorted({"/".join(p.split("/")[:2]) for p in plan.created})
    for folder in folders:
        proc = subprocess.run(
            [*cmd, str(root / folder)], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        assert proc.returncode == 0, f"{folder}: {proc.stderr}"
        built = proc.stdout
        assert "kind: " in built
        if folder.endswith("-monitoring"):
            assert "kind: HelmRelease" not in built
        else:
            assert "kind: ServiceMonitor" not in built and "kind: PrometheusRule" not in built
