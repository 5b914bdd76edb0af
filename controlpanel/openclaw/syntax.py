"""JSON5 text in: a small tokenizer that knows the key path of every value, and the parser.

The authoritative value parser is the ``json5`` package (the same grammar as the ``json5`` npm package
that OpenClaw uses). A repeated key is accepted as OpenClaw accepts it: the last value wins. Our own
tokenizer exists for two jobs the package cannot do: name the path of each repeated key (the loader warns
about it), and rewrite string literals in place (``redact_text``) while keeping comments and layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import json5

from controlpanel.lib.jsonlimits import JsonTooDeep, check_text_depth

Path = tuple[str, ...]

_PUNCT = "{}[]:,"
# JSON5 white space: the ASCII set, NBSP, BOM and the Unicode space separators.
_WHITESPACE = frozenset(
    " \t\n\r\v\f\u00a0\ufeff\u2028\u2029\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
)
_LINE_COL = re.compile(r"<string>:(\d+) (.*) at column (\d+)$", re.DOTALL)


class ConfigSyntaxError(ValueError):
    """The text is not JSON5; carries a 1-based line and column."""

    def __init__(self, message: str, line: int = 0, column: int = 0, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.path = path

    def __str__(self) -> str:
        if self.line:
            return f"{self.message} (line {self.line}, column {self.column})"
        return self.message


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is one of the punctuation characters, "string" or "word"."""

    kind: str
    start: int
    end: int


def tokenize(text: str) -> Iterator[Token]:
    """Yield the tokens of a JSON5 text, skipping whitespace and comments.

    Lenient on purpose: words (numbers, identifiers, literals) are maximal runs of other characters.
    Raises ConfigSyntaxError for an unterminated string or block comment.
    """
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
        elif text.startswith("//", i):
            newline = _find_line_end(text, i)
            i = n if newline < 0 else newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise _syntax_error_at(text, i, "Unterminated comment")
            i = close + 2
        elif ch in _PUNCT:
            yield Token(ch, i, i + 1)
            i += 1
        elif ch in "\"'":
            end = _string_end(text, i)
            yield Token("string", i, end)
            i = end
        else:
            start = i
            while i < n and text[i] not in _PUNCT and text[i] not in "\"'/" and text[i] not in _WHITESPACE:
                i += 1
            if i == start:  # a lone "/" that starts no comment
                i += 1
            yield Token("word", start, i)


def _find_line_end(text: str, start: int) -> int:
    """Return the index of the first line terminator at or after start, or -1."""
    ends = [pos for pos in (text.find(c, start) for c in "\n\r\u2028\u2029") if pos >= 0]
    return min(ends) if ends else -1


def _string_end(text: str, start: int) -> int:
    """Return the index just past the string literal opening at start."""
    quote, i, n = text[start], start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            return i + 1
        if ch in "\n\r":
            break
        i += 1
    raise _syntax_error_at(text, start, "Unterminated string")


def _syntax_error_at(text: str, index: int, message: str) -> ConfigSyntaxError:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return ConfigSyntaxError(message, line, column)


def decode_string(text: str, token: Token) -> str:
    """Return the value of a string literal token; raises ConfigSyntaxError for a bad escape."""
    try:
        return json5.loads(text[token.start : token.end])
    except ValueError:
        raise _syntax_error_at(text, token.start, "Invalid string literal") from None


def decode_key(text: str, token: Token) -> str:
    """Return the key name of a string or identifier token; raises ConfigSyntaxError if it is neither."""
    if token.kind == "string":
        return decode_string(text, token)
    try:
        # Identifier keys may hold \\uXXXX escapes; let the json5 package decode them.
        return next(iter(json5.loads("{" + text[token.start : token.end] + ":0}")))
    except (ValueError, StopIteration):
        raise _syntax_error_at(text, token.start, "Invalid key") from None


@dataclass(frozen=True)
class ValueSite:
    """Where a scalar value sits: its key path and its token (for in-place rewriting)."""

    path: Path
    token: Token


@dataclass
class _Frame:
    """An open object or array while walking: where it sits and what was read in it so far."""

    kind: str  # "{" or "["
    path: Path
    keys: set[str] = field(default_factory=set)
    key: str = ""  # the key whose value comes next (objects)
    index: int = 0  # the index of the next item (arrays)
    expecting_key: bool = False

    def child_path(self) -> Path:
        """Return the path of the value about to be read in this container."""
        return (*self.path, self.key if self.kind == "{" else str(self.index))


