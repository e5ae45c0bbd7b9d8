"""What every command needs first: the repo, the env, and a way to report what could not be read."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from infra_tui.core.model import Env, Repo
from infra_tui.errors import UserError

# ``core.repo`` is imported where a repo is read: ``infra-tui`` (the TUI) imports this module for
# ``require_terminal`` before its first frame, and reads the repo after it


def add_path_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--path",
        metavar="DIR",
        action="append",
        help="read any Flux repo shape: every YAML below DIR is one cluster (repeat to join folders)",
    )


UNDEPLOYED = "not referenced by any kustomization.yaml reachable from the entry"


def add_undeployed_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--show-undeployed",
        action="store_true",
        help="also list the Flux Kustomizations written in the repo that nothing deploys",
    )


def undeployed(repo: Repo, env: Env) -> list[dict[str, object]]:
    """The JSON rows of ``--show-undeployed``."""
    from infra_tui.core import repo as repo_mod

    return [
        {"name": k.name, "file": k.file, "line": k.line, "reason": UNDEPLOYED}
        for k in repo_mod.undeployed(repo, env)
    ]


def print_undeployed(rows: list[dict[str, object]]) -> None:
    print(f"undeployed ({len(rows)}):")
    for row in rows:
        print(f"  {row['file']}:{row['line']}: {row['name']}: {UNDEPLOYED}")


def load_repo(args: argparse.Namespace, *, with_components: bool = True, learned_notice: bool = True) -> Repo:
    """The repo named by --repo / --path, or found from the cwd (with its settings). A stale
    .infra-tui.learned.yaml is noticed with one line on stderr, and so is a write that was killed
    midway, which is rolled back or finished first (``core.write_journal``)."""
    from infra_tui.core import repo as repo_mod

    paths = getattr(args, "path", None)
    if paths:
        repo = repo_mod.load(getattr(args, "repo", None), paths=paths, with_components=with_components)
    else:
        root = Path(args.repo) if getattr(args, "repo", None) else Path.cwd()
        if not root.exists():
            raise UserError(f"--repo {root}: no such directory")
        repo = repo_mod.load(root, with_components=with_components)
    from infra_tui.core import write_journal  # not on the TUI's path to its first frame

    recovered = write_journal.recover(repo.root)
    if recovered:  # a write killed midway was undone (or finished): read the repo as it is now
        print(f"infra-tui: {recovered}", file=sys.stderr)
        repo = repo_mod.load(
            getattr(args, "repo", None) if paths else repo.root, paths=paths, with_components=with_components
        )
    if not repo.envs or (paths and not any(e.kustomizations for e in repo.envs.values())):
        where = ", ".join(str(p) for p in paths) if paths else str(repo.root)
        raise UserError(
            f"{where}: no Flux Kustomizations found; is this a Flux repo? (--path names a cluster's entry folder)"
        )
    if learned_notice and with_components:
        from infra_tui.core import learn

        notice = learn.stale_notice(repo)
        if notice:
            print(f"infra-tui: {notice}", file=sys.stderr)
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


REFUSED_INPUT = (
    "alias expansion too large",
    "nested too deeply",
    "duplicate key",
    "not a regular file",
    "not a mapping",
    "nesting depth",
)
"""Problems of input the tool refuses to read at all (not a syntax error a build would report)."""


def refuse_bad_input(repo: Repo, what: str, *, only_refused: bool = False) -> None:
    """Before planning or validating: every problem on its own line, then refuse (exit 2). A plan
    made over a file that could not be read would leave that file out, or append to a broken one.
    ``only_refused``: only for ``REFUSED_INPUT`` problems."""
    problems = [p for p in repo.problems if not only_refused or any(m in p.message for m in REFUSED_INPUT)]
    if problems:
        for p in problems:
            print(f"infra-tui: {p}", file=sys.stderr)
        raise UserError(
            f"{what}: the repo has input that cannot be read (above); fix it first, nothing was changed"
        )


def known_component(repo: Repo, name: str) -> None:
    """An unknown component name is bad input (exit 2), with the closest known name."""
    names = {d.rsplit("/", 1)[-1] for d in repo.components}
    names |= {k.name for env in repo.envs.values() for k in env.kustomizations}
    if name not in names:
        close = difflib.get_close_matches(name, sorted(names), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UserError(f"no component or Kustomization named '{name}'; {hint}see `infra-tui graph`")


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
