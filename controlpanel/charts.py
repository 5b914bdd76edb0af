"""Data for the memory chart: uPlot (static/vendor/uplot) draws it with axes and time labels.

The page embeds the series with ``json_script`` (a JSON data block, allowed by the CSP) and
static/js/memory_chart.js hands it to uPlot; the same readings are a table for anyone without JavaScript.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

THRESHOLDS = (80, 90)
MIB = 2**20


def mib(num_bytes: int) -> str:
    """Bytes as MiB for people: "1,740 MiB"."""
    return f"{num_bytes / MIB:,.0f} MiB"


def memory_chart(samples: list[tuple[datetime, int, int | None]]) -> dict[str, Any]:
    """Return ``chart`` (series for uPlot, or None without samples) and ``readings`` (newest first).

    ``samples`` are (ts, usage_bytes, limit_bytes) in time order. Values are MiB; the 80 % and 90 %
    lines follow the limit reported with each reading (no line where none was reported).
    """
    if not samples:
        return {"chart": None, "readings": []}
    limited = any(limit for _, _, limit in samples)
    series: dict[str, Any] = {
        "t": [ts.timestamp() for ts, _, _ in samples],
        "usage": [round(usage / MIB, 1) for _, usage, _ in samples],
        "limit": [round(limit / MIB, 1) if limit else None for _, _, limit in samples],
    }
    for percent in THRESHOLDS:
        series[f"p{percent}"] = [
            round(limit * percent / 100 / MIB, 1) if limit else None for _, _, limit in samples
        ]
    readings = [
        {
            "ts": ts,
            "usage": mib(usage),
            "limit": mib(limit) if limit else "",
            "percent": round(usage / limit * 100) if limit else None,
        }
        for ts, usage, limit in reversed(samples[-200:])
    ]
    return {
        "chart": {
            "series": series,
            "count": len(samples),
            "start": samples[0][0],
            "end": samples[-1][0],
            "has_limit": limited,
            "peak": mib(max(u for _, u, _ in samples)),
        },
        "readings": readings,
    }
