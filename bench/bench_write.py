"""Write step: append one Kustomization (a planned component) to a 1,000-document
infrastructure.yaml, write it, and re-check the graph (budget: 250 ms).

What the TUI does after Write: core.apply writes the plan atomically, the repo is read again
(only the changed files are parsed again), and the graph is rebuilt.

Usage: .venv/bin/python bench/bench_write.py [N] [ROUNDS]
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_repo import generate

from infra_tui.core import apply, graph, repo, scaffold, spec


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    with tempfile.TemporaryDirectory() as tmp:
        base = generate(Path(tmp) / "base", n)
        times: dict[str, list[float]] = {"plan": [], "write": [], "reload+graph": [], "write step": []}
        for i in range(rounds):
            root = Path(tmp) / f"r{i}"
            shutil.copytree(base, root)
            r = repo.load(root)  # the TUI has the repo loaded already
            s = spec.parse(
                {
                    "name": f"new-{i}",
                    "chart": {
                        "name": "redis",
                        "version": "19.x",
                        "repository": {"name": f"r{i}", "url": "https://charts.example.com"},
                    },
                    "dependsOn": ["cilium"],
                }
            )
            t0 = time.perf_counter()
            plan = scaffold.plan(r, s)
            assert plan.ok, plan.refusals
            t1 = time.perf_counter()
            apply.apply(plan, root)
            t2 = time.perf_counter()
            r2 = repo.load(root)
            g = graph.build(r2.env(None))
            t3 = time.perf_counter()
            assert f"flux-system/new-{i}" in g.nodes
            for key, value in zip(times, (t1 - t0, t2 - t1, t3 - t2, t3 - t1), strict=True):
                times[key].append(value * 1000)
        print(f"{n} Kustomizations in one infrastructure.yaml; {rounds} rounds")
        for key, values in times.items():
            print(f"  {key:<13} median {statistics.median(values):7.1f} ms   max {max(values):7.1f} ms")


if __name__ == "__main__":
    main()
