"""Status poll latency over a multiplexed SSH connection, 200 Kustomizations (budget: p95 < 50 ms).

Starts the test sshd (tests/sshd.py) on 127.0.0.1 with the stand-in kubectl replaying 200
Kustomizations, opens the master connection with one poll, then times N polls of
``SshKubectlSource.fetch()``: ssh mux client + remote session + stand-in kubectl + JSON parse.
Also times the parse alone and the first (connecting) poll. Contacts nothing but 127.0.0.1.

    .venv/bin/python bench/bench_status_poll.py [--polls 200] [--kustomizations 200]
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

from infra_tui.services.cluster import SshKubectlSource, parse_kustomizations  # noqa: E402
from infra_tui.services.ssh import SshTarget, SshTransport  # noqa: E402
from tests.sshd import start_sshd, stop_sshd, synthetic_kustomization_list  # noqa: E402

BUDGET_MS = 50.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(polls: int, count: int) -> dict[str, float]:
    server = start_sshd()
    try:
        data = synthetic_kustomization_list(count)
        server.replay(data)
        text = json.dumps(data)
        target = SshTarget(
            host="127.0.0.1", port=server.port, user=server.user, identity_file=str(server.client_key),
            known_hosts_file=str(server.known_hosts), ssh_config="/dev/null",
        )  # fmt: skip
        transport = SshTransport(target)
        source = SshKubectlSource(transport)
        try:
            start = time.perf_counter()
            snapshot = await source.fetch()
            first = (time.perf_counter() - start) * 1000
            assert len(snapshot.items) == count
            times = []
            for _ in range(polls):
                start = time.perf_counter()
                snapshot = await source.fetch()
                times.append((time.perf_counter() - start) * 1000)
            assert len(snapshot.items) == count
        finally:
            await transport.close()
        parse = []
        for _ in range(50):
            start = time.perf_counter()
            parse_kustomizations(text, "bench")
            parse.append((time.perf_counter() - start) * 1000)
        return {
            "first_ms": first,
            "p50_ms": statistics.median(times),
            "p95_ms": pct(times, 95),
            "max_ms": max(times),
            "parse_p50_ms": statistics.median(parse),
            "bytes": len(text),
        }
    finally:
        stop_sshd(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--kustomizations", type=int, default=200)
    args = parser.parse_args()
    r = asyncio.run(bench(args.polls, args.kustomizations))
    print(f"status poll over a multiplexed ssh connection, {args.kustomizations} Kustomizations "
          f"({r['bytes'] / 1024:.0f} KiB JSON), {args.polls} polls on 127.0.0.1")
    print(f"  first poll (connect + auth): {r['first_ms']:.1f} ms")
    print(f"  p50 {r['p50_ms']:.1f} ms   p95 {r['p95_ms']:.1f} ms   max {r['max_ms']:.1f} ms   (budget p95 < {BUDGET_MS:.0f} ms)")
    print(f"  of which JSON parse + states + root causes: p50 {r['parse_p50_ms']:.2f} ms")
    return 0 if r["p95_ms"] < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
