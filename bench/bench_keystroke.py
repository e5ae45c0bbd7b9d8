"""Keystroke -> updated preview latency on a generated 300-component repo.

Two numbers:
* compute: ``core.preview.compute`` (scaffold.plan + graph.build + diff + summary) for one
  edit of the name, as the preview worker runs it. Budget (DESIGN.md): p95 under 16 ms.
* end to end: a key event posted to the running app (headless, as the terminal driver posts
  it) until the preview for the new text is on screen (form check, thread hop, message,
  graph/diff/summary update) — what a user feels, minus the terminal's own paint.

Usage: .venv/bin/python bench/bench_keystroke.py [N_COMPONENTS] [KEYS]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_repo import generate
from textual import events

from infra_tui.app import InfraApp
from infra_tui.core import preview
from infra_tui.core import repo as repo_mod

FIELDS = {
    "chart": {"name": "redis", "repository": {"url": "https://charts.bitnami.com/bitnami"}},
    "creates": ["CiliumNetworkPolicy"],
}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def bench_compute(root: Path, keys: int) -> list[float]:
    repo = repo_mod.load(root)
    name = "cache"
    preview.compute(repo, dict(FIELDS, name=name))  # warm caches
    out = []
    for i in range(keys):
        name = f"cache{'abcdefghij'[i % 10]}{i}"
        t0 = time.perf_counter()
        preview.compute(repo, dict(FIELDS, name=name))
        out.append(time.perf_counter() - t0)
    return out


async def bench_app(root: Path, keys: int) -> list[float]:
    app = InfraApp(root, blink=False)
    out = []
    async with app.run_test(size=(160, 48)) as pilot:
        while app.repo is None:
            await asyncio.sleep(0.01)
        for field, text in (("#chart", "redis"), ("#repo-url", "https://charts.bitnami.com/bitnami")):
            app.screen.query_one(field).value = text
        app.screen.query_one("#name").focus()
        typed = ""
        for i in range(keys):
            ch = "abcdefghij"[i % 10]
            typed += ch
            t0 = time.perf_counter()
            app.post_message(events.Key(ch, ch))  # as the driver posts it: no Pilot pauses
            pane = app.main.preview_pane
            while pane.preview is None or pane.preview.fields.get("name") != typed:
                await asyncio.sleep(0.0005)
            out.append(time.perf_counter() - t0)
            await pilot.pause(0.02)  # a fast typist: 50 keys a second
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    keys = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    root = generate(Path(tempfile.mkdtemp()) / "repo", n)
    compute = bench_compute(root, keys)
    e2e = asyncio.run(bench_app(root, keys))
    for label, xs in (
        ("compute (plan+graph+diff+summary)", compute),
        ("end to end (key -> preview shown)", e2e),
    ):
        print(
            f"{label:36s} p50 {statistics.median(xs) * 1000:6.1f} ms   p95 {pct(xs, 95) * 1000:6.1f} ms   (n={len(xs)}, {n} components)"
        )


if __name__ == "__main__":
    main()
