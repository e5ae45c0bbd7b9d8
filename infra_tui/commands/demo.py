"""``infra-tui demo``: the TUI on a copy of the bundled demo repo, with a simulated cluster."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from infra_tui.errors import UserError

NAME = "demo"
HELP = "the TUI on a copy of the bundled demo repo (or of --repo R) with a simulated bootstrap (no cluster needed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--into",
        metavar="DIR",
        help="copy the demo repo here (an empty or new directory) instead of a temp dir",
    )
    parser.add_argument("--paused", action="store_true", help="start with the simulation paused")


def _target(into: Path | None, name: str) -> Path:
    if into is None:
        return Path(tempfile.mkdtemp(prefix="infra-tui-demo-")) / name
    target = into.expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UserError(f"{target} exists and is not empty; pass --into a new or empty directory")
    return target


def copy_repo(repo: Path, into: Path | None) -> Path:
    """Copy the Flux repo holding ``repo`` (any layout ``repo.load`` reads) to ``into`` (or a new
    temp dir), without its Git history: the demo simulates that repo's own bootstrap, and the
    wizard writes, if at all, only into the copy."""
    from infra_tui.core import repo as repo_mod

    if not repo.is_dir():
        raise UserError(f"--repo {repo}: no such directory")
    root = repo_mod.find_root(repo)
    target = _target(into, root.name or "repo")
    shutil.copytree(root, target, dirs_exist_ok=True, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    _git_init(target)
    return target


def copy_demo(into: Path | None) -> Path:
    """Copy templates/demo to ``into`` (or a new temp dir) and make it a git repo when git exists."""
    target = _target(into, "demo-repo")
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
    into = Path(args.into) if args.into else None
    root = copy_repo(Path(args.repo), into) if getattr(args, "repo", None) else copy_demo(into)
    from infra_tui import gc_pause
    from infra_tui.services import preread as preread_mod

    # a fresh copy: nothing kept; its graph read by a child on another core while Textual loads
    with preread_mod.for_start(root, args.env, keep=False) as (kept, preread), gc_pause.paused():
        # the collector stays off until the app's start-up is over (``InfraApp._thaw``)
        from infra_tui.app import DemoApp  # keep `infra-tui --help` free of Textual

        result = DemoApp(root, env=args.env, autoplay=not args.paused, kept=kept, preread=preread).run()
    print(
        f"infra-tui demo: the {'copy of the repo' if getattr(args, 'repo', None) else 'demo repo'} stays at {root}"
    )
    return int(result or 0)
