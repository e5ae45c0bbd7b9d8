"""What Flux deploys, walked from a cluster's entry (issue 14): one generated fleet repo per class
of the issue, read through the CLI and the core as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra_tui.cli import main
from infra_tui.core import graph, repo, rules
from tests.repo_builder import bootstrapped, helm_release_yaml, ks, kustomization_yaml, line_of

KYAML = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def app_ks(name: str, path: str, depends_on: tuple[str, ...] = (), extra: str = "") -> str:
    return ks(name, depends_on, path=path, extra=extra, prune=True, timeout=None, wait=None)


def fleet(root: Path, **extra_files: str) -> Path:
    """clusters/prod bootstrapped; apps/ holds one ks.yaml per app, listed (or commented out) in
    apps/kustomization.yaml, as the home-ops repos do."""
    files = {
        "clusters/prod/apps.yaml": app_ks("apps", "./apps"),
        "apps/kustomization.yaml": KYAML
        + "resources:\n  - ./base/ks.yaml\n  - ./web/ks.yaml\n  # - ./legacy/ks.yaml   # <-- disabled\n",
        "apps/base/ks.yaml": app_ks("base", "./apps/base/app"),
        "apps/base/app/kustomization.yaml": kustomization_yaml(["namespace.yaml"]),
        "apps/base/app/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
        "apps/web/ks.yaml": app_ks("web", "./apps/web/app", ("base",)),
        "apps/web/app/kustomization.yaml": kustomization_yaml(["helmrelease.yaml"]),
        "apps/web/app/helmrelease.yaml": helm_release_yaml("web"),
        # disabled: its Kustomization, a dependency on nothing, and a second definition of "web"
        "apps/legacy/ks.yaml": app_ks("legacy", "./apps/legacy/app", ("gone",))
        + app_ks("web", "./apps/legacy/app", ("gone",)),
        "apps/legacy/app/kustomization.yaml": "resources: [unclosed\n",
        # a chart's templates inside the repo, never a manifest
        "charts/web/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        "  name: {{ .Release.Name }}\n{{- if .Values.x }}\n",
    }
    files.update({k.replace("__", "/"): v for k, v in extra_files.items()})
    return bootstrapped(root, ["prod"], files)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_the_entry_is_found_from_gotk_sync_and_only_deployed_kustomizations_count(tmp_path, capsys):
    root = fleet(tmp_path)
    rc, out, err = run(capsys, "graph", "--repo", str(root), "--format", "json")
    data = json.loads(out)
    assert (rc, err) == (0, "")  # no missing "gone", no parse error from legacy/ or charts/
    assert data["env"] == "prod"
    assert {k["name"] for k in data["kustomizations"]} == {"flux-system", "apps", "base", "web"}
    web = next(k for k in data["kustomizations"] if k["name"] == "web")
    assert (web["file"], web["dependsOn"], web["layer"]) == ("apps/web/ks.yaml", ["flux-system/base"], 1)
    assert "undeployed" not in data


def test_show_undeployed_lists_what_nothing_deploys_with_file_and_line(tmp_path, capsys):
    root = fleet(tmp_path)
    rc, out, _ = run(capsys, "graph", "--repo", str(root), "--format", "json", "--show-undeployed")
    rows = json.loads(out)["undeployed"]
    assert rc == 0
    assert [(r["name"], r["file"], r["line"]) for r in rows] == [
        ("legacy", "apps/legacy/ks.yaml", 2),
        ("web", "apps/legacy/ks.yaml", line_of(root / "apps/legacy/ks.yaml", "name: web") - 3),
    ]
    assert all(
        r["reason"] == "not referenced by any kustomization.yaml reachable from the entry" for r in rows
    )
    rc, out, _ = run(capsys, "lint", "--repo", str(root), "--show-undeployed")
    assert (
        "apps/legacy/ks.yaml:2: legacy: not referenced by any kustomization.yaml reachable from the entry"
        in out
    )
    rc, out, _ = run(capsys, "lint", "--repo", str(root), "--format", "json")
    assert not any("legacy" in f["file"] for f in json.loads(out)["findings"])


def test_two_deployed_definitions_of_one_id_are_a_duplicate_id_error(tmp_path, capsys):
    root = fleet(
        tmp_path,
        apps__kustomization__yaml=KYAML
        + "resources:\n  - ./base/ks.yaml\n  - ./web/ks.yaml\n  - ./legacy/ks.yaml\n",
        apps__legacy__app__kustomization__yaml=kustomization_yaml([]),
    )
    (root / "apps/kustomization.yaml").write_text(
        KYAML + "resources:\n  - ./base/ks.yaml\n  - ./web/ks.yaml\n  - ./legacy/ks.yaml\n"
    )
    (root / "apps/legacy/app/kustomization.yaml").write_text(KYAML + "resources: []\n")
    rc, out, _ = run(capsys, "lint", "--repo", str(root), "--format", "json")
    dup = [f for f in json.loads(out)["findings"] if f["rule"] == "duplicate-id"]
    second = line_of(root / "apps/legacy/ks.yaml", "name: web") - 3
    assert rc == 1
    assert [(f["severity"], f["file"], f["line"]) for f in dup] == [("error", "apps/legacy/ks.yaml", second)]
    assert "apps/web/ks.yaml:2" in dup[0]["message"] and f"apps/legacy/ks.yaml:{second}" in dup[0]["message"]


def test_a_parse_error_in_a_reached_file_still_exits_2_with_file_and_line(tmp_path, capsys):
    root = fleet(tmp_path)
    (root / "apps/web/app/helmrelease.yaml").write_text("apiVersion: v1\nkind: [broken\n")
    rc, _, err = run(capsys, "graph", "--repo", str(root))
    assert rc == 2 and "apps/web/app/helmrelease.yaml:2" in err


def test_an_archive_folder_in_a_generated_folder_is_not_read(tmp_path, capsys):
    root = fleet(tmp_path)
    (root / "clusters/prod/.archive").mkdir()
    (root / "clusters/prod/.archive/old.yaml").write_text("kind: [broken\n")
    rc, _, err = run(capsys, "graph", "--repo", str(root))
    assert (rc, err) == (0, "")


def test_components_content_is_linted(tmp_path, capsys):
    podmonitor = "apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata:\n  name: web\nspec:\n  podMetricsEndpoints: []\n"
    root = fleet(tmp_path)
    (root / "apps/web/ks.yaml").write_text(
        app_ks("web", "./apps/web/app", ("base",), extra="  components:\n    - ../../../components/monitor\n")
    )
    (root / "components/monitor").mkdir(parents=True)
    (root / "components/monitor/kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - podmonitor.yaml\n"
    )
    (root / "components/monitor/podmonitor.yaml").write_text(podmonitor)
    rc, out, _ = run(capsys, "lint", "--repo", str(root), "--format", "json")
    found = [(f["rule"], f["file"], f["line"]) for f in json.loads(out)["findings"]]
    assert ("monitoring-split", "components/monitor/podmonitor.yaml", 1) in found


def test_values_from_a_generated_configmap_are_linted(tmp_path, capsys):
    root = fleet(tmp_path)
    hr = helm_release_yaml("web", spec="  valuesFrom:\n    - kind: ConfigMap\n      name: web-values\n")
    (root / "apps/web/app/helmrelease.yaml").write_text(hr)
    (root / "apps/web/app/kustomization.yaml").write_text(
        KYAML
        + "resources:\n  - helmrelease.yaml\nconfigMapGenerator:\n  - name: web-values\n    files:\n      - values.yaml\n"
    )
    (root / "apps/web/app/values.yaml").write_text("replicas: 2\nserviceMonitor:\n  enabled: true\n")
    rc, out, _ = run(capsys, "lint", "--repo", str(root), "--format", "json")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "chart-servicemonitor"]
    assert [(f["file"], f["line"]) for f in found] == [("apps/web/app/values.yaml", 3)]


def test_substitutions_with_defaults_apply_to_names_namespaces_paths_and_dependsOn(tmp_path):
    root = fleet(tmp_path)
    (root / "clusters/prod/vars.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n  namespace: flux-system\n"
        "data:\n  CLUSTER: prod\n"
    )
    (root / "clusters/prod/apps.yaml").write_text(
        app_ks(
            "apps",
            "./apps",
            extra="  postBuild:\n    substitute:\n      TIER: gold\n    substituteFrom:\n"
            "      - kind: ConfigMap\n        name: cluster-vars\n",
        )
    )
    (root / "apps/web/ks.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        "  name: web-${CLUSTER}\n  namespace: ${TEAM_NS:=team}\nspec:\n  path: ./apps/web/${TIER}\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n"
        "  dependsOn:\n    - name: ${BASE:=base}\n      namespace: flux-system\n"
    )
    (root / "apps/web/gold").mkdir()
    (root / "apps/web/gold/cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    r = repo.load(root)
    env = r.env("prod")
    web = env.resolve("team/web-prod")
    assert web is not None and web.path == "./apps/web/gold"
    assert web.depends_on_ids == ["flux-system/base"]
    assert graph.build(env).missing == []
    assert [res.name for res in r.component_for(web).resources] == ["x"]


def test_target_namespace_sets_the_namespace_of_nested_kustomizations(tmp_path):
    root = fleet(tmp_path)
    (root / "clusters/prod/apps.yaml").write_text(app_ks("apps", "./apps", extra="  targetNamespace: team\n"))
    env = repo.load(root).env("prod")
    assert {k.id for k in env.kustomizations} >= {"team/base", "team/web"}
    assert graph.build(env).missing == []  # web's dependsOn base follows web's namespace


def test_other_sources_are_named_and_out_of_reach(tmp_path, capsys):
    root = fleet(tmp_path)
    (root / "clusters/prod/oci.yaml").write_text(
        ks(
            "tenant",
            path="./",
            source=None,
            extra="  sourceRef:\n    kind: OCIRepository\n    name: tenant\n",
        )
    )
    env = repo.load(root).env("prod")
    assert "flux-system/tenant" in env.by_id()
    assert env.out_of_reach["flux-system/tenant"].startswith("its source is OCIRepository tenant")
    rc, out, _ = run(capsys, "graph", "--repo", str(root), "--format", "json")
    assert json.loads(out)["out_of_reach"] == [
        {"id": "flux-system/tenant", "reason": env.out_of_reach["flux-system/tenant"]}
    ]
    rc, out, _ = run(capsys, "graph", "--repo", str(root))
    assert "out of reach (1)" in out and "tenant: its source is OCIRepository tenant" in out


def test_envs_of_a_bootstrapped_repo_are_listed_and_picked(tmp_path, capsys):
    root = fleet(tmp_path)
    bootstrapped(root, ["staging"], {"clusters/staging/apps.yaml": app_ks("apps", "./apps")})
    rc, out, _ = run(capsys, "graph", "--repo", str(root), "--format", "json", "--env", "staging")
    data = json.loads(out)
    assert rc == 0 and data["env"] == "staging" and data["envs"] == ["prod", "staging"]
    rc, out, _ = run(capsys, "graph", "--repo", str(root))
    assert "envs: prod, staging" in out
    rc, out, _ = run(capsys, "graph", "--path", str(root / "clusters/staging"), "--format", "json")
    assert rc == 0 and {k["name"] for k in json.loads(out)["kustomizations"]} == {
        "flux-system",
        "apps",
        "base",
        "web",
    }


@pytest.mark.parametrize("flag", ["--repo", "--path"])
def test_flat_shape_is_one_case_of_the_walk(tmp_path, capsys, flag):
    """The demo repo read both ways gives the same graph."""
    from tests.paths import DEMO

    target = str(DEMO) if flag == "--repo" else str(DEMO / "clusters" / "local-kube")
    rc, out, _ = run(capsys, "graph", flag, target, "--format", "json")
    names = {k["name"] for k in json.loads(out)["kustomizations"]}
    assert rc in (0, 1) and {"cilium", "monitoring", "netcorp-app"} <= names


def test_lint_never_sees_undeployed_components(tmp_path):
    root = fleet(tmp_path)
    found = rules.lint(repo.load(root), "prod")
    assert not any(f.file.startswith(("apps/legacy", "charts/")) for f in found)


CLUSTER_POLICY = (
    "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: require-labels\nspec:\n  rules: []\n"
)


def test_validate_resolves_every_deployed_kustomization_by_name_or_path(tmp_path, capsys):
    root = fleet(tmp_path)
    for name in ("web", "apps/web/app", "./apps/base/app"):
        rc, out, err = run(capsys, "validate", name, "--repo", str(root), "--format", "json", "--no-progress")
        assert rc in (0, 1) and err == "", (name, err)
        assert [r["component"] for r in json.loads(out)["results"]] == [
            "apps/web/app" if "web" in name else "apps/base/app"
        ]


def test_validate_gives_lint_s_provider_advice_never_a_missing_name(tmp_path, capsys):
    """No kyverno Kustomization in the env: lint says no Kustomization provides kyverno.io, and
    validate does not advise a dependsOn on a kyverno that does not exist."""
    root = fleet(tmp_path)
    (root / "apps/web/app/policy.yaml").write_text(CLUSTER_POLICY)
    (root / "apps/web/app/kustomization.yaml").write_text(
        kustomization_yaml(["helmrelease.yaml", "policy.yaml"])
    )
    rc, out, _ = run(capsys, "lint", "--repo", str(root), "--format", "json")
    crd = [f["message"] for f in json.loads(out)["findings"] if f["rule"] == "crd-dependency"]
    assert len(crd) == 1 and "no Kustomization in env prod provides" in crd[0]
    rc, out, _ = run(capsys, "validate", "web", "--repo", str(root), "--format", "json", "--no-progress")
    result = json.loads(out)["results"][0]
    assert "dependsOn kyverno" not in json.dumps(result)
    # with a kyverno Kustomization deployed, both name it
    (root / "apps/kyverno/app").mkdir(parents=True)
    (root / "apps/kyverno/ks.yaml").write_text(app_ks("kyverno", "./apps/kyverno/app"))
    (root / "apps/kyverno/app/kustomization.yaml").write_text(kustomization_yaml([]))
    (root / "apps/kustomization.yaml").write_text(
        KYAML + "resources:\n  - ./base/ks.yaml\n  - ./web/ks.yaml\n  - ./kyverno/ks.yaml\n"
    )
    rc, out, _ = run(capsys, "lint", "--repo", str(root), "--format", "json")
    assert [f["message"] for f in json.loads(out)["findings"] if f["rule"] == "crd-dependency"]
    rc, out, _ = run(capsys, "validate", "web", "--repo", str(root), "--format", "json", "--no-progress")
    assert "add dependsOn kyverno" in json.dumps(json.loads(out)["results"][0])


def test_planning_into_a_non_flat_repo_says_writing_is_for_the_flat_shape(tmp_path, capsys):
    root = fleet(tmp_path / "repo")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: cache\nchart:\n  name: redis\n  version: '19.x'\n  repository: {name: bitnami, url: https://charts.bitnami.com/bitnami}\n"
    )
    rc, out, err = run(capsys, "new", "--spec", str(spec), "--repo", str(root), "--format", "json")
    assert rc == 1
    assert any("writing is for the flat shape" in r for r in json.loads(out)["refusals"])


def test_flat_repo_unreferenced_component_never_exits_2_nor_is_linted(tmp_path, capsys):
    from tests.repo_builder import FlatRepo

    root = (
        FlatRepo(tmp_path)
        .house("cilium")
        .file("namespaces/old/kustomization.yaml", "resources: [unclosed\n")
        .file(
            "namespaces/old/helm-release.yaml",
            helm_release_yaml("old", values="    serviceMonitor:\n      enabled: true\n"),
        )
        .write()
    )
    rc, out, err = run(capsys, "lint", "--repo", str(root), "--format", "json")
    assert (rc, err) == (0, "")
    assert not any(f["file"].startswith("namespaces/old") for f in json.loads(out)["findings"])
    assert "namespaces/old" in repo.load(root).components  # the wizard still knows the folder
    (root / "namespaces/cilium/namespace.yaml").write_text("kind: [broken\n")
    rc, _, err = run(capsys, "graph", "--repo", str(root))
    assert rc == 2 and "namespaces/cilium/namespace.yaml:1" in err


def test_validate_all_of_a_non_flat_repo_is_what_the_env_deploys(tmp_path, capsys):
    root = fleet(tmp_path)
    bootstrapped(root, ["staging"], {"clusters/staging/other.yaml": app_ks("other", "./other")})
    (root / "other").mkdir()
    (root / "other/cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n"
    )
    for env, want in (
        ("prod", {"apps", "apps/base/app", "apps/web/app", "clusters/prod"}),
        ("staging", {"clusters/staging", "other"}),
    ):
        rc, out, _ = run(
            capsys,
            "validate",
            "--all",
            "--repo",
            str(root),
            "--env",
            env,
            "--format",
            "json",
            "--no-progress",
        )
        assert {r["component"] for r in json.loads(out)["results"]} == want, env


def test_path_follows_the_git_repository_the_entry_names(tmp_path, capsys):
    """A repo whose GitRepository is not called flux-system is still followed with --path."""
    root = fleet(tmp_path)
    for f in root.rglob("*.yaml"):
        f.write_text(f.read_text().replace("  name: flux-system\n", "  name: home-ops\n"))
    rc, out, _ = run(capsys, "graph", "--path", str(root / "clusters/prod"), "--format", "json")
    names = {k["name"] for k in json.loads(out)["kustomizations"]}
    assert rc == 0 and names == {"home-ops", "apps", "base", "web"}


def test_postbuild_and_target_namespace_of_a_nested_kustomization_apply_to_what_it_deploys(tmp_path):
    """``team`` is deployed by ``apps``'s path, not from the entry: its targetNamespace and its
    postBuild (substitute, and substituteFrom a ConfigMap it deploys) reach the Kustomizations it
    deploys (name, namespace, path, dependsOn), and those are built in turn."""
    root = fleet(tmp_path)
    (root / "apps/kustomization.yaml").write_text(
        KYAML + "resources:\n  - ./base/ks.yaml\n  - ./web/ks.yaml\n  - ./team/ks.yaml\n"
    )
    files = {
        "apps/team/ks.yaml": app_ks(
            "team",
            "./apps/team/app",
            extra="  targetNamespace: team-ns\n  postBuild:\n    substitute:\n      SUFFIX: blue\n"
            "    substituteFrom:\n      - kind: ConfigMap\n        name: team-vars\n",
        ),
        "apps/team/app/kustomization.yaml": kustomization_yaml(["vars.yaml", "svc.yaml"]),
        "apps/team/app/vars.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: team-vars\n"
        "  namespace: flux-system\ndata:\n  TIER: gold\n",
        "apps/team/app/svc.yaml": app_ks("svc-${SUFFIX}", "./apps/team/${TIER}", ("${DEP:=db}",)).replace(
            "  namespace: flux-system\n", "", 1
        )
        + app_ks("db", "./apps/team/gold").replace("  namespace: flux-system\n", "", 1),
        "apps/team/gold/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gold\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    r = repo.load(root)
    env = r.env("prod")
    assert {k.id for k in env.kustomizations} >= {"flux-system/team", "team-ns/svc-blue", "team-ns/db"}
    svc = env.resolve("team-ns/svc-blue")
    assert svc is not None and (svc.path, svc.depends_on_ids) == ("./apps/team/gold", ["team-ns/db"])
    assert graph.build(env).missing == [] and env.out_of_reach == {}
    assert [res.name for res in r.component_for(svc).resources] == ["gold"]


def test_yaml_that_is_no_object_in_a_generated_folder_is_an_error_at_its_line(tmp_path, capsys):
    """kustomize-controller generates a kustomization over a folder without one and decodes every
    YAML file below it as objects: a values file there fails the build ("failed to decode
    Kubernetes YAML"), so lint reports it; where a kustomization.yaml lists the files, or for the
    files source-controller leaves out (.sops.yaml), it does not."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
    root = fleet(tmp_path)
    (root / "apps/kustomization.yaml").write_text(
        KYAML + "resources:\n  - ./base/ks.yaml\n  - ./web/ks.yaml\n  - ./gen/ks.yaml\n"
    )
    files = {
        "apps/gen/ks.yaml": app_ks("gen", "./apps/gen/app"),
        "apps/gen/app/configmap.yaml": cm.format("gen"),
        "apps/gen/app/values.yaml": "# chart values\nreplicas: 2\n",  # <-- no kind
        "apps/gen/app/unnamed.yaml": cm.format("gen")
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
        "apps/gen/app/list.yaml": "apiVersion: v1\nkind: List\nitems: []\n",
        "apps/gen/app/empty.yaml": "# nothing yet\n",
        "apps/gen/app/.sops.yaml": "creation_rules:\n  - age: age1example\n",
        "apps/gen/app/deeper/notes.yml": "- a list\n",
        "apps/gen/app/chart/kustomization.yaml": KYAML
        + "resources:\n  - cm.yaml\nconfigMapGenerator:\n  - name: chart-values\n    files:\n      - values.yaml\n",
        "apps/gen/app/chart/cm.yaml": cm.format("chart"),
        "apps/gen/app/chart/values.yaml": "replicas: 3\n",
        "clusters/prod/cluster-vars.yaml": "CLUSTER: prod\n",  # the entry, built by flux-system
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    rc, out, err = run(capsys, "graph", "--repo", str(root))
    assert (rc, err) == (0, "")  # the graph is right: the build fails, not the reading
    rc, out, _ = run(capsys, "lint", "--repo", str(root), "--format", "json")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "non-manifest-yaml"]
    assert rc == 1
    assert [(f["severity"], f["kustomization"], f["file"], f["line"]) for f in found] == [
        ("error", "flux-system/gen", "apps/gen/app/deeper/notes.yml", 1),
        ("error", "flux-system/gen", "apps/gen/app/unnamed.yaml", 6),
        ("error", "flux-system/gen", "apps/gen/app/values.yaml", 2),
        ("error", "flux-system/flux-system", "clusters/prod/cluster-vars.yaml", 1),
    ]
    assert [f["message"].split(":")[0] for f in found] == [
        "this YAML document is not a mapping",
        "this YAML document has no metadata.name",
        "this YAML document has no kind",
        "this YAML document has no kind",
    ]
    assert "apps/gen/app has no kustomization.yaml" in found[0]["message"]
