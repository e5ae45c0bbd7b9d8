"""The start-up child that reads the repo's graph on another core (services.preread): real child
processes on real repos (the test app repo, the bundled demo, a corpus repo), and a real app
that draws the child's graph on a cold start before it has read the repo itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra_tui.core import graph as graph_mod
from infra_tui.core import graph_cache
from infra_tui.core import repo as repo_mod
from infra_tui.core.journal_where import NAME as JOURNAL
from infra_tui.services import preread
from tests.apprepo import make_repo
from tests.e2e.test_startup import WAIT_FOR_GRAPH
from tests.processes import processes_naming
from tests.unit.test_graph_cache import age

DEMO = Path(__file__).resolve().parents[2] / "templates" / "demo"


def _shape(g: graph_mod.Graph) -> tuple[object, ...]:
    return (g.env, g.layers, g.deps, g.cycles, g.missing, {k: v.path for k, v in g.nodes.items()})


def _read_here(root: Path, env: str | None) -> graph_mod.Graph:
    return graph_mod.build(repo_mod.load(root).env(env))


@pytest.fixture
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child only starts with two CPUs or more: this machine's count must not decide a test."""
    monkeypatch.setattr(preread, "cpus", lambda: 2)
    monkeypatch.setattr(preread, "busy_cpus", lambda: 0.5)


@pytest.mark.parametrize("env", [None, "staging"])
def test_the_child_reads_the_graph_the_app_would(tmp_path: Path, env: str | None, two_cpus: None) -> None:
    root = make_repo(tmp_path / "repo", extra=7)
    child = preread.start(root, env)
    assert child is not None
    got = child.graph(60)
    assert got is not None
    assert _shape(got) == _shape(_read_here(root, env))


def test_the_child_reads_the_demo_and_a_corpus_repo(two_cpus: None) -> None:
    from tests.corpus import CORPUS

    flux_example = CORPUS / "fluxcd__flux2-kustomize-helm-example"
    for root in (DEMO, flux_example):
        repo = repo_mod.load(root)
        child = preread.start(repo.root, None)
        assert child is not None
        got = child.graph(60)
        assert got is not None, root
        assert _shape(got) == _shape(graph_mod.build(repo.env(None))), root


def test_a_child_that_cannot_read_gives_no_graph(tmp_path: Path, two_cpus: None) -> None:
    """An env that does not exist, settings that are not valid: nothing from the child (the app's
    own read says what is wrong, as without it)."""
    root = make_repo(tmp_path / "repo")
    child = preread.start(root, "no-such-env")
    assert child is not None and child.graph(60) is None
    (root / ".infra-tui.yaml").write_text("clusters: [\n")
    child = preread.start(root, None)
    assert child is not None and child.graph(60) is None


def test_no_child_without_an_idle_cpu_nor_over_a_killed_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "repo")
    monkeypatch.setattr(preread, "busy_cpus", lambda: 0.0)
    monkeypatch.setattr(preread, "cpus", lambda: 1)
    assert preread.start(root, None) is None  # one CPU: the app's own
    monkeypatch.setattr(preread, "cpus", lambda: 2)
    monkeypatch.setattr(preread, "busy_cpus", lambda: 1.7)
    assert preread.start(root, None) is None  # two, one kept busy by something else
    monkeypatch.setattr(preread, "busy_cpus", lambda: 0.6)
    child = preread.start(root, None)
    assert child is not None  # two, mostly idle
    child.stop()
    (root / f".{JOURNAL}").write_text("{}")  # a write killed midway: the app undoes it before reading
    assert preread.start(root, None) is None


def test_a_start_with_a_kept_graph_starts_no_child(tmp_path: Path, two_cpus: None) -> None:
    root = make_repo(tmp_path / "repo")
    age(root)
    kept, child = preread.kept_or_started(root, None)
    assert kept.graph is None and child is not None  # cold: the child reads
    graph = child.graph(60)
    assert graph is not None
    graph_cache.store(root, None, kept.print_, graph)  # what the app keeps after its read
    kept, child = preread.kept_or_started(root, None)
    assert kept.graph is not None and child is None  # warm: the kept graph, no child
    assert _shape(kept.graph) == _shape(graph)
    kept, child = preread.kept_or_started(root, None, keep=False)  # the demo: a fresh copy
    assert kept.graph is None and child is not None
    child.stop()


COLD_START = (
    """
import asyncio, sys, time
from pathlib import Path
from infra_tui.app import InfraApp
from infra_tui.core import graph_cache
from infra_tui.services import preread
from infra_tui.widgets.graph_view import GraphView

async def main():
    root = Path(sys.argv[1])
    preread.cpus = lambda: 2
    preread.busy_cpus = lambda: 0.5
    kept, child = preread.kept_or_started(root, None)
    assert kept.graph is None and child is not None
    app = InfraApp(root, blink=False, kept=kept, preread=child)
    async with app.run_test(size=(160, 48)):"""
    + WAIT_FOR_GRAPH
    + """        first = view.graph
        repo_model_at_graph = "infra_tui.core.repo" in sys.modules
        while app.repo is None or not app.main.form.built:
            await asyncio.sleep(0.01)
        await app.workers.wait_for_complete([w for w in app.workers if w.group == "load"])
        print("repo model imported at the graph:", repo_model_at_graph)
        print("read by the app at the end:", "infra_tui.core.repo" in sys.modules and app.repo is not None)
        print("same graph after the read:", first.layers == view.graph.layers and first.deps == view.graph.deps)

asyncio.run(main())
"""
)


def test_a_cold_start_draws_the_childs_graph_before_the_app_reads_the_repo(tmp_path: Path) -> None:
    """Through the app: on a cold start the graph on screen is the child's, drawn before this
    process has even imported the repo model; the app then reads the repo itself, and its graph
    (the same here) replaces the child's."""
    root = make_repo(tmp_path / "repo", extra=7)
    env = {**os.environ, graph_cache.CACHE_DIR_ENV: str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", COLD_START, str(root)], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "repo model imported at the graph: False",
        "read by the app at the end: True",
        "same graph after the read: True",
    ]


def test_a_child_not_waited_for_is_killed_and_leaves_nothing(tmp_path: Path, two_cpus: None) -> None:
    """The app quits before its loader took the graph (or the child is slow): ``stop`` kills the
    child's group; no interpreter reading the repo is left."""
    root = make_repo(tmp_path / "repo-quit-early")
    child = preread.start(root, None)
    assert child is not None
    child.stop()
    assert not [p for p in processes_naming(str(root)) if "preread" in p[1]]
    assert child.graph(1) is None
