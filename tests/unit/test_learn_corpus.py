"""``learn`` on the real public Flux repos of ../shared/corpus: provider tables checked by hand.

Each row below was checked against the files: the HelmRelease and its OCIRepository URL (cert-manager,
cilium, multus, toolhive), the values (cert-manager's ``crds.enabled: true``, in ricsanfre's case in a
valuesFrom ConfigMap), the ``healthChecks`` naming a CRD (cloudflare-dns, multus), or, where the
corpus copied only the Kustomization and not its folder, the Kustomization's name or path (marked
``name`` / ``path``: a weaker fact, and said so in the output).
"""

from __future__ import annotations

import pytest

from infra_tui.core import learn, repo, rules
from tests.corpus import corpus_paths

CHART, NAME, PATH = "chart", "name", "path"

EXPECTED = {
    "onedr0p": {
        (
            "cert-manager",
            "cert-manager.io",
            "chart cert-manager",
            "kubernetes/apps/cert-manager/cert-manager/app/helmrelease.yaml:3",
        ),
        ("cilium", "cilium.io", "chart cilium", "kubernetes/apps/kube-system/cilium/app/helmrelease.yaml:3"),
        (
            "multus",
            "k8s.cni.cncf.io",
            "chart multus",
            "kubernetes/apps/kube-system/multus/app/helmrelease.yaml:3",
        ),
        (
            "multus",
            "k8s.cni.cncf.io",
            "healthChecks CustomResourceDefinition",
            "kubernetes/apps/kube-system/multus/ks.yaml:3",
        ),
        (
            "cloudflare-dns",
            "externaldns.k8s.io",
            "healthChecks CustomResourceDefinition",
            "kubernetes/apps/network/cloudflare-dns/ks.yaml:3",
        ),
        ("rook-ceph", "ceph.rook.io", NAME, "kubernetes/apps/rook-ceph/rook-ceph/ks.yaml:3"),
        (
            "external-secrets",
            "external-secrets.io",
            NAME,
            "kubernetes/apps/external-secrets/external-secrets/ks.yaml:3",
        ),
        (
            "flux-operator",
            "fluxcd.controlplane.io",
            NAME,
            "kubernetes/apps/flux-system/flux-operator/ks.yaml:3",
        ),
        ("envoy-gateway", "gateway.envoyproxy.io", NAME, "kubernetes/apps/network/envoy-gateway/ks.yaml:3"),
        (
            "grafana-operator",
            "grafana.integreatly.org",
            NAME,
            "kubernetes/apps/o11y/grafana-operator/ks.yaml:3",
        ),
        (
            "silence-operator",
            "observability.giantswarm.io",
            NAME,
            "kubernetes/apps/o11y/silence-operator/ks.yaml:3",
        ),
        (
            "snapshot-controller",
            "snapshot.storage.k8s.io",
            NAME,
            "kubernetes/apps/kube-system/snapshot-controller/ks.yaml:3",
        ),
    },
    "ricsanfre/prod": {
        (
            "cert-manager-app",
            "cert-manager.io",
            "chart cert-manager",
            "kubernetes/platform/cert-manager/app/base/helm.yaml:15",
        ),
        ("cilium-app", "cilium.io", "chart cilium", "kubernetes/platform/cilium/app/base/helm.yaml:15"),
        (
            "external-secrets-app",
            "external-secrets.io",
            "chart external-secrets",
            "kubernetes/platform/external-secrets/app/base/helm.yaml:10",
        ),
        (
            "external-dns-app",
            "externaldns.k8s.io",
            NAME,
            "kubernetes/clusters/prod/infra/external-dns-app.yaml:2",
        ),
        (
            "flux-operator-app",
            "fluxcd.controlplane.io",
            NAME,
            "kubernetes/clusters/prod/infra/flux-app.yaml:2",
        ),
        (
            "envoy-gateway-app",
            "gateway.envoyproxy.io",
            NAME,
            "kubernetes/clusters/prod/infra/envoy-gateway-app.yaml:2",
        ),
        (
            "grafana-operator-app",
            "grafana.integreatly.org",
            NAME,
            "kubernetes/clusters/prod/infra/grafana-app.yaml:2",
        ),
        (
            "strimzi-kafka-operator-app",
            "kafka.strimzi.io",
            NAME,
            "kubernetes/clusters/prod/infra/kafka-app.yaml:2",
        ),
        ("longhorn-app", "longhorn.io", NAME, "kubernetes/clusters/prod/infra/longhorn-app.yaml:2"),
        (
            "mongodb-community-operator-app",
            "mongodbcommunity.mongodb.com",
            NAME,
            "kubernetes/clusters/prod/infra/databases-app.yaml:55",
        ),
        (
            "kube-prometheus-stack-app",
            "monitoring.coreos.com",
            NAME,
            "kubernetes/clusters/prod/infra/kube-prometheus-stack-app.yaml:18",
        ),
        (
            "prometheus-operator-crds",
            "monitoring.coreos.com",
            NAME,
            "kubernetes/clusters/prod/infra/kube-prometheus-stack-app.yaml:2",
        ),
        (
            "cloudnative-pg-app",
            "postgresql.cnpg.io",
            NAME,
            "kubernetes/clusters/prod/infra/databases-app.yaml:18",
        ),
        ("velero-app", "velero.io", NAME, "kubernetes/clusters/prod/infra/velero-app.yaml:2"),
    },
    "joryirving/main": {
        (
            "cert-manager",
            "cert-manager.io",
            "chart cert-manager",
            "kubernetes/apps/base/cert-manager/cert-manager/helmrelease.yaml:3",
        ),
        ("cilium", "cilium.io", "chart cilium", "kubernetes/apps/base/kube-system/cilium/helmrelease.yaml:3"),
        (
            "toolhive-crds",
            "toolhive.stacklok.dev",
            "chart toolhive-operator-crds",
            "kubernetes/apps/base/llm/toolhive/crds/helmrelease.yaml:3",
        ),
        (
            "cloudflare-dns",
            "externaldns.k8s.io",
            "healthChecks CustomResourceDefinition",
            "kubernetes/apps/main/network/cloudflare-dns.yaml:3",
        ),
        ("rook-ceph", "ceph.rook.io", NAME, "kubernetes/apps/main/rook-ceph/rook-ceph.yaml:3"),
        ("dragonfly-operator", "dragonflydb.io", NAME, "kubernetes/apps/main/database/dragonfly.yaml:3"),
        (
            "external-secrets",
            "external-secrets.io",
            NAME,
            "kubernetes/apps/main/external-secrets/external-secrets.yaml:3",
        ),
        (
            "flux-operator",
            "fluxcd.controlplane.io",
            NAME,
            "kubernetes/apps/main/flux-system/flux-operator.yaml:3",
        ),
        ("envoy-gateway", "gateway.envoyproxy.io", NAME, "kubernetes/apps/main/network/envoy-gateway.yaml:2"),
        (
            "grafana",
            "grafana.integreatly.org",
            PATH,
            "kubernetes/apps/main/observability/grafana.yaml:2",
        ),  # path .../grafana/operator
        ("multus", "k8s.cni.cncf.io", NAME, "kubernetes/apps/main/network/multus.yaml:2"),
        (
            "kube-prometheus-stack",
            "monitoring.coreos.com",
            NAME,
            "kubernetes/apps/main/observability/kube-prometheus-stack.yaml:3",
        ),
        (
            "silence-operator",
            "observability.giantswarm.io",
            NAME,
            "kubernetes/apps/main/observability/silence-operator.yaml:3",
        ),
        ("cloudnative-pg", "postgresql.cnpg.io", NAME, "kubernetes/apps/main/database/cloudnative-pg.yaml:3"),
        (
            "snapshot-controller",
            "snapshot.storage.k8s.io",
            NAME,
            "kubernetes/apps/main/storage/snapshot-controller.yaml:3",
        ),
    },
    "multi-tenancy/production": {
        # a nested Flux Kustomization applying the kyverno manifests from their OCI artifact
        (
            "kyverno",
            "kyverno.io",
            "source ghcr.io/kyverno/manifests/kyverno",
            "infrastructure/kyverno/sync.yaml:1",
        ),
        # ... which is itself deployed (kyverno -> infrastructure/kyverno/sync.yaml): by its name
        # and by its OCI source
        ("kyverno-controller", "kyverno.io", "name", "infrastructure/kyverno/sync.yaml:1"),
        (
            "kyverno-controller",
            "kyverno.io",
            "source ghcr.io/kyverno/manifests/kyverno",
            "infrastructure/kyverno/sync.yaml:1",
        ),
    },
}


