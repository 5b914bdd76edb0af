"""Reconnect delays: exponential, capped, with jitter so that many panels do not retry in step."""

from __future__ import annotations

import random

BASE_SECONDS = 0.5
CAP_SECONDS = 30.0


def backoff_delay(
    attempt: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS, rng: random.Random | None = None
) -> float:
    """Return the delay before reconnect ``attempt`` (0-based).

    Uniform in [d/2, d] with d = min(cap, base * 2**attempt).
    """
    ceiling = min(cap, base * (2 ** min(attempt, 30)))
    return (rng or random).uniform(ceiling / 2, ceiling)
