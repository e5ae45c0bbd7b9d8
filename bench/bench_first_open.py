"""The first open of a component in a session, as a user meets it: the app started, the repo's
graph on screen, a few seconds of reading (no keys), then a component opened from the cockpit.

Each sample is a fresh process (the planner's imports, ruamel.yaml, are paid once per process):
``InfraApp`` under Pilot at 160x48 on a 301-Kustomization repo (``tests/apprepo.make_repo(extra=270)``),
idle for IDLE seconds after the repo is read, then ``open_edit`` on a component until its form is
filled, its preview shown and that frame painted (``bench_edit._edit_ready``). Also the second
open (another component) of the same session. Runs are interleaved with ``--before DIR`` (another
checkout, e.g. ``git archive`` of the merge base) so both see the same load.

Budget (issue 16): opening a component under 100 ms.

Usage: .venv/bin/python bench/bench_first_open.py [RUNS] [--before DIR] [--idle SECONDS]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

SAMPLE = """\
import asyncio, json, sys, time
from pathlib import Path
sys.path.insert(0, {tree!r})
from infra_tui.app import InfraApp  # first: bench_edit's imports then resolve in this checkout

sys.path.insert(1, {bench!r})
from bench_edit import _edit_ready

assert sys.modules["infra_tui"].__file__.startswith({tree!r})


async def main():
    app = InfraApp(Path({repo!r}), blink=False)
    out = {{}}
    async with app.run_test(size=(160, 48)) as pilot:
        while app.repo is None:
            await asyncio.sleep(0.01)
        await pilot.pause({idle})
        for key, component in (("first", "app-150"), ("second", "app-151")):
            t0 = time.perf_counter()
            app.open_edit(component)
            await _edit_ready(app, component)
            out[key] = time.perf_counter() - t0
            await pilot.pause(0.05)
            app.pop_screen()
            await pilot.pause(0.05)
    print(json.dumps(out))

asyncio.run(main())
"""


def sample(tree: Path, repo: Path, idle: float) -> dict[str, float]:
    code = SAMPLE.format(tree=str(tree), bench=str(HERE), repo=str(repo), idle=idle)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    args = sys.argv[1:]
    before = idle = None
    if "--before" in args:
        i = args.index("--before")
        before = Path(args[i + 1]).resolve()
        del args[i : i + 2]
    if "--idle" in args:
        i = args.index("--idle")
        idle = float(args[i + 1])
        del args[i : i + 2]
    runs = int(args[0]) if args else 7
    sys.path.insert(0, str(ROOT))
    from tests.apprepo import make_repo

    repo = make_repo(Path(tempfile.mkdtemp()) / "repo", extra=270)
    trees = {"after": ROOT, **({"before": before} if before else {})}
    got: dict[str, dict[str, list[float]]] = {name: {"first": [], "second": []} for name in trees}
    for _ in range(runs):
        for name, tree in trees.items():
            for key, value in sample(tree, repo, 3.5 if idle is None else idle).items():
                got[name][key].append(value * 1000)
    for name in trees:
        for key, ms in got[name].items():
            print(
                f"{name:6s} {key} open: median {statistics.median(ms):6.1f} ms, p95 {pct(ms, 95):6.1f} ms, "
                f"min {min(ms):6.1f}, max {max(ms):6.1f} (n={len(ms)})"
            )


if __name__ == "__main__":
    main()
