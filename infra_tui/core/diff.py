"""Unified diffs of a ``ChangePlan``: one per ``FileChange``, as text or as coloured rich ``Text``.

Appending to a 1,000-document infrastructure.yaml must not cost a frame, so the common head and
tail of a file are cut off before ``difflib`` sees it and the hunk line numbers are shifted back.
The cut is found on the text itself (``trim_lines``: a C-speed compare of the characters, then the
nearest line boundaries): only the changed region is ever split into lines. It gives the same
lines as cutting the split line lists (``trim_line_lists``, kept for text with other line breaks
than a newline; a hypothesis test holds the two equal). Pure: no Textual, no subprocess.
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


_BLOCK = 4096
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""Line breaks ``str.splitlines`` knows besides a newline: text with them takes the list path."""


def newlines_only(text: str) -> bool:
    """No line breaks but newlines in ``text`` (``str.splitlines`` splits at no other place)."""
    if text.isascii():  # a flag on the string: then a few substring scans beat the regex
        return not any(c in text for c in "\r\x0b\x0c\x1c\x1d\x1e")
    return _OTHER_BREAKS.search(text) is None


def common_prefix_chars(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` share (block compares, then a binary search)."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i : i + _BLOCK] == b[i : i + _BLOCK]:
        i = min(i + _BLOCK, n)
    lo, hi = i, min(i + _BLOCK, n)
    while lo < hi:  # a[i:lo] == b[i:lo]; the first difference is before hi
        mid = (lo + hi + 1) // 2
        if a[i:mid] == b[i:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix_chars(a: str, b: str, limit: int) -> int:
    """How many trailing characters ``a`` and ``b`` share, at most ``limit``."""
    la, lb = len(a), len(b)
    i = 0
    while i < limit and a[la - min(i + _BLOCK, limit) : la - i] == b[lb - min(i + _BLOCK, limit) : lb - i]:
        i = min(i + _BLOCK, limit)
    lo, hi = i, min(i + _BLOCK, limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - i] == b[lb - mid : lb - i]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def trim_lines(a: str, b: str) -> tuple[int, int, int, int] | None:
    """Where the common head and tail lines of two texts end and begin, found on the characters:
    ``(head_end, head_lines, tail_a, tail_b)``: ``a[:head_end] == b[:head_end]`` are the first
    ``head_lines`` lines of both; ``a[tail_a:] == b[tail_b:]`` are their common last lines (as
    many as do not overlap the head). The same lines ``trim_line_lists`` cuts from the
    ``splitlines`` lists. None when a text has line breaks other than newlines (the caller splits
    it then)."""
    if not (newlines_only(a) and newlines_only(b)):
        return None
    return trim_at_newlines(a, b)


def trim_at_newlines(a: str, b: str) -> tuple[int, int, int, int]:
    """``trim_lines`` for lines ended by newlines only (any other character is a line's text)."""
    p = common_prefix_chars(a, b)
    if p == len(a) == len(b):  # equal: every line is head, a last one without newline too
        return p, a.count("\n") + (0 if a.endswith("\n") or not a else 1), p, p
    # a line is common when its "\n" is inside the common characters; the line holding the first
    # difference (or a text's end) differs, or is a last line without "\n" the other text continues
    head = a.rfind("\n", 0, p) + 1
    s = common_suffix_chars(a, b, min(len(a), len(b)) - head)
    ta, tb = len(a) - s, len(b) - s
    # the tail starts at a line start of both texts: where both had a "\n" before (or the head
    # ends), else after the first "\n" inside the common characters
    if not ((ta == head or a[ta - 1] == "\n") and (tb == head or b[tb - 1] == "\n")):
        nl = a.find("\n", ta)
        if nl < 0:
            ta, tb = len(a), len(b)
        else:
            tb += nl + 1 - ta
            ta = nl + 1
    return head, a.count("\n", 0, head), ta, tb


def trim_line_lists(a: list[str], b: list[str]) -> tuple[int, int]:
    """(common head lines, common tail lines not overlapping the head) of two line lists."""
    head = common_prefix(a, b)
    return head, common_suffix(a, b, min(len(a), len(b)) - head)


def _back(text: str, pos: int, lines: int) -> tuple[int, int]:
    """The start of the line ``lines`` lines before the line start ``pos`` (or of the text), and
    how many lines back that is."""
    n = 0
    while n < lines and pos > 0:
        pos = text.rfind("\n", 0, pos - 1) + 1
        n += 1
    return pos, n


def _forward(text: str, pos: int, lines: int) -> int:
    """The end of the ``lines`` lines after the line start ``pos`` (or the end of the text)."""
    for _ in range(lines):
        if pos >= len(text):
            break
        nl = text.find("\n", pos)
        pos = len(text) if nl < 0 else nl + 1
    return pos


def _middle_lines(before: str, after: str, context: int) -> tuple[int, list[str], list[str]]:
    """(first line number kept, the lines of ``before`` and ``after`` that go to difflib): the
    changed region with ``context`` lines either side."""
    cut = trim_lines(before, after)
    if cut is None:
        a = before.splitlines(keepends=True)
        b = after.splitlines(keepends=True)
        head, tail = trim_line_lists(a, b)
        start = max(0, head - context)
        keep_tail = max(0, tail - context)
        return start, a[start : len(a) - keep_tail], b[start : len(b) - keep_tail]
    head_end, head, ta, tb = cut
    begin, back = _back(before, head_end, context)
    end_a = _forward(before, ta, context)
    end_b = tb + (end_a - ta)
    return head - back, before[begin:end_a].splitlines(True), after[begin:end_b].splitlines(True)


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
        start, a_mid, b_mid = _middle_lines(before, change.after, context)
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
