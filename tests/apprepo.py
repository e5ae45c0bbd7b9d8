"""A small flat Flux repo for the TUI's tests, snapshots, screenshots and benches.

Its bootstrap order is the one of the cluster the brief was written for (spec/patterns.md), so
the graph looks like the real thing; ``extra`` adds generated components for the 300-component
benchmark. Deterministic: the same arguments write the same bytes.
"""

from __future__ import annotations

import random
from pathlib import Path

from textual.worker import WorkerCancelled

# name -> dependsOn (names in flux-system); the brief's bootstrap order
BRIEF_ORDER: dict[str, list[str]] = {
    "cluster-secrets": [],
    "nfs-provisioner": ["cluster-secrets"],
    "cert-manager": ["cluster-secrets"],
    "reloader": ["cluster-secrets"],
    "cilium": ["cluster-secrets"],
    "gateway-api-crds": ["cluster-secrets"],
    "kyverno": ["cluster-secrets"],
    "trivy-system": ["cluster-secrets"],
    "gatekeeper-system": ["cilium"],
    "longhorn-system": ["cluster-secrets", "cilium"],
    "velero": ["cluster-secrets", "cilium"],
    "database-operators": ["nfs-provisioner"],
    "kyverno-config": ["kyverno"],
    "cilium-config": ["cilium"],
    "envoy-gateway": ["gateway-api-crds"],
    "cert-manager-config": ["cert-manager"],
    "linkerd": ["cert-manager", "cilium"],
    "gatekeeper-constraint-templates": ["gatekeeper-system"],
    "gatekeeper-config": ["gatekeeper-constraint-templates"],
    "local-cert-manager-config": ["cert-manager-config"],
    "envoy-gateway-config": ["envoy-gateway"],
    "linkerd-config": ["linkerd"],
    "linkerd-viz": ["linkerd"],
    "monitoring": ["nfs-provisioner", "cluster-secrets"],
    "backup": ["cluster-secrets", "nfs-provisioner"],
    "postgre": ["database-operators", "longhorn-system"],
    "redis": ["database-operators"],
    "rabbitmq": ["database-operators"],
    "netcorp-app": ["postgre", "redis", "rabbitmq"],
    "cilium-monitoring": ["monitoring", "cilium"],
    "kyverno-monitoring": ["monitoring", "kyverno"],
}

# extra manifests for a few components, so inferred dependencies have something to find
CNP = """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-dns
  namespace: {ns}
spec:
  endpointSelector: {{}}
  egress:
    - toEndpoints:
        - matchLabels:
            k8s:io.kubernetes.pod.namespace: kube-system
"""


def _ks(name: str, deps: list[str], *, wait: bool = True, timeout: str = "10m") -> str:
    lines = [
        "---",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata:",
        f"  name: {name}",
        "  namespace: flux-system",
        "spec:",
        "  interval: 5m",
        f"  path: ./namespaces/{name}",
        "  prune: false",
        "  sourceRef:",
        "    kind: GitRepository",
        "    name: flux-system",
        f"  wait: {'true' if wait else 'false'}",
        f"  timeout: {timeout}",
    ]
    if deps:
        lines.append("  dependsOn:")
        lines.extend(f"    - name: {d}" for d in deps)
    return "\n".join(lines) + "\n"


def _component(root: Path, name: str) -> None:
    d = root / "namespaces" / name
    d.mkdir(parents=True, exist_ok=True)
    resources = ["namespace.yaml", "helm-repository.yaml", "helm-release.yaml"]
    (d / "namespace.yaml").write_text(
        f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n"
        "    pod-security.kubernetes.io/enforce: restricted\n"
        "    pod-security.kubernetes.io/enforce-version: latest\n"
    )
    (d / "helm-repository.yaml").write_text(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n"
        f"  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://charts.example.com/{name}\n"
    )
    (d / "helm-release.yaml").write_text(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
        f"  name: {name}\n  namespace: {name}\nspec:\n  interval: 1h\n  chart:\n    spec:\n"
        f'      chart: {name}\n      version: "1.x"\n      sourceRef:\n        kind: HelmRepository\n'
        f"        name: {name}\n        namespace: flux-system\n"
        "  install:\n    remediation:\n      retries: 3\n  upgrade:\n    remediation:\n      retries: 3\n"
    )
    if name == "cilium-config":
        (d / "cilium-network-policies").mkdir(exist_ok=True)
        (d / "cilium-network-policies" / "allow-dns.yaml").write_text(CNP.format(ns=name))
        resources.append("cilium-network-policies/allow-dns.yaml")
    (d / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        + "".join(f"  - {r}\n" for r in resources)
    )


