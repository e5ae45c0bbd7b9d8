"""Benchmark: ``scaffold.plan`` + ``diff.plan_diff`` against a generated 300-component repo.

This is what the wizard's live preview runs on every keystroke; the budget is one frame (16 ms)
at p95. Three runs:

* ``keystroke (value)``: typing a Helm value, one character at a time (the other files are memo hits);
* ``keystroke (name)``: typing the component name, one character at a time (every file re-renders);
* ``cold``: the render memo and file cache cleared before every plan.

Usage: python bench/bench_plan.py [N_COMPONENTS] [ITERATIONS]
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_repo import generate

from infra_tui.core import diff, scaffold
from infra_tui.core import repo as repo_mod
from infra_tui.core import spec as spec_mod

BASE = {
    "name": "redis-cache",
    "chart": {
        "name": "redis",
        "version": "19.x",
        "repository": {"name": "bitnami-https", "url": "https://charts.bitnami.com/bitnami"},
    },
    "values": {"architecture": "standalone", "auth": {"enabled": True}},
    "webhook": True,
    "creates": ["Certificate"],
    "monitoring": {"serviceMonitor": True, "prometheusRule": True},
    "dependsOn": ["cluster-secrets"],
}


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def run(label: str, repo, specs: list[dict], *, cold: bool) -> None:
    times: list[float] = []
    gc.collect()
    for data in specs:
        if cold:
            scaffold.clear_cache()
        t0 = time.perf_counter()
        plan = scaffold.plan(repo, spec_mod.parse(data))
        text = diff.plan_diff(plan)
        times.append((time.perf_counter() - t0) * 1000)
        assert plan.ok, plan.refusals
        assert text
    print(
        f"{label:<20} n={len(times):<4} p50 {statistics.median(times):6.2f} ms   p95 {pct(times, 95):6.2f} ms   "
        f"max {max(times):6.2f} ms"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory() as tmp:
        root = generate(Path(tmp) / "repo", n)
        repo = repo_mod.load(root)
        kss = len(repo.envs[repo.primary_env].kustomizations)
        infra = (root / "clusters" / repo.primary_env / "infrastructure.yaml").read_text()
        print(
            f"repo: {n} components, {kss} Kustomizations, infrastructure.yaml {len(infra.splitlines())} lines"
        )
        scaffold.plan(repo, spec_mod.parse(BASE))  # warm: skeletons, rules, imports
        typed = "replicaCount-override-" * 20
        value_specs = [
            {**BASE, "values": {**BASE["values"], "comment": typed[: i % len(typed) + 1]}}
            for i in range(iterations)
        ]
        run("keystroke (value)", repo, value_specs, cold=False)
        name = "redis-cache-primary-x"
        name_specs = [
            {**BASE, "name": name[: 1 + i % len(name)].rstrip("-") or "r"} for i in range(iterations)
        ]
        scaffold.clear_cache()
        run("keystroke (name)", repo, name_specs, cold=False)
        cold_specs = [{**BASE, "name": f"svc-new-{i}"} for i in range(iterations)]
        run("cold", repo, cold_specs, cold=True)


if __name__ == "__main__":
    main()
