"""Minimal text edits of a JSON5 document: comments, key order, quoting and layout survive.

Every change the panel makes to an ``openclaw.json`` (form fields, audit fixes, legacy migrations,
approval side effects, fleet changes, restored secrets) goes through ``rewrite(text, target)``: it
compares the document with the wanted value and edits only what differs. Unchanged values keep
their exact text; a changed scalar is replaced in place (a string keeps its quote character); a
removed key disappears with its comma (the comments around it stay); a new key is written after its
last sibling, on its own line, with the siblings' indentation, key quoting and trailing-comma habit.
Only the text *inside* a value that is removed, or replaced by a value of another kind, is lost.

Why not a round-trip library: ``json-five`` installs a top-level module named ``json5`` (the name
of the parser the validator relies on) and took ~135 ms to parse an 850-line config, beyond the
budget of a whole edit (docs/config.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from controlpanel.openclaw.syntax import ConfigSyntaxError, Token, decode_key, decode_string, tokenize

PathPart = str | int
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_PLAIN_INT = re.compile(r"^-?(0|[1-9][0-9]*)$")
_PLAIN_FLOAT = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")
_INLINE_WIDTH = 80


# --- the document tree ---------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    """One value of the document: where it sits, its parsed value and, for containers, its entries."""

    kind: str  # "object", "array" or "scalar"
    start: int
    end: int
    value: Any
    token: Token | None = None  # scalars
    entries: list[Entry] = field(default_factory=list)


@dataclass(eq=False)
class Entry:
    """A member of an object (``key`` set) or an item of an array (``key`` None)."""

    key: str | None
    start: int  # the key token's start (objects) or the value's start (arrays)
    key_token: Token | None
    value: Node
    comma: int | None  # position of the comma after the value, if there is one


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(tokenize(text))
        self.i = 0

    def next(self) -> Token:
        if self.i >= len(self.tokens):
            raise ConfigSyntaxError("Unexpected end of input")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def value(self) -> Node:
        tok = self.next()
        if tok.kind == "{":
            return self._container(tok, "}", keyed=True)
        if tok.kind == "[":
            return self._container(tok, "]", keyed=False)
        if tok.kind in ("string", "word"):
            return Node("scalar", tok.start, tok.end, _scalar(self.text, tok), token=tok)
        raise _error(self.text, tok.start, f'Unexpected "{self.text[tok.start]}"')

    def _container(self, opening: Token, closing: str, *, keyed: bool) -> Node:
        entries: list[Entry] = []
        while True:
            tok = self.peek()
            if tok is None:
                raise ConfigSyntaxError("Unexpected end of input")
            if tok.kind == closing:
                self.i += 1
                break
            if keyed:
                key_tok = self.next()
                key = decode_key(self.text, key_tok)
                if self.next().kind != ":":
                    raise _error(self.text, key_tok.start, "Expected a colon after the key")
                value = self.value()
                entry = Entry(key, key_tok.start, key_tok, value, None)
            else:
                value = self.value()
                entry = Entry(None, value.start, None, value, None)
            after = self.peek()
            if after is not None and after.kind == ",":
                entry.comma = after.start
                self.i += 1
            elif after is None or after.kind != closing:
                raise _error(self.text, value.end, "Expected a comma")
            entries.append(entry)
        if keyed:
            data: Any = {e.key: e.value.value for e in entries}
            if len(data) != len(entries):
                # OpenClaw reads the last value; an edit cannot tell which one was meant.
                seen: set[Any] = set()
                again = next(e for e in entries if e.key in seen or seen.add(e.key))
                raise _error(
                    self.text,
                    again.start,
                    f'Duplicate key "{again.key}": remove one of its values before editing the file here',
                )
        else:
            data = [e.value.value for e in entries]
        return Node("object" if keyed else "array", opening.start, tok.end, data, entries=entries)


def _error(text: str, index: int, message: str) -> ConfigSyntaxError:
    line = text.count("\n", 0, index) + 1
    return ConfigSyntaxError(message, line, index - (text.rfind("\n", 0, index) + 1) + 1)


def _scalar(text: str, tok: Token) -> Any:
    raw = text[tok.start : tok.end]
    if tok.kind == "string":
        if "\\" not in raw:
            return raw[1:-1]
        return decode_string(text, tok)
    if raw == "true":
        return True
    if raw == "false":
        return False
    if raw == "null":
        return None
    if _PLAIN_INT.match(raw):
        return int(raw)
    if _PLAIN_FLOAT.match(raw):
        return float(raw)
    import json5  # hex, leading "+", ".5", Infinity: rare, left to the reference parser

    try:
        return json5.loads(raw)
    except ValueError:
        raise _error(text, tok.start, f"Invalid value {raw[:20]!r}") from None


@lru_cache(maxsize=16)
def parse_tree(text: str) -> Node:
    """Return the document's root node. Raises ConfigSyntaxError on text that is not one JSON5 value.

    Cached (edits start from the same current revision): treat the tree as read-only."""
    reader = _Reader(text)
    try:
        root = reader.value()
    except IndexError:
        raise ConfigSyntaxError("Unexpected end of input") from None
    if reader.peek() is not None:
        raise _error(text, reader.peek().start, "Unexpected text after the document")
    return root


# --- style of the document -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    """How the document writes things, so new text looks like the old."""

    quote: str  # for new string values
    unit: str  # one level of indentation
    keys: str | None  # None: bare keys where possible; else the quote character keys use
    nl: str  # line break


def _detect_style(text: str, root: Node) -> _Style:
    singles = doubles = bare = quoted = 0
    key_quote = '"'
    for node in _walk(root):
        if node.kind == "scalar" and node.token is not None and node.token.kind == "string":
            if text[node.start] == "'":
                singles += 1
            else:
                doubles += 1
        for entry in node.entries:
            if entry.key_token is None:
                continue
            if entry.key_token.kind == "string":
                quoted += 1
                key_quote = text[entry.start]
            else:
                bare += 1
    return _Style(
        quote="'" if singles > doubles else '"',
        unit=_indent_unit(text, root),
        keys=None if bare >= quoted else key_quote,
        nl="\r\n" if "\r\n" in text else "\n",
    )


def _indent_unit(text: str, root: Node) -> str:
    for node in _walk(root):
        if node.kind != "scalar" and node.entries:
            inner = _line_indent_at(text, node.entries[0].start)
            outer = _line_indent(text, node.start)
            if inner is not None and len(inner) > len(outer) and inner.startswith(outer):
                return inner[len(outer) :]
    return "  "


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for entry in node.entries:
        yield from _walk(entry.value)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_indent(text: str, pos: int) -> str:
    """Return the whitespace that opens the line holding ``pos``."""
    start = _line_start(text, pos)
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def _line_indent_at(text: str, pos: int) -> str | None:
    """Return the indentation before ``pos`` when only whitespace precedes it on its line, else None."""
    start = _line_start(text, pos)
    before = text[start:pos]
    return before if before.strip(" \t") == "" else None


def _rest_of_line(text: str, pos: int) -> int | None:
    """If only blanks and comments follow ``pos`` on its line, return the index of its line break."""
    i, n = pos, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t":
            i += 1
        elif ch in "\r\n":
            return i
        elif text.startswith("//", i):
            end = text.find("\n", i)
            if end < 0:
                return n
            return end - 1 if text[end - 1] == "\r" else end
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0 or "\n" in text[i:close]:
                return None
            i = close + 2
        else:
            return None
    return n


def _blank_after(text: str, pos: int) -> int | None:
    """If only blanks (no comment) follow ``pos`` on its line, return the index just past the line break."""
    i = pos
    while i < len(text) and text[i] in " \t":
        i += 1
    if i == len(text):
        return i
    if text.startswith("\r\n", i):
        return i + 2
    if text[i] == "\n":
        return i + 1
    return None


# --- rendering new values ------------------------------------------------------------------------


def render_key(key: str, quote: str | None) -> str:
    """Return ``key`` as written in an object whose keys are bare (``quote`` None) or quoted."""
    if quote is None and _IDENTIFIER.match(key):
        return key
    return _quote(key, quote or '"')


def _quote(value: str, quote: str) -> str:
    body = json.dumps(value, ensure_ascii=False)[1:-1]
    if quote == "'":
        body = body.replace('\\"', '"').replace("'", "\\'")
    return quote + body + quote


def render(
    value: Any, *, indent: str, style: _Style, keys: str | None = None, column: int | None = None
) -> str:
    """Return ``value`` as JSON5 text for a position indented by ``indent``.

    With ``column`` (the value sits in a one-line container), objects and arrays are written on one
    line when they fit.
    """
    if column is not None and isinstance(value, dict | list) and value:
        flat = _flat(value, style, keys)
        if column + len(flat) <= _INLINE_WIDTH + 20:
            return flat
    if isinstance(value, str):
        return _quote(value, style.quote)
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value, allow_nan=False)
    inner = indent + style.unit
    nl = style.nl
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = [
            f"{inner}{render_key(str(k), keys)}: {render(v, indent=inner, style=style, keys=keys)}"
            for k, v in value.items()
        ]
        return "{" + nl + ("," + nl).join(lines) + nl + indent + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = [render(v, indent=inner, style=style, keys=keys) for v in value]
        flat = "[" + ", ".join(items) + "]"
        if all(not isinstance(v, dict | list) for v in value) and len(flat) + len(indent) <= _INLINE_WIDTH:
            return flat
        return "[" + nl + ("," + nl).join(inner + item for item in items) + nl + indent + "]"
    raise TypeError(f"cannot write a {type(value).__name__} into a config")


def _flat(value: Any, style: _Style, keys: str | None) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        return (
            "{ "
            + ", ".join(f"{render_key(str(k), keys)}: {_flat(v, style, keys)}" for k, v in value.items())
            + " }"
        )
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v, style, keys) for v in value) + "]"
    return render(value, indent="", style=style, keys=keys)


# --- rewriting -----------------------------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Strict equality of parsed JSON values: ``True`` is not ``1``, ``1`` is not ``1.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


class _Edits:
    """Replacements of spans of the original text, applied back to front."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, int, str]] = []

    def add(self, start: int, end: int, replacement: str) -> None:
        self.items.append((start, end, len(self.items), replacement))

    def apply_within(self, text: str, start: int, end: int) -> str:
        """Return ``text[start:end]`` with the edits that lie inside it applied."""
        inside = _Edits()
        inside.items = [(a - start, b - start, q, r) for a, b, q, r in self.items if a >= start and b <= end]
        return inside.apply(text[start:end])

    def apply(self, text: str) -> str:
        out = []
        cursor = len(text)
        # Back to front; at one position, inserts appear in the order they were made.
        for start, end, _seq, replacement in sorted(self.items, reverse=True):
            if end > cursor:
                raise AssertionError("overlapping edits")  # a bug here, never the caller's fault
            out.append(text[end:cursor])
            out.append(replacement)
            cursor = start
        out.append(text[:cursor])
        return "".join(reversed(out))


