"""The repo's bootstrap graph, read by a child process on another core while the TUI starts.

A cold start of the TUI (no kept graph: a first start, or a repo changed since) needs the repo
model's imports and the parse (~100 ms of CPU on the 2-core development machine) before it can
draw the graph, and in the app they share one GIL with Textual mounting and painting the screen
(issue 12: the graph within +250 ms of a bare Textual app). So before the app imports Textual,
``start`` runs a fresh interpreter (not a fork: nothing shared to copy on write) that reads the
repo and writes the env's graph, pickled, to a pipe: ``python -c ... ROOT ENV``, no shell. It has
finished long before the app's first frame; the app's loader thread takes the graph
(``PreRead.graph``), draws it and then reads the repo itself as on every start: that read's
graph replaces the child's (the same, unless a file changed in between), so the child's graph is
only ever a first picture of the same files, like the graph a warm start keeps.

The child is started only where it can help: with a CPU the load leaves idle (two CPUs or more),
and no write journal (a killed write is undone by the app before it reads anything). It reads
only; a child that fails (an unreadable repo: the app's own read says why), is slow, or sends
anything else gives no graph, and the app reads the repo as before. It runs in its own process
group and is killed when it is not waited for (``stop``, or leaving ``for_start``; ``proc`` also
kills it at exit).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from infra_tui.core import graph_cache

if TYPE_CHECKING:
    from infra_tui.core.graph import Graph
    from infra_tui.services.proc import Background

_CHILD = (
    "import os, sys; sys.path[:] = sys.argv[1].split(os.pathsep); "
    "from infra_tui.services.preread import child_main; sys.exit(child_main(sys.argv[2:]))"
)
"""The child's program: this module, from the same copy of infra-tui as the app, with the app's
import path (run with ``-S``: no ``site``, whose .pth files, the editable install's finder among
them, are ~30 ms of the child's start)."""


CHILD_NICE = 19
"""The child only needs a core the app does not use: at nice 19 it yields to the app, the
terminal and tmux wherever they compete for one (the last round measured a forked reader at the
app's own priority taking the app's Textual import 100-150 ms longer, 40-70 ms at nice 19)."""


class PreRead:
    """A running child and, once asked for, its graph."""

    def __init__(self, child: Background) -> None:
        self._child = child

    def graph(self, timeout: float) -> Graph | None:
        """The child's graph, waiting up to ``timeout`` seconds for it (call from a thread, not
        the event loop); None if the child failed, sent something else, or is not done by then
        (it is killed)."""
        from infra_tui.core.graph import Graph

        data = self._child.output(timeout)
        if not data:
            return None
        try:
            graph = pickle.loads(data)  # our own child's output, over a pipe only we hold
        except Exception:
            return None
        return graph if isinstance(graph, Graph) else None

    def stop(self) -> None:
        """Kill the child if it still runs (its output is no longer wanted)."""
        self._child.stop()


def cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def busy_cpus() -> float:
    """The system's load average over the last minute: CPUs kept busy, roughly."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def start(root: Path, env: str | None) -> PreRead | None:
    """Start the child on ``root``'s ``env`` (None: the primary one), or None where it would not
    help: no CPU free for it (one CPU only, or a load average that leaves less than one idle:
    the child would take the app's own core and delay its first frame; measured on 2 CPUs with
    one kept busy, +110 ms), or a write journal that the app will undo first."""
    from infra_tui.core import journal_where

    n = cpus()
    if n < 2 or n - busy_cpus() < 1 or journal_where.may_exist(root):
        return None
    from infra_tui.services.proc import start_background

    package_parent = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join([package_parent, *(p for p in sys.path if p and os.path.isdir(p))])
    argv = [sys.executable, "-S", "-c", _CHILD, path, str(root), env or ""]
    child = start_background(argv)
    return None if child is None else PreRead(child)


def kept_or_started(
    root: Path, env: str | None, *, keep: bool = True
) -> tuple[graph_cache.Kept, PreRead | None]:
    """What a start of the TUI on ``root``'s ``env`` draws first: the graph the last start kept
    (``keep``: looked up in the user's cache folder), else a child started to read it."""
    kept = graph_cache.look_up(root, env) if keep else graph_cache.Kept(None, None)
    return kept, (start(root, env) if kept.graph is None else None)


@contextlib.contextmanager
def for_start(
    root: Path, env: str | None, *, keep: bool = True
) -> Iterator[tuple[graph_cache.Kept, PreRead | None]]:
    """``kept_or_started`` for a command that runs the TUI in this block: the child, if one was
    started, is killed as the block ends (the app may end before its loader took the graph)."""
    kept, preread = kept_or_started(root, env, keep=keep)
    try:
        yield kept, preread
    finally:
        if preread is not None:
            preread.stop()


def child_main(args: list[str]) -> int:
    """In the child: read the repo at ``args[0]``, build the graph of env ``args[1]`` (empty: the
    primary one) and write it, pickled, to stdout. Exit 1 with nothing written on any failure."""
    import gc

    with contextlib.suppress(OSError):
        os.nice(CHILD_NICE)
    gc.disable()  # a short-lived process: the collector's passes would only cost time
    try:
        from infra_tui.core import graph as graph_mod
        from infra_tui.core import repo as repo_mod

        repo = repo_mod.load(Path(args[0]))
        graph = graph_mod.build(repo.env(args[1] or None))
        data = pickle.dumps(graph, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return 1
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0
