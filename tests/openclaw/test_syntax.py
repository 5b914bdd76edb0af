"""JSON5 in: the grammar OpenClaw accepts, repeated keys kept last (and named), positions reported."""

from __future__ import annotations

import math

import pytest

from controlpanel.openclaw import ConfigSyntaxError, dump_config, load_config, parse_json5
from controlpanel.openclaw.syntax import duplicate_keys


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{a: 1}", {"a": 1}),
        ("{'a': 'b'}", {"a": "b"}),
        ("{a: [1, 2,],}", {"a": [1, 2]}),
        ("// c\n{/* d */ a: 1}", {"a": 1}),
        ("{a: 0x1F, b: .5, c: +1}", {"a": 31, "b": 0.5, "c": 1}),
        ('{a: "line\\\ncontinued"}', {"a": "linecontinued"}),
        ("{$a_b: null}", {"$a_b": None}),
    ],
)
def test_it_parses_json5(text: str, expected: object) -> None:
    assert parse_json5(text) == expected


def test_infinity_parses() -> None:
    assert math.isinf(parse_json5("{a: Infinity}")["a"])


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("{a: 1, a: 2}", "a"),
        ("{gateway: {auth: {token: 'x', 'token': 'y'}}}", "gateway.auth.token"),
        ("{agents: {list: [{id: 'a'}, {id: 'b', id: 'c'}]}}", "agents.list.1.id"),
    ],
)
def test_repeated_keys_keep_the_last_value_and_are_named_with_their_path(text: str, path: str) -> None:
    value = parse_json5(text)
    found = duplicate_keys(text)
    assert [d.path for d in found] == [path] and found[0].line == 1
    result = load_config(text, env={})
    assert [w.path for w in result.warnings if w.panel_only] == [path]
    assert "Duplicate key" in result.warnings[0].message
    assert value == result.raw


def test_the_last_of_repeated_keys_wins() -> None:
    assert parse_json5("{a: 1, b: {c: 1}, a: 2, b: {d: 2}}") == {"a": 2, "b": {"d": 2}}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("{\n  a: 1\n", 3, 1), ("{a: 1} x", 1, 8), ("{\n a: 'unterminated\n}", 2, 18), ("", 1, 1)],
)
def test_syntax_errors_carry_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(ConfigSyntaxError) as info:
        parse_json5(text)
    assert (info.value.line, info.value.column) == (line, column)


def test_load_config_reports_syntax_errors_at_the_root() -> None:
    result = load_config("{ gateway: { port: 1 \n", env={})
    assert not result.valid and result.raw is None
    assert result.to_validate_json() == {
        "valid": False,
        "issues": [
            {
                "path": "<root>",
                "message": "JSON5 parse failed: SyntaxError: JSON5: invalid end of input at 2:1",
            }
        ],
    }


def test_non_object_root_is_refused() -> None:
    result = load_config("[1]", env={})
    assert [(i.path, i.message) for i in result.issues] == [
        ("<root>", "Invalid input: expected object, received array")
    ]


def test_dump_config_is_canonical() -> None:
    assert (
        dump_config({"b": 1, "a": {"ü": [True, None]}})
        == '{\n  "b": 1,\n  "a": {\n    "ü": [\n      true,\n      null\n    ]\n  }\n}\n'
    )


def test_unmodeled_sections_are_kept_and_listed() -> None:
    text = (
        '{ models: { providers: { x: { baseUrl: "u", models: [] } } }, '
        "cron: { enabled: false }, gateway: { port: 1 } }"
    )
    result = load_config(text, env={})
    assert result.valid
    assert result.unmodeled == ["models", "cron"]
    assert parse_json5(dump_config(result.raw)) == parse_json5(text)


def test_unknown_top_level_key_is_refused_like_the_cli() -> None:
    result = load_config("{ bogus: 1, other: 2 }", env={})
    assert result.to_validate_json()["issues"] == [
        {"path": "<root>", "message": 'Unrecognized keys: "bogus", "other"'}
    ]
