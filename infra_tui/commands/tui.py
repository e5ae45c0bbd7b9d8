"""``infra-tui`` (no command) / ``infra-tui tui``: the wizard and live preview on a repo."""

from __future__ import annotations

import argparse
from pathlib import Path

from infra_tui.core import repo as repo_mod

NAME = "tui"
HELP = "the interactive wizard, bootstrap graph and live diff (the default command)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults()


def run(args: argparse.Namespace) -> int:
    root = repo_mod.find_root(Path(args.repo) if args.repo else Path.cwd())
    from infra_tui.app import InfraApp  # noqa: PLC0415 - keep `infra-tui --help` free of Textual

    result = InfraApp(root, env=args.env).run()
    return int(result or 0)
