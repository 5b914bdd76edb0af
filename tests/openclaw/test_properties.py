"""Property tests: export∘import is identity on valid configs; redaction commutes with parsing; fuzzing."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlpanel.lib.safetext import first_unstorable
from controlpanel.openclaw import (
    ConfigSyntaxError,
    dump_config,
    load_config,
    parse_json5,
    redact,
    redact_text,
)

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
# No accidental ${VAR}; no text a database cannot store (refused on purpose: tests/security/
# test_hostile_config_text.py).
free_text = st.text(max_size=20).filter(lambda s: "$" not in s and first_unstorable(s) is None)
secretish = st.one_of(
    free_text, st.builds(lambda n: "${" + n + "}", st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True))
)
agent_ids = st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)


def _optional(**fields: st.SearchStrategy) -> st.SearchStrategy:
    """A dict strategy where every key is optional."""
    return st.fixed_dictionaries({}, optional=fields)


gateway = _optional(
    port=st.integers(1, 65535),
    mode=st.sampled_from(["local", "remote"]),
    bind=st.sampled_from(["auto", "lan", "loopback", "custom", "tailnet"]),
    auth=_optional(
        mode=st.sampled_from(["none", "token", "password", "trusted-proxy"]),
        token=secretish,
        password=secretish,
        allowTailscale=st.booleans(),
    ),
    controlUi=_optional(
        enabled=st.booleans(), basePath=free_text, allowedOrigins=st.lists(free_text, max_size=2)
    ),
    trustedProxies=st.lists(free_text, max_size=3),
    # serve/funnel need a loopback bind (a cross-field rule, tested separately).
    tailscale=_optional(mode=st.just("off")),
)
exec_cfg = _optional(
    security=st.sampled_from(["deny", "allowlist", "full"]),
    ask=st.sampled_from(["off", "on-miss", "always"]),
    safeBins=st.lists(words, max_size=3),
    strictInlineEval=st.booleans(),
)
tool_policy = dict(
    profile=st.sampled_from(["minimal", "coding", "messaging", "full"]),
    allow=st.lists(words, max_size=3),
    deny=st.lists(words, max_size=3),
    exec=exec_cfg,
    elevated=_optional(
        enabled=st.booleans(), allowFrom=st.dictionaries(words, st.lists(words, max_size=2), max_size=2)
    ),
)
tools = _optional(
    **tool_policy, sessions=_optional(visibility=st.sampled_from(["self", "tree", "agent", "all"]))
)
sandbox = _optional(
    mode=st.sampled_from(["off", "non-main", "all"]),
    workspaceAccess=st.sampled_from(["none", "ro", "rw"]),
    scope=st.sampled_from(["session", "agent", "shared"]),
)
agent_entry = _optional(
    name=free_text, model=words, workspace=free_text, sandbox=sandbox, tools=_optional(**tool_policy)
)
agents = st.one_of(
    _optional(defaults=_optional(model=words, workspace=free_text, sandbox=sandbox)),
    st.fixed_dictionaries(
        {
            "ownership": st.just("explicit"),
            "entries": st.dictionaries(agent_ids, agent_entry, min_size=1, max_size=3),
        }
    ),
    st.fixed_dictionaries({"entries": st.dictionaries(agent_ids, agent_entry, min_size=1, max_size=1)}),
)
# Group keys differ per channel (whatsapp groups take only requireMention/tools/systemPrompt).
telegram_group = _optional(requireMention=st.booleans(), allowFrom=st.lists(words, max_size=2))
whatsapp_group = _optional(requireMention=st.booleans())


def channel(group: st.SearchStrategy) -> st.SearchStrategy:
    """A channel config whose groups follow the given group strategy."""
    return _optional(
        enabled=st.booleans(),
        dmPolicy=st.sampled_from(["pairing", "allowlist", "disabled"]),
        allowFrom=st.lists(words, max_size=3),
        groupPolicy=st.sampled_from(["open", "disabled", "allowlist"]),
        groups=st.dictionaries(st.sampled_from(["*", "-100123", "g1"]), group, max_size=2),
    )


configs = _optional(
    gateway=gateway,
    tools=tools,
    agents=agents,
    channels=_optional(whatsapp=channel(whatsapp_group), telegram=channel(telegram_group)),
    session=_optional(
        dmScope=st.sampled_from(["main", "per-peer", "per-channel-peer", "per-account-channel-peer"])
    ),
    discovery=_optional(mdns=_optional(mode=st.sampled_from(["off", "minimal", "full"]))),
    logging=_optional(level=st.sampled_from(["silent", "error", "info", "debug"])),
    plugins=_optional(enabled=st.booleans(), allow=st.lists(words, max_size=2)),
    commands=_optional(bash=st.booleans(), config=st.booleans()),
    hooks=_optional(enabled=st.booleans(), token=secretish, path=free_text),
    cron=_optional(enabled=st.booleans()),  # unmodeled: kept verbatim
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_export_import_is_identity_on_valid_configs(config: dict) -> None:
    result = load_config(dump_config(config), env={})
    assert result.valid, result.issues
    assert result.raw == config
    assert load_config(dump_config(result.raw), env={}).raw == config


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs, st.sampled_from([0, 2, 4]))
def test_redact_text_commutes_with_parsing(config: dict, indent: int) -> None:
    text = json.dumps(config, indent=indent or None)
    assert parse_json5(redact_text(text)) == redact(parse_json5(text))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_load_config_never_raises_on_arbitrary_text(text: str) -> None:
    result = load_config(text, env={})
    assert result.valid or result.issues


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}[]:,\"'/*\n abc1$\\", max_size=60))
def test_parser_raises_only_its_documented_error(text: str) -> None:
    with contextlib.suppress(ConfigSyntaxError):
        parse_json5(text)
    with contextlib.suppress(ConfigSyntaxError):
        redact_text(text)


# Keys of the real schema, so that random documents reach the modeled sections and the legacy rewrites.
VOCABULARY = [
    "gateway", "auth", "mode", "token", "bind", "port", "tailscale", "controlUi", "allowInsecureAuth",
    "tools", "exec", "approvals", "policy", "allowlist", "enabled", "security", "ask", "allow", "alsoAllow",
    "deny", "elevated", "allowFrom", "agents", "list", "entries", "defaults", "default", "id", "ownership",
    "sandbox", "network", "memorySearch", "logging", "redactSensitive", "events", "channels", "whatsapp",
    "telegram", "groups", "requireMention", "dmPolicy", "browser", "profiles", "color", "env", "vars",
    "systemAgent", "agentId", "hooks", "skills",
]  # fmt: skip
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.sampled_from(["", "x", "${A}", "all", "allowlist"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(VOCABULARY), children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(VOCABULARY), json_values, max_size=5))
def test_load_config_never_raises_on_arbitrary_documents(doc: dict) -> None:
    result = load_config(json.dumps(doc), env={"A": "1"})
    assert result.valid == (not result.issues)
    if result.migration is not None:
        assert load_config(result.migration.text, env={"A": "1"}).valid
    assert parse_json5(redact_text(json.dumps(doc))) == redact(doc)
