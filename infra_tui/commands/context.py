"""What every command needs first: the repo, the env, and a way to report what could not be read."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from infra_tui.core import repo as repo_mod
from infra_tui.core.model import Env, Repo
from infra_tui.errors import UserError


def add_path_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--path", metavar="DIR", action="append",
        help="read any Flux repo shape: every YAML below DIR is one cluster (repeat to join folders)",
    )


def load_repo(args: argparse.Namespace, *, with_components: bool = True) -> Repo:
    """The repo named by --repo / --path, or found from the cwd (with its settings)."""
    paths = getattr(args, "path", None)
    if paths:
        repo = repo_mod.load(getattr(args, "repo", None), paths=paths, with_components=with_components)
    else:
        root = Path(args.repo) if getattr(args, "repo", None) else Path.cwd()
        if not root.exists():
            raise UserError(f"--repo {root}: no such directory")
        repo = repo_mod.load(root, with_components=with_components)
    if not repo.envs:
        raise UserError(f"{repo.root}: no Flux Kustomizations found; is this a Flux repo?")
    return repo


def pick_env(repo: Repo, name: str | None) -> Env:
    try:
        return repo.env(name)
    except KeyError:
        names = sorted(repo.envs)
        close = difflib.get_close_matches(name or "", names, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UserError(f"env '{name}' does not exist; {hint}envs here: {', '.join(names)}") from None


def report_problems(repo: Repo) -> int:
    """Print each problem on one line to stderr; 2 if there were any (bad input), else 0."""
    for p in repo.problems:
        print(f"infra-tui: {p}", file=sys.stderr)
    return 2 if repo.problems else 0


def require_terminal() -> None:
    """The TUI draws on stdout and reads keys from stdin: refuse at once when either is not a
    terminal (a pipe, a file, cron, CI), where it would otherwise wait forever."""
    for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout)):
        try:
            tty = stream is not None and stream.isatty()
        except (ValueError, OSError):  # closed
            tty = False
        if not tty:
            raise UserError(
                f"the TUI needs a terminal, but {name} is not one; run it in a terminal, "
                "or use a command that prints (infra-tui graph, lint, new --spec FILE; see infra-tui --help)"
            )
