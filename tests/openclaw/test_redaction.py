"""Secrets are replaced by OpenClaw's own marker, in parsed data and in the raw text."""

from __future__ import annotations

import pytest

from controlpanel.openclaw import SECRET_MARKER, is_secret_path, parse_json5, redact, redact_text

from .fixtures import config_names, config_text, recorded


def test_the_marker_is_openclaws() -> None:
    assert SECRET_MARKER == "__OPENCLAW_REDACTED__"


@pytest.mark.parametrize(
    ("path", "secret"),
    [
        (("gateway", "auth", "token"), True),
        (("gateway", "auth", "password"), True),
        (("hooks", "token"), True),
        (("channels", "telegram", "botToken"), True),
        (("channels", "slack", "appToken"), True),
        (("channels", "slack", "signingSecret"), True),
        (("channels", "x", "webhookSecret"), True),
        (("models", "providers", "openai", "apiKey"), True),
        (("env", "vars", "ANY"), True),
        (("env", "SOMETHING"), True),
        (("skills", "entries", "github", "env", "GH_TOKEN"), True),
        (("gateway", "auth", "token", "id"), True),  # inside a SecretRef
        (("gateway", "auth", "token", "source"), False),
        (("gateway", "auth", "token", "provider"), False),
        (("gateway", "auth", "mode"), False),
        (("gateway", "port"), False),
        (("gateway", "auth", "tokenFile"), False),
        (("agents", "defaults", "contextTokens"), False),
        (("channels", "telegram", "allowFrom", "0"), False),
        (("hooks", "path"), False),
    ],
)
def test_is_secret_path(path: tuple[str, ...], secret: bool) -> None:
    assert is_secret_path(path) is secret


def test_redact_replaces_secret_strings_only() -> None:
    data = {
        "gateway": {"auth": {"mode": "token", "token": "abc123"}, "port": 1},
        "hooks": {"token": "${HOOK_TOKEN}", "path": "/hooks"},
        "channels": {"telegram": {"botToken": "123:xyz", "allowFrom": ["1"]}},
    }
    assert redact(data) == {
        "gateway": {"auth": {"mode": "token", "token": SECRET_MARKER}, "port": 1},
        "hooks": {"token": "${HOOK_TOKEN}", "path": "/hooks"},  # a pure reference is shown
        "channels": {"telegram": {"botToken": SECRET_MARKER, "allowFrom": ["1"]}},
    }


def test_redact_text_keeps_comments_and_layout() -> None:
    text = """{
  // the shared secret
  gateway: { auth: { token: 'abc\\'123', mode: "token" } },
  hooks: { token: "${HOOK}" }, /* kept */
}
"""
    assert redact_text(text) == text.replace("'abc\\'123'", f'"{SECRET_MARKER}"')


def test_redact_text_hides_every_value_of_a_repeated_key() -> None:
    """OpenClaw keeps the last value, but the earlier one is in the text too."""
    text = "{ gateway: { auth: { token: 'first', token: 'second' } } }"
    assert "first" not in redact_text(text) and "second" not in redact_text(text)


def test_redact_text_does_not_touch_keys_named_like_secrets() -> None:
    text = '{ "token": { "password": "p" } }'
    assert redact_text(text) == f'{{ "token": {{ "password": "{SECRET_MARKER}" }} }}'


# Fixtures that are not JSON5 at all have nothing to redact.
UNPARSEABLE = ("invalid_syntax_",)


@pytest.mark.parametrize("name", [n for n in config_names() if not n.startswith(UNPARSEABLE)])
def test_redact_text_agrees_with_redact_on_every_fixture(name: str) -> None:
    text = config_text(name)
    assert parse_json5(redact_text(text)) == redact(parse_json5(text))


def _leaves(data: object, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    if isinstance(data, dict):
        return {k: v for key, value in data.items() for k, v in _leaves(value, (*path, key)).items()}
    if isinstance(data, list):
        return {k: v for i, value in enumerate(data) for k, v in _leaves(value, (*path, str(i))).items()}
    return {path: data}


def test_it_hides_at_least_what_openclaw_config_get_hides() -> None:
    """`openclaw config get` output (recorded): every value it masks, we mask too."""
    ours = _leaves(redact(parse_json5(config_text("redaction_secrets"))))
    real = _leaves(recorded("redaction_secrets", "get"))
    masked_by_openclaw = {path for path, value in real.items() if value == SECRET_MARKER}
    assert masked_by_openclaw == {
        ("gateway", "auth", "token"),
        ("hooks", "token"),
        ("channels", "telegram", "botToken"),
        ("skills", "entries", "github", "apiKey"),
        ("skills", "entries", "github", "env", "GH_TOKEN"),
        ("models", "providers", "openai", "apiKey"),
        ("browser", "cdpUrl"),
    }
    assert all(ours[path] == SECRET_MARKER for path in masked_by_openclaw)
    # Stricter by design (issue 2): env.* values are masked even when their names look harmless.
    assert ours[("env", "vars", "FOO")] == SECRET_MARKER
    assert real[("env", "vars", "FOO")] == "bar-value"
