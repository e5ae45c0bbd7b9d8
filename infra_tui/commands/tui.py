"""``infra-tui`` (no command) / ``infra-tui tui``: the wizard and live preview on a repo.

With ``clusters.<env>.host`` in ``.infra-tui.yaml`` or ``--host`` (the same SSH flags as
``infra-tui status``) the Cluster tab and the graph show the live Flux status, read-only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from infra_tui import gc_pause
from infra_tui.commands.context import require_terminal
from infra_tui.commands.ssh_flags import add_ssh_arguments, ssh_overrides
from infra_tui.core.roots import flat_root
from infra_tui.core.tui_flags import WatchRequest, parse_duration
from infra_tui.errors import UserError
from infra_tui.services import preread as preread_mod

NAME = "tui"
HELP = "the interactive wizard, bootstrap graph and live diff (the default command)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_ssh_arguments(parser)
    parser.add_argument(
        "--timeout", metavar="S", default="20s", help="per-poll timeout of the cluster status (default 20s)"
    )


def run(args: argparse.Namespace) -> int:
    require_terminal()
    start = Path(args.repo) if args.repo else Path.cwd()
    # a flat repo is found without the repo model's modules: the app imports them in its loader
    # thread, after the first frame
    root = flat_root(start)
    if root is None:
        from infra_tui.core import repo as repo_mod

        root = repo_mod.find_root(start)
    try:
        timeout = parse_duration(args.timeout)
    except ValueError as exc:
        raise UserError(f"--timeout: {exc}") from None
    request = WatchRequest(
        {k: v for k, v in ssh_overrides(args).items() if v is not None},
        accept_new_host_key=args.accept_new_host_key,
        timeout=timeout,
    )
    # The graph the last start kept (a warm start), else a child that reads the repo's graph on
    # another core while this process imports Textual (a cold start): both before that import
    with preread_mod.for_start(root, args.env) as (kept, preread), gc_pause.paused():
        # the collector stays off until the app's start-up is over (``InfraApp._thaw``)
        from infra_tui.app import InfraApp  # keep `infra-tui --help` free of Textual

        result = InfraApp(root, env=args.env, cluster=request, kept=kept, preread=preread).run()
    return int(result or 0)
