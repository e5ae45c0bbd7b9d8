"""``infra-tui validate --all`` on the bundled demo repo: serial (--jobs 1) versus parallel.

Runs the real command (real ``kustomize build`` / ``kubectl kustomize``, offline dry-run) in a
fresh interpreter per run, so each number includes startup, as a user would see it; also times the
validation alone (in-process, after a warm-up) to show what parallelism buys.

    .venv/bin/python bench/bench_validate.py [--repeat 3] [--jobs 1 2 4] [--strategy offline]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "templates" / "demo"


def cli_once(jobs: int, strategy: str) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "infra_tui.cli", "validate", "--repo", str(DEMO), "--all", "--jobs", str(jobs),
         "--dry-run", strategy, "--format", "json", "--no-progress"],
        stdin=subprocess.DEVNULL, capture_output=True, check=False,
    )  # fmt: skip
    return time.perf_counter() - start, proc.returncode


def inprocess_once(jobs: int, strategy: str) -> float:
    from infra_tui.core import validation as v
    from infra_tui.core.repo import load
    from infra_tui.core.rules import load_rules
    from infra_tui.services import dryrun, kustomize

    repo = load(DEMO)
    targets = v.targets_from_repo(repo)
    options = dryrun.Options(strategy=strategy, crd_providers=load_rules().crd_providers,
                             kustomize_argv=kustomize.kustomize_argv())  # fmt: skip
    start = time.perf_counter()
    asyncio.run(dryrun.validate_many(repo.root, targets, options, jobs=jobs))
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--strategy", default="offline", choices=["offline", "local", "ssh"])
    args = ap.parse_args()
    n = sum(1 for p in (DEMO / "namespaces").iterdir() if p.is_dir())
    print(f"validate --all on templates/demo: {n} components, {os.cpu_count()} CPUs, "
          f"dry-run {args.strategy}, best/median of {args.repeat}")  # fmt: skip
    inprocess_once(1, args.strategy)  # warm-up: schema caches, page cache
    base = None
    for jobs in args.jobs:
        cli = [cli_once(jobs, args.strategy) for _ in range(args.repeat)]
        core = [inprocess_once(jobs, args.strategy) for _ in range(args.repeat)]
        times = [t for t, _ in cli]
        codes = {c for _, c in cli}
        med = statistics.median(core)
        base = base or med
        print(f"  --jobs {jobs}: command {min(times):.2f}s best / {statistics.median(times):.2f}s median "
              f"(exit {','.join(map(str, sorted(codes)))}); validation alone {min(core):.2f}s best / "
              f"{med:.2f}s median; speed-up x{base / med:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
