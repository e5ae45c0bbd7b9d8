"""``infra-tui graph``: the bootstrap layers of one env."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from infra_tui.commands.context import (
    add_path_argument,
    add_undeployed_argument,
    load_repo,
    pick_env,
    print_undeployed,
    report_problems,
    undeployed,
)
from infra_tui.core import graph as graph_mod
from infra_tui.core.model import short_name

NAME = "graph"
HELP = "print the bootstrap layers (longest dependsOn chain), cycles and missing dependencies"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_path_argument(p)
    p.add_argument("--format", choices=["text", "json", "mermaid", "dot"], default="text")
    add_undeployed_argument(p)


def render_tree(g: graph_mod.Graph) -> Tree:
    """The layers as a rich tree: each node with its direct dependencies."""
    critical = set(g.critical_path())
    cyclic = {n for c in g.cycles for n in c}
    missing_from: dict[str, list[str]] = {}
    for m in g.missing:
        missing_from.setdefault(m.source, []).append(m.target)
    root = Tree(Text(f"env {g.env}: {len(g.nodes)} Kustomizations, {len(g.layers)} layers", style="bold"))
    for i, layer in enumerate(g.layers):
        branch = root.add(Text(f"layer {i}  ({len(layer)})", style="bold cyan"))
        for nid in layer:
            label = Text(
                short_name(nid),
                style="bold red" if nid in cyclic else ("bold yellow" if nid in critical else ""),
            )
            if not nid.startswith("flux-system/"):
                label.append(f"  [{nid.split('/')[0]}]", style="dim")
            deps = g.deps.get(nid, [])
            if deps:
                label.append("  <- " + ", ".join(short_name(d) for d in deps), style="dim")
            for target in missing_from.get(nid, []):
                label.append(f"  <- {short_name(target)} (missing)", style="bold red")
            branch.add(label)
    if g.cycles:
        c = root.add(Text("cycles", style="bold red"))
        for cycle in g.cycles:
            c.add(Text(" -> ".join(short_name(n) for n in cycle), style="red"))
    if g.critical_path():
        root.add(
            Text("critical path: " + " -> ".join(short_name(n) for n in g.critical_path()), style="yellow")
        )
    return root


def run(args: argparse.Namespace) -> int:
    repo = load_repo(args)
    env = pick_env(repo, args.env)
    g = graph_mod.build(env)
    rows = undeployed(repo, env) if args.show_undeployed else None
    if args.format == "json":
        data = graph_mod.to_dict(g)
        data["envs"] = list(repo.envs)
        data["out_of_reach"] = [{"id": k, "reason": why} for k, why in sorted(env.out_of_reach.items())]
        if rows is not None:
            data["undeployed"] = rows
        print(json.dumps(data, indent=2))
    elif args.format == "mermaid":
        print(graph_mod.to_mermaid(g), end="")
    elif args.format == "dot":
        print(graph_mod.to_dot(g), end="")
    else:
        Console().print(render_tree(g))
        if len(repo.envs) > 1:
            print(f"envs: {', '.join(repo.envs)} (pick one with --env NAME)")
        if env.out_of_reach:
            print(f"out of reach ({len(env.out_of_reach)}): content not read from this repo")
            for nid, why in sorted(env.out_of_reach.items()):
                print(f"  {short_name(nid)}: {why}")
    if rows is not None and args.format != "json":
        print_undeployed(rows)
    bad_input = report_problems(repo)
    if bad_input:
        return bad_input
    return 1 if (g.cycles or g.missing) else 0
