"""Arbitrary JSON shapes never crash a check (a crash would surface as audit.check_error)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlpanel.audit import AuditContext, run_audit, run_context

KEYS = [
    "gateway", "bind", "auth", "mode", "token", "password", "controlUi", "allowedOrigins",
    "tools", "exec", "security", "host", "allow", "deny", "profile", "agents", "entries",
    "defaults", "sandbox", "docker", "binds", "network", "channels", "telegram", "groupPolicy",
    "dmPolicy", "allowFrom", "accounts", "hooks", "enabled", "path", "model", "nodes",
    "commands", "elevated", "safeBins", "trustedProxies", "tailscale", "session", "bindings",
]  # fmt: skip
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(["*", "", "open", "full", "lan", "all", "/etc:/x", "gpt-3.5", "a-7b", "token"]),
)
JSON = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=25,
)
CONFIGS = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=6)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONFIGS)
def test_no_check_crashes_on_arbitrary_shapes(config: dict) -> None:
    report = run_audit(config, env={"OPENCLAW_GATEWAY_TOKEN": "x"})
    errors = [f.detail for f in report.findings if f.check_id == "audit.check_error"]
    assert errors == []
    assert report.findings[0].check_id == "summary.attack_surface"


@settings(max_examples=50, deadline=None)
@given(CONFIGS)
def test_panel_checks_survive_arbitrary_configs(config: dict) -> None:
    report = run_context(AuditContext(config=config))
    assert [f for f in report.findings if f.check_id == "audit.check_error"] == []