def rewrite(text: str, target: Any) -> str:
    """Return ``text`` edited so that it parses to ``target``, changing as little text as possible.

    Raises ConfigSyntaxError if ``text`` is not a JSON5 document, TypeError for a value JSON cannot
    hold, ValueError for a non-finite number.
    """
    root = parse_tree(text)
    if same(root.value, target):
        return text
    style = _detect_style(text, root)
    edits = _Edits()
    _diff(text, root, target, edits, style)
    return edits.apply(text)


def _diff(text: str, node: Node, target: Any, edits: _Edits, style: _Style) -> None:
    if same(node.value, target):
        return
    if node.kind == "object" and isinstance(target, dict):
        _diff_object(text, node, target, edits, style)
    elif node.kind == "array" and isinstance(target, list):
        _diff_array(text, node, target, edits, style)
    else:
        _replace(text, node, target, edits, style)


def _replace(text: str, node: Node, target: Any, edits: _Edits, style: _Style) -> None:
    local = style
    if isinstance(target, str) and node.token is not None and node.token.kind == "string":
        local = _Style(quote=text[node.start], unit=style.unit, keys=style.keys, nl=style.nl)
    indent = _line_indent(text, node.start)
    one_line = "\n" not in text[node.start : node.end]
    column = node.start - _line_start(text, node.start) if one_line else None
    edits.add(
        node.start, node.end, render(target, indent=indent, style=local, keys=style.keys, column=column)
    )


