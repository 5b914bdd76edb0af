"""Text a database cannot store, and text longer than its column: one answer for every caller.

PostgreSQL text (and JSON) cannot hold NUL (U+0000), and no UTF-8 database can hold a lone UTF-16
surrogate (U+D800-U+DFFF, which JSON's ``\\ud800`` escapes produce). SQLite stores NUL but the
panel must behave the same on both. Hostile input (a gateway's events, a config) may carry either:

- ``escape_unstorable`` / ``escape_unstorable_json`` replace them by their JSON escape spelled out
  (``\\u0000``, ``\\ud800``), so the text is kept, visibly, and say where they did (for the answer);
- ``unstorable_paths`` only finds them, and ``refusal`` words the refusal, for callers that refuse
  such input with a message naming the path or the field (a config, a reason, a fleet change);
- ``fit`` shortens a text to a column's length without merging two different texts.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, NamedTuple

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# A cheap test on a raw JSON body before decoding: NUL and surrogates can only arrive as escapes.
UNSTORABLE_JSON_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


class Escaped(NamedTuple):
    """Where unstorable characters were replaced (a JSON path) and what was done."""

    path: str
    reason: str


def _spelled(char: str) -> str:
    return f"\\u{ord(char):04x}"


def describe(char: str) -> str:
    """Return why and how ``char`` was replaced, for an answer: ``NUL (U+0000) stored as \\u0000``."""
    kind = "NUL" if char == "\x00" else "lone surrogate"
    return f"{kind} (U+{ord(char):04X}) stored as {_spelled(char)}"


def has_unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def first_unstorable(text: str) -> str | None:
    """Return the first character of ``text`` no database can store, or None."""
    found = _UNSTORABLE.search(text)
    return found.group() if found else None


def escape_unstorable(text: str) -> str:
    """Return ``text`` with NUL and lone surrogates spelled as their JSON escapes (``\\u0000``)."""
    return _UNSTORABLE.sub(lambda m: _spelled(m.group()), text)


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def escape_unstorable_json(value: Any, path: str = "") -> tuple[Any, list[Escaped]]:
    """Return (``value`` with every string and object key escaped, where that was needed).

    ``value`` is decoded JSON (dicts, lists, strings, numbers); it is not modified, and returned
    as is when nothing needed escaping. Paths read like ``events[3].agent`` under ``path``.
    """
    found: list[Escaped] = []

    def walk(item: Any, where: str) -> Any:
        if isinstance(item, str):
            if (char := first_unstorable(item)) is None:
                return item
            found.append(Escaped(where, describe(char)))
            return escape_unstorable(item)
        if isinstance(item, list):
            out = [walk(v, _join(where, i)) for i, v in enumerate(item)]
            return out if any(a is not b for a, b in zip(out, item, strict=True)) else item
        if isinstance(item, dict):
            changed = False
            out_dict = {}
            for key, v in item.items():
                new_key = key
                if isinstance(key, str) and (char := first_unstorable(key)) is not None:
                    new_key = escape_unstorable(key)
                    found.append(Escaped(_join(where, new_key), f"field name: {describe(char)}"))
                new_v = walk(v, _join(where, new_key))
                changed = changed or new_key is not key or new_v is not v
                out_dict[new_key] = new_v
            return out_dict if changed else item
        return item

    return walk(value, path), found


# The start of every refusal (the config validator's issues too: tests/oracle_parity.py knows them).
REFUSED = "Holds text the panel cannot store"


def refusal(text: str, what: str = "the value", *, locate: bool | None = None) -> str | None:
    """Return the message refusing ``text`` when it holds a character no database can store, else None.

    ``what`` names the place, e.g. ``"the reason"``; the character is located by its line and column
    when ``locate`` (default: when the text has several lines).
    """
    char = first_unstorable(text)
    if char is None:
        return None
    kind = "a NUL character" if char == "\x00" else "a lone UTF-16 surrogate"
    at = text.index(char)
    if locate or (locate is None and "\n" in text):
        line = text.count("\n", 0, at) + 1
        what = f"{what} at {line}:{at - (text.rfind(chr(10), 0, at) + 1) + 1}"
    return f"{REFUSED}: {what} contains {kind} (U+{ord(char):04X}); remove it"


def unstorable_paths(value: Any, path: str = "") -> list[Escaped]:
    """Return where decoded JSON ``value`` holds text no database can store (nothing is changed)."""
    return escape_unstorable_json(value, path)[1]


def fit(text: str, limit: int) -> str:
    """Return ``text`` if it has at most ``limit`` characters, else its start plus a digest of all of it.

    Two different texts never fit to the same result unless their SHA-256 digests share 64 bits:
    a column that keys on the text (an alert's subject) keeps them apart.
    """
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{text[: limit - 18]}…~{digest}"
