"""Where things are in YAML text, found by reading lines (no parse tree): the line of a key path
(``key_line``, the one key-line locator) and the items of a block list. They run for every located
finding of a 1,000-document file, so they stay cheap."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def block_list_items(lines: list[str], key_line: int) -> tuple[list[int], int]:
    """The ``- `` items of the block list under the key on ``key_line`` (1-based).

    Returns the 1-based line of each item and the 1-based line where the list ends (the first
    line after it; ``len(lines) + 1`` at the end of the text). A flow list (``key: [a, b]``) or no
    list gives no items.
    """
    items: list[int] = []
    item_indent: int | None = None
    end = len(lines) + 1
    for i in range(max(key_line, 0), len(lines)):  # 0-based i is the line after the key
        text = lines[i]
        if text.startswith("---"):
            return items, i + 1
        body = text.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        indent = len(text) - len(body)
        if item_indent is None:
            if not body.startswith("-"):
                return items, i + 1
            item_indent = indent
        if indent < item_indent or (indent == item_indent and not body.startswith("-")):
            return items, i + 1
        if indent == item_indent:
            items.append(i + 1)
    return items, end


def key_line(
    lines: Sequence[str], path: Iterable[str | int], start: int = 1, *, in_order: bool = False
) -> int:
    """1-based line of the deepest key of ``path`` that the document starting at line ``start`` of
    ``lines`` has: ``("spec", "values", "serviceMonitor")``, ints for sequence items
    (``("spec", "containers", 0, "image")``). ``start`` when it has none of them.

    Each key is looked for only inside the block of the key before it (deeper indentation), so
    ``operator.prometheus.enabled`` and ``prometheus.enabled`` point at different lines. Reads the
    text, not a parse tree: it runs for every located finding of a 1,000-document file. A key in a
    flow collection (``{a: 1}``) points at the line of its block parent, which is the same line.

    ``in_order``: for YAML nested in a block scalar (a Flux patch string), where indentation is
    relative: each key is the first line after the one before it that starts with it.
    """
    if in_order:
        return _key_line_in_order(lines, path, start)
    line, parent_indent, i = start, -1, start - 1
    item_dash: int | None = None  # searching inside a sequence item: the column of its dash
    for key in path:
        found = False
        child_indent: int | None = None
        dash_col: int | None = None
        items = -1
        while i < len(lines):
            text = lines[i]
            if i >= start and text.startswith("---"):
                return line
            body = text.lstrip(" ")
            if not body or body.startswith("#"):
                i += 1
                continue
            content = body.lstrip("- ")
            indent = len(text) - len(content)
            is_item = body.startswith("- ") or body.rstrip() == "-"
            if indent <= parent_indent:
                return line  # left the parent's block
            if item_dash is not None and is_item and len(text) - len(body) == item_dash and i + 1 != line:
                return line  # the next item of the sequence
            if isinstance(key, int):
                if is_item:
                    col = len(text) - len(body)
                    dash_col = col if dash_col is None else dash_col
                    if col == dash_col:
                        items += 1
                        if items == key:
                            line, found, parent_indent, item_dash = i + 1, True, col, col
                            break  # the item's first key is on this line
                i += 1
                continue
            if child_indent is None:
                child_indent = indent
            if indent == child_indent and _starts_with_key(content, key):
                parent_indent, line, found, item_dash = indent, i + 1, True, None
                i += 1
                break
            i += 1
        if not found:
            return line
    return line


def _starts_with_key(content: str, key: str) -> bool:
    return content.startswith((f"{key}:", f'"{key}":', f"'{key}':"))


def _key_line_in_order(lines: Sequence[str], path: Iterable[str | int], start: int) -> int:
    line, i = start, start - 1
    for key in path:
        while i < len(lines):
            if i >= start and lines[i].startswith("---"):
                return line
            if _starts_with_key(lines[i].lstrip(" -"), str(key)):
                line = i + 1
                i += 1
                break
            i += 1
        else:
            return line
    return line
