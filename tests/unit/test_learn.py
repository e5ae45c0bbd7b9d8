"""``infra-tui learn``: providers by the repo's own names, bootstrap-provided kinds, webhooks,
house style and similar services, with evidence; the learned file; lint using what was learned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra_tui.cli import main
from infra_tui.core import learn, repo, rules
from tests.paths import DEMO
from tests.repo_builder import FlatRepo, helm_release_yaml, ks, line_of


def hr(
    name: str,
    chart: str,
    *,
    repo_name: str = "charts",
    extra: str = "",
    values: str = "",
    interval: str = "30m",
) -> str:
    """A HelmRelease of ``chart`` whose HelmRepository lives in flux-system (the central folder)."""
    text = helm_release_yaml(name, spec=extra, values=values).replace(f"chart: {name}\n", f"chart: {chart}\n")
    text = text.replace(f"        name: {name}\n", f"        name: {repo_name}\n")
    return text.replace("interval: 1h", f"interval: {interval}")


def helm_repo(name: str, url: str) -> str:
    return (
        "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n"
        f"  name: {name}\n  namespace: flux-system\nspec:\n  interval: 30m\n  url: {url}\n"
    )


HTTPROUTE_CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: httproutes.gateway.networking.k8s.io
spec:
  group: gateway.networking.k8s.io
  names:
    kind: HTTPRoute
    plural: httproutes
  scope: Namespaced
"""


def kss(name: str, deps=(), **kw) -> str:
    return ks(name, deps, **kw).replace("interval: 5m", "interval: 30m")


def renamed_repo(tmp_path: Path) -> Path:
    """Providers named the repo's way: cilium as ``cni``, cert-manager as ``infra-certs``, monitoring
    CRDs from ``prometheus-operator-crds`` (kube-prometheus-stack told to skip its CRDs), Gateway
    API CRDs shipped as files, every HelmRepository in one central folder, intervals of 30m."""
    b = FlatRepo(tmp_path)
    for name, deps in (
        ("helm-repositories", []),
        ("cni", ["helm-repositories"]),
        ("infra-certs", ["helm-repositories"]),
        ("prometheus-operator-crds", ["helm-repositories"]),
        ("monitoring", ["helm-repositories"]),
        ("gateway-crds", []),
        ("app", ["helm-repositories"]),
    ):
        b.ks(name, deps, text=kss(name, deps))
    b.ks("app-monitoring", text=kss("app-monitoring", ["helm-repositories", "app"], wait=False, timeout="5m"))
    b.components["helm-repositories"] = {
        "repositories.yaml": helm_repo("cilium", "https://helm.cilium.io")
        + helm_repo("jetstack", "https://charts.jetstack.io")
        + helm_repo("prometheus-community", "https://prometheus-community.github.io/helm-charts")
        + helm_repo("charts", "https://charts.example.com"),
    }
    b.component(
        "cni",
        files={"helm-repository.yaml": None, "helm-release.yaml": hr("cilium", "cilium", repo_name="cilium")},
    )
    b.component(
        "infra-certs",
        files={
            "helm-repository.yaml": None,
            "helm-release.yaml": hr(
                "cert-manager",
                "cert-manager",
                repo_name="jetstack",
                values="    crds:\n      enabled: true\n    replicaCount: 2\n",
            ),
        },
    )
    b.component(
        "prometheus-operator-crds",
        files={
            "helm-repository.yaml": None,
            "helm-release.yaml": hr(
                "prometheus-operator-crds", "prometheus-operator-crds", repo_name="prometheus-community"
            ),
        },
    )
    b.component(
        "monitoring",
        files={
            "helm-repository.yaml": None,
            "helm-release.yaml": hr(
                "kube-prometheus-stack",
                "kube-prometheus-stack",
                repo_name="prometheus-community",
                extra="  install:\n    crds: Skip  # <-- skip\n",
            ).replace("  install:\n    remediation:\n      retries: 3\n", "", 1),
        },
    )
    b.component("gateway-crds", helm=False, files={"crds/httproutes.yaml": HTTPROUTE_CRD})
    b.component(
        "app",
        files={
            "helm-repository.yaml": None,
            "helm-release.yaml": hr(
                "app",
                "app",
                values="    replicaCount: 3\n    resources:\n      requests:\n        cpu: 100m\n",
            ),
            "cilium-network-policies/allow.yaml": "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: allow\nspec: {}\n",
            "certificate.yaml": "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: app\nspec: {}\n",
            "route.yaml": "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: app\nspec: {}\n",
            "external-secret.yaml": "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: app\nspec: {}\n",
        },
    )
    b.component(
        "app-monitoring",
        helm=False,
        files={
            "namespace.yaml": None,
            "service-monitor.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: app\n  namespace: app\nspec: {}\n",
        },
    )
    return b.write()