def learned(cluster: str) -> learn.Learned:
    return learn.learn(repo.load(paths=corpus_paths(cluster)))


def _row(p: learn.ProviderFact) -> tuple[str, str, str, str]:
    via = p.via.split(" ", 1)[0] if p.via.startswith(("name (", "path (")) else p.via
    return (p.provider.split("/")[-1], p.groups[0], via, ", ".join(str(e) for e in p.evidence))


@pytest.mark.parametrize("cluster", sorted(EXPECTED))
def test_provider_table_checked_by_hand(cluster):
    assert {_row(p) for p in learned(cluster).providers} == EXPECTED[cluster]


def test_onedr0p_monitoring_crds_come_from_before_flux():
    """onedr0p installs prometheus-operator-crds with its bootstrap helmfile, not with Flux: the
    PrometheusRule / Probe / AlertmanagerConfig group is used and provided by no Kustomization."""
    facts = learned("onedr0p").bootstrap_provided
    # the kopiur/backup kustomize component (added through spec.components) creates kopiur
    # objects too; kopiur's own app folder is not in the corpus copy
    assert [(b.group, sorted(b.kinds)) for b in facts] == [
        ("kopiur.home-operations.com", ["Restore", "SnapshotPolicy", "SnapshotSchedule"]),
        ("monitoring.coreos.com", ["AlertmanagerConfig", "Probe", "PrometheusRule"]),
    ]
    assert facts[1].count == 7 and not facts[1].confirmed
    env = repo.load(paths=corpus_paths("onedr0p"))
    found = [f for f in rules.lint(env) if f.rule == "crd-dependency" and f.severity == "warning"]
    assert {f.kustomization for f in found} == {
        "cert-manager/cert-manager",
        "o11y/blackbox-exporter-lan",
        "o11y/blackbox-exporter-vpn",
        "o11y/kube-prometheus-stack",
        # through the kopiur/backup component (plex and recyclarr are the copied apps using it)
        "default/plex",
        "default/recyclarr",
    }
    assert all(
        "monitoring.coreos.com, whose CRDs no Kustomization" in f.message
        or "kopiur.home-operations.com, whose CRDs no Kustomization" in f.message
        for f in found
    )
    # and learned providers find what the name-only table could not: an ExternalSecret without
    # dependsOn external-secrets, a GrafanaDashboard without grafana-operator
    errors = {
        (f.kustomization, f.info["add"])
        for f in rules.lint(env)
        if f.rule == "crd-dependency" and f.severity == "error"
    }
    assert ("default/plex-tools", "external-secrets/external-secrets") in errors
    assert ("kube-system/cilium", "o11y/grafana-operator") in errors


def test_corpus_house_style():
    style = {s.key: s for s in learned("onedr0p").style}
    assert (
        style["kustomization.interval"].value,
        style["kustomization.interval"].count,
        style["kustomization.interval"].total,
    ) == ("1h", 78, 78)
    assert style["kustomization.prune"].value is True and style["kustomization.wait"].value is False
    assert style["helm_repositories"].value == "per-component"  # an OCIRepository beside each HelmRelease
    assert style["yaml.version_quote"].value == "plain"
    ric = {s.key: s for s in learned("ricsanfre/prod").style}
    assert ric["kustomization.interval"].value == "30m"
