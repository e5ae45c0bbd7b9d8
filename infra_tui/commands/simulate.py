"""``infra-tui simulate``: the bootstrap of one env, simulated, as a timeline of layers."""

from __future__ import annotations

import argparse
import difflib
import json
from contextlib import ExitStack
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.text import Text

from infra_tui.commands.context import add_path_argument, load_repo, pick_env, report_problems
from infra_tui.core import graph as graph_mod
from infra_tui.core import simulate as sim
from infra_tui.core.model import short_name
from infra_tui.errors import UserError

NAME = "simulate"
HELP = "simulate the Flux bootstrap of an env: when each Kustomization starts, becomes ready or fails"

STATE_STYLE = {
    sim.READY: "green",
    sim.FAILED: "bold red",
    sim.WAITING: "yellow",
    sim.PROGRESSING: "cyan",
    sim.SUSPENDED: "dim",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_path_argument(p)
    p.add_argument(
        "--fail",
        metavar="NAME",
        nargs="+",
        action="extend",
        default=[],
        help="what-if: this Kustomization fails its health check (repeatable)",
    )
    p.add_argument(
        "--remove-dep",
        metavar="FROM:TO",
        nargs="+",
        action="extend",
        default=[],
        help="what-if: replay as if FROM did not dependsOn TO (repeatable)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the duration model (default 0)")
    p.add_argument(
        "--demo", action="store_true", help="simulate the bundled demo repo (unless --repo/--path)"
    )
    p.add_argument("--format", choices=["text", "json"], default="text")


def fmt_t(t: float | None) -> str:
    """``4.1s``, ``1m10s``, ``1h2m5s``; ``-`` for never."""
    if t is None:
        return "-"
    if t < 60:
        return f"{t:.1f}s"
    whole = int(round(t))
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m}m{s}s" if h else f"{m}m{s:02d}s"


def _closest(name: str, graph: graph_mod.Graph) -> str:
    names = sorted({short_name(n) for n in graph.nodes} | set(graph.nodes))
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    return (
        f"did you mean '{close[0]}'?"
        if close
        else f"Kustomizations here: {', '.join(sorted(short_name(n) for n in graph.nodes))}"
    )


def resolve_name(graph: graph_mod.Graph, name: str, flag: str) -> str:
    nid = graph.resolve(name)
    if nid is None:
        raise UserError(
            f"{flag} {name}: no Kustomization '{name}' in env {graph.env}; {_closest(name, graph)}"
        )
    return nid