def load(root: Path) -> repo.Repo:
    return repo.load(root)  # settings (.infra-tui.yaml) read with it


def providers_by_group(learned: learn.Learned) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for p in learned.providers:
        for g in p.groups:
            out.setdefault(g, []).append((p.provider.split("/")[-1], p.via))
    return out


def test_providers_are_learned_under_the_repos_own_names(tmp_path):
    root = renamed_repo(tmp_path)
    learned = learn.learn(load(root))
    by_group = providers_by_group(learned)
    assert by_group["cilium.io"] == [("cni", "chart cilium")]
    assert by_group["cert-manager.io"] == [("infra-certs", "chart cert-manager")]
    assert by_group["monitoring.coreos.com"] == [
        ("prometheus-operator-crds", "chart prometheus-operator-crds")
    ]
    assert by_group["gateway.networking.k8s.io"] == [("gateway-crds", "CustomResourceDefinition")]
    # evidence: the exact file and line of the object that teaches it, and a count
    crd = next(p for p in learned.providers if p.via == "CustomResourceDefinition")
    assert [str(e) for e in crd.evidence] == [
        "namespaces/gateway-crds/crds/httproutes.yaml:1"
    ] and crd.count == 1
    assert crd.kinds == ["HTTPRoute"]
    # kube-prometheus-stack is told not to install its CRDs: not a provider, and said why, where
    assert len(learned.notes) == 1 and "install.crds: Skip" in learned.notes[0]
    assert "namespaces/monitoring/helm-release.yaml:1" in learned.notes[0]
    # cert-manager registers webhooks under its new name (and the house rule follows it there)
    assert [(w.component, w.chart) for w in learned.webhooks] == [
        ("flux-system/infra-certs", "cert-manager"),
        ("flux-system/monitoring", "kube-prometheus-stack"),
    ]
    house = rules.load_rules(load(root))
    assert "infra-certs" in house.webhook_components and "monitoring" not in house.webhook_components


def test_lint_finds_missing_learned_providers(tmp_path):
    root = renamed_repo(tmp_path)
    found = [f for f in rules.lint(load(root)) if f.rule == "crd-dependency"]
    errors = {
        (f.kustomization, f.message.split("does not dependsOn ")[1].split(",")[0])
        for f in found
        if f.severity == "error"
    }
    assert errors == {
        ("flux-system/app", "cni"),
        ("flux-system/app", "infra-certs"),
        ("flux-system/app", "gateway-crds"),
        ("flux-system/app-monitoring", "prometheus-operator-crds"),
    }
    assert all(f.fixable and f.info["add"].startswith("flux-system/") for f in found if f.severity == "error")


def test_lint_is_satisfied_by_learned_providers(tmp_path):
    root = renamed_repo(tmp_path)
    infra = root / "clusters/local-kube/infrastructure.yaml"
    text = infra.read_text()
    text = text.replace(
        "  name: app\n  namespace: flux-system\n",
        "  name: app\n  namespace: flux-system\n",
        1,
    )
    docs = text.split("---\n")
    for i, d in enumerate(docs):
        if "  name: app\n" in d:
            docs[i] = d + "    - name: cni\n    - name: infra-certs\n    - name: gateway-crds\n"
        if "  name: app-monitoring\n" in d:
            docs[i] = d + "    - name: prometheus-operator-crds\n"
    infra.write_text("---\n".join(docs))
    found = [f for f in rules.lint(load(root)) if f.rule == "crd-dependency"]
    assert [f.severity for f in found] == ["warning"]  # only the unprovided ExternalSecret remains


