"""YAML reading and writing.

Two readers, for two jobs:

* ``load_documents`` reads fast with PyYAML's C safe loader: every document of a file with the
  line it starts on, and a ``YamlError`` (file, line, message) for a document that fails to
  parse, so the rest of the file still loads. Aliases are bounded and duplicate keys refused.
* ``MultiDocFile`` (``core.yaml_roundtrip``) is the round-trip side: a file split into documents
  *as text*, where only the documents you change or add go through ruamel.yaml and every other
  byte is kept as it was.

``key_line`` (the one key-line locator) and ``block_list_items`` live in ``core.yaml_lines``. The
names of both modules stay importable from here; the round-trip ones load on first use (the module
imports this one, and the TUI's first frame needs neither it nor ruamel).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import yaml

from infra_tui.core.yaml_lines import block_list_items as block_list_items
from infra_tui.core.yaml_lines import key_line as key_line

if TYPE_CHECKING:
    from infra_tui.core.yaml_roundtrip import YAML11_SPECIAL as YAML11_SPECIAL
    from infra_tui.core.yaml_roundtrip import MultiDocFile as MultiDocFile
    from infra_tui.core.yaml_roundtrip import dump_plain as dump_plain
    from infra_tui.core.yaml_roundtrip import guess_indent as guess_indent
    from infra_tui.core.yaml_roundtrip import quote_yaml11_specials as quote_yaml11_specials
    from infra_tui.core.yaml_roundtrip import round_trip_yaml as round_trip_yaml
    from infra_tui.core.yaml_roundtrip import rt_dump as rt_dump
    from infra_tui.core.yaml_roundtrip import rt_load as rt_load

_ROUND_TRIP = frozenset(
    {"YAML11_SPECIAL", "MultiDocFile", "dump_plain", "guess_indent", "quote_yaml11_specials",
     "round_trip_yaml", "rt_dump", "rt_load"}
)  # fmt: skip


def __getattr__(name: str) -> Any:
    """``yamlio.rt_load`` and the other round-trip names, from ``core.yaml_roundtrip``."""
    if name in _ROUND_TRIP:
        from infra_tui.core import yaml_roundtrip

        return getattr(yaml_roundtrip, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        """True when the body holds only comments, blank lines or a `...` end marker. Kept on the
        chunk for its body: an edit asks it of every document of a large file several times."""
        kept = self.__dict__.get("_empty")
        if kept is not None and kept[0] is self.body:
            return bool(kept[1])
        empty = True
        for line in self.body.splitlines():
            s = line.strip()
            if s and not s.startswith("#") and not _DOC_END.match(line):
                empty = False
                break
        self.__dict__["_empty"] = (self.body, empty)
        return empty

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


def _composed_value(text: str, keys: tuple[str, ...]) -> yaml.Node | None:
    """The node at ``keys`` (block mapping keys) in the one document ``text``, composed with the C
    loader; None when it is not there or the text does not compose."""
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
    return node


def scalar_position(text: str, keys: tuple[str, ...]) -> tuple[int, int] | None:
    """0-based (line, column) where the block mapping value at ``keys`` starts in the one document
    ``text``, when that value is a scalar; None when it is not there, not a scalar, or the text
    does not compose. The C composer: ~20x faster than a round-trip load for this question."""
    node = _composed_value(text, keys)
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
    node = _composed_value(text, keys)
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
