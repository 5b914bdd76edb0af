"""Every path that writes a config edits the file in place: the result parses to exactly the intended
config, and every comment outside what the change removes survives (hypothesis, commented configs in
many styles). One test per path: form, raw editor (secrets put back), audit fix, legacy migration,
approval side effect, rollback, fleet change."""

from __future__ import annotations

import copy
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from controlpanel.approvals.dm import allow_from_add
from controlpanel.audit import apply_fixes, propose_fixes, run_audit
from controlpanel.configedit.fields import apply_form, form_sections
from controlpanel.configedit.fleet import Change, change_text
from controlpanel.configedit.merge import merge_at
from controlpanel.configedit.secrets import restore_secrets
from controlpanel.lib.json5edit import comments, delete_in, rewrite, same, set_in, set_value
from controlpanel.openclaw import load_config, parse_json5, redact_text
from controlpanel.openclaw.legacy import apply_fixes as migrate
from controlpanel.openclaw.legacy import find_legacy
from tests.lib.json5gen import documents, required_comments
from tests.openclaw.test_properties import configs, words

PATHS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
commented = documents(configs)


def _kept(doc, after_text: str, target) -> None:
    assert same(parse_json5(after_text), target), after_text
    found = Counter(comments(after_text))
    for comment in required_comments(doc, target):
        assert found[comment] == 1, f"lost {comment!r}:\n{after_text}"


@PATHS
@given(data=st.data())
def test_form(data, oracle_parity_paused):
    doc = data.draw(commented)
    sections = form_sections(doc.value, [])
    fields = [
        f for s in sections for f in s.fields if not (f.path[-1] == "groups" and f.path[0] == "channels")
    ]
    post, target = {}, copy.deepcopy(doc.value)
    for item in data.draw(st.lists(st.sampled_from(fields), max_size=4, unique_by=lambda f: f.name)):
        if item.kind == "choice":
            value = data.draw(st.sampled_from(["", *item.choices]))
        elif item.kind == "bool":
            value = data.draw(st.sampled_from(["", "true", "false"]))
        elif item.kind == "list":
            value = "\n".join(data.draw(st.lists(words, max_size=3)))
        else:
            value = data.draw(st.sampled_from(["", "x"]))
        post[item.name] = value
        parsed = None if not value.strip() else (value == "true" if item.kind == "bool" else value)
        if item.kind == "list" and parsed is not None:
            parsed = [line for line in value.splitlines() if line]
        if parsed is None:
            target = delete_in(target, list(item.path))
        elif not same(parsed, item.current):
            target = set_in(target, list(item.path), parsed)
    text, _ = apply_form(doc.text, sections, post)
    _kept(doc, text, target)


@PATHS
@given(doc=commented)
def test_raw_editor_puts_secrets_back_byte_for_byte(doc, oracle_parity_paused):
    assert restore_secrets(redact_text(doc.text), doc.text) == doc.text


@PATHS
@given(doc=commented)
def test_audit_fix(doc, oracle_parity_paused):
    result = load_config(doc.text, env={})
    fixes = propose_fixes(doc.value, run_audit(result.resolved or doc.value).findings)
    assume(fixes)
    target = apply_fixes(doc.value, fixes)
    _kept(doc, rewrite(doc.text, target), target)


LEGACY = st.fixed_dictionaries(
    {},
    optional={
        "tools": st.fixed_dictionaries(
            {
                "exec": st.fixed_dictionaries(
                    {
                        "approvals": st.fixed_dictionaries(
                            {"policy": st.sampled_from(["allowlist", "always", "never"])}
                        )
                    }
                )
            }
        ),
        "logging": st.fixed_dictionaries(
            {"redactSensitive": st.sampled_from(["tools", "off"]), "level": st.just("info")}
        ),
        "gateway": st.fixed_dictionaries(
            {
                "port": st.integers(1, 65535),
                "controlUi": st.fixed_dictionaries({"allowInsecureAuth": st.booleans()}),
            }
        ),
    },
).filter(bool)


@PATHS
@given(doc=documents(LEGACY))
def test_legacy_migration(doc, oracle_parity_paused):
    result = load_config(doc.text, env={})
    assume(result.migration is not None)
    target, _ = migrate(doc.value, find_legacy(doc.value))
    _kept(doc, result.migration.text, target)


@PATHS
@given(
    doc=commented,
    channel=st.sampled_from(["telegram", "whatsapp"]),
    sender=st.from_regex(r"[0-9]{3,8}", fullmatch=True),
)
def test_approval_side_effect(doc, channel, sender, oracle_parity_paused):
    current = ((doc.value.get("channels") or {}).get(channel) or {}).get("allowFrom") or []
    new = allow_from_add(current, sender, channel=channel)
    target = set_in(doc.value, ["channels", channel, "allowFrom"], new)
    _kept(doc, set_value(doc.text, ["channels", channel, "allowFrom"], new), target)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=commented)
@pytest.mark.django_db
def test_rollback_is_the_earlier_text_byte_for_byte(doc, alice, oracle_parity_paused):
    import uuid

    from controlpanel.services.config_revisions import config_revision_create, config_rollback
    from controlpanel.services.gateways import gateway_import_config

    gateway = gateway_import_config(text=doc.text, env={}, name=f"gw-{uuid.uuid4().hex[:8]}").gateway
    assume(gateway is not None)
    edited = set_value(doc.text, ["session", "dmScope"], "per-peer")
    assume(edited != doc.text)
    config_revision_create(
        gateway=gateway, text=edited, source="editor", reason="edit", base_hash=gateway.config_hash
    )
    gateway.refresh_from_db()
    saved = config_rollback(
        gateway=gateway,
        revision=gateway.revisions.get(number=1),
        reason="undo",
        actor=alice,
        base_hash=gateway.config_hash,
    )
    assert saved.revision.text.encode() == doc.text.encode()


@PATHS
@given(
    doc=commented,
    path=st.sampled_from(["", "tools", "tools.exec", "agents.defaults", "session", "gateway.controlUi"]),
    patch=st.sampled_from(
        [
            '{ ask: "always" }',
            "{ security: null }",
            '{ dmScope: "per-peer" }',
            "{ enabled: false, basePath: null }",
            '{ mode: "all" }',
        ]
    ),
)
def test_fleet_change(doc, path, patch, oracle_parity_paused):
    change = Change(kind="snippet", path=path, snippet=patch)
    target = merge_at(doc.value, [p for p in path.split(".") if p], parse_json5(patch))
    _kept(doc, change_text(doc.text, change), target)
