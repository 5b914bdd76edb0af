"""lib.safetext: text no database can store, and text longer than its column (pure functions)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from controlpanel.lib.safetext import (
    escape_unstorable,
    escape_unstorable_json,
    fit,
    has_unstorable,
    unstorable_paths,
)

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)


def test_nul_and_lone_surrogates_are_spelled_as_their_json_escapes():
    assert escape_unstorable("a\x00b\ud800c\udfff") == "a\\u0000b\\ud800c\\udfff"
    assert escape_unstorable("plain é \u202e") == "plain é \u202e"  # storable: unchanged


@given(ANY_TEXT)
def test_escaped_text_is_always_storable_as_utf8(text):
    escaped = escape_unstorable(text)
    assert not has_unstorable(escaped)
    escaped.encode("utf-8")  # raises on a surrogate
    assert "\x00" not in escaped


def test_json_is_escaped_with_the_path_of_every_change_and_left_alone_otherwise():
    data = {"events": [{"agent": "a\x00", "n": 1, "tags": ["ok", "\ud83d"]}, {"k\x00": "v"}]}
    escaped, where = escape_unstorable_json(data)
    first, second = escaped["events"]
    assert first == {"agent": "a\\u0000", "n": 1, "tags": ["ok", "\\ud83d"]} and second == {"k\\u0000": "v"}
    assert [e.path for e in where] == ["events[0].agent", "events[0].tags[1]", "events[1].k\\u0000"]
    assert data["events"][0]["agent"] == "a\x00"  # the input is not modified
    clean = {"events": [{"agent": "a"}]}
    assert escape_unstorable_json(clean)[0] is clean
    assert unstorable_paths(["x", "\x00"], "items") == [("items[1]", "NUL (U+0000) stored as \\u0000")]


@given(st.text(max_size=700), st.text(max_size=700))
def test_fit_keeps_short_texts_and_never_merges_two_long_ones(a, b):
    assert len(fit(a, 300)) <= 300
    if len(a) <= 300:
        assert fit(a, 300) == a
    if a != b:
        assert fit(a, 300) != fit(b, 300)
