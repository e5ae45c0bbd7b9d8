"""``infra-tui remove COMPONENT``: plan taking a component out (its folder, its -monitoring split,
its Flux Kustomizations in every env); print the diff and summary; write only with ``--write``."""

from __future__ import annotations

import argparse
import sys

from infra_tui.commands.context import known_component, load_repo, refuse_bad_input
from infra_tui.commands.new import add_output_arguments, emit
from infra_tui.core import remove as remove_mod

NAME = "remove"
HELP = "plan removing a component (folder, -monitoring split, its Flux Kustomizations in every env); --write writes it"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("component", metavar="COMPONENT", help="the component's Flux Kustomization name")
    add_output_arguments(p)


def run(args: argparse.Namespace) -> int:
    repo = load_repo(args)
    refuse_bad_input(repo, "remove")
    known_component(repo, args.component)
    args.validate = False  # nothing is left to build
    plan = remove_mod.plan_remove(repo, args.component)
    if plan.refusals and args.format == "text":
        # the reason once, on one line: the summary's "Why" bullet and emit's "cannot be written"
        # would both repeat it
        print(f"infra-tui: {'; '.join(plan.refusals)}; nothing was written", file=sys.stderr)
        return 1
    return emit(plan, repo, args)
