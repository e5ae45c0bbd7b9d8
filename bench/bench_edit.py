"""The cockpit's edit screen on a 300-component repo (tests/apprepo.make_repo(extra=...)).

Three numbers:
* open: ``core.edit_fields.current`` + the first ``core.preview.compute_edit`` of the component
  (what the edit screen runs before the form and the preview are filled). Budget (issue 16): under 100 ms.
* compute: ``core.preview.compute_edit`` for one keystroke of a version edit (plan_edit + graph +
  diff + summary), as the preview worker runs it; also for a dependsOn edit (which re-places the
  component in the graph and rewrites infrastructure.yaml). Budget: p95 under 16 ms.
* end to end: a key event posted to the running app's edit screen until the preview for the new
  text is on screen; and opening the component in the app: the edit screen pushed until its form
  is filled, its preview shown and that frame painted (the screen refreshed with nothing left to
  lay out or paint).

Usage: .venv/bin/python bench/bench_edit.py [EXTRA_COMPONENTS] [KEYS]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from textual import events
from textual.widgets import Input

from infra_tui.app import InfraApp
from infra_tui.core import edit_fields, preview
from infra_tui.core import repo as repo_mod
from infra_tui.screens.edit import EditScreen
from tests.apprepo import make_repo

COMPONENT = "app-150"
OTHER = "app-151"
"""Opened in turn with COMPONENT in the app: each open shows another component."""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def line(what: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{what}: median {statistics.median(ms):.1f} ms, p95 {pct(ms, 95):.1f} ms, max {max(ms):.1f} ms (n={len(ms)})"


def bench_open(repo, runs: int = 20) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        cur = edit_fields.current(repo, COMPONENT)
        preview.compute_edit(repo, {"component": COMPONENT, "edit": {}}, cur.env)
        out.append(time.perf_counter() - t0)
    return out


def bench_compute(repo, keys: int, edit_of) -> list[float]:
    preview.compute_edit(repo, {"component": COMPONENT, "edit": edit_of(0)})  # warm caches
    out = []
    for i in range(keys):
        t0 = time.perf_counter()
        p = preview.compute_edit(repo, {"component": COMPONENT, "edit": edit_of(i)})
        out.append(time.perf_counter() - t0)
        assert p.plan is not None and p.plan.files, p.problems
    return out


async def _painted(screen: EditScreen) -> None:
    """Until the screen has been refreshed with what its widgets hold now (``call_after_refresh``
    runs once nothing is left to lay out or paint)."""
    done = asyncio.Event()
    screen.call_after_refresh(done.set)
    await done.wait()


async def _edit_ready(app: InfraApp, component: str = COMPONENT, deadline: float = 60.0) -> EditScreen:
    t_end = time.perf_counter() + deadline
    while time.perf_counter() < t_end:
        screen = app.screen
        if isinstance(screen, EditScreen) and screen.query("EditForm") and screen.form.current is not None:
            pane = screen.preview_pane
            if (
                pane.preview is not None
                and pane.preview.fields == screen.form.state.fields
                and screen.form.state.fields.get("component") == component
            ):
                await _painted(screen)
                return screen
        await asyncio.sleep(0.0005)
    raise TimeoutError("the edit screen did not open")


async def bench_app(root: Path, keys: int, opens: int = 20) -> tuple[list[float], list[float]]:
    """(open: push the edit screen -> form filled and its preview on screen; key -> preview)."""
    app = InfraApp(root, blink=False)
    opened, out = [], []
    async with app.run_test(size=(160, 48)) as pilot:
        while app.repo is None:
            await asyncio.sleep(0.01)
        for i in range(opens):
            component = (COMPONENT, OTHER)[i % 2]
            t0 = time.perf_counter()
            app.open_edit(component)
            await _edit_ready(app, component)
            opened.append(time.perf_counter() - t0)
            await pilot.pause(0.05)
            app.pop_screen()
            await pilot.pause(0.05)
        app.open_edit(COMPONENT)
        screen = await _edit_ready(app)
        field = screen.query_one("#version", Input)
        field.focus()
        field.value = "1."
        field.cursor_position = len(field.value)
        await pilot.pause(0.3)
        typed = "1."
        for i in range(keys):
            ch = "0123456789"[i % 10]
            typed += ch
            t0 = time.perf_counter()
            app.post_message(events.Key(ch, ch))
            pane = screen.preview_pane
            t_end = t0 + 30
            while (
                pane.preview is None
                or (pane.preview.fields.get("edit") or {}).get("chart", {}).get("version") != typed
            ):
                if time.perf_counter() > t_end:
                    raise TimeoutError(f"no preview for {typed!r}; the field holds {field.value!r}")
                await asyncio.sleep(0.0005)
            out.append(time.perf_counter() - t0)
            await pilot.pause(0.02)
    return opened, out


def main() -> None:
    extra = int(sys.argv[1]) if len(sys.argv) > 1 else 270
    keys = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    root = make_repo(Path(tempfile.mkdtemp()) / "repo", extra=extra)
    repo = repo_mod.load(root)
    n = len(repo.env(None).kustomizations)
    print(f"repo: {n} Kustomizations ({extra} generated + the brief's), editing {COMPONENT}")
    opened = bench_open(repo)
    print(
        f"open a component, cold (first in the process: imports ruamel.yaml, reads the rule tables): {opened[0] * 1000:.1f} ms"
    )
    print(line("open a component (current + first preview), warm", opened[1:]))
    print(
        line(
            "keystroke -> preview compute, version edit",
            bench_compute(repo, keys, lambda i: {"chart": {"version": f"1.{i}"}}),
        )
    )
    print(
        line(
            "keystroke -> preview compute, dependsOn edit",
            bench_compute(
                repo, keys, lambda i: {"dependsOn": {"add": ["cert-manager" if i % 2 else "reloader"]}}
            ),
        )
    )
    opened, typed = asyncio.run(bench_app(root, keys))
    print(f"open in the app, first (composes the screen; cold imports): {opened[0] * 1000:.1f} ms")
    print(
        line("open in the app, then (app-150, app-151 in turn): pushed -> filled, shown, painted", opened[1:])
    )
    print(line("key event -> preview on screen (app, version field)", typed))


if __name__ == "__main__":
    main()
