"""Server-rendered SVG geometry for the memory chart (no JavaScript, no chart library)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

WIDTH, HEIGHT = 800, 240
THRESHOLDS = (80, 90)


def _points(pairs: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pairs)


def memory_chart(samples: list[tuple[datetime, int, int | None]]) -> dict[str, Any] | None:
    """Return polylines for usage, limit and the 80/90 % lines, or None when there are no samples.

    ``samples`` are (ts, usage_bytes, limit_bytes) in time order. The y axis starts at 0 and tops out
    at 110 % of the largest of usage and limit; x is proportional to time.
    """
    if not samples:
        return None
    start, end = samples[0][0], samples[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    top = max(max(u for _, u, _ in samples), max((lim or 0) for _, _, lim in samples)) * 1.1 or 1

    def x(ts: datetime) -> float:
        return (ts - start).total_seconds() / span * WIDTH if len(samples) > 1 else WIDTH / 2

    def y(value: float) -> float:
        return HEIGHT - value / top * HEIGHT

    limited = [(ts, lim) for ts, _, lim in samples if lim]
    thresholds = [
        {
            "percent": p,
            "points": _points([(x(ts), y(lim * p / 100)) for ts, lim in limited]),
            "label_y": f"{y(limited[0][1] * p / 100):.1f}",
        }
        for p in THRESHOLDS
        if limited
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "count": len(samples),
        "start": start,
        "end": end,
        "top_mib": round(top / 2**20, 1),
        "has_limit": bool(limited),
        "usage_points": _points([(x(ts), y(u)) for ts, u, _ in samples]),
        "limit_points": _points([(x(ts), y(lim)) for ts, lim in limited]),
        "thresholds": thresholds,
    }
