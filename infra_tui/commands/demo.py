"""``infra-tui demo``: the TUI on a copy of the bundled demo repo, with a simulated cluster."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from infra_tui.errors import UserError

NAME = "demo"
HELP = "the TUI on a copy of the bundled demo repo with a simulated bootstrap (no cluster needed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--into",
        metavar="DIR",
        help="copy the demo repo here (an empty or new directory) instead of a temp dir",
    )
    parser.add_argument("--paused", action="store_true", help="start with the simulation paused")


def copy_demo(into: Path | None) -> Path:
    """Copy templates/demo to ``into`` (or a new temp dir) and make it a git repo when git exists."""
    if into is None:
        target = Path(tempfile.mkdtemp(prefix="infra-tui-demo-")) / "demo-repo"
    else:
        target = into.expanduser().resolve()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise UserError(f"{target} exists and is not empty; pass --into a new or empty directory")
    source = resources.files("infra_tui.templates") / "demo"
    with resources.as_file(source) as src:
        if not Path(src, "clusters").is_dir():
            raise UserError(
                "the bundled demo repo is missing from this install (infra_tui/templates/demo); reinstall infra-tui"
            )
        shutil.copytree(
            src, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "__init__.py")
        )
    _git_init(target)
    return target


def _git_init(root: Path) -> None:
    """A first commit, so the app can show what the wizard wrote with `git status`."""
    from infra_tui.services.git import SAFE_OPTIONS
    from infra_tui.services.proc import Command, CommandNotFound, run_command_sync

    ident = [
        "-c",
        "user.name=infra-tui demo",
        "-c",
        "user.email=demo@infra-tui.invalid",
        "-c",
        "commit.gpgsign=false",
    ]
    git = ["git", *SAFE_OPTIONS]  # no hooks, no fsmonitor: --into may name a folder we did not make
    try:
        for argv in ([*git, "init", "-q"], [*git, "add", "-A"], [*git, *ident, "commit", "-qm", "demo repo"]):
            if run_command_sync(Command(argv, cwd=root, timeout=20)).returncode != 0:
                return
    except CommandNotFound:
        return


def run(args: argparse.Namespace) -> int:
    from infra_tui.commands.context import require_terminal

    require_terminal()  # before copying: nothing to leave behind
    root = copy_demo(Path(args.into) if args.into else None)
    from infra_tui.app import DemoApp  # keep `infra-tui --help` free of Textual

    result = DemoApp(root, env=args.env, autoplay=not args.paused).run()
    print(f"infra-tui demo: the demo repo stays at {root}")
    return int(result or 0)
