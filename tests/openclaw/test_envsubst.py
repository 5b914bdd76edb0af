"""${VAR} substitution as OpenClaw 2026.9.6 does it."""

from __future__ import annotations

import pytest

from controlpanel.openclaw import load_config
from controlpanel.openclaw.envsubst import is_pure_reference, substitute


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        ("${TOKEN}", {"TOKEN": "abc"}, "abc"),
        ("Bearer ${TOKEN}!", {"TOKEN": "abc"}, "Bearer abc!"),
        ("${A}${B}", {"A": "1", "B": "2"}, "12"),
        ("$${TOKEN}", {"TOKEN": "abc"}, "${TOKEN}"),  # escaped: literal text
        ("${lower}", {"lower": "x"}, "${lower}"),  # only upper-case names are references
        ("${1ABC}", {"1ABC": "x"}, "${1ABC}"),
        ("${TOKEN", {"TOKEN": "abc"}, "${TOKEN"),
        ("$TOKEN", {"TOKEN": "abc"}, "$TOKEN"),
        ("${MISSING}", {}, "${MISSING}"),  # unresolved: kept verbatim
        ("${EMPTY}", {"EMPTY": ""}, "${EMPTY}"),  # empty counts as missing
    ],
)
def test_it_substitutes_strings(value: str, env: dict[str, str], expected: str) -> None:
    assert substitute({"k": value}, env).value == {"k": expected}


def test_it_records_every_reference_with_its_path() -> None:
    data = {"a": {"b": ["x", "${ONE}"]}, "c": "${TWO} ${ONE}"}
    refs = substitute(data, {"ONE": "1"}).refs
    assert [(r.path, r.name, r.resolved) for r in refs] == [
        ("a.b[1]", "ONE", True),
        ("c", "TWO", False),
        ("c", "ONE", True),
    ]


def test_it_never_substitutes_keys_or_non_strings() -> None:
    data = {"${KEY}": 1, "n": 2, "t": True}
    assert substitute(data, {"KEY": "x"}).value == data


def test_missing_variable_is_a_warning_naming_the_path_like_the_cli() -> None:
    result = load_config('{ gateway: { auth: { mode: "token", token: "${GW_TOKEN}" } } }', env={})
    assert result.valid
    assert [(w.path, w.message) for w in result.warnings] == [
        ("gateway.auth.token", 'Missing env var "GW_TOKEN" - feature using this value will be unavailable')
    ]
    assert [(r.path, r.name, r.resolved) for r in result.env_refs] == [
        ("gateway.auth.token", "GW_TOKEN", False)
    ]


def test_resolved_holds_the_value_and_raw_keeps_the_reference() -> None:
    result = load_config('{ gateway: { auth: { token: "${GW_TOKEN}" } } }', env={"GW_TOKEN": "s3cret"})
    assert result.raw["gateway"]["auth"]["token"] == "${GW_TOKEN}"
    assert result.resolved["gateway"]["auth"]["token"] == "s3cret"
    assert result.env_refs[0].resolved


def test_config_env_vars_fill_gaps_but_never_override_the_process() -> None:
    text = '{ env: { vars: { A: "from-config", B: "from-config" } }, hooks: { path: "${A}", token: "${B}" } }'
    result = load_config(text, env={"B": "from-process"})
    assert result.resolved["hooks"] == {"path": "from-config", "token": "from-process"}


@pytest.mark.parametrize(
    ("value", "pure"), [("${A}", True), (" ${A_1} ", True), ("x${A}", False), ("${a}", False), (5, False)]
)
def test_pure_reference(value: object, pure: bool) -> None:
    assert is_pure_reference(value) is pure