def test_bootstrap_provided_kinds_are_flagged_until_confirmed(tmp_path):
    root = renamed_repo(tmp_path)
    learned = learn.learn(load(root))
    assert [(b.group, b.kinds, b.used_by, b.confirmed) for b in learned.bootstrap_provided] == [
        ("external-secrets.io", ["ExternalSecret"], ["flux-system/app"], False)
    ]
    unprovided = [f for f in rules.lint(load(root)) if f.rule == "crd-dependency" and f.severity == "warning"]
    assert len(unprovided) == 1 and "external-secrets.io" in unprovided[0].message
    assert "namespaces/app/external-secret.yaml:1" in unprovided[0].message
    # learn --write lists it with a REVIEW; confirming it there silences lint
    assert main(["learn", "--repo", str(root), "--write"]) == 0
    path = root / learn.LEARNED_FILE
    text = path.read_text()
    assert "# REVIEW: external-secrets.io is used by 1 Kustomization(s)" in text
    path.write_text(text.replace("confirmed: false", "confirmed: true"))
    assert [f for f in rules.lint(load(root)) if f.rule == "crd-dependency" and f.severity == "warning"] == []


def test_settings_confirm_bootstrap_kinds_and_pin_providers(tmp_path):
    root = renamed_repo(tmp_path)
    (root / ".infra-tui.yaml").write_text(
        "rules:\n  bootstrap_provided: [external-secrets.io]\n"
        "  crd_providers:\n    - kinds: [Certificate]\n      group: cert-manager.io\n      provider: monitoring\n"
    )
    found = [f for f in rules.lint(load(root)) if f.rule == "crd-dependency"]
    assert not any("external-secrets.io" in f.message for f in found)
    # .infra-tui.yaml wins over what was learned: Certificate now needs monitoring, not infra-certs
    cert = [f for f in found if "Certificate" in f.message]
    assert len(cert) == 1 and "dependsOn monitoring" in cert[0].message


def test_house_style_is_learned_with_counts_and_evidence(tmp_path):
    root = renamed_repo(tmp_path)
    learned = learn.learn(load(root))
    s = {f.key: f for f in learned.style}
    assert (
        s["kustomization.interval"].value,
        s["kustomization.interval"].count,
        s["kustomization.interval"].total,
    ) == ("30m", 8, 8)
    assert (s["helmrelease.interval"].value, s["helmrelease.interval"].count) == ("30m", 5)
    assert (s["helmrepository.interval"].value, s["helmrepository.interval"].count) == ("30m", 4)
    infra = root / "clusters/local-kube/infrastructure.yaml"
    assert (
        str(s["kustomization.interval"].evidence[0])
        == f"clusters/local-kube/infrastructure.yaml:{line_of(infra, 'interval: 30m')}"
    )
    assert s["kustomization.prune"].value is False and s["kustomization.wait"].value is True
    assert s["kustomization.wait"].count == 7  # app-monitoring waits not
    assert (
        s["helmrelease.install.remediation.retries"].value == 3
        and s["helmrelease.install.remediation.retries"].count == 4
    )
    assert s["yaml.version_quote"].value == "double"
    assert s["yaml.list_indent"].value == "indented"
    central = s["helm_repositories"]
    assert (central.value, central.count, central.total) == ("central", 5, 5)
    assert central.detail == "namespaces/helm-repositories (Kustomization helm-repositories; 6 depend on it)"


def test_services_carry_replicas_and_resources_with_lines(tmp_path):
    root = renamed_repo(tmp_path)
    learned = learn.learn(load(root))
    app = next(s for s in learned.services if s.release == "app")
    f = root / "namespaces/app/helm-release.yaml"
    assert [(v.path, v.value, v.evidence.line) for v in app.replicas] == [
        ("replicaCount", 3, line_of(f, "replicaCount: 3"))
    ]
    assert [(v.path, v.value, v.evidence.line) for v in app.resources] == [
        ("resources", {"requests": {"cpu": "100m"}}, line_of(f, "resources:"))
    ]
    certs = next(s for s in learned.services if s.chart == "cert-manager")
    assert certs.family == "security" and [v.value for v in certs.replicas] == [2]


