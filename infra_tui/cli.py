"""The ``infra-tui`` command line: one sub-command per module in ``infra_tui.commands``.

Each command module exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Exit codes: 0 ok; 1 findings / failed validation / plan refused; 2 usage or unreadable input.
Bad input never shows a traceback: a ``UserError`` becomes one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from infra_tui.errors import UserError

# Order is the order of `infra-tui --help`.
COMMANDS = ["tui", "demo", "graph", "lint", "new", "edit", "validate", "status", "simulate"]


def _load(name: str):
    try:
        return importlib.import_module(f"infra_tui.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"infra_tui.commands.{name}":
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="infra-tui",
        description="Wizard and cockpit for a flat Flux CD GitOps repo. Without a command: the TUI.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _load(name)
        if module is None:
            continue
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        add_common_arguments(p)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", metavar="PATH", help="repo root (default: found by walking up from the cwd)")
    p.add_argument("--env", metavar="NAME", help="cluster env under clusters/ (default: the primary one)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        tui = _load("tui")
        if tui is None:
            parser.print_help()
            return 0
        args = parser.parse_args(["tui", *argv])
    try:
        return int(args._run(args) or 0)
    except UserError as exc:
        print(f"infra-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `infra-tui graph | head`: the reader left; that is not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("infra-tui: interrupted; no changes were made", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