def make_repo(
    root: Path, *, extra: int = 0, envs: tuple[str, ...] = ("local-kube", "staging"), seed: int = 7
) -> Path:
    """Write the repo under ``root`` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    order = dict(BRIEF_ORDER)
    rnd = random.Random(seed)
    names = list(order)
    for i in range(extra):
        name = f"app-{i:03d}"
        k = rnd.randint(1, 3)
        order[name] = sorted(set(rnd.sample(names, k)))
        names.append(name)
    docs = []
    for name, deps in order.items():
        mon = name.endswith("-monitoring")
        docs.append(_ks(name, deps, wait=not mon, timeout="5m" if mon else "10m"))
        if not mon:
            _component(root, name)
    for env in envs:
        env_dir = root / "clusters" / env
        env_dir.mkdir(parents=True, exist_ok=True)
        (env_dir / "infrastructure.yaml").write_text("".join(docs))
    return root


# --------------------------------------------------------------------------- driving the app


async def settle(pilot, rounds: int = 200) -> None:
    """Wait until the repo is loaded and the preview is up to date (workers done, no pending run)."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        # the live cluster's poller runs until the app exits: wait for everything else
        others = [w for w in app.workers if w.group != "cluster-poll"]
        if others:  # (an empty list would mean "every worker")
            try:
                await app.workers.wait_for_complete(others)
            except WorkerCancelled:
                continue  # an exclusive group's newer run replaced it: wait for that one
        await pilot.pause()
        if getattr(app, "keys_pending", False):
            # keys typed in a burst are handled one by one (on a loaded machine ~0.1 s each): wait
            # for them by the clock, not in rounds
            await _wait_keys(pilot)
            continue
        try:
            pane = app.main.preview_pane
        except StopIteration:
            continue
        checks = app.main.query("ValidationPanel")
        if checks and checks.first().busy:
            # its run ends by filling the summary's Validation Results: wait (not counted as a round)
            await _wait_idle(pilot, checks.first())
        if app.repo is not None and not pane.busy and pane.preview is not None:
            form = app.main.form
            if not getattr(form, "built", True):
                continue  # the wizard's lower fields (and the key bar, released with them) come after the graph
            if getattr(form, "learning", None) is not None:
                continue  # the wizard's learned defaults are still being learned
            if pane.preview.fields == form.state.fields or not form.state.fields.get("name"):
                # let scrolls and late refreshes land before a screenshot is taken
                await pilot.wait_for_scheduled_animations()
                await pilot.pause(0.1)
                return
    raise AssertionError("the preview did not settle")


async def _wait_keys(pilot, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while pilot.app.keys_pending:
        if time.monotonic() > deadline:
            raise AssertionError("the keys of a burst were not all handled")
        await pilot.pause(0.02)


async def _wait_idle(pilot, checks, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while checks.busy:
        if time.monotonic() > deadline:
            raise AssertionError("the validation run did not finish")
        await pilot.pause(0.05)


async def type_into(pilot, selector: str, text: str) -> None:
    """Focus a field and type ``text`` key by key, as a user would."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.pause()
    await pilot.press(*["space" if c == " " else c for c in text])


async def type_component(
    pilot, name: str = "redis-cache", chart: str = "redis", url: str = "https://charts.bitnami.com/bitnami"
) -> None:
    await type_into(pilot, "#name", name)
    await type_into(pilot, "#chart", chart)
    await type_into(pilot, "#repo-url", url)
    await settle(pilot)


async def stable(pilot, tries: int = 30) -> None:
    """Wait until two screenshots 50 ms apart are identical (late layouts, scrollbar thumbs)."""
    last = None
    for _ in range(tries):
        await pilot.pause(0.05)
        shot = pilot.app.export_screenshot()
        if shot == last:
            return
        last = shot


async def wait_for(pilot, condition, timeout: float = 15.0, what: str = "condition") -> None:
    """Pause until ``condition()`` is true; fail naming ``what`` after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def confirm_write(pilot, polls: int = 20) -> None:
    """Press Write, check the confirmation appears, confirm, and wait for the written screen."""
    from infra_tui.screens.modals import WriteConfirmScreen, WrittenScreen

    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, WriteConfirmScreen)
    await pilot.press("y")
    for _ in range(polls):
        await pilot.pause(0.05)
        if isinstance(pilot.app.screen, WrittenScreen):
            break
    assert isinstance(pilot.app.screen, WrittenScreen)
