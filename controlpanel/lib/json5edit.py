"""Edit one value of a JSON5 text in place, keeping every comment and the layout around it.

Used for the panel's own small config changes (adding a sender to ``allowFrom``), so that an
operator's commented ``openclaw.json`` survives a change made from the browser.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from controlpanel.openclaw.syntax import decode_key, tokenize


def value_span(text: str, path: Sequence[str]) -> tuple[int, int] | None:
    """Return (start, end) of the value at ``path`` (object keys only), or None if it is absent."""
    tokens = list(tokenize(text))
    target = tuple(path)
    # Stack of [kind, path, pending_key, expecting_key]; a value starts at a token that is not
    # punctuation-closing and not a key.
    stack: list[list[Any]] = []
    start_stack: list[tuple[tuple[str, ...], int]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        frame = stack[-1] if stack else None
        if frame is not None and frame[0] == "{" and frame[3] and tok.kind in ("string", "word"):
            frame[2] = decode_key(text, tok)
            frame[3] = False
            i += 1
            continue
        if tok.kind == ":" or tok.kind == ",":
            if tok.kind == "," and frame is not None and frame[0] == "{":
                frame[3] = True
            i += 1
            continue
        here = _path_of(frame)
        if tok.kind in "{[":
            stack.append([tok.kind, here, None, tok.kind == "{"])
            start_stack.append((here, tok.start))
        elif tok.kind in "}]":
            stack.pop()
            opened_path, opened_at = start_stack.pop()
            if opened_path == target:
                return opened_at, tok.end
        elif here == target:
            return tok.start, tok.end
        i += 1
    return None


def _path_of(frame: list[Any] | None) -> tuple[str, ...]:
    if frame is None:
        return ()
    if frame[0] == "{":
        return (*frame[1], str(frame[2]))
    return (*frame[1], "[]")  # array items: not addressed by this module


def replace_value(text: str, path: Sequence[str], value: Any) -> str | None:
    """Return ``text`` with the value at ``path`` replaced by ``value`` (as JSON), or None if absent."""
    span = value_span(text, path)
    if span is None:
        return None
    start, end = span
    return text[:start] + json.dumps(value, ensure_ascii=False) + text[end:]