def test_learn_cli_json_write_and_stale_notice(tmp_path, capsys):
    root = renamed_repo(tmp_path)
    assert main(["learn", "--repo", str(root), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"env", "inputs_hash", "providers", "bootstrap_provided", "webhooks", "style", "services"} <= set(
        data
    )
    cni = next(p for p in data["providers"] if p["provider"] == "flux-system/cni")
    assert cni["evidence"] == ["namespaces/cni/helm-release.yaml:1"] and cni["count"] == 1
    assert not (root / learn.LEARNED_FILE).exists()  # nothing written without --write

    assert main(["learn", "--repo", str(root), "--write"]) == 0
    capsys.readouterr()
    written = (root / learn.LEARNED_FILE).read_text()
    assert written.startswith("# What infra-tui learned from this repo")
    assert main(["learn", "--repo", str(root), "--write"]) == 0
    assert "up to date" in capsys.readouterr().out

    main(["lint", "--repo", str(root)])
    assert capsys.readouterr().err == ""  # fresh: no notice
    release = root / "namespaces/cni/helm-release.yaml"
    release.write_text(release.read_text().replace("interval: 30m", "interval: 1h", 1))
    main(["lint", "--repo", str(root)])
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"infra-tui: {learn.LEARNED_FILE} is stale (the repo changed since it was written); "
        "run `infra-tui learn --write` and review the diff"
    ]


def test_a_fresh_learned_file_is_what_commands_use(tmp_path):
    """A reviewer deletes a wrong fact from the file: lint follows the file while it is fresh."""
    root = renamed_repo(tmp_path)
    assert main(["learn", "--repo", str(root), "--write"]) == 0
    path = root / learn.LEARNED_FILE
    text = path.read_text()
    start = text.index("  # cni provides cilium.io")
    end = text.index("  - provider:", text.index("  - provider: flux-system/cni") + 1)
    path.write_text(text[:start] + text[end:])
    found = [f for f in rules.lint(load(root)) if f.rule == "crd-dependency"]
    assert not any("dependsOn cni" in f.message for f in found)
    assert any("cilium.io, whose CRDs no Kustomization" in f.message for f in found)
    assert learn.effective(load(root)).source == "file"


