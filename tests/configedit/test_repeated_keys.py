"""A config that repeats a key (OpenClaw keeps the last value) reviews as valid, with the key flagged."""

from __future__ import annotations

from controlpanel.configedit.review import review

BEFORE = '{ gateway: { bind: "loopback" } }\n'
AFTER = '{ gateway: { bind: "lan",\n  bind: "loopback" } }\n'


def test_the_review_accepts_a_repeated_key_and_names_it() -> None:
    result = review(BEFORE, AFTER)
    assert result.valid
    warnings = result.as_json()["warnings"]
    assert [w["path"] for w in warnings] == ["gateway.bind"]
    assert warnings[0]["message"].startswith('Duplicate key "bind" (line 2, column 3)')
    assert result.result.resolved["gateway"]["bind"] == "loopback"
