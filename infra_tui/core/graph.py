"""The bootstrap graph of one env: Flux Kustomizations and their dependsOn edges.

Layer 0 holds what depends on nothing; a Kustomization's layer is the length of its longest
dependsOn chain. Strongly connected components (cycles) are condensed first, so a cycle never
hangs the layering: every member of a cycle shares one layer and the cycle is reported as a path
(``a -> b -> c -> a``). Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from infra_tui.core.model import Env, FluxKustomization, short_name


@dataclass(frozen=True)
class MissingDependency:
    source: str  # the dependant
    target: str  # what it names and does not exist
    cross_kind: bool = False  # the target exists as a HelmRelease, not a Kustomization


@dataclass
class Graph:
    """Nodes are Kustomization ids (``namespace/name``)."""

    env: str
    nodes: dict[str, FluxKustomization]
    deps: dict[str, list[str]]  # id -> existing dependency ids (order kept)
    dependants: dict[str, list[str]]
    layer: dict[str, int]
    layers: list[list[str]]
    cycles: list[list[str]]  # each a closed path: [a, b, c, a]
    missing: list[MissingDependency] = field(default_factory=list)

    # -- queries ------------------------------------------------------------------------

    def ancestors(self, node: str) -> set[str]:
        """Everything ``node`` waits for, directly or not."""
        return _reach(node, self.deps)

    def descendants(self, node: str) -> set[str]:
        """Everything that waits for ``node``: its blast radius."""
        return _reach(node, self.dependants)

    def critical_path(self) -> list[str]:
        """The longest dependsOn chain, from layer 0 to the deepest node."""
        if not self.layer:
            return []
        end = max(sorted(self.layer), key=lambda n: self.layer[n])
        path = [end]
        while True:
            cur = path[-1]
            below = [
                d
                for d in self.deps.get(cur, [])
                if self.layer.get(d, -1) == self.layer[cur] - 1 and d not in path
            ]
            if not below:
                break
            path.append(sorted(below)[0])
        return list(reversed(path))

    def in_cycle(self, node: str) -> bool:
        return any(node in c for c in self.cycles)

    def resolve(self, name: str) -> str | None:
        """Id of a node given its id or plain name (first match by name)."""
        if name in self.nodes:
            return name
        for nid in self.nodes:
            if short_name(nid) == name:
                return nid
        return None

    @property
    def depth(self) -> int:
        """Longest chain in edges (the deepest layer)."""
        return max(self.layer.values(), default=0)


def ids_by_name(g: Graph) -> dict[str, list[str]]:
    """The node ids of each plain name, in node order; made once per graph and shared: read it,
    never change it. Lint asks for it on every keystroke's before and after graphs."""
    kept = g.__dict__.get("_ids_by_name")
    if kept is None or kept[0] != len(g.nodes):
        by_name: dict[str, list[str]] = {}
        for nid in g.nodes:
            by_name.setdefault(short_name(nid), []).append(nid)
        kept = g.__dict__["_ids_by_name"] = (len(g.nodes), by_name)
    return kept[1]


