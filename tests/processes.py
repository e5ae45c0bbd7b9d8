"""Looking at live processes from tests: is a pid gone, which processes name a marker."""

from __future__ import annotations

import os
import time
from pathlib import Path


def dead(pid: int) -> bool:
    """Gone, or a zombie (PID 1 in a container may never reap re-parented grandchildren)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):  # gone before, or while, /proc was read
        return True
    return stat.rsplit(")", 1)[1].split()[0] in {"Z", "X"}


def wait_dead(pids: list[int], within: float = 5.0) -> bool:
    """True once every pid is dead, False if one still lives after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(dead(p) for p in pids):
            return True
        time.sleep(0.02)
    return False


def processes_naming(marker: str) -> list[tuple[int, str]]:
    """Live processes whose command line contains ``marker`` (by pid; zombies skipped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline and state != "Z":
            found.append((int(entry.name), cmdline.strip()))
    return found