def _object_keys(text: str, node: Node, style: _Style) -> str | None:
    """The key style of one object: its own when it has keys (all quoted: that quote), else the file's."""
    if not node.entries:
        return style.keys
    tokens = [e.key_token for e in node.entries if e.key_token is not None]
    if all(t.kind == "string" for t in tokens):
        return text[tokens[0].start]
    return None


def _diff_object(text: str, node: Node, target: dict, edits: _Edits, style: _Style) -> None:
    current = node.value
    pairs = [(entry.value, target[entry.key]) for entry in node.entries if entry.key in target]
    removed = {i for i, e in enumerate(node.entries) if e.key not in target}
    inserts: dict[int, list[tuple[str | None, Any]]] = {}
    position = {e.key: i for i, e in enumerate(node.entries)}
    anchor = -1
    # A new key goes after the nearest existing key that precedes it in the target's order.
    for key in target:
        if key in current:
            anchor = position[key]
        else:
            inserts.setdefault(anchor, []).append((key, target[key]))
    _resequence(text, node, pairs, removed, inserts, edits, style, _object_keys(text, node, style))


def _diff_array(text: str, node: Node, target: list, edits: _Edits, style: _Style) -> None:
    old = [_fingerprint(v) for v in node.value]
    new = [_fingerprint(v) for v in target]
    pairs: list[tuple[Node, Any]] = []
    removed: set[int] = set()
    inserts: dict[int, list[tuple[str | None, Any]]] = {}
    for op, i1, i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        pairs.extend((node.entries[i1 + k].value, target[j1 + k]) for k in range(paired))
        removed.update(range(i1 + paired, i2))
        extra = target[j1 + paired : j2]
        if extra:
            anchor = i1 + paired - 1
            while anchor >= 0 and anchor in removed:
                anchor -= 1
            inserts.setdefault(anchor, []).extend((None, v) for v in extra)
    _resequence(text, node, pairs, removed, inserts, edits, style, style.keys)


