"""A person's quiet hours: no personal notifications inside them, unless a critical one may wake them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class QuietHours:
    start: time | None
    end: time | None
    timezone: str = "UTC"
    critical_overrides: bool = True

    def active(self, now: datetime) -> bool:
        """Whether ``now`` (aware) falls inside the window (which may span midnight)."""
        if self.start is None or self.end is None or self.start == self.end:
            return False
        try:
            zone = ZoneInfo(self.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        local = now.astimezone(zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def holds_back(self, now: datetime, severity: str) -> str | None:
        """Why a personal notification of ``severity`` is held back at ``now``, or None to send it."""
        if not self.active(now):
            return None
        if severity == "critical" and self.critical_overrides:
            return None
        window = f"{self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"
        return f"quiet hours ({window})"
