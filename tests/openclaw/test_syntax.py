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


# --- the fast parser agrees with the reference one -------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.lib.json5gen import documents  # noqa: E402

_PIECES = st.sampled_from(
    [
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\n",
        "\t",
        "a",
        "$b",
        "'x'",
        '"y"',
        "1",
        "-0",
        "0x1F",
        ".5",
        "5.",
        "+1",
        "1e400",
        "Infinity",
        "-Infinity",
        "NaN",
        "null",
        "true",
        "false",
        "// c\n",
        "/* d */",
        "'\\u0041'",
        '"\\x41"',
        "'\\q'",
        '"\\\n"',
        "\u2028",
        "\u00a0",
        "01",
        "0b1",
        "'",
        '"',
        "/",
        "\\",
        '"a\u2028b"',
        "\ufeff",
        "1_000",
        "'\\0'",
        "\\u0061",
    ]
)
_FUZZ = st.lists(_PIECES, max_size=30).map("".join)


def _verdict(parse, text):
    try:
        return ("ok", parse(text))
    except ValueError:
        return ("error", None)
    except RecursionError:
        return ("error", None)


def _same(a, b):
    import math

    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_FUZZ, documents().map(lambda d: d.text), st.text(max_size=30)))
def test_the_fast_parser_gives_the_reference_verdict_and_value(text):
    import json5

    ours = _verdict(parse_json5, text)
    reference = _verdict(lambda t: json5.loads(t, allow_duplicate_keys=False), text)
    assert ours[0] == reference[0], (text, ours, reference)
    if ours[0] == "ok":
        assert _same(ours[1], reference[1]), (text, ours, reference)
