"""YAML reading and writing.

Two readers, for two jobs:

* ``load_documents`` reads fast with PyYAML's C safe loader: every document of a file with the
  line it starts on, and a ``YamlError`` (file, line, message) for a document that fails to
  parse, so the rest of the file still loads.
* ``MultiDocFile`` is the round-trip side: a file split into documents *as text*, where only the
  documents you change or add go through ruamel.yaml and every other byte is kept as it was
  (header comments before the first ``---`` included). Round-tripping a whole 1,000-document file
  through ruamel takes seconds; splicing the one changed document back takes milliseconds.
"""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import yaml

if TYPE_CHECKING:
    from ruamel.yaml import YAML

try:  # the C loader is what makes reading a large repo fast
    from yaml import CSafeLoader as _CLoader
except ImportError:  # pragma: no cover - only on a PyYAML built without libyaml
    from yaml import SafeLoader as _CLoader  # type: ignore[assignment]


def _construct_unknown_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    """Application tags (``!env_var FOO``, ``!secret``) load as their plain value."""
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(cast(yaml.ScalarNode, node))


_SCALAR_TAGS: dict[tuple[str, tuple[bool, bool]], str] = {}


class _FastLoader(_CLoader):
    """C safe loader that tolerates application tags and the ``=`` value key.

    Implicit tag resolution runs a regex per scalar in Python; manifests repeat the same
    scalars (``apiVersion``, ``name``, ``true``) thousands of times, so results are memoised.
    """

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            key = (value, implicit)
            tag = _SCALAR_TAGS.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
                if len(_SCALAR_TAGS) < 200_000:
                    _SCALAR_TAGS[key] = tag
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


class _LenientLoader(yaml.SafeLoader):
    """Pure-Python fallback for what libyaml refuses but YAML allows: a re-defined anchor."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        anchor = getattr(event, "anchor", None)
        if anchor is not None and not isinstance(event, yaml.AliasEvent):
            self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


for _loader in (_FastLoader, _LenientLoader):
    _loader.add_multi_constructor("!", _construct_unknown_tag)
    _loader.add_constructor("tag:yaml.org,2002:value", _LenientLoader.construct_yaml_str)  # type: ignore[type-var]


def _parse(text: str) -> Any:
    try:
        return _parse_with(_FastLoader, text)
    except yaml.composer.ComposerError as exc:
        if "duplicate anchor" not in str(exc):
            raise
        return _parse_with(_LenientLoader, text)


def _parse_with(loader_class: type, text: str) -> Any:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in text:
            check_aliases(node)
        return _construct_document(node, loader)
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- bounds

ALIAS_BUDGET = 100_000
"""Nodes that aliases may add to one document beyond the nodes written in it. Real manifests
use a few merge keys (``<<: *defaults``); a billion-laughs bomb adds billions."""


class YamlRefused(yaml.YAMLError):
    """A document that parses but is refused: an alias bomb, a recursive alias, a duplicate key,
    nesting too deep. ``lines0`` are 0-based lines (of the parsed text) that ``template`` names
    with ``{0}``, ``{1}``...; ``problem_mark`` points at the first of them."""

    def __init__(self, template: str, lines0: list[int]):
        self.template = template
        self.lines0 = lines0
        super().__init__(self.message(1))

    def message(self, first_line: int) -> str:
        """The message with line numbers of a text whose line 0 is ``first_line`` (1-based)."""
        return self.template.format(*(n + first_line for n in self.lines0))

    @property
    def problem_mark(self) -> Any:
        return _Mark(self.lines0[0])


@dataclass(frozen=True)
class _Mark:
    line: int


def check_aliases(root: yaml.Node, budget: int = ALIAS_BUDGET) -> None:
    """Raise ``YamlRefused`` when aliases expand ``root`` by more than ``budget`` nodes, or an
    anchor is used inside itself. Linear in the nodes written: sizes are memoised per node."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    extra = 0

    def size(node: yaml.Node) -> int:
        nonlocal extra
        key = id(node)
        known = sizes.get(key)
        if known is not None:  # reached again: through an alias
            extra += known
            if extra > budget:
                raise YamlRefused(
                    "alias expansion too large (anchor at line {0}); write the values out or drop the aliases",
                    [node.start_mark.line],
                )
            return known
        if key in open_nodes:
            raise YamlRefused(
                "alias expansion too large: the anchor at line {0} is used inside itself (a recursive alias); remove that alias",
                [node.start_mark.line],
            )
        total = 1
        if isinstance(node, yaml.MappingNode):
            open_nodes.add(key)
            for k, v in node.value:
                total += size(k) + size(v)
            open_nodes.discard(key)
        elif isinstance(node, yaml.SequenceNode):
            open_nodes.add(key)
            for item in node.value:
                total += size(item)
            open_nodes.discard(key)
        sizes[key] = total
        return total

    try:
        size(root)
    except RecursionError:
        raise YamlRefused(
            "nested too deeply (from line {0}); flatten the document", [root.start_mark.line]
        ) from None