def parse_remove_deps(graph: graph_mod.Graph, items: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in items:
        src, sep, tgt = item.partition(":")
        if not sep or not src or not tgt:
            raise UserError(f"--remove-dep {item}: write FROM:TO, e.g. --remove-dep cilium-config:cilium")
        sid = resolve_name(graph, src, "--remove-dep")
        deps = graph.nodes[sid].depends_on_ids
        tid = tgt if tgt in deps else next((d for d in deps if short_name(d) == tgt), None)
        if tid is None:
            listed = ", ".join(short_name(d) for d in deps) or "nothing"
            raise UserError(
                f"--remove-dep {item}: {short_name(sid)} does not dependsOn '{tgt}'; it depends on {listed}"
            )
        out.setdefault(sid, []).append(tid)
    return out


def render_text(timeline: sim.Timeline, graph: graph_mod.Graph, columns: int = 100) -> list[Text]:
    """The timeline as rich lines: per layer, each Kustomization with start, ready, state, a bar."""
    rows = sim.summarize(timeline, graph)
    end = max(timeline.end_time, 1.0)
    width = max((len(short_name(r.name)) for r in rows), default=10) + 2
    bar_width = max(10, min(40, columns - (2 + width + 8 + 8 + 12 + 2 + 12)))
    lines: list[Text] = []
    head = Text(f"bootstrap of env {graph.env}", style="bold")
    head.append(
        f"  seed {timeline.seed}, {len(graph.nodes)} Kustomizations, {len(graph.layers)} layers, "
        f"simulated end {fmt_t(timeline.end_time)}",
        style="dim",
    )
    lines.append(head)
    for f in timeline.fail:
        lines.append(Text(f"what-if: {short_name(f)} fails its health check", style="magenta"))
    for src, deps in timeline.remove_deps.items():
        for d in deps:
            lines.append(
                Text(f"what-if: {short_name(src)} without dependsOn {short_name(d)}", style="magenta")
            )
    lines.append(
        Text(
            "  "
            + "".ljust(width)
            + f"{'start':>7} {'ready':>7}  {'state':<12}0s"
            + " " * (bar_width - 1)
            + fmt_t(end),
            style="dim",
        )
    )
    by_layer: dict[int, list[sim.NodeSummary]] = {}
    for r in rows:
        by_layer.setdefault(r.layer, []).append(r)
    for layer in sorted(by_layer):
        lines.append(Text(f"layer {layer}", style="bold cyan"))
        for r in by_layer[layer]:
            style = STATE_STYLE.get(r.state, "")
            line = Text("  ")
            line.append(short_name(r.name).ljust(width), style="bold" if r.state == sim.READY else style)
            line.append(f"{fmt_t(r.started):>7} {fmt_t(r.ready):>7}  ", style="dim")
            line.append(r.state.ljust(12), style=style)
            line.append(_bar(r, end, bar_width), style=style)
            if r.attempts > 1:
                line.append(f" {r.attempts} runs", style="dim")
            lines.append(line)
            if r.state == sim.READY and r.attempts > 1:
                first = next((x for x in timeline.steps_for(r.name) if x.state == sim.FAILED), None)
                if first is not None:
                    why = Text("      ")
                    why.append(
                        f"recovered on retry; at {fmt_t(first.t)}: {first.reason}: "
                        f"{first.message.strip().splitlines()[0]}",
                        style="dim red",
                    )
                    lines.append(why)
            if r.state in (sim.FAILED, sim.WAITING, sim.SUSPENDED) and r.message:
                first_line = r.message.strip().splitlines()[0]
                why = Text("      ")
                why.append(
                    f"{r.reason}: {first_line}", style="red" if r.state == sim.FAILED else "dim yellow"
                )
                lines.append(why)
    c = timeline.counts()
    lines.append(
        Text(
            f"{c[sim.READY]} ready, {c[sim.FAILED]} failed, {c[sim.WAITING]} waiting"
            + (f", {c[sim.SUSPENDED]} suspended" if c[sim.SUSPENDED] else ""),
            style="bold",
        )
    )
    return lines


def _bar(r: sim.NodeSummary, end: float, width: int) -> str:
    """Where in the bootstrap it ran: from its first start to Ready (or to the end)."""
    if r.started is None:
        return "|" + " " * width + "|"
    a = min(int(r.started / end * width), width - 1)
    b = max(int((r.ready if r.ready is not None else end) / end * width), a + 1)
    fill = "█" if r.state == sim.READY else "░"
    return "|" + " " * a + fill * (b - a) + " " * (width - b) + "|"


def demo_root(stack: ExitStack) -> Path:
    """The bundled demo repo, as a real directory for as long as ``stack`` is open."""
    ref = resources.files("infra_tui.templates").joinpath("demo")
    if not ref.is_dir():
        raise UserError("the bundled demo repo is not installed (infra_tui/templates/demo); pass --repo PATH")
    return Path(stack.enter_context(resources.as_file(ref)))


def run(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        if args.demo and not args.repo and not args.path:
            args.repo = str(demo_root(stack))
        repo = load_repo(args)
        env = pick_env(repo, args.env)
        graph = graph_mod.build(env)
        fail = [resolve_name(graph, f, "--fail") for f in args.fail]
        remove = parse_remove_deps(graph, args.remove_dep)
        timeline = sim.simulate(
            graph,
            sim.contents_of(repo, graph),
            providers=sim.crd_provider_lookup(repo),
            seed=args.seed,
            fail=fail,
            remove_deps=remove,
        )
    if args.format == "json":
        out = timeline.to_dict()
        out["layers"] = graph.layers
        print(json.dumps(out, indent=2))
    else:
        console = Console(highlight=False)
        for line in render_text(timeline, graph, console.width):
            console.print(line, overflow="fold")
    bad_input = report_problems(repo)
    if bad_input:
        return bad_input
    return 0 if all(state == sim.READY for state in timeline.final.values()) else 1
