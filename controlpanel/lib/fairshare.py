"""How gateway workers divide a fleet: a fair share each, and who hands back what to a newcomer.

Every worker computes the same answer from the same picture (the leases each live worker holds),
so they agree without talking to each other: the workers furthest above their share hand back
just enough for the workers below it, after the free gateways are counted. No connection moves
unless a worker below its share would otherwise stay there.
"""

from __future__ import annotations

from collections.abc import Mapping


def fair_share(gateways: int, workers: int) -> int:
    """Return the most gateways one worker takes: ``ceil(gateways / workers)`` (all with one worker)."""
    return -(-max(gateways, 0) // max(workers, 1))


def releases_due(held: Mapping[str, int], *, me: str, gateways: int) -> int:
    """Return how many of its leases worker ``me`` should hand back now.

    ``held`` maps every live fleet worker (``me`` included, even at 0) to the leases it holds;
    ``gateways`` is how many gateways the fleet shares. The deficit of the workers below their
    share, less the gateways nobody holds, is covered by the workers above it, the furthest above
    first (ties by worker id), each giving at most its excess.
    """
    share = fair_share(gateways, len(held))
    free = max(0, gateways - sum(held.values()))
    deficit = sum(max(0, share - count) for count in held.values()) - free
    for worker, count in sorted(held.items(), key=lambda item: (share - item[1], item[0])):
        excess = count - share
        if deficit <= 0 or excess <= 0:
            return 0
        give = min(excess, deficit)
        if worker == me:
            return give
        deficit -= give
    return 0
