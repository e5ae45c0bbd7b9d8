"""apply against a second process racing it: no append lost, no file put outside the repo.

A real second process hammers each try: it busy-waits for the moment the write is between its
last "changed since the plan" check and the swap of the file it attacks (the first created file
of the plan appearing, or the freshly created component folder), then strikes (appends a line;
swaps the folder for a symlink out of the repo). Both races hit the old path-based write in most
tries (measured: appends lost, files written through the symlink outside the repo).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from infra_tui.core import apply as apply_mod
from infra_tui.core.model import ChangePlan, FileChange
from infra_tui.core.workspace import FileDeletion

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


def test_an_append_racing_the_write_is_never_lost(tmp_path: Path, swap_kind) -> None:
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
                reason = exc.reasons[-1]
                caught = (
                    "while writing"
                    if "changed on disk while writing; nothing written" in reason
                    or "held open for writing by another process; nothing written" in reason
                    else "stale"
                )
                if len(exc.reasons) > 1:  # a writer outlasted the wait: both versions kept, named
                    assert "infra-tui-conflict" in exc.reasons[0], exc.reasons
                    caught += ", both versions kept"
                outcomes[f"refused ({caught})"] += 1
                assert caught != "stale" or "changed on disk since the plan was made" in reason, reason
            assert proc.stdout.readline().strip() == str(n)
            text = "".join(
                p.read_text() for p in (d / "clusters" / "local-kube").glob("infrastructure.yaml*")
            )
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


def racing_writes(monkeypatch, at: dict[int, Callable[[], None]]) -> None:
    """Act as other processes at exact steps of the write (``apply.step_hook``)."""
    monkeypatch.setattr(apply_mod, "step_hook", lambda n: at[n]() if n in at else None)


def test_an_append_landing_in_the_new_file_survives_the_roll_back(
    tmp_path: Path, swap_kind, monkeypatch
) -> None:
    """Deterministic form of the race above: a process that opened infrastructure.yaml before the
    swap writes to it after the swap (so the write is rolled back), and another appends to the file
    now at the path, which holds the new text. Both additions must be there afterwards."""
    d = make_repo(tmp_path / "repo")
    infra = d / "clusters" / "local-kube" / "infrastructure.yaml"
    held: list[int] = []

    def open_before_the_swap() -> None:
        held.append(os.open(infra, os.O_WRONLY | os.O_APPEND))

    def write_after_the_swap() -> None:
        os.write(held[0], b"# late write through an old descriptor\n")
        os.close(held[0])
        with infra.open("a") as fh:  # lands in the file that holds the new text
            fh.write("appended: after the swap\n")

    racing_writes(monkeypatch, {4: open_before_the_swap, 6: write_after_the_swap})
    with pytest.raises(apply_mod.ApplyRefused, match="changed on disk while writing"):
        apply_mod.apply(infra_plan(d, ["namespace.yaml"]), d)
    assert infra.read_text() == (
        "# head\n---\na: 1\n# late write through an old descriptor\nappended: after the swap\n"
    )
    assert not (d / "namespaces" / "app" / "namespace.yaml").exists()
    assert not [p for p in d.rglob("*") if "infra-tui" in p.name], "leftovers"


def test_a_file_replaced_while_the_write_is_put_back_stays_and_the_old_text_is_kept_beside_it(
    tmp_path: Path, swap_kind, monkeypatch
) -> None:
    """After the swap, a late write to the old file forces a roll-back, and another process puts
    a whole new file at the path (an editor's save, ``git checkout``): that newest version stays,
    the text it replaced is kept beside it, and the refusal says where."""
    d = make_repo(tmp_path / "repo")
    infra = d / "clusters" / "local-kube" / "infrastructure.yaml"
    held: list[int] = []

    def replace_after_the_swap() -> None:
        os.write(held[0], b"# late write\n")
        os.close(held[0])
        theirs = infra.with_name("theirs")
        theirs.write_text("# their version\n")
        os.rename(theirs, infra)

    racing_writes(
        monkeypatch,
        {4: lambda: held.append(os.open(infra, os.O_WRONLY | os.O_APPEND)), 6: replace_after_the_swap},
    )
    with pytest.raises(apply_mod.ApplyRefused) as refused:
        apply_mod.apply(infra_plan(d, ["namespace.yaml"]), d)
    side = infra.with_name("infrastructure.yaml.infra-tui-conflict")
    assert infra.read_text() == "# their version\n"
    assert side.read_text() == "# head\n---\na: 1\n# late write\n"
    line = refused.value.reasons[0]
    assert line.startswith("clusters/local-kube/infrastructure.yaml: changed by another process"), line
    assert "kept as clusters/local-kube/infrastructure.yaml.infra-tui-conflict" in line, line
    assert not [p for p in d.rglob(".*") if "infra-tui" in p.name], "hidden leftovers"


def test_a_writer_still_holding_the_old_file_open_makes_the_write_refused_not_lost(
    tmp_path: Path, swap_kind, monkeypatch
) -> None:
    """A process that opened infrastructure.yaml before the swap and writes only after the check
    gave up waiting for it (2 s): its write must land in the file at the path, so the write is
    refused and the old file put back rather than dropped."""
    d = make_repo(tmp_path / "repo")
    infra = d / "clusters" / "local-kube" / "infrastructure.yaml"
    held: list[int] = []
    racing_writes(monkeypatch, {4: lambda: held.append(os.open(infra, os.O_WRONLY | os.O_APPEND))})
    try:
        with pytest.raises(apply_mod.ApplyRefused, match="held open for writing by another process"):
            apply_mod.apply(infra_plan(d, ["namespace.yaml"]), d)
        os.write(held[0], b"# written late\n")
    finally:
        os.close(held[0])
    assert infra.read_text() == "# head\n---\na: 1\n# written late\n"
    assert not [p for p in d.rglob("*") if "infra-tui" in p.name], "leftovers"


def test_files_made_or_changed_by_others_while_a_delete_or_create_is_undone_are_kept(
    tmp_path: Path, swap_kind, monkeypatch
) -> None:
    """A roll-back never removes what another process made meanwhile: a file it put where this
    write deleted one stays (the deleted one is kept beside it), an append to a file this write
    created stays with it; each is named in the refusal."""
    d = make_repo(tmp_path / "repo")
    infra = d / "clusters" / "local-kube" / "infrastructure.yaml"
    old = d / "namespaces" / "old" / "x.yaml"
    old.parent.mkdir(parents=True)
    old.write_text("x: 1\n")
    created = d / "namespaces" / "app" / "namespace.yaml"
    plan = infra_plan(d, ["namespace.yaml"])
    plan.files.insert(0, FileDeletion("namespaces/old/x.yaml", "x: 1\n", ""))
    held: list[int] = []

    def others_after_the_swaps() -> None:
        os.write(held[0], b"# late write\n")  # forces the roll-back
        os.close(held[0])
        old.write_text("x: theirs\n")
        with created.open("a") as fh:
            fh.write("# their addition\n")

    # journal, 3 staged, checked (5), 3 swapped (8)
    racing_writes(
        monkeypatch,
        {5: lambda: held.append(os.open(infra, os.O_WRONLY | os.O_APPEND)), 8: others_after_the_swaps},
    )
    with pytest.raises(apply_mod.ApplyRefused) as refused:
        apply_mod.apply(plan, d)
    lines = "\n".join(refused.value.reasons)
    assert old.read_text() == "x: theirs\n"
    assert old.with_name("x.yaml.infra-tui-conflict").read_text() == "x: 1\n"
    assert "namespaces/old/x.yaml: made anew by another process" in lines, lines
    assert created.read_text() == "kind: namespace.yaml\n# their addition\n"
    assert (
        "namespaces/app/namespace.yaml: changed by another process while infra-tui was creating it" in lines
    )
    assert infra.read_text() == "# head\n---\na: 1\n# late write\n"
    assert not [p for p in d.rglob(".*") if "infra-tui" in p.name], "hidden leftovers"
