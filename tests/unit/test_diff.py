"""Unified diffs: the trimmed fast path is a correct unified diff (it patches before into after),
and where the alignment is unambiguous it is exactly difflib's output on the whole file."""

from __future__ import annotations

import difflib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from infra_tui.core import diff
from infra_tui.core.model import ChangePlan, FileChange


def reference(before: str | None, after: str, path: str = "f.yaml") -> str:
    a = (before or "").splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    out = []
    for line in difflib.unified_diff(a, b, "/dev/null" if before is None else f"a/{path}", f"b/{path}"):
        out.append(line if line.endswith("\n") else line + "\n" + diff.NO_NEWLINE)
    return "".join(out)


lines = st.lists(st.sampled_from(["a\n", "b\n", "---\n", "c: 1\n", "\n", "# x\n"]), max_size=40)


def patch(before: str, text: str) -> str:
    """Apply a unified diff (as ``patch`` would) to check it."""
    src = before.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    lines = text.splitlines(keepends=True)[2:]
    i = 0
    while i < len(lines):
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", lines[i])
        assert m, lines[i]
        start = int(m.group(1)) - (0 if m.group(2) == "0" else 1)
        out.extend(src[pos:start])
        pos = start
        i += 1
        while i < len(lines) and not lines[i].startswith("@@"):
            line = lines[i]
            nxt_nonl = i + 1 < len(lines) and lines[i + 1] == diff.NO_NEWLINE
            body = line[1:-1] if nxt_nonl else line[1:]
            if line[0] == " ":
                assert src[pos] == body
                out.append(body)
                pos += 1
            elif line[0] == "-":
                assert src[pos] == body
                pos += 1
            elif line[0] == "+":
                out.append(body)
            i += 2 if nxt_nonl else 1
    out.extend(src[pos:])
    return "".join(out)


@settings(max_examples=300)
@given(a=lines, b=lines, tail=st.sampled_from(["", "end", "z\n"]))
def test_the_diff_patches_before_into_after(a, b, tail):
    before = "".join(a) + tail
    after = "".join(b) + tail
    text = diff.unified(FileChange("f.yaml", before, after))
    if before == after:
        assert text == ""
    else:
        assert patch(before, text) == after


@settings(max_examples=200)
@given(n=st.integers(0, 60), cut=st.integers(0, 60), add=st.integers(0, 5), nonl=st.booleans())
def test_same_as_difflib_when_lines_are_unique(n, cut, add, nonl):
    base = [f"line {i}\n" for i in range(n)]
    cut = min(cut, n)
    before = "".join(base) + ("tail" if nonl else "")
    after = "".join(base[:cut] + [f"new {j}\n" for j in range(add)] + base[cut:]) + ("tail" if nonl else "")
    if before != after:
        assert diff.unified(FileChange("f.yaml", before, after)) == reference(before, after)


def test_append_to_a_long_file_has_one_hunk_with_real_line_numbers():
    before = "".join(f"line {i}\n" for i in range(1000))
    after = before + "---\nnew: doc\n"
    text = diff.unified(FileChange("clusters/x/infrastructure.yaml", before, after))
    assert text.splitlines()[:3] == [
        "--- a/clusters/x/infrastructure.yaml",
        "+++ b/clusters/x/infrastructure.yaml",
        "@@ -998,3 +998,5 @@",
    ]
    assert diff.stat(FileChange("p", before, after)) == (2, 0)


def test_created_file_and_missing_final_newline():
    text = diff.unified(FileChange("n.yaml", None, "a: 1\nb: 2"))
    assert text.startswith(
        "--- /dev/null\n+++ b/n.yaml\n@@ -0,0 +1,2 @@\n+a: 1\n+b: 2\n\\ No newline at end of file\n"
    )


def test_unchanged_file_has_no_diff():
    assert diff.unified(FileChange("x", "a\n", "a\n")) == ""


def test_removed_document_marker_counts_as_a_removal():
    assert diff.stat(FileChange("x", "a\n---\nb\n", "a\nb\n")) == (0, 1)