def _reach(node: str, edges: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(edges.get(node, []))
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(edges.get(n, []))
    seen.discard(node)
    return seen


_BUILT: dict[int, tuple[Env, int, Graph]] = {}


def of_env(env: Env) -> Graph:
    """``build(env)``, remembered for the last few envs: an edit's preview asks for the graph of
    the same loaded env on every keystroke (~5 ms each on 300 Kustomizations). An env is not
    changed after loading; the count of its Kustomizations guards against one that is."""
    hit = _BUILT.get(id(env))
    if hit is not None and hit[0] is env and hit[1] == len(env.kustomizations):
        return hit[2]
    g = build(env)
    if len(_BUILT) >= 8:
        _BUILT.pop(next(iter(_BUILT)))
    _BUILT[id(env)] = (env, len(env.kustomizations), g)
    return g


def build(env: Env, extra: list[FluxKustomization] | None = None) -> Graph:
    """Build the graph of ``env`` (plus ``extra`` Kustomizations a plan would add)."""
    kss = list(env.kustomizations) + list(extra or [])
    nodes: dict[str, FluxKustomization] = {}
    for k in kss:
        nodes.setdefault(k.id, k)
    deps: dict[str, list[str]] = {n: [] for n in nodes}
    dependants: dict[str, list[str]] = {n: [] for n in nodes}
    missing: list[MissingDependency] = []
    short = {n: short_name(n) for n in nodes}  # once per node: the layer sort asks for each
    ks_names = set(short.values())
    release_names = {short_name(h) for h in env.helmrelease_ids}

    def names_a_release(target: str) -> bool:
        # usually written without the release's namespace, so match by name when no
        # Kustomization carries that name (otherwise it is a typo'd namespace)
        return target in env.helmrelease_ids or (
            short_name(target) not in ks_names and short_name(target) in release_names
        )

    for nid, k in nodes.items():
        own = deps[nid]
        for dep in k.depends_on:
            target = dep.target
            if target in nodes:
                if target not in own:
                    own.append(target)
                    dependants[target].append(nid)
            else:
                missing.append(MissingDependency(nid, target, cross_kind=names_a_release(target)))
    cycles: list[list[str]] = []
    layer = _acyclic_layers(deps, dependants)
    if layer is None:
        layer, cycles = _condensed_layers(deps)
    layers: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for n in sorted(nodes, key=lambda x: (layer[x], short[x], x)):
        layers[layer[n]].append(n)
    return Graph(env.name, nodes, deps, dependants, layer, layers, cycles, missing)


def _acyclic_layers(deps: dict[str, list[str]], dependants: dict[str, list[str]]) -> dict[str, int] | None:
    """Each node's layer, taking the nodes in dependency order (Kahn); None when a cycle stops it.
    The usual case, and several times cheaper than condensing the components first."""
    waiting = {n: len(d) for n, d in deps.items()}
    ready = [n for n, w in waiting.items() if not w]
    layer = dict.fromkeys(ready, 0)
    for n in ready:  # grows while it is walked
        below = layer[n] + 1
        for m in dependants[n]:
            if layer.get(m, -1) < below:
                layer[m] = below
            waiting[m] -= 1
            if not waiting[m]:
                ready.append(m)
    if len(ready) != len(deps):
        return None
    return {n: layer[n] for n in deps}  # in node order, as the condensed path gives it


def _condensed_layers(deps: dict[str, list[str]]) -> tuple[dict[str, int], list[list[str]]]:
    """Each node's layer and the cycles, with every strongly connected component (a cycle) as one
    node: its members share a layer."""
    sccs = _tarjan(list(deps), deps)
    comp_of = {n: i for i, comp in enumerate(sccs) for n in comp}
    cycles = [_cycle_path(comp, deps) for comp in sccs if len(comp) > 1 or comp[0] in deps[comp[0]]]
    # Tarjan emits components in reverse topological order: dependencies first.
    comp_layer: list[int] = []
    for i, comp in enumerate(sccs):
        best = 0
        for n in comp:
            for d in deps[n]:
                c = comp_of[d]
                if c != i and comp_layer[c] + 1 > best:
                    best = comp_layer[c] + 1
        comp_layer.append(best)
    return {n: comp_layer[comp_of[n]] for n in deps}, cycles


def _tarjan(nodes: list[str], deps: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components, iteratively (no recursion limit on deep repos)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(deps[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for d in it:
                if d not in index:
                    index[d] = low[d] = counter
                    counter += 1
                    stack.append(d)
                    on_stack.add(d)
                    work.append((d, iter(deps[d])))
                    advanced = True
                    break
                if d in on_stack:
                    low[node] = min(low[node], index[d])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(sorted(comp))
    return out


def _cycle_path(comp: list[str], deps: dict[str, list[str]]) -> list[str]:
    """A closed path through a strongly connected component, starting at its smallest id."""
    members = set(comp)
    start = comp[0]
    # BFS from start's dependencies back to start, inside the component
    prev: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        nxt = []
        for n in frontier:
            for d in deps[n]:
                if d not in members:
                    continue
                if d == start:
                    path = [n]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    path.reverse()
                    return [*path, start]
                if d not in seen:
                    seen.add(d)
                    prev[d] = n
                    nxt.append(d)
        frontier = nxt
    return [start, start]


# --------------------------------------------------------------------------- output formats


def to_dict(g: Graph) -> dict[str, Any]:
    """The JSON shape of DESIGN.md."""
    return {
        "env": g.env,
        "kustomizations": [
            {
                "name": k.name,
                "namespace": k.namespace,
                "path": k.path,
                "file": k.file,
                "line": k.line,
                "dependsOn": k.depends_on_ids,
                "layer": g.layer[nid],
            }
            for nid, k in sorted(g.nodes.items(), key=lambda kv: (g.layer[kv[0]], kv[0]))
        ],
        "layers": g.layers,
        "cycles": g.cycles,
        "missing": [{"from": m.source, "to": m.target, "cross_kind": m.cross_kind} for m in g.missing],
        "critical_path": g.critical_path(),
    }


def to_json(g: Graph) -> str:
    return json.dumps(to_dict(g), indent=2)


_MERMAID_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._/-()")


def _mermaid_text(text: str) -> str:
    """A Mermaid label: every character that could end the label or start markup as an entity
    code (names come from the repo and may hold quotes and brackets)."""
    return "".join(c if c in _MERMAID_SAFE else f"#{ord(c)};" for c in text)


def to_mermaid(g: Graph) -> str:
    ids: dict[str, str] = {}
    taken: set[str] = set()

    def node_id(nid: str) -> str:  # plain and unique, whatever the name holds
        if nid not in ids:
            base = "n_" + "".join(c if c.isascii() and c.isalnum() else "_" for c in nid)
            mid, k = base, 1
            while mid in taken:
                mid, k = f"{base}_{k}", k + 1
            ids[nid] = mid
            taken.add(mid)
        return ids[nid]

    lines = ["flowchart BT"]
    for i, layer in enumerate(g.layers):
        lines.append(f'  subgraph L{i}["layer {i}"]')
        for nid in layer:
            lines.append(f'    {node_id(nid)}["{_mermaid_text(short_name(nid))}"]')
        lines.append("  end")
    for nid in g.nodes:
        for d in g.deps[nid]:
            lines.append(f"  {node_id(nid)} --> {node_id(d)}")
    for m in g.missing:
        lines.append(
            f'  {node_id(m.source)} -.-> {node_id(m.target)}["{_mermaid_text(short_name(m.target))} (missing)"]'
        )
    return "\n".join(lines) + "\n"


def _dot(text: str) -> str:
    """A DOT quoted string (ids and labels come from the repo and may hold quotes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


def to_dot(g: Graph) -> str:
    lines = ["digraph bootstrap {", "  rankdir=BT;", "  node [shape=box];"]
    for i, layer in enumerate(g.layers):
        lines.append(f"  subgraph layer_{i} {{ rank=same; " + " ".join(f"{_dot(n)};" for n in layer) + " }")
    cyc = {n for c in g.cycles for n in c}
    for nid in g.nodes:
        attrs = " [color=red]" if nid in cyc else ""
        lines.append(f"  {_dot(nid)} [label={_dot(short_name(nid))}]{attrs};")
    for nid in g.nodes:
        for d in g.deps[nid]:
            lines.append(f"  {_dot(nid)} -> {_dot(d)};")
    for m in g.missing:
        lines.append(
            f"  {_dot(m.target)} [label={_dot(short_name(m.target) + ' (missing)')}, style=dashed, color=red];"
        )
        lines.append(f"  {_dot(m.source)} -> {_dot(m.target)} [style=dashed, color=red];")
    lines.append("}")
    return "\n".join(lines) + "\n"