def _resequence(
    text: str,
    node: Node,
    pairs: list[tuple[Node, Any]],
    removed: set[int],
    inserts: dict[int, list[tuple[str | None, Any]]],
    edits: _Edits,
    style: _Style,
    keys: str | None,
) -> None:
    """Edit the kept entries in place, then remove and add entries."""
    if not removed and not inserts:
        for child, value in pairs:
            _diff(text, child, value, edits, style)
        return
    layout = _Layout.of(text, node, [v for run in inserts.values() for _, v in run], style)
    if layout.inline_rewrite:
        # The whole inside is written again: the kept entries' own edits are applied to their text.
        local = _Edits()
        for child, value in pairs:
            _diff(text, child, value, local, style)
        _rewrite_inline(text, node, removed, inserts, edits, local, layout, style, keys)
        return
    for child, value in pairs:
        _diff(text, child, value, edits, style)
    _sequence(text, node, removed, inserts, edits, layout, style, keys)


def _fingerprint(value: Any) -> str:
    return type(value).__name__ + json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _comments(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of every comment between ``start`` and ``end`` (outside string literals)."""
    i = start
    while i < end:
        ch = text[i]
        if ch in "\"'":
            j = i + 1
            while j < end and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif text.startswith("//", i):
            stop = len(text)
            for brk in "\n\r\u2028\u2029":
                found = text.find(brk, i)
                if 0 <= found < stop:
                    stop = found
            yield i, stop
            i = stop
        elif text.startswith("/*", i):
            stop = text.find("*/", i + 2) + 2
            yield i, stop
            i = stop
        else:
            i += 1


@dataclass(frozen=True)
class _Layout:
    """How a container is written: one entry per line or on one line; where new entries go."""

    multiline: bool
    inline_rewrite: bool  # one line without comments: simply written again
    indent: str  # of new entries
    opening: str  # indentation of the line with the opening bracket
    column: int | None  # for one-line containers: where values start, to keep them on one line

    @classmethod
    def of(cls, text: str, node: Node, new_values: list[Any], style: _Style) -> _Layout:
        entries = node.entries
        opening = _line_indent(text, node.start)
        if entries:
            multiline = "\n" in text[node.start : entries[0].start]
        elif node.kind == "object":
            multiline = True
        else:
            flat = len(render(new_values, indent=opening, style=style)) + len(opening)
            multiline = flat > _INLINE_WIDTH or any(isinstance(v, dict | list) for v in new_values)
        has_comment = next(_comments(text, node.start, node.end), None) is not None
        if multiline:
            first = _line_indent_at(text, entries[0].start) if entries else None
            indent = first if first is not None else opening + style.unit
        else:
            indent = opening
        column = None if multiline else node.start - _line_start(text, node.start)
        return cls(multiline, not multiline and not has_comment, indent, opening, column)


def _piece(key: str | None, value: Any, layout: _Layout, style: _Style, keys: str | None) -> str:
    body = render(value, indent=layout.indent, style=style, keys=keys, column=layout.column)
    return body if key is None else f"{render_key(key, keys)}: {body}"


def _sequence(
    text: str,
    node: Node,
    removed: set[int],
    inserts: dict[int, list[tuple[str | None, Any]]],
    edits: _Edits,
    layout: _Layout,
    style: _Style,
    keys: str | None,
) -> None:
    """Remove the entries ``removed`` and add ``inserts`` (after original index; -1: first) to a container."""
    entries = node.entries
    trailing = bool(entries) and entries[-1].comma is not None
    final: list[tuple] = [("new", -1, k) for k in range(len(inserts.get(-1, [])))]
    for i in range(len(entries)):
        if i not in removed:
            final.append(("old", i))
        final.extend(("new", i, k) for k in range(len(inserts.get(i, []))))
    where = {item: pos for pos, item in enumerate(final)}
    last = len(final) - 1

    def needs_comma(item: tuple) -> bool:
        return where[item] < last or trailing

    for i, entry in enumerate(entries):
        if i in removed:
            _remove_entry(text, entry, edits)
            continue
        want = needs_comma(("old", i))
        if want and entry.comma is None:
            edits.add(entry.value.end, entry.value.end, ",")
        elif not want and entry.comma is not None:
            edits.add(entry.comma, entry.comma + 1, "")

    nl = style.nl if layout.multiline else " "
    lead = layout.indent if layout.multiline else ""
    for anchor, run in sorted(inserts.items()):
        block = "".join(
            nl
            + lead
            + _piece(key, value, layout, style, keys)
            + ("," if needs_comma(("new", anchor, k)) else "")
            for k, (key, value) in enumerate(run)
        )
        if anchor == -1:
            at = node.start + 1
            at = _rest_of_line(text, at) or at
            if not any(i not in removed for i in range(len(entries))) and "\n" not in text[at : node.end - 1]:
                block += style.nl + layout.opening if layout.multiline else " "
            edits.add(at, at, block)
            continue
        entry = entries[anchor]
        after = entry.comma + 1 if entry.comma is not None else entry.value.end
        line_end = _rest_of_line(text, after) if layout.multiline else None
        at = line_end if line_end is not None else after
        edits.add(at, at, block)


def _remove_entry(text: str, entry: Entry, edits: _Edits) -> None:
    start = entry.start
    end = entry.comma + 1 if entry.comma is not None else entry.value.end
    own_line = _line_indent_at(text, start) is not None
    blank = _blank_after(text, end)
    if own_line and blank is not None:
        start, end = _line_start(text, start), blank
    elif blank is None:
        while end < len(text) and text[end] in " \t":
            end += 1
    edits.add(start, end, "")


def _rewrite_inline(
    text: str,
    node: Node,
    removed: set[int],
    inserts: dict[int, list[tuple[str | None, Any]]],
    edits: _Edits,
    local: _Edits,
    layout: _Layout,
    style: _Style,
    keys: str | None,
) -> None:
    """A one-line container without comments: its inside written again, kept entries as they were
    (with their own edits)."""
    entries = node.entries
    parts = [_piece(k, v, layout, style, keys) for k, v in inserts.get(-1, [])]
    for i, entry in enumerate(entries):
        if i not in removed:
            parts.append(local.apply_within(text, entry.start, entry.value.end))
        parts.extend(_piece(k, v, layout, style, keys) for k, v in inserts.get(i, []))
    open_at, close_at = node.start + 1, node.end - 1
    inner = text[open_at:close_at]
    lead = inner[: len(inner) - len(inner.lstrip())] if entries else ""
    tail = inner[len(inner.rstrip()) :] if entries else ""
    trailing = "," if entries and entries[-1].comma is not None and parts else ""
    edits.add(open_at, close_at, lead + ", ".join(parts) + trailing + tail)


# --- paths ---------------------------------------------------------------------------------------


def set_in(data: Any, path: Sequence[PathPart], value: Any) -> Any:
    """Return a copy of ``data`` with ``value`` at ``path`` (missing objects on the way are created)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, list) and isinstance(head, int):
        out = list(data)
        out[head] = set_in(out[head], rest, value)
        return out
    out = dict(data) if isinstance(data, dict) else {}
    out[head] = set_in(out.get(head), rest, value)
    return out


