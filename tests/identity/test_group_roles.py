"""The group -> role rules (pure): parsing with errors naming the entry, highest role wins."""

from __future__ import annotations

import pytest

from controlpanel.identity.group_roles import RuleError, normalise_tags, parse_rules, roles_for

GATEWAYS = [(1, "alpha", ["prod"]), (2, "beta", ["prod", "eu"]), (3, "lab", [])]


def test_rules_select_by_tag_name_or_all_and_the_highest_role_wins():
    rules = parse_rules("ops=admin@tag:prod;\n leads=owner@name:beta; all=viewer@*")
    assert roles_for(rules, ["ops"], GATEWAYS) == {1: "admin", 2: "admin"}
    assert roles_for(rules, ["ops", "leads", "all"], GATEWAYS) == {1: "admin", 2: "owner", 3: "viewer"}
    assert roles_for(rules, ["nobody"], GATEWAYS) == {}
    assert roles_for((), ["ops"], GATEWAYS) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ops=admin", "entry 1 ('ops=admin'): expected GROUP=ROLE@SELECTOR"),
        ("a=viewer@*; ops=root@*", "entry 2 ('ops=root@*'): role must be one of viewer, admin, owner"),
        ("ops=admin@team:x", "selector must be tag:NAME, name:GATEWAY or *"),
        ("ops=admin@tag:Bad Tag", "is not a tag"),
        ("=admin@*", "expected GROUP=ROLE@SELECTOR"),
    ],
)
def test_malformed_rules_name_the_entry(text, message):
    with pytest.raises(RuleError) as caught:
        parse_rules(text)
    assert message in str(caught.value)


def test_tags_are_normalised_and_checked():
    assert normalise_tags(" Prod, eu  prod,") == ["prod", "eu"]
    with pytest.raises(RuleError, match="at most 20"):
        normalise_tags(",".join(f"t{i}" for i in range(21)))
