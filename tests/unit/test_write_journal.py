"""A write killed at any step, racing writers included, is put right by ``write_journal.recover``.

Each case forks: the child runs the real ``apply`` while acting as racing processes at exact
steps (``apply.step_hook``) and ends itself with ``os._exit`` at step N, as ``kill -9`` would (no
clean-up, no exception handler runs, its descriptors and journal lock are dropped). The parent
then recovers the repo the way the next command does and checks that nothing anyone wrote is lost
and nothing hidden is left, for every N up to the end of the write and of its roll-back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from infra_tui.core import apply as apply_mod
from infra_tui.core import journal_where, write_journal
from tests.unit import test_apply_races as races
from tests.unit.test_apply_races import infra_plan, make_repo

swap_kind = races.swap_kind  # the same two ways of keeping the replaced file

ORIGINAL = "# head\n---\na: 1\n"
LATE = "# late write through an old descriptor\n"
APPENDED = "appended: after the swap\n"
KILLED = 137


def killed_at(step: int, d: Path, at: dict[int, Callable[[Path], None]]) -> bool:
    """Run the write in a child that dies at ``step``; False if it finished before getting there."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:

            def hook(n: int) -> None:
                if n in at:
                    at[n](d)
                if n == step:
                    os._exit(KILLED)

            apply_mod.step_hook = hook
            try:
                apply_mod.apply(infra_plan(d, ["namespace.yaml"]), d)
            except apply_mod.ApplyRefused:
                pass
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), status
    assert os.WEXITSTATUS(status) in (0, KILLED), "the write failed in the child"
    return os.WEXITSTATUS(status) == KILLED


def infra(d: Path) -> Path:
    return d / "clusters" / "local-kube" / "infrastructure.yaml"


HELD: list[int] = []


def open_before_the_swap(d: Path) -> None:
    HELD.append(os.open(infra(d), os.O_WRONLY | os.O_APPEND))


def late_write(fd: int) -> None:
    os.write(fd, LATE.encode())
    os.close(fd)


def late_write_and_append(d: Path) -> None:
    late_write(HELD.pop())
    with infra(d).open("a") as fh:
        fh.write(APPENDED)


def late_write_and_replace(d: Path) -> None:
    late_write(HELD.pop())
    theirs = infra(d).with_name("theirs")
    theirs.write_text("# their version\n")
    os.rename(theirs, infra(d))


@pytest.mark.parametrize(
    ("race", "expected", "side"),
    [
        pytest.param(late_write_and_append, ORIGINAL + LATE + APPENDED, None, id="append"),
        pytest.param(late_write_and_replace, "# their version\n", ORIGINAL + LATE, id="replace"),
    ],
)
def test_a_roll_back_killed_at_any_step_is_finished_without_losing_a_write(
    tmp_path: Path, swap_kind, race, expected: str, side: str | None
) -> None:
    reached = []
    for step in range(1, 30):
        d = make_repo(tmp_path / f"step-{step}")
        if not killed_at(step, d, {4: open_before_the_swap, 6: race}):
            break
        reached.append(step)
        assert journal_where.may_exist(d), f"step {step}"  # so the TUI imports the journal's modules
        said = write_journal.recover(d)
        assert said and "interrupted write of 2 files" in said, f"step {step}: {said}"
        text = infra(d).read_text()
        conflict = infra(d).with_name("infrastructure.yaml.infra-tui-conflict")
        if step < 6:  # killed before the racing writes
            assert text == ORIGINAL and "rolled back: the repo is as it was" in said, f"step {step}"
            assert not conflict.exists()
        else:
            # killed between the swap and the end of the roll-back: both racing writes are kept
            kept = {text, conflict.read_text() if conflict.exists() else None}
            assert kept == {expected, side}, f"step {step}: {said}\n{kept}"
            assert (side is not None) == ("other version kept as" in said), f"step {step}: {said}"
        assert not (d / "namespaces" / "app" / "namespace.yaml").exists(), f"step {step}"
        hidden = [p.name for p in d.rglob(".*") if "infra-tui" in p.name]
        assert hidden == [], f"step {step}: {hidden}"
        assert write_journal.recover(d) is None  # done once
        assert not journal_where.may_exist(d), f"step {step}"  # the TUI's next start skips it
    # journal, 2 staged, checked, 2 swapped, then the roll-back's own steps
    print(f"\nkilled at steps {reached}")
    assert len(reached) >= 7, reached


def test_a_journal_or_its_temp_file_is_seen_without_the_journals_modules(tmp_path: Path) -> None:
    """``journal_where.may_exist`` (the TUI's loader asks it before importing ``write_journal``)
    sees every name ``recover`` acts on, in the folder it looks in, and nothing else."""
    plain = make_repo(tmp_path / "plain")
    assert not journal_where.may_exist(plain)
    (plain / ".infra-tui-journal.x1y2.tmp").write_text("half")  # a journal not yet linked
    assert journal_where.may_exist(plain)
    git = make_repo(tmp_path / "git")
    (git / ".git").mkdir()
    (git / ".infra-tui-journal").write_text("")  # not where a git repo's journal is
    assert not journal_where.may_exist(git)
    (git / ".git" / "infra-tui-journal").write_text("")
    assert journal_where.may_exist(git)
    assert not journal_where.may_exist(tmp_path / "nowhere")
