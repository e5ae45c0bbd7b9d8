"""Status poll latency over a multiplexed SSH connection (budget: p95 < 50 ms for 200 Kustomizations).

Starts the test sshd (tests/sshd.py) on 127.0.0.1 with the stand-in kubectl replaying 200
Kustomizations and 300 HelmReleases, opens the master connection with one poll, then times N
polls of ``SshKubectlSource.fetch()`` (ssh mux client + remote session + stand-in kubectl + JSON
parse) two ways, alternating poll by poll so both see the same machine load: the
Kustomization-only poll (``helmreleases=False``, the poll before issue 17) and the full poll
(Kustomizations + HelmReleases, two kubectl calls in parallel over the one connection). Issue 17's
budget: the full poll's p50 within 2x of the Kustomization-only p50. Also times the parse alone and
the first (connecting) poll. Contacts nothing but 127.0.0.1.

    .venv/bin/python bench/bench_status_poll.py [--polls 200] [--kustomizations 200] [--helmreleases 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra_tui.core.troubleshoot import parse_helmreleases
from infra_tui.services.cluster import SshKubectlSource, parse_kustomizations
from infra_tui.services.ssh import SshTarget, SshTransport
from tests.sshd import (
    start_sshd,
    stop_sshd,
    synthetic_helmrelease_list,
    synthetic_kustomization_list,
)

BUDGET_MS = 50.0
RATIO_BUDGET = 2.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(polls: int, count: int, releases: int) -> dict[str, float]:
    server = start_sshd()
    try:
        data = synthetic_kustomization_list(count)
        hr_data = synthetic_helmrelease_list(releases, count)
        server.replay(data)
        server.replay_helmreleases(hr_data)
        text, hr_text = json.dumps(data), json.dumps(hr_data)
        target = SshTarget(
            host="127.0.0.1", port=server.port, user=server.user, identity_file=str(server.client_key),
            known_hosts_file=str(server.known_hosts), ssh_config="/dev/null",
        )  # fmt: skip
        transport = SshTransport(target)
        ks_only = SshKubectlSource(transport, helmreleases=False)
        full = SshKubectlSource(transport)
        try:
            start = time.perf_counter()
            snapshot = await ks_only.fetch()
            first = (time.perf_counter() - start) * 1000
            assert len(snapshot.items) == count
            snapshot = await full.fetch()
            assert len(snapshot.helmreleases) == releases, snapshot.notes
            times: dict[str, list[float]] = {"ks": [], "full": []}
            for i in range(polls * 2):
                which, source = ("ks", ks_only) if i % 2 == 0 else ("full", full)
                start = time.perf_counter()
                snapshot = await source.fetch()
                times[which].append((time.perf_counter() - start) * 1000)
            assert len(snapshot.items) == count and len(snapshot.helmreleases) == releases
        finally:
            await transport.close()
        parse, parse_hr = [], []
        for _ in range(50):
            start = time.perf_counter()
            parse_kustomizations(text, "bench")
            parse.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            parse_helmreleases(hr_text, "bench")
            parse_hr.append((time.perf_counter() - start) * 1000)
        return {
            "first_ms": first,
            "ks_p50_ms": statistics.median(times["ks"]),
            "ks_p95_ms": pct(times["ks"], 95),
            "full_p50_ms": statistics.median(times["full"]),
            "full_p95_ms": pct(times["full"], 95),
            "parse_p50_ms": statistics.median(parse),
            "parse_hr_p50_ms": statistics.median(parse_hr),
            "bytes": len(text),
            "hr_bytes": len(hr_text),
        }
    finally:
        stop_sshd(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--kustomizations", type=int, default=200)
    parser.add_argument("--helmreleases", type=int, default=300)
    args = parser.parse_args()
    r = asyncio.run(bench(args.polls, args.kustomizations, args.helmreleases))
    ratio = r["full_p50_ms"] / r["ks_p50_ms"]
    print(
        f"status poll over a multiplexed ssh connection on 127.0.0.1, {args.polls} polls of each kind, alternating"
    )
    print(f"  first poll (connect + auth): {r['first_ms']:.1f} ms")
    print(
        f"  Kustomizations only ({args.kustomizations}, {r['bytes'] / 1024:.0f} KiB JSON): "
        f"p50 {r['ks_p50_ms']:.1f} ms   p95 {r['ks_p95_ms']:.1f} ms   (budget p95 < {BUDGET_MS:.0f} ms)"
    )
    print(
        f"  + HelmReleases ({args.helmreleases}, {r['hr_bytes'] / 1024:.0f} KiB JSON): "
        f"p50 {r['full_p50_ms']:.1f} ms   p95 {r['full_p95_ms']:.1f} ms   "
        f"p50 ratio {ratio:.2f}x (budget {RATIO_BUDGET:.0f}x)"
    )
    print(
        f"  of which parsing: Kustomizations p50 {r['parse_p50_ms']:.2f} ms, HelmReleases p50 {r['parse_hr_p50_ms']:.2f} ms"
    )
    return 0 if r["ks_p95_ms"] < BUDGET_MS and ratio <= RATIO_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
