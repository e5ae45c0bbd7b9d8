"""The round-trip side of YAML: ruamel.yaml configured for the Flux repos this tool writes, and
``MultiDocFile``, a file split into documents *as text* where only the documents you change or add
go through ruamel and every other byte is kept as it was (header comments before the first ``---``
included). Round-tripping a whole 1,000-document file through ruamel takes seconds; splicing the
one changed document back takes milliseconds. ruamel is imported on first use (not at start-up)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from infra_tui.core.yamlio import Chunk, load_one, split_documents

if TYPE_CHECKING:
    from ruamel.yaml import YAML


YAML11_SPECIAL = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|~|null|Null|NULL|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?0[0-7_]+|[-+]?0b[01_]+)$"
)
"""Plain scalars that YAML 1.2 reads as strings but YAML 1.1 readers (Helm's and Flux's Go YAML,
PyYAML) read as booleans, null or numbers: ``no``, ``on``, ``y``, ``1:20``, ``010``."""


def _represent_str_safely(representer: Any, data: str) -> Any:
    if YAML11_SPECIAL.match(data):
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return representer.represent_str(data)


def quote_yaml11_specials(rt: YAML) -> YAML:
    """Make ``rt`` quote strings that a YAML 1.1 reader would not read back as strings (a values
    key ``no`` written plain becomes ``false`` for Helm)."""
    rt.representer.add_representer(str, _represent_str_safely)
    return rt


def round_trip_yaml() -> YAML:
    """A ruamel.yaml instance configured for the Flux repos this tool writes."""
    from ruamel.yaml import YAML  # plans and writes need it, the TUI's first frame does not

    rt = quote_yaml11_specials(YAML(typ="rt"))
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.preserve_quotes = True
    rt.width = 4096
    rt.explicit_start = False
    return rt


def rt_load(text: str) -> Any:
    """Round-trip load of one document (comments and quotes kept); aliases bounded as in
    ``load_one`` (raises ``YamlRefused``)."""
    if "*" in text:
        load_one(text)
    return round_trip_yaml().load(text)


def rt_dump(data: Any, indent: tuple[int, int, int] | None = None) -> str:
    """Round-trip dump of one document; ``indent`` = (mapping, sequence, offset) to match a file."""
    buf = io.StringIO()
    rt = round_trip_yaml()
    if indent is not None:
        rt.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    rt.dump(data, buf)
    return buf.getvalue()


def guess_indent(text: str) -> tuple[int, int, int]:
    """The (mapping, sequence, offset) indentation a document is written with.

    Flux repos write lists both ways (``- a`` under its key, or indented by two); keeping the
    file's own style is what makes an edited document differ only where it was edited.
    """
    mapping, offset = None, None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for prev, cur in zip(lines, lines[1:], strict=False):
        p_ind = len(prev) - len(prev.lstrip(" "))
        c_ind = len(cur) - len(cur.lstrip(" "))
        if prev.rstrip().endswith(":") and not prev.lstrip().startswith("- "):
            if cur.lstrip().startswith("- "):
                offset = c_ind - p_ind if offset is None else offset
            elif c_ind > p_ind and mapping is None:
                mapping = c_ind - p_ind
        if mapping is not None and offset is not None:
            break
    if lines and lines[0].startswith("- "):
        offset = 0  # a top-level list is written flush left, and so are its nested ones
    mapping = mapping or 2
    offset = 2 if offset is None else max(offset, 0)
    return mapping, offset + 2, offset


def dump_plain(data: Any) -> str:
    """Dump plain Python data (dicts/lists) in block style with the house indentation."""
    return rt_dump(data)


@dataclass
class MultiDocFile:
    """A multi-document YAML file that can be edited one document at a time.

    Untouched documents are written back byte for byte; only replaced or appended documents are
    produced by ruamel.yaml. ``str(MultiDocFile.parse(t)) == t`` for any text.
    """

    chunks: list[Chunk] = field(default_factory=list)
    _indent: dict[int, tuple[int, int, int]] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, text: str) -> MultiDocFile:
        return cls(split_documents(text))

    def __str__(self) -> str:
        return "".join(c.text for c in self.chunks)

    def document_indexes(self) -> list[int]:
        """Indexes of chunks that hold a document (not only comments)."""
        return [i for i, c in enumerate(self.chunks) if not c.is_empty()]

    def load(self, index: int) -> Any:
        """Round-trip load chunk ``index`` for editing."""
        body = self.chunks[index].body
        self._indent[index] = guess_indent(body)
        from ruamel.yaml.error import YAMLError as RuamelError  # see round_trip_yaml

        try:
            return rt_load(body)
        except RuamelError as exc:  # pragma: no cover - the fast loader reports these first
            raise ValueError(str(exc)) from exc

    def replace(self, index: int, data: Any) -> None:
        """Replace the body of chunk ``index`` with ``data`` dumped by ruamel.

        Comments and blank lines that followed the document in the original chunk (they usually
        introduce the next document) are kept when ruamel does not carry them itself.
        """
        old = self.chunks[index]
        new_body = rt_dump(data, self._indent.get(index) or guess_indent(old.body))
        trailing = _trailing_comment_block(old.body)
        if trailing and not new_body.endswith(trailing):
            new_body = new_body.rstrip("\n") + "\n" + trailing
        if not old.body.endswith("\n"):
            new_body = new_body.rstrip("\n")
        self.chunks[index] = Chunk(old.marker, new_body, old.start_line)

    def append(self, body: str, comment: str | None = None) -> None:
        """Append a document (its text) at the end, opened by `---`.

        The existing text keeps every byte; a missing final newline is the only thing added.
        """
        if self.chunks and not self.chunks[-1].text.endswith("\n") and self.chunks[-1].text:
            last = self.chunks[-1]
            self.chunks[-1] = (
                Chunk(last.marker, last.body + "\n", last.start_line)
                if last.body
                else Chunk(last.marker + "\n", last.body, last.start_line)
            )
        text = str(self)
        start = text.count("\n") + 1
        prefix = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines()) if comment else ""
        if not body.endswith("\n"):
            body += "\n"
        if len(self.chunks) == 1 and not text.strip():
            self.chunks = [Chunk("---\n", prefix + body, 1)]
        else:
            self.chunks.append(Chunk("---\n", prefix + body, start))


def _trailing_comment_block(body: str) -> str:
    """The run of blank and comment lines at the end of ``body`` (may be empty)."""
    lines = body.splitlines(keepends=True)
    i = len(lines)
    while i > 0 and (not lines[i - 1].strip() or lines[i - 1].lstrip().startswith("#")):
        i -= 1
    # only keep it if the last content line is not part of a block scalar continuing into it
    return "".join(lines[i:])
