"""The bundled demo repo (templates/demo) builds and has a sound bootstrap graph.

(a) every kustomize folder of the demo builds with the real `kubectl kustomize`
    (or `kustomize build`);
(b) the Flux Kustomizations of every env resolve their dependsOn, have no
    cycles, and local-kube lists every component of the brief's layer list.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.paths import DEMO

ENVS = ("local-kube", "staging")

EXPECTED_LOCAL_KUBE = {
    "cluster-secrets",
    "nfs-provisioner",
    "cert-manager",
    "reloader",
    "cilium",
    "gateway-api-crds",
    "kyverno",
    "trivy-system",
    "gatekeeper-system",
    "longhorn-system",
    "velero",
    "database-operators",
    "kyverno-config",
    "cilium-config",
    "envoy-gateway",
    "cert-manager-config",
    "linkerd",
    "gatekeeper-constraint-templates",
    "gatekeeper-config",
    "local-cert-manager-config",
    "envoy-gateway-config",
    "linkerd-config",
    "linkerd-viz",
    "monitoring",
    "backup",
    "backup-jobs",
    "postgre",
    "redis",
    "rabbitmq",
    "mongodb",
    "strapi-postgres",
    "netcorp-app",
    "cilium-monitoring",
    "kyverno-monitoring",
    "gatekeeper-monitoring",
    "trivy-monitoring",
    "backup-monitoring",
    "netcorp-monitoring",
}

# kind -> Flux Kustomization that provides its CRD (spec/patterns.md "Dependency rules")
CRD_PROVIDERS = {
    "CiliumNetworkPolicy": "cilium",
    "CiliumClusterwideNetworkPolicy": "cilium",
    "PrometheusRule": "monitoring",
    "ServiceMonitor": "monitoring",
    "PodMonitor": "monitoring",
    "RecurringJob": "longhorn-system",
    "Certificate": "cert-manager",
    "ClusterIssuer": "cert-manager",
    "Issuer": "cert-manager",
    "ConstraintTemplate": "gatekeeper-system",
    "ClusterPolicy": "kyverno",
    "Policy": "kyverno",
}
ANTI_PATTERN_KEYS = ("force", "cleanupOnFail", "remediateLastFailure")


def _kustomize_cmd() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def _kustomize_dirs() -> list[Path]:
    return sorted(p.parent for p in DEMO.rglob("kustomization.yaml"))


def _build(path: Path) -> list[dict]:
    cmd = _kustomize_cmd()
    if cmd is None:
        pytest.skip("neither kustomize nor kubectl is on PATH: cannot run a real kustomize build")
    proc = subprocess.run([*cmd, str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{' '.join(cmd)} {path} failed:\n{proc.stderr}"
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def _flux_kustomizations(env: str) -> dict[str, dict]:
    text = (DEMO / "clusters" / env / "infrastructure.yaml").read_text()
    out: dict[str, dict] = {}
    for doc in yaml.safe_load_all(text):
        if not doc:
            continue
        assert doc["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
        assert doc["kind"] == "Kustomization"
        name = doc["metadata"]["name"]
        assert name not in out, f"{env}: duplicate Kustomization {name}"
        out[name] = doc
    return out


def _deps(ks: dict) -> list[str]:
    return [d["name"] for d in ks["spec"].get("dependsOn", [])]


def _layers(kss: dict[str, dict]) -> dict[str, int]:
    """Longest dependsOn chain; raises on a cycle."""
    layer: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> int:
        if name in layer:
            return layer[name]
        assert name not in visiting, f"dependency cycle: {' -> '.join((*stack, name))}"
        visiting.add(name)
        deps = _deps(kss[name])
        layer[name] = 1 + max((visit(d, (*stack, name)) for d in deps), default=-1)
        visiting.discard(name)
        return layer[name]

    for n in kss:
        visit(n, ())
    return layer


def _walk(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k), v
            yield from _walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, (*path, i))


# ----------------------------------------------------------------- (a) builds
@pytest.mark.kubectl
@pytest.mark.parametrize("folder", _kustomize_dirs(), ids=lambda p: str(p.relative_to(DEMO)))
def test_folder_builds(folder: Path) -> None:
    docs = _build(folder)
    assert docs, f"{folder} builds to nothing"
    for doc in docs:
        assert doc.get("kind") != "Secret", f"{folder}: demo must ship no Secret"
        if doc.get("kind") == "HelmRelease":
            for keypath, value in _walk(doc["spec"]):
                assert keypath[-1] not in ANTI_PATTERN_KEYS, f"{folder}: {keypath}"
                assert not (keypath[-1] == "strategy" and value == "uninstall"), f"{folder}: {keypath}"


def test_every_component_folder_has_a_kustomization() -> None:
    folders = {p.name for p in (DEMO / "namespaces").iterdir() if p.is_dir()}
    assert folders, "no namespaces/ folders"
    for name in folders:
        assert (DEMO / "namespaces" / name / "kustomization.yaml").is_file(), name
    assert not list(DEMO.rglob("base")) and not list(DEMO.rglob("overlays"))


# ----------------------------------------------------------------- (b) graph
def test_local_kube_lists_every_component() -> None:
    kss = _flux_kustomizations("local-kube")
    assert set(kss) == EXPECTED_LOCAL_KUBE


@pytest.mark.parametrize("env", ENVS)
def test_dependencies_resolve_without_cycles(env: str) -> None:
    kss = _flux_kustomizations(env)
    for name, ks in kss.items():
        for dep in ks["spec"].get("dependsOn", []):
            assert dep["name"] in kss, f"{env}: {name} depends on unknown {dep['name']}"
            assert dep.get("namespace", "flux-system") == "flux-system"
    layers = _layers(kss)
    top = max(layers.values())
    assert layers["cluster-secrets"] == 0
    assert layers["netcorp-app"] >= top - 1, layers
    assert layers["netcorp-monitoring"] == top, layers


@pytest.mark.parametrize("env", ENVS)
def test_kustomization_shape(env: str) -> None:
    kss = _flux_kustomizations(env)
    for name, ks in kss.items():
        spec = ks["spec"]
        assert ks["metadata"]["namespace"] == "flux-system"
        assert spec["interval"] == "5m" and spec["prune"] is False
        assert spec["sourceRef"] == {"kind": "GitRepository", "name": "flux-system"}
        assert (DEMO / spec["path"]).is_dir(), f"{env}: {name} path {spec['path']} missing"
        if name.endswith("-monitoring"):
            assert spec["wait"] is False and spec["timeout"] == "5m"
            assert "monitoring" in _deps(ks) and len(_deps(ks)) == 2, name
        else:
            assert spec["wait"] is True
        if name == "cluster-secrets":
            assert spec["decryption"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}
        else:
            assert spec["path"].strip("./") == f"namespaces/{name}"
    assert {"cilium", "cert-manager"} <= set(_deps(kss["linkerd"]))


@pytest.mark.kubectl
@pytest.mark.parametrize("env", ENVS)
def test_crd_instances_depend_on_their_provider(env: str) -> None:
    kss = _flux_kustomizations(env)
    for name, ks in kss.items():
        if name == "cluster-secrets":
            continue
        kinds = {d.get("kind") for d in _build(DEMO / ks["spec"]["path"])}
        for kind in kinds & set(CRD_PROVIDERS):
            provider = CRD_PROVIDERS[kind]
            if provider != name:
                assert provider in _deps(ks), f"{env}: {name} creates {kind} but lacks dependsOn {provider}"
        if name.endswith("-monitoring"):
            assert kinds <= {"PrometheusRule", "ServiceMonitor", "PodMonitor"}, (name, kinds)
        else:
            assert not kinds & {"PrometheusRule", "ServiceMonitor", "PodMonitor"}, (name, kinds)


@pytest.mark.kubectl
def test_staging_patches_target_existing_helmreleases() -> None:
    kss = _flux_kustomizations("staging")
    patched = [n for n, ks in kss.items() if ks["spec"].get("patches")]
    assert patched, "staging should carry Flux patches"
    for name in patched:
        built = _build(DEMO / kss[name]["spec"]["path"])
        for entry in kss[name]["spec"]["patches"]:
            target = entry["target"]
            patch = yaml.safe_load(entry["patch"])
            assert target["kind"] == "HelmRelease" == patch["kind"]
            assert any(
                d["kind"] == "HelmRelease" and d["metadata"]["name"] == target["name"] for d in built
            ), f"staging {name}: patch target {target} not in build"


# ----------------------------------------------------------------- skeletons
SKELETONS = DEMO.parent / "skeletons"
SKELETON_FILES = (
    "namespace.yaml",
    "helm-repository.yaml",
    "helm-repository-oci.yaml",
    "helm-release.yaml",
    "kustomization.yaml",
    "flux-kustomization.yaml",
    "flux-kustomization-monitoring.yaml",
    "allow-k8s-api.yaml",
    "monitoring-kustomization.yaml",
    "prometheus-rules.yaml",
    "servicemonitor.yaml",
)


@pytest.mark.parametrize("name", SKELETON_FILES)
def test_skeleton_is_one_valid_document(name: str) -> None:
    docs = [d for d in yaml.safe_load_all((SKELETONS / name).read_text()) if d]
    assert len(docs) == 1 and isinstance(docs[0], dict), name


def test_skeleton_cnp_matches_demo_webhook_cnps() -> None:
    skeleton = yaml.safe_load((SKELETONS / "allow-k8s-api.yaml").read_text())
    cnps = list(DEMO.glob("namespaces/*/cilium-network-policies/allow-k8s-api.yaml"))
    assert {p.parts[-3] for p in cnps} == {"cert-manager", "kyverno", "gatekeeper-system", "linkerd"}
    for path in cnps:
        doc = yaml.safe_load(path.read_text())
        assert doc["spec"] == skeleton["spec"], path
