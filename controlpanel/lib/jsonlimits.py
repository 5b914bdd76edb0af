"""How deeply a JSON or JSON5 value from a user may nest.

Python's ``json`` and the ``json5`` package parse recursively, and so does much of what handles a value
afterwards (pydantic, substitution, redaction, canonical JSON, the JSON field's encoder): a body of a few
thousand ``[`` raises ``RecursionError`` in one of them, and a few hundred already reach code that was
never meant to see them. Every place that parses JSON or JSON5 from a user goes through ``loads`` (JSON)
or ``check_text_depth`` (JSON5, before the parser), so such input is refused with its location.

Both are linear: ``loads`` walks the parsed containers level by level (about 2.5 us per event of an
ingest batch); ``check_text_depth`` skips string literals and comments with one regular expression
and counts brackets in C. The location is worked out only for input already refused. [pure]
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

# Far deeper than any real openclaw.json (about 8 levels), event or manifest; far shallower than the
# recursion limit of the parsers and of the code that walks a parsed value.
MAX_JSON_DEPTH = 64

# A string literal, a comment, or a bracket. Strings and comments are matched whole so that the
# brackets inside them are not counted (unrolled loops: no backtracking).
_TOKENS = re.compile(
    r'"[^"\\\n\r]*(?:\\[\s\S][^"\\\n\r]*)*"'
    r"|'[^'\\\n\r]*(?:\\[\s\S][^'\\\n\r]*)*'"
    r"|//[^\n\r\u2028\u2029]*"
    r"|/\*[\s\S]*?\*/"
    r"|[\[\]{}]"
)
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}
# For naming the place: the same, plus what a key path needs (colons, commas, bare JSON5 keys).
_PATH_TOKENS = re.compile(_TOKENS.pattern + r"|[:,]|[A-Za-z_$][\w$]*")
_SHOWN_PARTS = 6  # a message names the first parts of a long path and how deep it goes


class JsonTooDeep(ValueError):
    """The input nests deeper than allowed. ``parts`` is the key path of the first container that is
    one level too deep (array indexes as ints); ``line``/``column`` where it opens (1-based) when the
    text was scanned, else 0."""

    def __init__(self, max_depth: int, parts: tuple[str | int, ...], line: int = 0, column: int = 0) -> None:
        self.max_depth, self.parts, self.line, self.column = max_depth, parts, line, column
        shown = _format(parts[:_SHOWN_PARTS]) + ("…" if len(parts) > _SHOWN_PARTS else "")
        where = f" (line {line}, column {column})" if line else ""
        super().__init__(
            f"nested deeper than {max_depth} levels at {shown or 'the top level'}"
            f" (level {len(parts) + 1}){where}"
        )

    @property
    def path(self) -> str:
        """The whole path in the API's style: ``events[3].detail.a``."""
        return _format(self.parts)


def _format(parts: tuple[str | int, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for input from a user: raises JsonTooDeep instead of returning (or failing with
    RecursionError on) a value that nests more than ``max_depth`` arrays/objects; ValueError as usual."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise _locate_in_text(text if isinstance(text, str) else text.decode(), max_depth) from None
    check_value_depth(value, max_depth=max_depth)
    return value


def check_value_depth(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise JsonTooDeep if the parsed ``value`` nests more than ``max_depth`` dicts/lists."""
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            raise JsonTooDeep(max_depth, _path_in_value(value, max_depth))
        below: list = []
        for item in level:
            below += [
                child
                for child in (item.values() if type(item) is dict else item)
                if type(child) is dict or type(child) is list
            ]
        level = below


def _path_in_value(value: Any, max_depth: int) -> tuple[str | int, ...]:
    """The key path of a container at level max_depth + 1 (depth first; only for refused input)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) == max_depth:
            return path
        pairs = item.items() if type(item) is dict else enumerate(item)
        stack += [(child, (*path, key)) for key, child in pairs if type(child) in (dict, list)]
    return ()


def check_text_depth(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise JsonTooDeep if the JSON or JSON5 ``text`` nests more than ``max_depth`` arrays/objects.

    For parsers that recurse before we could look at the value (the ``json5`` package)."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot nest deeper than it has brackets
    brackets = [token for token in _TOKENS.findall(text) if len(token) == 1]
    if max(accumulate(map(_DELTA.__getitem__, brackets)), default=0) > max_depth:
        raise _locate_in_text(text, max_depth)


def _locate_in_text(text: str, max_depth: int) -> JsonTooDeep:
    """Where ``text`` first opens its (max_depth + 1)-th level, with the key path leading there."""
    # One frame per open container: [kind, key or index of the value being read, last key-like token].
    stack: list[list] = []
    parts: list[str | int] = []
    for match in _PATH_TOKENS.finditer(text):
        token = match.group()
        frame = stack[-1] if stack else None
        if token in ("[", "{"):
            if frame is not None:
                parts.append(frame[1])
            if len(stack) == max_depth:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
                return JsonTooDeep(max_depth, tuple(parts), line, column)
            stack.append([token, 0 if token == "[" else "", ""])
        elif token in ("]", "}"):
            if stack:
                stack.pop()
                if parts and stack:
                    parts.pop()
        elif frame is None or token.startswith(("//", "/*")):
            continue
        elif token == ",":
            if frame[0] == "[":
                frame[1] += 1
        elif token == ":":
            frame[1] = frame[2]
        elif frame[0] == "{":
            frame[2] = token[1:-1] if token[0] in "\"'" else token
    # Unbalanced text whose brackets still add up too deep: name the top level.
    return JsonTooDeep(max_depth, (), 1, 1)
