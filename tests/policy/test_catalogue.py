"""The hand-typed data tables must equal what the real package printed."""

from __future__ import annotations

from controlpanel.policy import TOOL_CATALOGUE, TOOL_GROUPS, TOOL_PROFILES
from controlpanel.policy.catalogue import SANDBOX_DEFAULT_ALLOW, SANDBOX_DEFAULT_DENY

from .oracle_data import oracle

REAL = oracle("01-empty", "tools.json")


def test_groups_are_the_real_membership():
    assert {k: list(v) for k, v in TOOL_GROUPS.items()} == REAL["toolGroups"]


def test_profiles_are_the_real_profiles():
    assert {k: {"allow": list(v)} for k, v in TOOL_PROFILES.items()} == REAL["profiles"]


def test_catalogue_is_every_core_tool_sorted():
    universe = REAL["scopes"][0]["auditView"]
    core = set(universe["allowed"] + universe["denied"]) - {"bundle-mcp", "__some_plugin_tool__"}
    assert list(TOOL_CATALOGUE) == sorted(core)


def test_sandbox_defaults_are_the_real_defaults():
    tools = oracle("01-empty", "explain.main.main.json")["sandbox"]["tools"]
    assert list(SANDBOX_DEFAULT_ALLOW) == tools["allow"]
    assert list(SANDBOX_DEFAULT_DENY) == tools["deny"]


def test_seed_001_groups_are_a_subset_modulo_aliases():
    # Seed 001 lists `bash` and `cron`: today they are aliases of exec and automations.
    assert {"exec", "process"} <= set(TOOL_GROUPS["group:runtime"])
    assert {"read", "write", "edit", "apply_patch"} <= set(TOOL_GROUPS["group:fs"])
    assert {"browser", "canvas"} <= set(TOOL_GROUPS["group:ui"])
    assert {"automations", "gateway"} <= set(TOOL_GROUPS["group:automation"])
