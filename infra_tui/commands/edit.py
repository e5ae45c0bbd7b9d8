"""``infra-tui edit COMPONENT``: plan a change to an existing component (chart version, values,
timeout, dependsOn, webhook CNP, monitoring split, CRD kinds); print the diff and summary; write
only with ``--write``."""

from __future__ import annotations

import argparse
import sys

from infra_tui.commands.context import (
    known_component,
    load_repo,
    pick_env,
    refuse_bad_input,
    require_terminal,
)
from infra_tui.commands.new import add_output_arguments, emit
from infra_tui.core import edit as edit_mod
from infra_tui.core import spec as spec_mod
from infra_tui.errors import UserError

NAME = "edit"
HELP = "plan a change to an existing component (from --spec FILE or --plain prompts); --write writes it"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("component", metavar="COMPONENT", help="the component's Flux Kustomization name")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--spec", metavar="FILE", help="edit spec: only the fields to change, keys as in the component spec"
    )
    src.add_argument(
        "--plain", action="store_true", help="ask with terminal prompts, prefilled from the repo"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="allow removing a dependency a CRD rule needs, or a change that adds lint findings",
    )
    add_output_arguments(p)


def run(args: argparse.Namespace) -> int:
    if not args.spec and not args.plain:
        return run_tui(args)
    repo = load_repo(args)
    refuse_bad_input(repo, "edit")
    if args.env:
        pick_env(repo, args.env)
    known_component(repo, args.component)
    if args.plain:
        from infra_tui import prompts

        try:
            spec = prompts.ask_edit_spec(repo, args.component, env=args.env)
        except EOFError:
            raise UserError(
                "--plain: input ended (Ctrl-D, or stdin is not a terminal) before the questions were answered; no changes were made (use --spec FILE without a terminal)"
            ) from None
        except KeyboardInterrupt:
            print("infra-tui: cancelled; no changes were made", file=sys.stderr)
            return 130
    else:
        spec = spec_mod.load_edit_file(args.spec, args.component)
    plan = edit_mod.plan_edit(repo, args.component, spec, env=args.env, force=args.force)
    return emit(plan, repo, args)


def run_tui(args: argparse.Namespace) -> int:
    """Neither --spec nor --plain: the TUI, opened on the component's edit screen."""
    require_terminal()
    repo = load_repo(args)
    if args.env:
        pick_env(repo, args.env)
    known_component(repo, args.component)
    from infra_tui.app import InfraApp  # keep `infra-tui --help` free of Textual

    return int(InfraApp(repo.root, env=args.env, open_component=args.component).run() or 0)
