"""services.proc: real processes; a cancel or a timeout kills the child and its grandchildren."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from infra_tui.services.proc import Command, CommandNotFound, run_command, run_command_sync
from tests.processes import dead as _dead
from tests.processes import wait_dead as _wait_dead

# The child prints its own pid and its background grandchild's pid, then waits.
TREE = "sleep 60 & echo $$ $!; sleep 60"


async def _pids_from(path: Path) -> list[int]:
    for _ in range(250):
        if path.exists() and path.read_text().strip():
            return [int(p) for p in path.read_text().split()]
        await asyncio.sleep(0.02)
    raise AssertionError("child never reported its pids")


def test_output_and_exit_status_are_captured():
    result = run_command_sync(Command(["sh", "-c", "echo out; echo err >&2; exit 3"]))
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.ok and not result.timed_out and result.elapsed >= 0


def test_stdin_bytes_arrive_and_stdin_is_closed_otherwise():
    data = b"kind: Namespace\n\xe2\x9c\x93\n" * 5000  # larger than a pipe buffer
    result = run_command_sync(Command(["sh", "-c", "cat | wc -c"], stdin=data))
    assert result.ok and int(result.stdout) == len(data)
    # No stdin given: /dev/null, so a reader sees EOF at once instead of hanging.
    result = run_command_sync(Command(["cat"], timeout=5))
    assert result.ok and result.stdout == "" and not result.timed_out


def test_no_controlling_tty():
    result = run_command_sync(
        Command(["sh", "-c", "tty; ( : </dev/tty ) 2>/dev/null && echo HAS_TTY || echo NO_TTY"])
    )
    assert "NO_TTY" in result.stdout and "HAS_TTY" not in result.stdout


def test_env_and_cwd(tmp_path):
    result = run_command_sync(
        Command(["sh", "-c", 'echo "$ONLY" && pwd'], env={"ONLY": "x", "PATH": os.defpath}, cwd=tmp_path)
    )
    assert result.stdout.split() == ["x", str(tmp_path)]


def test_missing_program_raises_command_not_found():
    with pytest.raises(CommandNotFound) as info:
        run_command_sync(Command(["infra-tui-no-such-program", "--version"]))
    assert "infra-tui-no-such-program" in str(info.value) and "PATH" in str(info.value)
    with pytest.raises(CommandNotFound, match="sshpass.*apt-get install sshpass"):
        run_command_sync(Command(["/nonexistent/bin/sshpass"]))


def test_timeout_kills_child_and_grandchild(tmp_path):
    pids_file = tmp_path / "pids"
    start = time.monotonic()
    result = run_command_sync(
        Command(["sh", "-c", f"{TREE.replace('echo $$ $!', f'echo $$ $! > {pids_file}')}"], timeout=0.5)
    )
    assert result.timed_out and not result.ok
    assert time.monotonic() - start < 5
    pids = [int(p) for p in pids_file.read_text().split()]
    assert len(pids) == 2 and _wait_dead(pids), f"survivors: {[p for p in pids if not _dead(p)]}"


def test_timeout_keeps_partial_output():
    result = run_command_sync(Command(["sh", "-c", "echo started; sleep 60"], timeout=0.5))
    assert result.timed_out and result.stdout == "started\n"


def test_sigterm_ignoring_grandchild_is_sigkilled(tmp_path):
    pids_file = tmp_path / "pids"
    script = f"sh -c 'trap \"\" TERM; sleep 60' & echo $$ $! > {pids_file}; sleep 60"
    result = run_command_sync(Command(["sh", "-c", script], timeout=0.5))
    assert result.timed_out
    assert _wait_dead([int(p) for p in pids_file.read_text().split()])


def test_cancel_kills_child_and_grandchild(tmp_path):
    pids_file = tmp_path / "pids"

    async def scenario() -> list[int]:
        task = asyncio.create_task(
            run_command(
                Command(["sh", "-c", TREE.replace("echo $$ $!", f"echo $$ $! > {pids_file}")], timeout=None)
            )
        )
        pids = await _pids_from(pids_file)
        assert not any(_dead(p) for p in pids)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return pids

    pids = asyncio.run(scenario())
    assert _wait_dead(pids), f"survivors: {[p for p in pids if not _dead(p)]}"


def test_no_child_outlives_interpreter_exit(tmp_path):
    """A program that exits (here: os._exit skips asyncio cleanup, atexit still runs) kills groups."""
    pids_file = tmp_path / "pids"
    program = f"""
import asyncio, atexit, os, sys
from infra_tui.services.proc import Command, run_command, kill_live_groups
async def main():
    task = asyncio.create_task(run_command(Command(["sh", "-c", {TREE.replace("echo $$ $!", f"echo $$ $! > {pids_file}")!r}], timeout=None)))
    for _ in range(250):
        if os.path.exists({str(pids_file)!r}) and open({str(pids_file)!r}).read().strip():
            break
        await asyncio.sleep(0.02)
    kill_live_groups()  # what atexit runs; os._exit would skip it
    os._exit(0)
asyncio.run(main())
"""
    result = run_command_sync(Command([sys.executable, "-c", program], timeout=30))
    assert result.returncode == 0, result.stderr
    pids = [int(p) for p in pids_file.read_text().split()]
    assert _wait_dead(pids)


def test_ctrl_c_in_sync_path_kills_the_group(tmp_path):
    """run_command_sync under SIGINT (what a user's Ctrl-C sends) leaves no child behind."""
    pids_file = tmp_path / "pids"
    program = f"""
from infra_tui.services.proc import Command, run_command_sync
try:
    run_command_sync(Command(["sh", "-c", {TREE.replace("echo $$ $!", f"echo $$ $! > {pids_file}")!r}], timeout=None))
except KeyboardInterrupt:
    print("interrupted")
"""

    async def scenario() -> tuple[list[int], str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", program, stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
        )
        pids = await _pids_from(pids_file)
        proc.send_signal(2)
        out, _ = await asyncio.wait_for(proc.communicate(), 10)
        return pids, out.decode()

    pids, out = asyncio.run(scenario())
    assert "interrupted" in out
    assert _wait_dead(pids)
