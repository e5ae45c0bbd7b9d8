"""What the cockpit's browser and findings views list: the env's Kustomizations with layer, cluster
state and finding counts; lint findings grouped by rule and component, each with why it matters
and what to do. Pure: no Textual, no subprocess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from infra_tui.core import graph as graph_mod
from infra_tui.core.model import Repo, short_name
from infra_tui.core.rules import Finding

WHY: dict[str, str] = {
    "dependency-cycle": "Flux never reconciles a Kustomization that waits for itself: the whole cycle and everything after it stays Not Ready.",
    "dependency-missing": "A dependsOn on nothing keeps the Kustomization waiting forever (DependencyNotReady).",
    "dependency-cross-kind": "dependsOn names Flux Kustomizations only; a HelmRelease name there never becomes ready.",
    "crd-dependency": "Its manifests use a CRD another Kustomization installs: applied first, they fail with 'no matches for kind'.",
    "monitoring-split": "PrometheusRule/ServiceMonitor need the monitoring CRDs: inside the component they tie its bootstrap to monitoring.",
    "monitoring-deps": "A -monitoring split must come after monitoring and its parent, and not block the bootstrap (wait: false, timeout 5m).",
    "chart-servicemonitor": "The chart's own ServiceMonitor needs the monitoring CRDs before the component installs; the house keeps it in the -monitoring split.",
    "helm-force": "upgrade.force deletes and recreates every resource of the release on each upgrade.",
    "helm-cleanup-on-fail": "cleanupOnFail can delete data on a transient failure.",
    "helm-uninstall-strategy": "The uninstall strategy removes everything on a failed upgrade.",
    "helm-remediate-last-failure": "remediateLastFailure can loop uninstall/install forever.",
    "helm-remediation-retries": "Without retries a transient install/upgrade failure leaves the release failed until someone acts.",
    "namespace-pss": "Without Pod Security labels the namespace runs pods the restricted profile would refuse.",
    "base-overlays": "The house keeps one flat folder per component; env differences are Flux patches, so overlays drift unseen.",
    "networkpolicy-apiserver": "Under Cilium's service DNAT, ipBlock rules never match the API server: the pods lose API access.",
    "webhook-cnp": "An admission webhook the API server cannot reach blocks every API call it intercepts.",
    "webhook-dependency": "Waiting for a webhook component only to be ordered after it slows the bootstrap; Flux retries instead.",
    "required-dependency": "A fact of the cluster: started together, one breaks the other (e.g. Cilium overwrites linkerd-cni's conflist).",
    "restart-annotation": "A dummy annotation restarts pods on every reconcile and hides the real cause.",
    "ks-shape": "The house Kustomization shape (prune: false, wait, timeout, sourceRef flux-system) keeps bootstrap order and deletions predictable.",
    "ks-name": "The API server refuses names that are not DNS-1123: Flux cannot apply it.",
    "duplicate-id": "Two definitions of one namespace/name: the last applied wins, silently.",
    "non-manifest-yaml": "Flux's generated kustomization decodes every YAML file of the folder: one that is no object fails the whole Kustomization.",
}
"""Why a rule matters, from spec/patterns.md and the brief (rule id -> one sentence)."""

FIX_DOES: dict[str, str] = {
    "crd-dependency": "add the provider to its dependsOn",
    "required-dependency": "add the required dependsOn",
    "monitoring-deps": "add the missing dependsOn / set the split's shape",
    "ks-shape": "set the house Kustomization shape",
    "monitoring-split": "move the monitoring resources to the -monitoring split",
    "chart-servicemonitor": "switch the chart's ServiceMonitor off",
    "helm-remediation-retries": "set install/upgrade remediation retries: 3",
    "namespace-pss": "add the Pod Security labels",
    "helm-force": "remove the key (REVIEW comment)",
    "helm-cleanup-on-fail": "remove the key (REVIEW comment)",
    "helm-uninstall-strategy": "remove the key (REVIEW comment)",
    "helm-remediate-last-failure": "remove the key (REVIEW comment)",
    "webhook-cnp": "add the allow-k8s-api CiliumNetworkPolicy",
}
"""What ``core.fix`` does for a fixable finding of the rule."""


def what_to_do(f: Finding) -> str:
    """What to do about ``f``: the automatic fix, or the manual step."""
    from infra_tui.core.fix import FIXED_BY_HAND  # ruamel.yaml: imported off the event loop by callers

    if f.fixable:
        return "fixable: " + FIX_DOES.get(f.rule, "the fix plan shows the change")
    return "by hand: " + FIXED_BY_HAND.get(f.rule, "see the message")


@dataclass
class Row:
    """One Kustomization of the env, as the browser lists it."""

    name: str
    id: str
    layer: int
    path: str
    depends_on: list[str]
    dependants: int
    state: str  # cluster state, "" when no cluster is attached
    errors: int
    warnings: int

    @property
    def findings(self) -> int:
        return self.errors + self.warnings


def rows(
    repo: Repo, env: str | None, findings: Iterable[Finding], states: dict[str, str] | None = None
) -> list[Row]:
    """Every Kustomization of ``env`` in bootstrap order (layer, name)."""
    env_obj = repo.env(env)
    g = graph_mod.build(env_obj)
    errors: dict[str, int] = {}
    warnings: dict[str, int] = {}
    for f in findings:
        if f.kustomization:
            counts = errors if f.severity == "error" else warnings
            counts[f.kustomization] = counts.get(f.kustomization, 0) + 1
    out = [
        Row(
            k.name,
            k.id,
            g.layer.get(k.id, 0),
            (k.path or "").removeprefix("./"),
            [short_name(d) for d in k.depends_on_ids],
            len(g.dependants.get(k.id, [])),
            (states or {}).get(k.id, ""),
            errors.get(k.id, 0),
            warnings.get(k.id, 0),
        )
        for k in env_obj.kustomizations
    ]
    return sorted(out, key=lambda r: (r.layer, r.name))


def grouped(findings: Iterable[Finding]) -> dict[str, dict[str, list[Finding]]]:
    """rule -> component name -> findings (rules and components in first-seen order of a sorted list)."""
    out: dict[str, dict[str, list[Finding]]] = {}
    for f in sorted(findings, key=lambda f: (f.rule, f.kustomization or "", f.file, f.line)):
        comp = (
            short_name(f.kustomization)
            if f.kustomization
            else f.file.split("/")[1]
            if f.file.count("/") > 1
            else f.file
        )
        out.setdefault(f.rule, {}).setdefault(comp, []).append(f)
    return out
