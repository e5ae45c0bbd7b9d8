"""The Kustomizations of a simulated bootstrap as the simulation sees them (``Node``): effective
dependsOn, timeouts, what they apply and which CRDs they need from which provider, built from the
graph and the repo's component folders (``build_nodes``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from infra_tui.core.graph import Graph
from infra_tui.core.model import Repo, Resource, mapping, short_name
from infra_tui.core.rules import load_rules
from infra_tui.core.sim_timeline import DEFAULT_INTERVAL, DEFAULT_TIMEOUT, parse_go_duration

# Kinds whose CRDs come with Flux itself: always installed before any Kustomization runs.
FLUX_GROUPS = ("toolkit.fluxcd.io",)

_CLUSTER_SCOPED = {
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterIssuer",
    "CiliumClusterwideNetworkPolicy",
    "ClusterPolicy",
    "ConstraintTemplate",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}


def object_namespace(r: Resource, default_ns: str | None) -> str | None:
    return None if r.kind in _CLUSTER_SCOPED else (r.namespace or default_ns)


# --------------------------------------------------------------------------- providers


ProviderLookup = Callable[[str], "str | None"]


def crd_provider_lookup(repo: Repo | None = None) -> ProviderLookup:
    """``kind -> provider Kustomization name`` from the rules (templates/rules.yaml + the repo's
    ``.infra-tui.yaml`` additions)."""
    return load_rules(repo).provider_for_kind


# --------------------------------------------------------------------------- inputs


@dataclass
class Node:
    id: str
    namespace: str
    deps: list[str]  # effective dependsOn ids, spec order (includes ones missing from the graph)
    wait: bool
    timeout: float
    retry: float
    suspended: bool
    resources: list[Resource] | None  # None: contents unknown
    target_namespace: str | None = None
    crd_needs: list[tuple[Resource, str]] = field(default_factory=list)  # (custom resource, provider id)


def contents_of(repo: Repo, graph: Graph) -> dict[str, list[Resource]]:
    """The resources each Kustomization applies, where its component folder could be read."""
    out: dict[str, list[Resource]] = {}
    for nid, ks in graph.nodes.items():
        comp = repo.component_for(ks)
        if comp is not None:
            out[nid] = list(comp.resources)
    return out


def provider_id(graph: Graph, name: str, namespace: str) -> str | None:
    cand = f"{namespace}/{name}"
    if cand in graph.nodes:
        return cand
    return graph.resolve(name)


def build_nodes(
    graph: Graph,
    contents: Mapping[str, Sequence[Resource]],
    providers: ProviderLookup,
    remove_deps: Mapping[str, set[str]],
) -> dict[str, Node]:
    # CRDs shipped by a component of the repo itself: kind -> the Kustomization that applies them.
    crd_owner: dict[tuple[str, str], str] = {}
    for nid, shipped in contents.items():
        for r in shipped:
            if r.kind == "CustomResourceDefinition":
                spec = mapping(r.data.get("spec"))
                names = mapping(spec.get("names"))
                if names.get("kind") and spec.get("group"):
                    crd_owner[(str(spec["group"]), str(names["kind"]))] = nid
    nodes: dict[str, Node] = {}
    for nid, ks in graph.nodes.items():
        removed = remove_deps.get(nid, set())
        deps = [d for d in ks.depends_on_ids if d not in removed]
        interval = parse_go_duration(ks.interval, DEFAULT_INTERVAL)
        res = list(contents[nid]) if nid in contents else None
        node = Node(
            id=nid,
            namespace=ks.namespace,
            deps=list(dict.fromkeys(deps)),
            wait=bool(ks.wait),
            timeout=parse_go_duration(
                ks.timeout, interval if ks.timeout is None and ks.interval else DEFAULT_TIMEOUT
            ),
            retry=parse_go_duration(ks.retry_interval, interval),
            suspended=ks.suspend,
            resources=res,
            target_namespace=(ks.data.get("spec") or {}).get("targetNamespace")
            if isinstance(ks.data.get("spec"), dict)
            else None,
        )
        own_crds = {
            (r.data.get("spec", {}) or {}).get("names", {}).get("kind")
            for r in res or []
            if r.kind == "CustomResourceDefinition"
        }
        for r in res or []:
            group = r.group
            if not group or any(group.endswith(g) for g in FLUX_GROUPS) or r.kind in own_crds:
                continue
            prov: str | None = crd_owner.get((group, r.kind))
            if prov is None:
                pname = providers(r.kind)
                prov = provider_id(graph, pname, ks.namespace) if pname else None
            if prov and prov != nid:
                node.crd_needs.append((r, prov))
        nodes[nid] = node
    return nodes


def fmt_object(r: Resource, node: Node) -> str:
    """``<Kind>/<namespace>/<name>`` as fluxcd/pkg ssa/utils ``FmtObjMetadata``; cluster-scoped: ``<Kind>/<name>``."""
    ns = object_namespace(r, node.target_namespace or short_name(node.id))
    return f"{r.kind}/{ns}/{r.name}" if ns else f"{r.kind}/{r.name}"
