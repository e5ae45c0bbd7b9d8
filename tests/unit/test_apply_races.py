"""apply against a second process racing it: no append lost, no file put outside the repo.

A real second process hammers each try: it busy-waits for the moment the write is between its
last "changed since the plan" check and the swap of the file it attacks (the first created file
of the plan appearing, or the freshly created component folder), then strikes (appends a line;
swaps the folder for a symlink out of the repo). Both races hit the old path-based write in most
tries (measured: appends lost, files written through the symlink outside the repo).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from infra_tui.core import apply as apply_mod
from infra_tui.core.model import ChangePlan, FileChange

TRIES = 120

APPENDER = r"""
import os, sys
base, tries = sys.argv[1], int(sys.argv[2])
for n in range(tries):
    sys.stdin.readline()  # the test made try n
    d = os.path.join(base, f"try-{n}")
    trigger = os.path.join(d, "namespaces", "app", "namespace.yaml")
    target = os.path.join(d, "clusters", "local-kube", "infrastructure.yaml")
    spins = 0
    while not os.path.exists(trigger) and spins < 2_000_000:
        spins += 1
    with open(target, "a") as fh:
        fh.write(f"appended-{n}\n")
    print(n, flush=True)
"""

SWAPPER = r"""
import os, sys
base, tries = sys.argv[1], int(sys.argv[2])
for n in range(tries):
    sys.stdin.readline()
    d = os.path.join(base, f"try-{n}")
    comp = os.path.join(d, "namespaces", "app")
    spins = 0
    while not os.path.isdir(comp) and spins < 2_000_000:
        spins += 1
    try:
        os.rename(comp, os.path.join(d, "moved-away"))
        os.symlink(os.path.join(base, f"outside-{n}"), comp)
    except OSError:
        pass
    print(n, flush=True)
"""


def make_repo(d: Path) -> Path:
    (d / "clusters" / "local-kube").mkdir(parents=True)
    (d / "clusters" / "local-kube" / "infrastructure.yaml").write_text("# head\n---\na: 1\n")
    return d


def infra_plan(d: Path, created: list[str]) -> ChangePlan:
    before = (d / "clusters" / "local-kube" / "infrastructure.yaml").read_text()
    return ChangePlan(
        files=[
            *(FileChange(f"namespaces/app/{name}", None, f"kind: {name}\n") for name in created),
            FileChange("clusters/local-kube/infrastructure.yaml", before, before + "---\nb: 2\n"),
        ]
    )


def hammer(script: str, base: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, str(base), str(TRIES)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(params=[True, False], ids=["exchange", "link-aside"])
def swap_kind(request, monkeypatch):
    """Both ways of keeping the replaced file: renameat2 exchange, and link aside + rename."""
    if not request.param:
        monkeypatch.setattr(apply_mod.dirfd, "exchange", lambda *a: False)
    return request.param


def test_an_append_racing_the_write_is_never_lost(tmp_path: Path, swap_kind, request) -> None:
    if not swap_kind:  # known gap, open in issue 11: seen once in 3 full runs (1 of 120 tries)
        request.applymarker(
            pytest.mark.xfail(
                reason="link-aside fallback: an append landing in the new file during a rollback is dropped",
                strict=False,
            )
        )
    proc = hammer(APPENDER, tmp_path)
    assert proc.stdin and proc.stdout
    outcomes: Counter[str] = Counter()
    try:
        for n in range(TRIES):
            d = make_repo(tmp_path / f"try-{n}")
            plan = infra_plan(d, ["namespace.yaml"])
            proc.stdin.write("go\n")
            proc.stdin.flush()
            try:
                apply_mod.apply(plan, d)
                outcomes["written"] += 1
            except apply_mod.ApplyRefused as exc:
                (reason,) = exc.reasons
                caught = (
                    "while writing" if "changed on disk while writing; nothing written" in reason else "stale"
                )
                outcomes[f"refused ({caught})"] += 1
                assert caught == "while writing" or "changed on disk since the plan was made" in reason, (
                    reason
                )
            assert proc.stdout.readline().strip() == str(n)
            text = (d / "clusters" / "local-kube" / "infrastructure.yaml").read_text()
            assert f"appended-{n}\n" in text, f"try {n}: the append was lost ({outcomes}); file:\n{text}"
            assert not [p for p in d.rglob(".*") if "infra-tui" in p.name], f"try {n}: hidden files left"
    finally:
        proc.kill()
        proc.wait()
    print(f"\nappend race, {TRIES} tries: {dict(outcomes)}")


def test_a_folder_swapped_for_a_symlink_never_takes_a_file_out_of_the_repo(tmp_path: Path, swap_kind) -> None:
    proc = hammer(SWAPPER, tmp_path)
    assert proc.stdin and proc.stdout
    outcomes: Counter[str] = Counter()
    try:
        for n in range(TRIES):
            d = make_repo(tmp_path / f"try-{n}")
            outside = tmp_path / f"outside-{n}"
            outside.mkdir()
            plan = infra_plan(d, ["namespace.yaml", "helm-release.yaml", "kustomization.yaml"])
            proc.stdin.write("go\n")
            proc.stdin.flush()
            try:
                apply_mod.apply(plan, d)
                outcomes["written"] += 1
            except apply_mod.ApplyRefused as exc:
                outcomes["refused"] += 1
                assert any("replaced by a symlink or moved while writing" in r for r in exc.reasons), (
                    exc.reasons
                )
                infra = (d / "clusters" / "local-kube" / "infrastructure.yaml").read_text()
                assert infra == "# head\n---\na: 1\n", f"try {n}: refused but infrastructure.yaml was changed"
                moved = d / "moved-away"
                assert not moved.exists() or not list(moved.iterdir()), (
                    f"try {n}: refused but files were left"
                )
            assert proc.stdout.readline().strip() == str(n)
            assert list(outside.rglob("*")) == [], f"try {n}: files written outside the repo ({outcomes})"
    finally:
        proc.kill()
        proc.wait()
    print(f"\nsymlink race, {TRIES} tries: {dict(outcomes)}")
