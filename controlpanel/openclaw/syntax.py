"""JSON5 text in: a small tokenizer that knows the key path of every value, and the parser.

The reference value parser is the ``json5`` package (the same grammar as the ``json5`` npm package
that OpenClaw uses); ``pyjson5`` (C) parses first because the reference takes ~0.3 s on a
1,300-line config, and a property test holds the two to the same verdict and value. A repeated key is
accepted as OpenClaw accepts it: the last value wins. Our own tokenizer finds repeated keys (with
their path, for the loader's warning) and lets ``redact_text`` and ``lib.json5edit`` rewrite values in
place while keeping comments and layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import json5
import pyjson5

from controlpanel.lib.jsonlimits import JsonTooDeep, check_text_depth

Path = tuple[str, ...]

_PUNCT = "{}[]:,"
# JSON5 white space: the ASCII set, NBSP, BOM and the Unicode space separators.
_WHITESPACE = frozenset(
    " \t\n\r\v\f\u00a0\ufeff\u2028\u2029\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
)
_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
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


class Token(NamedTuple):
    """One lexical token: kind is one of the punctuation characters, "string" or "word"."""

    kind: str
    start: int
    end: int


_WS_CLASS = "".join(sorted(_WHITESPACE))
# One pass of the regex engine over the text: blanks, comments, punctuation, strings, words. A
# position where nothing matches is an unterminated string or block comment.
_TOKEN = re.compile(
    "(?P<ws>[" + re.escape(_WS_CLASS) + "]+)"
    r"|(?P<comment>//[^\n\r\u2028\u2029]*|/\*.*?\*/)"
    r"|(?P<punct>[{}\[\]:,])"
    r"|(?P<string>\"(?:[^\"\\\n\r]|\\[\s\S])*\"|'(?:[^'\\\n\r]|\\[\s\S])*')"
    r"|(?P<word>[^{}\[\]:,\"'/" + re.escape(_WS_CLASS) + r"]+|/(?!\*))",
    re.DOTALL,
)


def tokenize(text: str) -> Iterator[Token]:
    """Yield the tokens of a JSON5 text, skipping whitespace and comments.

    Lenient on purpose: words (numbers, identifiers, literals) are maximal runs of other characters.
    Raises ConfigSyntaxError for an unterminated string or block comment.
    """
    pos = 0
    for match in _TOKEN.finditer(text):
        start = match.start()
        if start != pos:
            break
        pos = match.end()
        kind = match.lastgroup
        if kind == "punct":
            yield Token(text[start], start, pos)
        elif kind == "string" or kind == "word":
            yield Token(kind, start, pos)
    if pos < len(text):
        if text.startswith("/*", pos):
            raise _syntax_error_at(text, pos, "Unterminated comment")
        raise _syntax_error_at(text, pos, "Unterminated string")


def _syntax_error_at(text: str, index: int, message: str) -> ConfigSyntaxError:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return ConfigSyntaxError(message, line, column)


def decode_string(text: str, token: Token) -> str:
    """Return the value of a string literal token; raises ConfigSyntaxError for a bad escape."""
    literal = text[token.start : token.end]
    if "\\" not in literal:
        return literal[1:-1]
    try:
        return json5.loads(text[token.start : token.end])
    except ValueError:
        raise _syntax_error_at(text, token.start, "Invalid string literal") from None


def decode_key(text: str, token: Token) -> str:
    """Return the key name of a string or identifier token; raises ConfigSyntaxError if it is neither."""
    if token.kind == "string":
        return decode_string(text, token)
    word = text[token.start : token.end]
    if _PLAIN_IDENTIFIER.match(word):
        return word
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


def _index_keys(keys: Any) -> list[str]:
    return sorted((k for k in keys if _INDEX_KEY.match(k) and int(k) < 2**32 - 1), key=int)


def _js_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JavaScript object's key order: integer-like keys first, ascending, then the others as written
    (OpenClaw walks the config in that order, so its issues and warnings come in that order too).
    A repeated key keeps its first place and its last value."""
    merged = dict(pairs)
    index = _index_keys(merged)
    if not index:
        return merged
    return {**{k: merged[k] for k in index}, **{k: v for k, v in merged.items() if k not in index}}


def _js_order(value: Any) -> Any:
    """``_js_object`` applied to a parsed value (pyjson5 keeps the written order)."""
    if isinstance(value, dict):
        return _js_object([(k, _js_order(v)) for k, v in value.items()])
    if isinstance(value, list):
        return [_js_order(v) for v in value]
    return value


def parse_json5(text: str) -> Any:
    """Parse JSON5 text and return the value; a repeated key keeps its last value, as in OpenClaw.

    Raises ConfigSyntaxError(message, line, column) on any syntax problem, and for a text nesting
    deeper than ``jsonlimits.MAX_JSON_DEPTH`` (naming the path and position), before the recursive
    parser sees it.
    """
    return parse_json5_noting_repeats(text)[0]