def delete_in(data: Any, path: Sequence[PathPart]) -> Any:
    """Return a copy of ``data`` without the value at ``path`` (unchanged if it is not there)."""
    if not path:
        return data
    head, rest = path[0], path[1:]
    if isinstance(data, dict) and head in data:
        out = dict(data)
        if rest:
            out[head] = delete_in(out[head], rest)
        else:
            del out[head]
        return out
    if isinstance(data, list) and isinstance(head, int) and 0 <= head < len(data):
        out = list(data)
        if rest:
            out[head] = delete_in(out[head], rest)
        else:
            del out[head]
        return out
    return data


def get_in(data: Any, path: Sequence[PathPart], default: Any = None) -> Any:
    for part in path:
        found = (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        )
        if not found:
            return default
        data = data[part]
    return data


def set_value(text: str, path: Sequence[PathPart], value: Any) -> str:
    """Return ``text`` with ``value`` at ``path``, created if missing (see ``rewrite``)."""
    root = parse_tree(text)
    return rewrite(text, set_in(root.value, path, value))


def replace_value(text: str, path: Sequence[PathPart], value: Any) -> str | None:
    """Return ``text`` with the value at ``path`` replaced, or None if ``path`` does not exist."""
    if locate(text, path) is None:
        return None
    return set_value(text, path, value)


