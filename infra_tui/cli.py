"""The ``infra-tui`` command line: one sub-command per module in ``infra_tui.commands``.

Each command module exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Exit codes: 0 ok; 1 findings / failed validation / plan refused; 2 usage or unreadable input.
Bad input never shows a traceback: a ``UserError`` becomes one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from infra_tui.errors import UserError

COMMANDS: dict[str, str] = {
    "tui": "the interactive wizard, bootstrap graph and live diff (the default command)",
    "demo": "the TUI on a copy of the bundled demo repo (or of --repo R) with a simulated bootstrap (no cluster needed)",
    "graph": "print the bootstrap layers (longest dependsOn chain), cycles and missing dependencies",
    "lint": "check the house patterns (CRD dependsOn, monitoring split, Helm anti-patterns, ...); exit 1 on any error",
    "new": "plan a new component (from --spec FILE or --plain prompts): print the diff and summary; --write writes it",
    "edit": "plan a change to an existing component (from --spec FILE or --plain prompts); --write writes it",
    "remove": "plan removing a component (folder, -monitoring split, its Flux Kustomizations in every env); --write writes it",
    "validate": "kustomize build + dry-run (offline schemas, local kube context, or over SSH) of components",
    "status": "read-only Flux status (Kustomizations, HelmReleases) of the cluster over SSH (or from a saved kubectl JSON)",
    "simulate": "simulate the Flux bootstrap of an env: when each Kustomization starts, becomes ready or fails",
    "learn": "what the repo teaches: CRD providers, webhooks, house style, similar services; --write saves .infra-tui.learned.yaml",
    "trust": "trust this repo's .infra-tui.yaml as it is now (hash recorded in the user's config dir): its ssh and kubectl settings apply until it changes",
}
"""Command name -> its ``HELP``, in the order of `infra-tui --help`. A static copy (a test keeps it
equal to the modules' ``NAME``/``HELP``) so that start-up imports only the command that runs: the
modules pull in Textual, jsonschema, questionary, the SSH client..."""


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"infra_tui.commands.{name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="infra-tui",
        description="Wizard and cockpit for a flat Flux CD GitOps repo. Without a command: the TUI.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text, command=name)
    return parser


class _CommandParser(argparse.ArgumentParser):
    """A command's parser: imports the command's module and adds its arguments only when argparse
    hands it the command line, i.e. only for the command that runs."""

    def __init__(self, *args: Any, command: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._command = command

    def parse_known_args(
        self, args: Iterable[str] | None = None, namespace: Any = None
    ) -> tuple[Any, list[str]]:  # Any: argparse's overloads return the namespace type passed in
        if self._command is not None:
            name, self._command = self._command, None
            module = _load(name)
            add_common_arguments(self)
            module.add_arguments(self)
            self.set_defaults(run_command=module.run)
        return super().parse_known_args(args, namespace)


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", metavar="PATH", help="repo root (default: found by walking up from the cwd)")
    p.add_argument("--env", metavar="NAME", help="cluster env under clusters/ (default: the primary one)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["tui", *argv]  # `infra-tui --repo R --host H`: flags of the default command
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run_command", None):  # no command: the TUI
        args = parser.parse_args(["tui", *argv])
    from infra_tui import exit_signals

    try:
        with exit_signals.like_sigint():
            code = int(args.run_command(args) or 0)
        return exit_signals.exit_status(code)
    except UserError as exc:
        print(f"infra-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `infra-tui graph | head`: the reader left; that is not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            print("infra-tui: interrupted; no changes were made", file=sys.stderr)
        return exit_signals.exit_status(130)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