def test_plan_diff_and_colours():
    plan = ChangePlan(
        files=[FileChange("a.yaml", None, "x: 1  # REVIEW: why\n"), FileChange("b.yaml", "y: 1\n", "y: 2\n")]
    )
    text = diff.plan_diff(plan)
    assert text.count("+++ ") == 2
    rich_text = diff.to_text(text)
    assert rich_text.plain == text
    styles = {str(span.style) for span in rich_text.spans}
    assert {"green", "red", "cyan", "bold yellow"} <= styles


@settings(max_examples=200)
@given(a=lines, c=lines.filter(bool))
def test_append_fast_path_patches_correctly(a, c):
    before = "".join(a)
    after = before + "".join(c)
    text = diff.unified(FileChange("f.yaml", before, after))
    assert patch(before, text) == after
    assert all(line.startswith(("+", " ", "@", "---", "+++")) for line in text.splitlines())


# -- the character-level cut (``trim_lines``) against the plain path on split line lists ---------

# pieces that make the first difference fall inside lines, at their ends and at the text's end
pieces = st.lists(
    st.sampled_from(["a", "b", "ab\n", "a\n", "b\n", "\n", "---\n", "c: 1\n", "x", "é\n"]), max_size=30
)
# long common runs push the compare past its 4,096-character blocks
pads = st.sampled_from(["", "k: v\n" * 900, "y" * 5000, "z\n" * 2100])


def plain_unified(change: FileChange, context: int = 3) -> str:
    """``diff.unified`` as it was before the character-level cut: split both texts, cut the
    common head and tail line lists, difflib the rest, shift the hunk numbers back."""
    before = change.before or ""
    if before == change.after and change.before is not None:
        return ""
    a = before.splitlines(keepends=True)
    b = change.after.splitlines(keepends=True)
    head, tail = diff.trim_line_lists(a, b)
    start = max(0, head - context)
    keep_tail = max(0, tail - context)
    out = []
    fromfile = "/dev/null" if change.before is None else f"a/{change.path}"
    for line in difflib.unified_diff(
        a[start : len(a) - keep_tail], b[start : len(b) - keep_tail], fromfile, f"b/{change.path}", n=context
    ):
        m = re.match(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@", line)
        if start and m:
            line = (
                f"@@ -{int(m.group(1)) + start}{m.group(2) or ''} +{int(m.group(3)) + start}{m.group(4) or ''} @@"
                + line[m.end() :]
            )
        if line.startswith(("---", "+++")) and not line.endswith("\n"):
            line += "\n"
        out.append(line if line.endswith("\n") else line + "\n" + diff.NO_NEWLINE)
    return "".join(out)


@settings(max_examples=400)
@given(a=pieces, b=pieces, head=pads, tail=pads)
def test_trim_lines_cuts_the_same_lines_as_the_split_lists(a, b, head, tail):
    before, after = head + "".join(a) + tail, head + "".join(b) + tail
    cut = diff.trim_lines(before, after)
    assert cut is not None
    head_end, head_lines, ta, tb = cut
    la, lb = before.splitlines(keepends=True), after.splitlines(keepends=True)
    want_head, want_tail = diff.trim_line_lists(la, lb)
    assert head_lines == want_head
    assert before[:head_end] == after[:head_end] == "".join(la[:want_head])
    assert before[ta:] == after[tb:] == "".join(la[len(la) - want_tail :])
    assert len(before[ta:].splitlines()) == want_tail


@settings(max_examples=400)
@given(a=pieces, b=pieces, head=pads, tail=pads, context=st.sampled_from([0, 3, 5]), created=st.booleans())
def test_unified_is_the_plain_list_path(a, b, head, tail, context, created):
    before, after = head + "".join(a) + tail, head + "".join(b) + tail
    change = FileChange("f.yaml", None if created else before, after)
    assert diff.unified(change, context) == plain_unified(change, context)


@settings(max_examples=200)
@given(
    a=pieces,
    b=pieces,
    breaks=st.lists(st.sampled_from(["\r\n", "\r", "\x0c", "\u2028", "\x85"]), min_size=1, max_size=3),
)
def test_other_line_breaks_take_the_list_path(a, b, breaks):
    before, after = "".join(a) + "".join(breaks), "".join(b) + "".join(breaks)
    assert diff.trim_lines(before, after) is None
    change = FileChange("f.yaml", before, after)
    assert diff.unified(change) == plain_unified(change)
