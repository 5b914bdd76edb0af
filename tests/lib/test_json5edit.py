"""json5edit: an edit changes exactly what it must, and every comment outside it survives."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlpanel.lib import json5edit
from controlpanel.lib.json5edit import comments, rewrite, same, set_value
from controlpanel.openclaw import parse_json5

from .json5gen import documents, edited, required_comments

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(data=st.data())
def test_an_edit_gives_exactly_the_target_and_keeps_every_comment(data):
    doc = data.draw(documents())
    assert same(parse_json5(doc.text), doc.value), "the generator writes what it drew"
    target = data.draw(edited(doc.value))
    out = rewrite(doc.text, target)
    assert same(parse_json5(out), target), out
    kept = Counter(comments(out))
    for comment in required_comments(doc, target):
        assert kept[comment] == 1, f"{comment!r} lost or doubled in:\n{out}"


@PROPERTY
@given(doc=documents())
def test_no_change_is_no_edit(doc):
    assert rewrite(doc.text, parse_json5(doc.text)) == doc.text


@PROPERTY
@given(data=st.data())
def test_unchanged_values_keep_their_exact_text(data):
    doc = data.draw(documents())
    target = data.draw(edited(doc.value))
    out = rewrite(doc.text, target)
    before, after = json5edit.parse_tree(doc.text), json5edit.parse_tree(out)
    for key, entry in _entries(before):
        if key in target and same(entry.value.value, target[key]):
            moved = next(e for k, e in _entries(after) if k == key)
            assert out[moved.value.start : moved.value.end] == doc.text[entry.value.start : entry.value.end]


def _entries(root):
    return [(e.key, e) for e in root.entries]


COMMENTED = """// gateway of the lab
{
  // who may talk to it
  channels: {
    telegram: {
      dmPolicy: 'pairing', // strangers get a code
      allowFrom: ["111"],
    },
  },
  agents: { entries: { main: { name: "Main" } } },
  $include: "./extra.json5", /* kept as written */
}
"""


def test_it_adds_an_item_keeping_quotes_and_trailing_commas():
    out = set_value(COMMENTED, ["channels", "telegram", "allowFrom"], ["111", "555"])
    assert out == COMMENTED.replace('["111"]', '["111", "555"]')


def test_it_adds_a_key_on_its_own_line_after_its_siblings():
    out = set_value(COMMENTED, ["channels", "telegram", "groupPolicy"], "allowlist")
    assert '      allowFrom: ["111"],\n      groupPolicy: "allowlist",\n    },' in out
    assert comments(out) == comments(COMMENTED)


def test_a_string_keeps_its_quote_character():
    out = set_value(COMMENTED, ["channels", "telegram", "dmPolicy"], "allowlist")
    assert "dmPolicy: 'allowlist', // strangers get a code" in out


def test_it_writes_new_objects_inline_in_one_line_objects():
    out = set_value(COMMENTED, ["agents", "entries", "main", "tools"], {"deny": ["exec"]})
    assert "main: { name: \"Main\", tools: { deny: ['exec'] } }" in out or (
        'main: { name: "Main", tools: { deny: ["exec"] } }' in out
    )


def test_removing_the_last_key_keeps_the_file_valid_and_its_comments():
    data = parse_json5(COMMENTED)
    del data["$include"]
    out = rewrite(COMMENTED, data)
    assert same(parse_json5(out), data)
    assert "/* kept as written */" in out


def test_crlf_files_stay_crlf():
    text = COMMENTED.replace("\n", "\r\n")
    out = set_value(text, ["session"], {"dmScope": "per-channel-peer"})
    assert "\n" not in out.replace("\r\n", "")


def test_an_empty_object_gets_its_first_key():
    out = set_value("{\n  tools: {},\n}\n", ["tools", "deny"], ["exec"])
    assert out == '{\n  tools: {\n    deny: ["exec"]\n  },\n}\n'


@pytest.mark.parametrize(
    "text",
    ["{", '{"a": }', "{a: 1,, b: 2}", "[1 2]", "{a: 1} x"],
)
def test_it_refuses_text_that_is_not_a_document(text):
    with pytest.raises(json5edit.ConfigSyntaxError):
        json5edit.parse_tree(text)


def test_locate_nearest_points_at_the_deepest_existing_key():
    start, _ = json5edit.locate_nearest(COMMENTED, ["channels", "telegram", "groups", "x"])
    assert json5edit.line_of(COMMENTED, start) == 5  # the `telegram:` line


def test_a_text_that_repeats_a_key_is_not_edited_in_place_and_the_key_is_named() -> None:
    """OpenClaw reads the last value of a repeated key (issue 24); an edit cannot know which was meant."""
    text = "{\n  gateway: { port: 1,\n    port: 2 },\n}\n"
    with pytest.raises(json5edit.ConfigSyntaxError) as info:
        rewrite(text, {"gateway": {"port": 3}})
    assert 'Duplicate key "port"' in info.value.message and info.value.line == 3