def locate(text: str, path: Sequence[PathPart]) -> tuple[int, int] | None:
    """Return (start, end) of the value at ``path``; a digit string also addresses an array item."""
    node = parse_tree(text)
    for part in path:
        node = _child(node, part)
        if node is None:
            return None
    return node.start, node.end


def locate_nearest(text: str, path: Sequence[PathPart]) -> tuple[int, int]:
    """Return the span of the value at ``path``, or of its deepest existing ancestor's key or value.

    Used to put a validation message on the right line even when the path names a missing key.
    """
    node = parse_tree(text)
    span = (node.start, node.start + 1)
    for part in path:
        entry = _child_entry(node, part)
        if entry is None:
            break
        node = entry.value
        span = (entry.start, node.end) if entry.key_token is not None else (node.start, node.end)
    return span


def key_span(text: str, path: Sequence[PathPart], key: str) -> tuple[int, int] | None:
    """Return the span of ``key``'s token inside the object at ``path`` (for "Unrecognized key")."""
    node = parse_tree(text)
    for part in path:
        node = _child(node, part)
        if node is None:
            return None
    for entry in node.entries:
        if entry.key == key and entry.key_token is not None:
            return entry.key_token.start, entry.key_token.end
    return None


def _child_entry(node: Node, part: PathPart) -> Entry | None:
    if node.kind == "object":
        for entry in node.entries:
            if entry.key == str(part):
                return entry
        return None
    if node.kind == "array":
        index = part if isinstance(part, int) else (int(part) if str(part).isdigit() else -1)
        return node.entries[index] if 0 <= index < len(node.entries) else None
    return None


def _child(node: Node, part: PathPart) -> Node | None:
    entry = _child_entry(node, part)
    return entry.value if entry is not None else None


def comments(text: str) -> list[str]:
    """Return the text of every comment in the document, in order."""
    return [text[a:b] for a, b in _comments(text, 0, len(text))]


def line_of(text: str, index: int) -> int:
    """Return the 1-based line number of ``index``."""
    return text.count("\n", 0, index) + 1
