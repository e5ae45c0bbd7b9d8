"""`infra-tui graph` of the largest corpus cluster (joryirving/main, 160 Flux Kustomizations),
end to end in a fresh process each round, as a user runs it (budget: within 1.5x of the
file-scanning model it replaced: issue 14).

Usage: .venv/bin/python bench/bench_corpus_graph.py [ROUNDS]
  INFRA_TUI_CORPUS: the corpus folder (default ../shared/corpus)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CORPUS = Path(os.environ.get("INFRA_TUI_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
PATHS = ["joryirving__home-ops/kubernetes/clusters/main", "joryirving__home-ops/kubernetes/apps/main"]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    args = [sys.executable, "-m", "infra_tui.cli", "graph", "--format", "json"]
    for p in PATHS:
        args += ["--path", str(CORPUS / p)]
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        res = subprocess.run(args, capture_output=True, text=True, check=False)
        times.append((time.perf_counter() - t0) * 1000)
    nodes = res.stdout.count('"layer"')
    print(f"graph of joryirving/main: {nodes} Kustomizations, exit {res.returncode}")
    print(f"  process, end to end  median {statistics.median(times):7.1f} ms   min {min(times):7.1f} ms")
    from infra_tui.core import graph, repo  # in this process: load (every file parsed) + graph

    inproc = []
    for _ in range(rounds):
        repo.clear_cache()
        t0 = time.process_time()  # CPU time: steadier than the clock on a shared machine
        r = repo.load(paths=[CORPUS / p for p in PATHS])
        graph.build(next(iter(r.envs.values())))
        inproc.append((time.process_time() - t0) * 1000)
    print(
        f"  load + graph, cold, CPU  median {statistics.median(inproc):7.1f} ms   min {min(inproc):7.1f} ms"
    )


if __name__ == "__main__":
    main()