def parse_json5_noting_repeats(text: str) -> tuple[Any, list[DuplicateKey]]:
    """Parse JSON5 text; return the value and the keys it repeats (each keeps its last value)."""
    try:
        check_text_depth(text)
    except JsonTooDeep as exc:
        path = ".".join(str(part) for part in exc.parts)
        message = f"Nested deeper than {exc.max_depth} levels at {path or '<root>'}"
        raise ConfigSyntaxError(message, exc.line, exc.column, path=path) from None
    try:
        # pyjson5 (C) first: ~1000x faster than the json5 package on a large config. Our own pass
        # decides whether its value can be trusted; any error is reported by the reference parser below.
        value = pyjson5.decode(text)
    except Exception:  # noqa: S110  (every refusal is re-read by the reference parser)
        pass
    else:
        if _checked_by_our_pass(text, _count_keys(value)):
            return _js_order(value), []
    try:
        return json5.loads(text, allow_duplicate_keys=False, object_pairs_hook=_js_object), []
    except ValueError as exc:
        if not str(exc).startswith("Duplicate key"):
            raise _translate(text, str(exc)) from None
    except RecursionError:  # cannot happen after the depth check; kept as the last line of defence
        raise ConfigSyntaxError("Nesting too deep") from None
    # A repeated key: read again keeping the last value, and find where each repetition is.
    value = json5.loads(text, allow_duplicate_keys=True, object_pairs_hook=_js_object)
    found: list[DuplicateKey] = []
    for _ in walk_values(text, found):
        pass
    return value, found


def duplicate_keys(text: str) -> list[DuplicateKey]:
    """Return every repeated key of a JSON5 text (raises ConfigSyntaxError if it is not JSON5)."""
    return parse_json5_noting_repeats(text)[1]


# What the reference parser accepts as a bare value; pyjson5 also takes "1_000", ".e1" and "\\08".
_STRICT_WORD = re.compile(
    r"(?:[+-]?(?:Infinity|NaN|0[xX][0-9a-fA-F]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?"
    r"|\.[0-9]+(?:[eE][+-]?[0-9]+)?)|true|false|null)\Z"
)
_DIGIT_ESCAPE = re.compile(r"\\[0-9]")


# One pass over a text pyjson5 accepted: every key (a string or word before a colon) and every bare value.
_SCAN = re.compile(
    r"(?P<string>\"(?:[^\"\\\n\r]|\\[\s\S])*\"|'(?:[^'\\\n\r]|\\[\s\S])*')(?P<skey>[" + _WS_CLASS + r"]*:)?"
    r"|(?P<comment>//[^\n\r\u2028\u2029]*|/\*.*?\*/)"
    r"|(?P<word>[^{}\[\]:,\"'/" + _WS_CLASS + r"]+)(?P<wkey>[" + _WS_CLASS + r"]*:)?",
    re.DOTALL,
)


@lru_cache(maxsize=32)
def _checked_by_our_pass(text: str, value_keys: int) -> bool:
    """Our pass over a text pyjson5 accepted (``value_keys``: the keys its value holds): False when
    a value is one the two parsers may read differently, or when the text repeats a key (it has more
    keys than its value): then the reference parser decides."""
    keys = 0
    for match in _SCAN.finditer(text):
        kind = match.lastgroup
        if kind == "skey" or kind == "wkey":
            keys += 1
        elif kind == "word":
            if not _STRICT_WORD.match(match.group("word")):
                return False
        elif kind == "string" and "\\" in match.group() and _DIGIT_ESCAPE.search(match.group()):
            return False
    return keys == value_keys


def fast_value(text: str) -> Any:
    """The value of ``text`` when pyjson5 and our pass agree it is plain and has no repeated key,
    else None (callers then take their slow, exact path)."""
    try:
        value = pyjson5.decode(text)
    except Exception:
        return None
    return value if _checked_by_our_pass(text, _count_keys(value)) else None


def _count_keys(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_count_keys(v) for v in value.values() if isinstance(v, dict | list))
    if isinstance(value, list):
        return sum(_count_keys(v) for v in value if isinstance(v, dict | list))
    return 0


def _translate(text: str, message: str) -> ConfigSyntaxError:
    """Turn a json5 package error into ConfigSyntaxError with line/column."""
    match = _LINE_COL.search(message)
    if match:
        # Control characters in the message (an unexpected newline) are shown escaped.
        text_part = match.group(2).encode("unicode_escape").decode("ascii")
        return ConfigSyntaxError(text_part, int(match.group(1)), int(match.group(3)))
    return ConfigSyntaxError(message, 1, 1)