def _construct_document(node: yaml.Node, loader: Any) -> Any:
    try:
        return _construct(node, loader)
    except RecursionError:
        raise YamlRefused(
            "nested too deeply (from line {0}); flatten the document", [node.start_mark.line]
        ) from None


# A document marker: `---` at column 0, alone or followed by a space/comment/tag.
_DOC_MARKER = re.compile(r"^---(?:[ \t].*)?$")
_DOC_END = re.compile(r"^\.\.\.[ \t]*$")


@dataclass(frozen=True)
class YamlError:
    """A document that could not be read: where, and what to do about it."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Chunk:
    """One document of a multi-document file, as text.

    ``marker`` is the `---` line that opens it (empty for a first document without one);
    ``body`` is everything after the marker up to the next marker, comments and blank lines
    included. ``start_line`` is the 1-based line of the marker (or of the body when there is no
    marker).
    """

    marker: str
    body: str
    start_line: int

    @property
    def body_line(self) -> int:
        """1-based line where the body starts."""
        return self.start_line + (1 if self.marker else 0)

    @property
    def text(self) -> str:
        return self.marker + self.body

    def is_empty(self) -> bool:
        """True when the body holds only comments, blank lines or a `...` end marker."""
        for line in self.body.splitlines():
            s = line.strip()
            if s and not s.startswith("#") and not _DOC_END.match(line):
                return False
        return True

    def first_content_line(self) -> int:
        """1-based line of the first line that is not blank or a comment."""
        for offset, line in enumerate(self.body.splitlines()):
            s = line.strip()
            if s and not s.startswith("#"):
                return self.body_line + offset
        return self.body_line


_MARKER_LINE = re.compile(r"^---(?:[ \t][^\n]*)?$\n?", re.M)
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def split_documents(text: str) -> list[Chunk]:
    """Split a YAML stream into document chunks, keeping every byte.

    ``"".join(c.text for c in split_documents(t)) == t`` always holds. A leading chunk with no
    marker holds whatever precedes the first `---` (often only header comments).
    """
    if _OTHER_BREAKS.search(text):
        return _split_by_lines(text)
    # "\n" line ends only (the usual case): find the markers with one regex scan, ~10x faster
    # than walking a 5,000-line infrastructure.yaml line by line (an edit splits it many times)
    chunks: list[Chunk] = []
    marker, pos, start, line, counted = "", 0, 1, 1, 0
    for m in _MARKER_LINE.finditer(text):
        body = text[pos : m.start()]
        if marker or body:
            chunks.append(Chunk(marker, body, start))
        line += text.count("\n", counted, m.start())
        counted = m.start()
        marker, pos, start = m.group(0), m.end(), line
    body = text[pos:]
    if marker or body:
        chunks.append(Chunk(marker, body, start))
    elif not chunks:
        chunks.append(Chunk("", "", 1))
    return chunks


def _split_by_lines(text: str) -> list[Chunk]:
    """``split_documents`` for text with other line breaks than "\n" (CRLF, form feeds, ...)."""
    chunks: list[Chunk] = []
    marker = ""
    body: list[str] = []
    start = 1
    lineno = 0
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        if _DOC_MARKER.match(line.rstrip("\r\n")):
            if marker or body:
                chunks.append(Chunk(marker, "".join(body), start))
            marker, body, start = line, [], lineno
        else:
            body.append(line)
    if marker or body or not chunks:
        chunks.append(Chunk(marker, "".join(body), start if (marker or body) else lineno + 1))
    return chunks


@dataclass
class LoadedDocument:
    """A parsed document with the line where its content starts."""

    data: Any
    line: int
    index: int  # index of the chunk in split_documents()


def _error_line(exc: yaml.YAMLError, chunk: Chunk) -> int:
    # the context mark (where the unclosed '[' or the key started) beats the problem mark,
    # which for an unclosed construct is the end of the document
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    if mark is None:
        return chunk.first_content_line()
    return chunk.body_line + int(mark.line)


def _error_text(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return f"{context} {problem}" if context else str(problem)


_MARKER_RE = re.compile(r"^---(?:[ \t].*)?$", re.M)
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct(node: yaml.Node, loader: Any) -> Any:
    """Node -> Python, faster than PyYAML's generic constructor for the common cases.

    Strings, mappings and sequences are built directly; every other tag (ints, bools, nulls,
    timestamps, merge keys, application tags) goes through the loader's own constructors.
    """
    if isinstance(node, yaml.ScalarNode):
        return node.value if node.tag == _STR_TAG else loader.construct_object(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key, value in node.value:
            if key.tag == _MERGE_TAG:
                return loader.construct_object(node, deep=True)
            k = _construct(key, loader)
            try:
                if k in out:
                    raise _duplicate_key(node, key, k)
                out[k] = _construct(value, loader)
            except TypeError:  # an unhashable key: let PyYAML say so
                return loader.construct_object(node, deep=True)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, loader) for item in node.value]
    return loader.construct_object(node, deep=True)  # pragma: no cover


def _duplicate_key(node: yaml.MappingNode, key_node: yaml.Node, key: Any) -> YamlRefused:
    first = next(k for k, _ in node.value if k.value == key_node.value and k is not key_node)
    return YamlRefused(
        f"duplicate key '{key}' at lines {{0}} and {{1}}; keep one (Kubernetes refuses duplicate keys)",
        [first.start_mark.line, key_node.start_mark.line],
    )


def _chunk_index_of(text: str) -> Any:
    """A function: 0-based line of a node -> index of its chunk in split_documents(text)."""
    starts: list[int] = []
    line, pos = 0, 0
    for m in _MARKER_RE.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        starts.append(line)
    if not starts:
        return lambda line0: 0
    leading = 1 if starts[0] > 0 else 0  # text before the first marker is a chunk of its own

    def index(line0: int) -> int:
        return max(bisect.bisect_right(starts, line0) - 1 + leading, 0)

    return index


def load_documents(text: str, file: str) -> tuple[list[LoadedDocument], list[YamlError]]:
    """Parse every document of ``text`` with the C safe loader.

    Returns the documents that parsed (empty ones skipped) and one ``YamlError`` per document
    that did not, so that one bad document never hides the others. The whole file is parsed in
    one pass; only a file with an error is parsed again document by document.
    """
    docs: list[LoadedDocument] = []
    errors: list[YamlError] = []
    loader = _FastLoader(text)
    may_alias = "*" in text
    try:
        index_of = None
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            try:
                if may_alias:
                    check_aliases(node)
                data = _construct_document(node, loader)
            except YamlRefused as exc:  # this document only: the stream itself parsed
                errors.append(YamlError(file, exc.lines0[-1] + 1, exc.message(1)))
                continue
            if data is None:
                continue
            if index_of is None:
                index_of = _chunk_index_of(text)
            docs.append(LoadedDocument(data, node.start_mark.line + 1, index_of(node.start_mark.line)))
        return docs, errors
    except yaml.YAMLError:
        return _load_documents_one_by_one(text, file)
    finally:
        loader.dispose()


def _load_documents_one_by_one(text: str, file: str) -> tuple[list[LoadedDocument], list[YamlError]]:
    docs: list[LoadedDocument] = []
    errors: list[YamlError] = []
    for index, chunk in enumerate(split_documents(text)):
        if chunk.is_empty():
            continue
        try:
            data = _parse(chunk.body)
        except YamlRefused as exc:
            errors.append(YamlError(file, exc.lines0[-1] + chunk.body_line, exc.message(chunk.body_line)))
            continue
        except yaml.YAMLError as exc:
            errors.append(
                YamlError(
                    file, _error_line(exc, chunk), f"invalid YAML: {_error_text(exc)}; fix the syntax there"
                )
            )
            continue
        if data is None:
            continue
        docs.append(LoadedDocument(data, chunk.first_content_line(), index))
    return docs, errors


def alias_problem(text: str) -> str | None:
    """Why the aliases of ``text`` (every document) are refused, or None. For YAML inside a
    string (a Flux ``patches`` entry), checked when the file holding it is read."""
    if "*" not in text:
        return None
    loader = _FastLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                check_aliases(node)
    except YamlRefused as exc:
        return exc.message(1)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None


def load_one(text: str) -> Any:
    """Parse a single YAML document (a patch string, a values block) with the fast loader."""
    return _parse(text)


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


# --------------------------------------------------------------------------- round trip


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


def scalar_position(text: str, keys: tuple[str, ...]) -> tuple[int, int] | None:
    """0-based (line, column) where the block mapping value at ``keys`` starts in the one document
    ``text``, when that value is a scalar; None when it is not there, not a scalar, or the text
    does not compose. The C composer: ~20x faster than a round-trip load for this question."""
    try:
        node = yaml.compose(text, Loader=_FastLoader)
    except yaml.YAMLError:
        return None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        if node is None:
            return None
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null" and node.value == "":
        return None
    return node.start_mark.line, node.start_mark.column


@dataclass(frozen=True)
class BlockItem:
    """One item of a block sequence of flat mappings (``- name: x``), located in its text."""

    line: int  # 0-based line of its first key
    column: int  # column of its first key (the "- " is before it)
    end_line: int  # 0-based line of its last value
    values: dict[str, str]


def block_mapping_items(text: str, keys: tuple[str, ...]) -> list[BlockItem] | None:
    """The items of the block sequence at ``keys`` in the one document ``text`` when every item
    is a block mapping of plain single-line scalars; None otherwise (the caller round-trips)."""
    try:
        node = yaml.compose(text, Loader=_FastLoader)
    except yaml.YAMLError:
        return None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        if node is None:
            return None
    if not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
        return None
    items = []
    for item in node.value:
        if not isinstance(item, yaml.MappingNode) or item.flow_style or not item.value:
            return None
        pairs = item.value
        if not all(isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode) and not v.style
                   and v.start_mark.line == v.end_mark.line for k, v in pairs):  # fmt: skip
            return None
        items.append(
            BlockItem(
                item.start_mark.line,
                item.start_mark.column,
                max(v.end_mark.line for _, v in pairs),
                {str(k.value): str(v.value) for k, v in pairs},
            )
        )
    return items


def rt_load(text: str) -> Any:
    """Round-trip load of one document (comments and quotes kept); aliases bounded as in
    ``load_one`` (raises ``YamlRefused``)."""
    if "*" in text:
        _parse(text)
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


# --------------------------------------------------------------------------- where a key is


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
