"""Parse the memory quantities that runtimes print: ``2048Mi``, ``2Gi``, ``2147483648 bytes``, ``85%``.

Pure functions; each returns a plain number or raises ``QuantityError`` (a ``ValueError``) with a short
reason that callers put next to a field path or line number.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

# Byte counts are stored in signed 64-bit columns; anything above cannot be a real memory figure.
MAX_BYTES = 2**63 - 1
# Usage can exceed the limit (seed 003: "2148Mi / 2048Mi"), but not by orders of magnitude.
MAX_PERCENT = 10_000.0

_BINARY = {"ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40, "pi": 2**50, "ei": 2**60}
# Kubernetes decimal suffixes are upper case except "k"; lower-case "m" means milli there, so it is
# rejected rather than guessed at.
_DECIMAL = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_DECIMAL_B = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15, "eb": 10**18}
_PLAIN = {"", "b", "byte", "bytes"}

_QUANTITY_RE = re.compile(r"^\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[A-Za-z]*)\s*$")
_PERCENT_RE = re.compile(r"^\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*%\s*$")


class QuantityError(ValueError):
    """A quantity string could not be turned into a number; ``str()`` says why."""


def _unit_factor(unit: str) -> int:
    """Return the multiplier for ``unit``; raises QuantityError for an unknown unit."""
    if unit in _DECIMAL:
        return _DECIMAL[unit]
    lowered = unit.lower()
    if lowered in _PLAIN:
        return 1
    if lowered in _BINARY:
        return _BINARY[lowered]
    if lowered.endswith("ib") and lowered[:-1] in _BINARY:  # "MiB", "GiB"
        return _BINARY[lowered[:-1]]
    if lowered in _DECIMAL_B:
        return _DECIMAL_B[lowered]
    raise QuantityError(f"unknown unit {unit!r}")


def parse_bytes(text: str) -> int:
    """Return the number of bytes in ``text`` (``"2048Mi"``, ``"2Gi"``, ``"1.5GiB"``, ``"2147483648 bytes"``).

    Fractions round up to whole bytes, as Kubernetes does. Raises QuantityError for an empty string,
    a negative or non-numeric value, an unknown unit (including ``m``, which is milli), or a result
    above ``MAX_BYTES``.
    """
    match = _QUANTITY_RE.match(text)
    if match is None:
        raise QuantityError(f"not a quantity: {text.strip()[:40]!r}")
    factor = _unit_factor(match["unit"])
    try:
        value = Decimal(match["num"]) * factor
    except InvalidOperation as exc:  # pragma: no cover - the regex only admits plain decimals
        raise QuantityError(f"not a number: {match['num']!r}") from exc
    result = math.ceil(value)
    if result > MAX_BYTES:
        raise QuantityError(f"too large: {text.strip()[:40]!r}")
    return result


def parse_percent(text: str) -> float:
    """Return the percentage in ``text`` (``"85%"`` -> ``85.0``); raises QuantityError if it is not one."""
    match = _PERCENT_RE.match(text)
    if match is None:
        raise QuantityError(f"not a percentage: {text.strip()[:40]!r}")
    value = float(match["num"])
    if value > MAX_PERCENT:
        raise QuantityError(f"percentage out of range: {text.strip()[:40]!r}")
    return value


def percent_of(usage_bytes: int, limit_bytes: int) -> float | None:
    """Return usage as a percentage of the limit, or None when the limit is unknown or zero.

    None rather than a guess: a hard-coded denominator caused false criticals upstream (#104631).
    """
    if limit_bytes <= 0:
        return None
    return usage_bytes * 100.0 / limit_bytes
