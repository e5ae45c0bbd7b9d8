"""Unified diffs of a ``ChangePlan``: one per ``FileChange``, as text or as coloured rich ``Text``.

Appending to a 1,000-document infrastructure.yaml must not cost a frame, so the common head and
tail of a file are cut off before ``difflib`` sees it and the hunk line numbers are shifted back:
the output is exactly what ``difflib.unified_diff`` gives on the whole file.
Pure: no Textual, no subprocess.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from rich.text import Text

from infra_tui.core.model import ChangePlan, FileChange

_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")
NO_NEWLINE = "\\ No newline at end of file\n"


def common_prefix(a: list[str], b: list[str]) -> int:
    """How many leading items ``a`` and ``b`` share."""
    n = min(len(a), len(b))
    lo, hi = 0, n
    # binary search on slices: list equality is a fast C loop
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: list[str], b: list[str], limit: int) -> int:
    """How many trailing items ``a`` and ``b`` share, at most ``limit``."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def unified(change: FileChange, context: int = 3) -> str:
    """The unified diff of one file (``--- /dev/null`` for a created file); "" when unchanged."""
    before = change.before or ""
    if before == change.after and change.before is not None:
        return ""
    if before.endswith("\n") and change.after.startswith(before):
        # an append (the common case: new documents at the end of infrastructure.yaml): only the
        # last `context` lines of the old text matter, so the big file is never split
        cut = len(before)
        for _ in range(context):
            cut = before.rfind("\n", 0, cut - 1) + 1
            if cut <= 0:
                cut = 0
                break
        start = before.count("\n", 0, cut)
        a_mid = before[cut:].splitlines(keepends=True)
        b_mid = a_mid + change.after[len(before) :].splitlines(keepends=True)
    else:
        a = before.splitlines(keepends=True)
        b = change.after.splitlines(keepends=True)
        head = common_prefix(a, b)
        tail = common_suffix(a, b, min(len(a), len(b)) - head)
        start = max(0, head - context)
        keep_tail = max(0, tail - context)
        a_mid = a[start : len(a) - keep_tail]
        b_mid = b[start : len(b) - keep_tail]
    fromfile = "/dev/null" if change.before is None else f"a/{change.path}"
    tofile = "/dev/null" if getattr(change, "deleted", False) else f"b/{change.path}"
    out: list[str] = []
    for line in difflib.unified_diff(a_mid, b_mid, fromfile, tofile, n=context):
        if start and line.startswith("@@"):
            m = _HUNK.match(line)
            if m:
                line = (
                    f"@@ -{int(m.group(1)) + start}{m.group(2) or ''} +{int(m.group(3)) + start}{m.group(4) or ''} @@"
                    + line[m.end() :]
                )
        if line.startswith(("---", "+++")) and not line.endswith("\n"):
            line += "\n"
        if not line.endswith("\n"):
            line += "\n" + NO_NEWLINE
        out.append(line)
    return "".join(out)


def plan_diff(plan: ChangePlan, context: int = 3) -> str:
    """Every file's diff, created files first in plan order."""
    return "".join(unified(f, context) for f in plan.files)


_STATS: dict[tuple[int, int], tuple[str | None, str, tuple[int, int]]] = {}


def stat(change: FileChange) -> tuple[int, int]:
    """(lines added, lines removed). Kept for the last texts: the preview and its summary both
    count the lines of the same plan, whose infrastructure.yaml has thousands."""
    key = (id(change.before), id(change.after))
    hit = _STATS.get(key)
    if hit is not None and hit[0] is change.before and hit[1] is change.after:
        return hit[2]
    counts = _count(change)
    if len(_STATS) >= 32:
        _STATS.pop(next(iter(_STATS)), None)
    _STATS[key] = (change.before, change.after, counts)
    return counts


def _count(change: FileChange) -> tuple[int, int]:
    added = removed = 0
    for line in unified(change, 0).splitlines()[2:]:  # after the ---/+++ header
        if line.startswith("+"):
            added += 1
        elif line.startswith("-"):
            removed += 1
    return added, removed


STYLES = {
    "header": "bold",
    "hunk": "cyan",
    "add": "green",
    "remove": "red",
    "review": "bold yellow",
    "context": "",
}


def to_text(diff: str | Iterable[str]) -> Text:
    """Colour a unified diff for a terminal or a Textual ``Static``: additions green, removals red,
    hunk headers cyan, ``# REVIEW:`` comments highlighted."""
    text = Text()
    lines = diff.splitlines(keepends=True) if isinstance(diff, str) else list(diff)
    for line in lines:
        if line.startswith(("--- ", "+++ ")):
            text.append(line, STYLES["header"])
        elif line.startswith("@@"):
            text.append(line, STYLES["hunk"])
        elif line.startswith("+"):
            idx = line.find("# REVIEW:")
            if idx >= 0:
                text.append(line[:idx], STYLES["add"])
                text.append(line[idx:], STYLES["review"])
            else:
                text.append(line, STYLES["add"])
        elif line.startswith("-"):
            text.append(line, STYLES["remove"])
        else:
            text.append(line, STYLES["context"])
    return text