def test_a_broken_learned_file_is_one_line_exit_2(tmp_path, capsys):
    root = renamed_repo(tmp_path)
    (root / learn.LEARNED_FILE).write_text("version: 1\nproviders: [\n")
    assert main(["lint", "--repo", str(root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1 and err[0].startswith(f"infra-tui: {learn.LEARNED_FILE}:") and "learn --write" in err[0]
    )


def test_learned_file_round_trips(tmp_path):
    root = renamed_repo(tmp_path)
    r = load(root)
    learned = learn.learn(r)
    (root / learn.LEARNED_FILE).write_text(learn.render_file(learned))
    back = learn.read_file(root)
    assert back is not None and back.inputs_hash == learned.inputs_hash and back.env == "local-kube"
    assert [(p.provider, p.groups, p.kinds, p.via, p.evidence) for p in back.providers] == [
        (p.provider, p.groups, p.kinds, p.via, p.evidence) for p in learned.providers
    ]


def test_demo_repo_learns_the_rule_tables_names(tmp_path):
    """On the bundled demo (the brief's cluster) learning agrees with the house rule table."""
    demo = DEMO
    r = load(demo)
    learned = learn.learn(r)
    table = rules.rules_from_tables(rules.default_tables())
    for p in table.crd_providers:
        learned_names = {prov.provider.split("/")[-1] for prov in learned.providers if p.group in prov.groups}
        assert p.provider in learned_names, p
    assert learned.bootstrap_provided == []
    assert [f for f in rules.lint(r) if f.rule == "crd-dependency"] == []


@pytest.mark.parametrize(
    "chart, url, expected",
    [
        ("cilium", None, "cilium"),
        (None, "oci://quay.io/jetstack/charts/cert-manager", "cert-manager"),
        (None, "oci://ghcr.io/kyverno/manifests/kyverno", "kyverno"),
        ("gateway-helm", "oci://docker.io/envoyproxy", "envoy-gateway"),
        (None, "https://github.com/kubernetes-sigs/gateway-api", "gateway-api"),
        ("podinfo", "https://stefanprodan.github.io/podinfo", None),
    ],
)
def test_chart_table_matches_names_and_sources(chart, url, expected):
    info = learn.chart_table().match(chart, url)
    assert (info.name if info else None) == expected


# --------------------------------------------------------------------------- new: the repo's own names and style


def new_web(root: Path, **extra):
    from infra_tui.core import scaffold
    from infra_tui.core import spec as spec_mod

    data = {
        "name": "web",
        "chart": {"name": "app", "version": "1.x", "repository": {"url": "https://charts.example.com"}},
        "webhook": True,
        "creates": ["Certificate"],
        **extra,
    }
    return scaffold.plan(load(root), spec_mod.parse(data))


def added_docs(plan) -> str:
    infra = next(f for f in plan.files if f.path.endswith("infrastructure.yaml"))
    return infra.after[len(infra.before) :]


def test_new_depends_on_learned_names_and_follows_the_house_style(tmp_path):
    from infra_tui.core import apply

    root = renamed_repo(tmp_path)
    plan = new_web(root)
    assert plan.ok, plan.refusals
    (placement,) = plan.placement
    assert placement.depends_on == [
        "flux-system/cni",
        "flux-system/infra-certs",
        "flux-system/helm-repositories",
    ]
    added = added_docs(plan)
    assert (
        "    - name: cni  # REVIEW: Placed after cni in bootstrap order: CiliumNetworkPolicy needs its CRDs; "
        "learned: chart cilium at namespaces/cni/helm-release.yaml:1" in added
    )
    assert (
        "    - name: helm-repositories  # REVIEW: Placed after helm-repositories in bootstrap order" in added
    )
    assert (
        "  interval: 30m  # REVIEW: learned: interval 30m (8 of 8 Flux Kustomizations, e.g. clusters/local-kube/infrastructure.yaml:"
        in added
    )
    files = {f.path: f for f in plan.files}
    hr_text = files["namespaces/web/helm-release.yaml"].after
    assert (
        "  interval: 30m  # REVIEW: learned: interval 30m (5 of 5 HelmReleases, e.g. namespaces/cni/helm-release.yaml:7)"
        in hr_text
    )
    # the HelmRepository goes to the central folder, which lists it; the component's kustomization does not
    assert "namespaces/web/helm-repository.yaml" not in files
    central = files["namespaces/helm-repositories/web.yaml"].after
    assert central.startswith(
        "# REVIEW: HelmRepositories live in namespaces/helm-repositories in this repo (5 of 5"
    )
    assert "  interval: 30m  # REVIEW: learned: interval 30m (4 of 4 HelmRepositories" in central
    assert "  - web.yaml" in files["namespaces/helm-repositories/kustomization.yaml"].after
    assert "helm-repository.yaml" not in files["namespaces/web/kustomization.yaml"].after
    # resources and replicas from the most similar service (the same chart), with the brief's texts
    app_release = "namespaces/app/helm-release.yaml"
    assert (
        f"    replicaCount: 3  # REVIEW: Replicas set to match similar services (app, same chart: {app_release}:"
        f"{line_of(root / app_release, 'replicaCount: 3')})"
    ) in hr_text
    assert (
        f"    resources:  # REVIEW: Using standard resource limits (from app, same chart: {app_release}:"
        in hr_text
    )
    # the summary says what was learned; every REVIEW line is an assumption and the other way round
    text = "".join(f.after if f.created else f.after[len(f.before) :] for f in plan.files)
    reviews = {line.split("# REVIEW: ", 1)[1] for line in text.splitlines() if "# REVIEW: " in line}
    assert reviews == set(plan.assumptions)
    from infra_tui.core import summary

    learned_json = summary.to_dict(plan)["learned"]
    assert any(line.startswith("learned: interval 30m (5 of 5 HelmReleases") for line in learned_json)
    assert any(line.startswith("Replicas set to match similar services (app") for line in learned_json)
    assert not any("namespace not stated" in line for line in learned_json)
    # written, the repo lints clean for the new component
    apply.apply(plan, root)
    found = [
        f for f in rules.lint(load(root)) if f.kustomization == "flux-system/web" and f.severity == "error"
    ]
    assert found == []


def test_new_follows_flush_lists_plain_versions_and_keeps_house_rules(tmp_path):
    root = renamed_repo(tmp_path)
    for path in root.rglob("*.yaml"):
        text = path.read_text()
        text = (
            text.replace("\n  - ", "\n- ")
            .replace("\n    - ", "\n  - ")
            .replace('version: "1.x"', "version: 1.x")
        )
        path.write_text(text.replace("prune: false", "prune: true"))
    learned = learn.learn(load(root))
    style = {s.key: s.value for s in learned.style}
    assert style["yaml.list_indent"] == "flush" and style["yaml.version_quote"] == "plain"
    plan = new_web(root)
    files = {f.path: f.after for f in plan.files}
    assert "\n- namespace.yaml\n" in files["namespaces/web/kustomization.yaml"]
    assert (
        "resources:  # REVIEW: list items at their key's column, as in this repo"
        in files["namespaces/web/kustomization.yaml"]
    )
    assert (
        "      version: 1.x  # REVIEW: chart version quoted plain, as in this repo"
        in files["namespaces/web/helm-release.yaml"]
    )
    added = added_docs(plan)
    assert (
        "  prune: false  # REVIEW: prune: false is the house rule, kept although this repo mostly uses true (8 of 8"
        in added
    )


def test_new_without_a_similar_service_takes_no_values(tmp_path):
    root = renamed_repo(tmp_path)
    plan = new_web(
        root,
        chart={"name": "unheard-of", "version": "1.x", "repository": {"url": "https://charts.example.com"}},
    )
    hr_text = next(f.after for f in plan.files if f.path.endswith("helm-release.yaml"))
    assert "Replicas set to match" not in hr_text and "resources" not in hr_text


def test_similar_service_of_the_same_family(tmp_path):
    root = (
        FlatRepo(tmp_path)
        .house("cilium")
        .house("monitoring")
        .house(
            "postgres",
            files={
                "helm-release.yaml": helm_release_yaml(
                    "postgres",
                    values="    replicaCount: 2\n    primary:\n      replicas: 5\n    resources:\n      limits:\n        memory: 1Gi\n",
                )
            },
        )
        .write()
    )
    from infra_tui.core import scaffold
    from infra_tui.core import spec as spec_mod

    plan = scaffold.plan(
        load(root),
        spec_mod.parse(
            {
                "name": "orders-db",
                "chart": {
                    "name": "mysql",
                    "version": "9.x",
                    "repository": {"url": "https://charts.example.com"},
                },
            }
        ),
    )
    hr_text = next(f.after for f in plan.files if f.path.endswith("helm-release.yaml"))
    assert (
        "replicaCount: 2  # REVIEW: Replicas set to match similar services (postgres, same family: database:"
        in hr_text
    )
    assert "primary" not in hr_text  # chart-specific paths only from the same chart
    assert (
        "resources:  # REVIEW: Using standard resource limits (from postgres, same family: database:"
        in hr_text
    )


def test_lint_fix_and_edit_use_the_learned_names(tmp_path):
    from infra_tui.core import edit, fix
    from infra_tui.core.spec import parse_edit

    root = renamed_repo(tmp_path)
    r = load(root)
    errors = [f for f in rules.lint(r) if f.rule == "crd-dependency" and f.severity == "error"]
    plan = fix.plan_fixes(r, errors)
    infra = next(f for f in plan.files if f.path.endswith("infrastructure.yaml"))
    added = {
        ln.strip().split("  #")[0] for ln in infra.after.splitlines() if ln.strip().startswith("- name:")
    }
    for name in ("cni", "infra-certs", "gateway-crds", "prometheus-operator-crds"):
        assert f"- name: {name}" in added
    # an edit that makes a component create Certificates depends on infra-certs
    plan = edit.plan_edit(
        load(root), "gateway-crds", parse_edit({"creates": ["Certificate"]}, "gateway-crds")
    )
    assert plan.ok, plan.refusals
    assert "flux-system/infra-certs" in plan.placement[0].depends_on
