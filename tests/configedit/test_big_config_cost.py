"""The work of a what-if grows linearly with the number of agents (issue 19, finding 9).

Each agent's entry used to be found by rebuilding every entry, several times per agent: a re-import of
a 3,000-agent config took minutes. Counted in Python function calls (not timed: deterministic on a
loaded machine); ``bench/big_config.py`` prints the seconds.
"""

from __future__ import annotations

import sys

from controlpanel.configedit.whatif import agent_changes

SHAPES = [
    '{{"name": "Agent {i}", "tools": {{"deny": ["browser"]}}}}',
    '{{"workspace": "/srv/a{i}", "sandbox": {{"mode": "all"}}}}',
    '{{"tools": {{"profile": "coding", "allow": ["exec"]}}}}',
    '{{"tools": {{"exec": {{"security": "allowlist", "ask": "on-miss"}}}}}}',
]


def config(agents: int, deny: list[str]) -> dict:
    import json

    entries = {f"a{i}": json.loads(SHAPES[i % len(SHAPES)].format(i=i)) for i in range(agents)}
    return {
        "tools": {"profile": "messaging", "deny": deny},
        "agents": {
            "ownership": "explicit",
            "defaults": {"sandbox": {"mode": "non-main"}},
            "entries": entries,
        },
    }


def calls(agents: int) -> int:
    """Python function calls of a what-if where every agent changes (the global deny list).

    The rules' caches start empty each time (bounded caches would otherwise favour the smaller run).
    """
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("controlpanel."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
    before, after = config(agents, ["gateway"]), config(agents, ["gateway", "exec", "message"])
    count = 0

    def tally(frame, event, arg):
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(tally)
    try:
        changes = agent_changes(before, after)
    finally:
        sys.setprofile(None)
    assert len(changes) >= agents // 2  # the agents that had exec or message lose it
    return count


def test_a_what_if_over_four_times_the_agents_costs_at_most_four_times_the_work():
    small, large = calls(50), calls(200)
    assert large <= 4.4 * small, (small, large, round(large / small, 2))
