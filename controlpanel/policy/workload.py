"""Workload memory (seed 003): quantities, limits/requests, usage against the real limit, advice.

Quantities follow the Kubernetes-style notation seed 003 uses: plain bytes (`2147483648`), binary
suffixes Ki/Mi/Gi/Ti/Pi/Ei and decimal k/K/M/G/T/P/E; decimals are allowed (`1.5Gi`).

Advice (`recommend`): P95 of the observed usage samples (nearest-rank), recommended limit = P95 x 1.5
and request = P95 x 1.1 exactly, plus the same rounded UP to a "nice" value that operators would type:

    value below  512Mi -> next multiple of  64Mi
    value below    2Gi -> next multiple of 256Mi
    otherwise          -> next multiple of   1Gi

With seed 003's P95 of 1843Mi that gives limit 2764.5Mi -> 3072Mi and request 2027.3Mi -> 2048Mi,
the figures the seed prints.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

KI, MI, GI = 1024, 1024**2, 1024**3
_BINARY = {"Ki": KI, "Mi": MI, "Gi": GI, "Ti": 1024**4, "Pi": 1024**5, "Ei": 1024**6}
_DECIMAL = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_QUANTITY = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]{0,2})\s*$")
LIMIT_FACTOR = Decimal("1.5")
REQUEST_FACTOR = Decimal("1.1")
# (upper bound exclusive, step) for the "nice" rounding; the last step applies above all bounds.
NICE_STEPS: tuple[tuple[int, int], ...] = ((512 * MI, 64 * MI), (2 * GI, 256 * MI))
NICE_STEP_LARGE = GI
PRESSURE_WARNING, PRESSURE_CRITICAL = 80.0, 90.0


def parse_quantity(value: Any) -> int:
    """Return a memory quantity in bytes (rounded up to a whole byte); ValueError if malformed."""
    if isinstance(value, bool):
        raise ValueError(f"invalid memory quantity {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"invalid memory quantity {value!r}: negative")
        return value
    if not isinstance(value, str):
        raise ValueError(f"invalid memory quantity {value!r}")
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"invalid memory quantity {value!r}: expected a number with an optional unit")
    number, unit = match.groups()
    factor = _BINARY.get(unit) or _DECIMAL.get(unit) or (1 if unit == "" else None)
    if factor is None:
        raise ValueError(f"invalid memory quantity {value!r}: unknown unit {unit!r}")
    try:
        return math.ceil(Decimal(number) * factor)
    except InvalidOperation as exc:  # pragma: no cover - the regex already excludes this
        raise ValueError(f"invalid memory quantity {value!r}") from exc


def format_quantity(num_bytes: int) -> str:
    """Return bytes as the largest binary unit that divides them exactly (Mi preferred, as seed 003)."""
    if num_bytes and num_bytes % MI == 0:
        return f"{num_bytes // MI}Mi"
    if num_bytes and num_bytes % KI == 0:
        return f"{num_bytes // KI}Ki"
    return str(num_bytes)


def usage_percent(usage: Any, limit: Any) -> float | None:
    """Return usage as a percentage of the real limit (None when there is no positive limit)."""
    if limit is None:
        return None
    limit_bytes = parse_quantity(limit)
    if limit_bytes <= 0:
        return None
    return parse_quantity(usage) * 100.0 / limit_bytes


def pressure_level(percent: float | None) -> str:
    """Return "ok", "warning" (>= 80 %) or "critical" (>= 90 %) for a usage percentage."""
    if percent is None:
        return "unknown"
    if percent >= PRESSURE_CRITICAL:
        return "critical"
    return "warning" if percent >= PRESSURE_WARNING else "ok"


@dataclass(frozen=True)
class Resources:
    """A workload's memory limit and request, in bytes (None when unset), with problems found."""

    limit: int | None
    request: int | None
    problems: tuple[str, ...]


def parse_resources(resources: Mapping[str, Any] | None) -> Resources:
    """Return the memory limit/request of a `resources` block and any problems (seed 003's pitfalls)."""
    resources = resources if isinstance(resources, Mapping) else {}
    limit = _memory_of(resources.get("limits"))
    request = _memory_of(resources.get("requests"))
    problems: list[str] = []
    if limit is None:
        problems.append("no memory limit: the workload can exhaust the node")
    if limit is not None and request is not None:
        if request > limit:
            problems.append("memory request is above the limit")
        elif request == limit:
            problems.append("memory request equals the limit: no room for scheduling flexibility")
    return Resources(limit, request, tuple(problems))


def _memory_of(block: Any) -> int | None:
    """Return the `memory` quantity of a limits/requests block in bytes, or None."""
    if isinstance(block, Mapping) and block.get("memory") is not None:
        return parse_quantity(block["memory"])
    return None


def percentile(samples: Sequence[int], pct: float) -> int:
    """Return the nearest-rank percentile of the samples (ValueError when there are none)."""
    if not samples:
        raise ValueError("no usage samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


def nice_round_up(num_bytes: float) -> int:
    """Return the value rounded up to the next step of the NICE_STEPS table (see module docstring)."""
    step = next((s for bound, s in NICE_STEPS if num_bytes < bound), NICE_STEP_LARGE)
    return max(step, math.ceil(num_bytes / step) * step)


@dataclass(frozen=True)
class Advice:
    """Recommended memory limit/request from observed usage, exact and rounded to nice values."""

    p95: int
    limit_exact: float
    request_exact: float
    limit: int
    request: int

    def as_json(self) -> dict[str, Any]:
        """Return the advice with quantities in the seed's notation."""
        return {
            "p95": format_quantity(self.p95),
            "limitExactMi": round(self.limit_exact / MI, 1),
            "requestExactMi": round(self.request_exact / MI, 1),
            "limit": format_quantity(self.limit),
            "request": format_quantity(self.request),
        }


def recommend(samples: Iterable[Any]) -> Advice:
    """Return the advice for usage samples (quantities or bytes): limit P95x1.5, request P95x1.1."""
    values = [parse_quantity(s) for s in samples]
    p95 = percentile(values, 95)
    limit_exact = float(Decimal(p95) * LIMIT_FACTOR)
    request_exact = float(Decimal(p95) * REQUEST_FACTOR)
    return Advice(p95, limit_exact, request_exact, nice_round_up(limit_exact), nice_round_up(request_exact))
