"""Load + graph + lint of a generated flat repo with 1,000 Flux Kustomizations (budget: 300 ms).

Usage: .venv/bin/python bench/bench_load_graph_lint.py [N] [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_repo import generate

from infra_tui.core import graph, repo, rules


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    with tempfile.TemporaryDirectory() as tmp:
        root = generate(Path(tmp), n)
        rules.load_rules()  # the tables are read once per process
        times: dict[str, list[float]] = {"load": [], "graph": [], "lint": [], "total": []}
        cold = []
        for _ in range(rounds):
            repo.clear_cache()
            t0 = time.perf_counter()
            r = repo.load(root)
            g = graph.build(r.env(None))
            rules.lint(r, graph=g)
            cold.append((time.perf_counter() - t0) * 1000)
        for _ in range(rounds):
            t0 = time.perf_counter()
            r = repo.load(root)
            t1 = time.perf_counter()
            g = graph.build(r.env(None))
            t2 = time.perf_counter()
            findings = rules.lint(r, graph=g)
            t3 = time.perf_counter()
            for key, value in zip(times, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
                times[key].append(value * 1000)
        docs = sum(len(c.resources) for c in r.components.values())
        print(f"{n} Kustomizations, {docs} manifest documents, {len(findings)} findings, depth {g.depth}")
        print(
            f"  cold (every file parsed)  median {statistics.median(cold):7.1f} ms   min {min(cold):7.1f} ms"
        )
        print("  warm (files unchanged since the last load in this process):")
        for key, values in times.items():
            print(f"  {key:<6} median {statistics.median(values):7.1f} ms   min {min(values):7.1f} ms")


if __name__ == "__main__":
    main()
