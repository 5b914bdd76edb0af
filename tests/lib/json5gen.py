"""Hypothesis strategies for JSON5 documents written in many styles, with comments that can be tracked.

``documents()`` draws a value and writes it the way people write openclaw.json by hand: bare,
double- or single-quoted keys, both quote characters for strings, one-line and multi-line objects,
trailing commas or none, two or four spaces or tabs, LF or CRLF, and comments before entries,
after commas, just inside brackets and between a key and its value. Each comment is unique and
remembers what it belongs to, so a test can tell which comments an edit must keep.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
keys = st.one_of(
    st.from_regex(r"[a-z][a-zA-Z0-9_]{0,6}", fullmatch=True),
    st.sampled_from(["$include", "*", "a b", "+4670", "x-y", "0", "12", "dmPolicy", "allowFrom", "tools"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8).filter(lambda s: "\u2028" not in s and "\u2029" not in s),
    st.sampled_from(["${GW_TOKEN}", "it's", 'say "hi"', "a\\b", "// not a comment", "/* nor this */"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=18,
)
documents_values = st.dictionaries(keys, values, max_size=5)


@dataclass
class Doc:
    """A written document: its text and, per comment, (owner path, "inside" or "entry")."""

    text: str
    value: Any
    comments: dict[str, tuple[tuple, str]] = field(default_factory=dict)


class _Writer:
    def __init__(self, draw) -> None:
        self.draw = draw
        self.unit = draw(st.sampled_from(["  ", "    ", "\t"]))
        self.nl = draw(st.sampled_from(["\n", "\n", "\r\n"]))
        self.key_quote = draw(st.sampled_from([None, '"', "'"]))
        self.n = 0
        self.comments: dict[str, tuple[tuple, str]] = {}

    def comment(self, owner: tuple, kind: str, *, line: bool) -> str:
        self.n += 1
        text = f"// c{self.n}" if line else f"/* c{self.n} */"
        self.comments[text] = (owner, kind)
        return text

    def maybe(self) -> bool:
        return self.draw(st.integers(0, 3)) == 0

    def key(self, key: str) -> str:
        if self.key_quote is None and IDENT.match(key):
            return key
        return quote(key, self.key_quote or '"')

    def scalar(self, value: Any) -> str:
        if isinstance(value, str):
            return quote(value, self.draw(st.sampled_from(['"', "'"])))
        return json.dumps(value)

    def write(self, value: Any, path: tuple, indent: str) -> str:
        if not isinstance(value, dict | list):
            return self.scalar(value)
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        multiline = bool(items) and self.draw(st.booleans())
        trailing = bool(items) and self.draw(st.booleans())
        inner = indent + self.unit
        parts: list[str] = []
        for pos, (key, item) in enumerate(items):
            body = self.write(item, (*path, key), inner if multiline else indent)
            if isinstance(value, dict):
                middle = " " + self.comment((*path, key), "entry", line=False) + " " if self.maybe() else " "
                body = f"{self.key(key)}:{middle}{body}"
            comma = "," if pos < len(items) - 1 or trailing else ""
            parts.append(body + comma)
        if not multiline:
            out = opening
            for pos, part in enumerate(parts):
                out += (" " if pos else "") + part
                if self.maybe():
                    out += " " + self.comment(path, "inside", line=False)
            return out + closing
        nl = self.nl
        out = opening
        if self.maybe():
            out += " " + self.comment(path, "inside", line=True)
        for part in parts:
            if self.maybe():
                out += nl + inner + self.comment(path, "inside", line=True)
            out += nl + inner + part
            if self.maybe():
                out += " " + self.comment(path, "inside", line=self.draw(st.booleans()))
        if self.maybe():
            out += nl + inner + self.comment(path, "inside", line=True)
        return out + nl + indent + closing


def quote(value: str, q: str) -> str:
    body = json.dumps(value, ensure_ascii=False)[1:-1]
    if q == "'":
        body = body.replace('\\"', '"').replace("'", "\\'")
    return q + body + q


@st.composite
def documents(draw, value_strategy=documents_values) -> Doc:
    value = draw(value_strategy)
    writer = _Writer(draw)
    text = writer.write(value, (), "")
    if draw(st.booleans()):
        text = writer.comment((), "outside", line=True) + writer.nl + text
    if draw(st.booleans()):
        text += writer.nl + writer.comment((), "outside", line=True)
    return Doc(text=text + writer.nl, value=value, comments=writer.comments)


@st.composite
def edited(draw, value: Any, steps: int = 3) -> Any:
    """Return ``value`` changed by a few random edits (set, delete, insert, replace)."""
    import copy

    target = copy.deepcopy(value)
    for _ in range(draw(st.integers(1, steps))):
        paths = list(_paths(target))
        path = draw(st.sampled_from(paths))
        parent_path, node = path[:-1], _get(target, path)
        op = draw(st.sampled_from(["set", "delete", "insert", "insert", "replace"]))
        if op == "insert" and isinstance(node, dict):
            node[draw(keys)] = draw(values)
        elif op == "insert" and isinstance(node, list):
            node.insert(draw(st.integers(0, len(node))), draw(values))
        elif op == "delete" and path:
            parent = _get(target, parent_path)
            del parent[path[-1]]
        elif op in ("set", "replace") and path:
            _get(target, parent_path)[path[-1]] = draw(scalars if op == "set" else values)
    return target


def _paths(value: Any, path: tuple = ()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _get(value: Any, path: tuple) -> Any:
    for part in path:
        value = value[part]
    return value


def kind(value: Any) -> str:
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "scalar"


def required_comments(doc: Doc, target: Any) -> list[str]:
    """The comments an edit from ``doc.value`` to ``target`` must keep.

    A comment may go only with what it belongs to: the inside of a value that was removed or became
    another kind of value, the entry (key) that was removed, or the items of an array whose items
    moved (which item "was removed" is then a matter of choice).
    """
    required = []
    for text, (owner, how) in doc.comments.items():
        if how == "outside":
            required.append(text)
            continue
        container = owner if how == "inside" else owner[:-1]
        if _kept(doc.value, target, container) and (how == "inside" or _has_key(doc.value, target, owner)):
            required.append(text)
    return required


def _has_key(old: Any, new: Any, path: tuple) -> bool:
    _, parent_new = _follow(old, new, path[:-1])
    return isinstance(parent_new, dict) and path[-1] in parent_new


def _follow(old: Any, new: Any, path: tuple):
    for part in path:
        old, new = old[part], new[part]
    return old, new


def _kept(old: Any, new: Any, path: tuple) -> bool:
    """True when every container on ``path`` still exists as the same kind, items not shuffled."""
    for part in path:
        if kind(old) != kind(new):
            return False
        if isinstance(old, dict):
            if part not in new:
                return False
        else:
            changed = sum(1 for a, b in zip(old, new, strict=False) if json.dumps(a) != json.dumps(b))
            if len(old) != len(new) or changed > 1:
                return False
        old, new = old[part], new[part]
    return kind(old) == kind(new)