@dataclass(frozen=True)
class DuplicateKey:
    """A key an object repeats: where (dotted path) and the position of the repetition."""

    path: str
    key: str
    line: int
    column: int


def walk_values(text: str, duplicates: list[DuplicateKey] | None = None) -> Iterator[ValueSite]:
    """Yield every scalar value of a JSON5 text with its key path (array items get their index).

    A repeated key's values are all yielded (each sits in the text); the repetitions are appended to
    ``duplicates`` when given.
    """
    stack: list[_Frame] = []
    for tok in tokenize(text):
        frame = stack[-1] if stack else None
        if tok.kind in "{[":
            stack.append(_Frame(tok.kind, frame.child_path() if frame else (), expecting_key=tok.kind == "{"))
            if frame is not None:
                frame.expecting_key = False
        elif tok.kind in "}]":
            if stack:
                stack.pop()
        elif frame is None:
            yield ValueSite((), tok)
        elif tok.kind == ",":
            frame.expecting_key = frame.kind == "{"
            if frame.kind == "[":
                frame.index += 1
        elif tok.kind == ":":
            frame.expecting_key = False
        elif frame.kind == "{" and frame.expecting_key:
            frame.key = _remember_key(text, tok, frame, duplicates)
        else:
            yield ValueSite(frame.child_path(), tok)


def _remember_key(text: str, tok: Token, frame: _Frame, duplicates: list[DuplicateKey] | None) -> str:
    """Return the key of tok, recorded in frame; a repetition is noted in duplicates."""
    key = decode_key(text, tok)
    if key in frame.keys and duplicates is not None:
        located = _syntax_error_at(text, tok.start, "")
        duplicates.append(DuplicateKey(".".join((*frame.path, key)), key, located.line, located.column))
    frame.keys.add(key)
    return key


_INDEX_KEY = re.compile(r"(0|[1-9][0-9]*)\Z")


def _js_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JavaScript object's key order: integer-like keys first, ascending, then the others as written
    (OpenClaw walks the config in that order, so its issues and warnings come in that order too).
    A repeated key keeps its first place and its last value."""
    merged = dict(pairs)
    index = sorted((k for k in merged if _INDEX_KEY.match(k) and int(k) < 2**32 - 1), key=int)
    if not index:
        return merged
    return {**{k: merged[k] for k in index}, **{k: v for k, v in merged.items() if k not in index}}


def parse_json5(text: str) -> Any:
    """Parse JSON5 text and return the value; a repeated key keeps its last value, as in OpenClaw.

    Raises ConfigSyntaxError(message, line, column) on any syntax problem, and for a text nesting
    deeper than ``jsonlimits.MAX_JSON_DEPTH`` (naming the path and position), before the recursive
    parser sees it.
    """
    return parse_json5_noting_repeats(text)[0]


def parse_json5_noting_repeats(text: str) -> tuple[Any, list[DuplicateKey]]:
    """Parse JSON5 text; return the value and the keys it repeats (each keeps its last value).

    The text is parsed once; only a text that repeats a key is read again to name where.
    """
    try:
        check_text_depth(text)
        return json5.loads(text, allow_duplicate_keys=False, object_pairs_hook=_js_object), []
    except JsonTooDeep as exc:
        path = ".".join(str(part) for part in exc.parts)
        message = f"Nested deeper than {exc.max_depth} levels at {path or '<root>'}"
        raise ConfigSyntaxError(message, exc.line, exc.column, path=path) from None
    except ValueError as exc:
        if not str(exc).startswith("Duplicate key"):
            raise _translate(str(exc)) from None
    except RecursionError:  # cannot happen after the depth check; kept as the last line of defence
        raise ConfigSyntaxError("Nesting too deep") from None
    value = json5.loads(text, allow_duplicate_keys=True, object_pairs_hook=_js_object)
    found: list[DuplicateKey] = []
    for _ in walk_values(text, found):
        pass
    return value, found


def duplicate_keys(text: str) -> list[DuplicateKey]:
    """Return every repeated key of a JSON5 text (raises ConfigSyntaxError if it is not JSON5)."""
    return parse_json5_noting_repeats(text)[1]


def _translate(message: str) -> ConfigSyntaxError:
    """Turn a json5 package error into ConfigSyntaxError with line/column."""
    match = _LINE_COL.search(message)
    if match:
        # Control characters in the message (an unexpected newline) are shown escaped.
        text_part = match.group(2).encode("unicode_escape").decode("ascii")
        return ConfigSyntaxError(text_part, int(match.group(1)), int(match.group(3)))
    return ConfigSyntaxError(message, 1, 1)
