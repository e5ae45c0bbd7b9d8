"""``infra-tui learn`` on the largest corpus repo, joryirving/home-ops main (budget: 1 s).

Prints the whole command in a fresh process (start-up, load, learn, print: what a user waits for)
and, in one process, the cold load (every file parsed) and ``learn.learn`` on its own.

Usage: .venv/bin/python bench/bench_learn.py [ROUNDS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from infra_tui.core import learn, repo

CORPUS = Path(os.environ.get("INFRA_TUI_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
PATHS = [
    CORPUS / "joryirving__home-ops/kubernetes/clusters/main",
    CORPUS / "joryirving__home-ops/kubernetes/apps/main",
]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    exe = Path(sys.executable).with_name("infra-tui")
    argv = [str(exe), "learn", *(a for p in PATHS for a in ("--path", str(p)))]
    subprocess.run(argv, check=True, capture_output=True)  # bytecode compiled, files cached by the OS
    command = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        command.append((time.perf_counter() - t0) * 1000)
    load, derive = [], []
    for _ in range(rounds):
        repo.clear_cache()
        t0 = time.perf_counter()
        r = repo.load(paths=PATHS)
        t1 = time.perf_counter()
        learned = learn.learn(r)
        t2 = time.perf_counter()
        load.append((t1 - t0) * 1000)
        derive.append((t2 - t1) * 1000)
    env = r.env(None)
    print(
        f"joryirving/main: {len(env.kustomizations)} Kustomizations, {len(learn.input_files(r))} input files, "
        f"{len(learned.providers)} provider facts, {len(learned.style)} style facts, {len(learned.services)} services"
    )
    print(
        f"  infra-tui learn (fresh process)  median {statistics.median(command):7.1f} ms   min {min(command):7.1f} ms"
    )
    print(
        f"  repo.load (cold)                 median {statistics.median(load):7.1f} ms   min {min(load):7.1f} ms"
    )
    print(
        f"  learn.learn                      median {statistics.median(derive):7.1f} ms   min {min(derive):7.1f} ms"
    )


if __name__ == "__main__":
    main()
