"""DM pairing rules: codes, inbound decisions per policy, allowFrom updates."""

import pytest

from controlpanel.approvals import dm
from controlpanel.approvals.dm import InboundAction as A


def test_it_generates_codes_of_eight_unambiguous_uppercase_characters():
    codes = {dm.code_generate() for _ in range(300)}
    assert len(codes) == 300
    for code in codes:
        assert len(code) == dm.CODE_LENGTH == 8
        assert code == code.upper()
        assert not set(code) & set("0O1I")


def test_the_alphabet_has_32_symbols_without_look_alikes():
    assert len(dm.CODE_ALPHABET) == len(set(dm.CODE_ALPHABET)) == 32
    assert not set(dm.CODE_ALPHABET) & set("0O1I")


def test_it_never_reissues_an_existing_code(monkeypatch):
    picks = iter("AAAAAAAA" + "BBBBBBBB")
    monkeypatch.setattr(dm.secrets, "choice", lambda _alphabet: next(picks))
    assert dm.code_generate(existing=["aaaaaaaa"]) == "BBBBBBBB"


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [("  abcd efgh ", "ABCDEFGH"), ("abcd-efgh", "ABCDEFGH"), ("", "")],
)
def test_it_normalizes_user_input(typed, normalized):
    assert dm.normalize_code(typed) == normalized


def test_constants_match_openclaw():
    assert dm.MAX_PENDING_PER_ACCOUNT == 3


@pytest.mark.parametrize(
    ("policy", "sender", "allow_from", "pending", "has_pending", "action"),
    [
        # pairing: known senders pass, unknown ones get a code, the 4th pending one is refused
        ("pairing", "111", ["111"], 0, False, A.ALLOW),
        ("pairing", "222", ["111"], 0, False, A.ISSUE_CODE),
        ("pairing", "222", ["111"], 2, False, A.ISSUE_CODE),
        ("pairing", "222", ["111"], 3, False, A.REFUSE),
        ("pairing", "222", ["111"], 3, True, A.PENDING),  # already waiting: same code, no new reply
        ("pairing", "222", ["*"], 3, False, A.ALLOW),
        (None, "222", [], 0, False, A.ISSUE_CODE),  # pairing is the default policy
        # allowlist: only listed senders
        ("allowlist", "111", ["111"], 0, False, A.ALLOW),
        ("allowlist", "222", ["111"], 0, False, A.DROP),
        ("allowlist", "222", [], 0, False, A.DROP),
        # open: public only with "*"; with concrete entries only those
        ("open", "222", ["*"], 0, False, A.ALLOW),
        ("open", "111", ["111"], 0, False, A.ALLOW),
        ("open", "222", ["111"], 0, False, A.DROP),
        ("open", "222", [], 0, False, A.DROP),
        # disabled: everything is ignored, even listed or wildcard senders
        ("disabled", "111", ["111", "*"], 0, False, A.DROP),
        # unknown policy fails closed
        ("friends", "111", ["111"], 0, False, A.DROP),
    ],
)
def test_it_decides_inbound_dms(policy, sender, allow_from, pending, has_pending, action):
    decision = dm.dm_decide_inbound(policy, sender, allow_from, pending, has_pending_request=has_pending)
    assert decision.action is action
    assert decision.processed is (action is A.ALLOW)
    assert decision.reason


def test_the_fourth_pending_request_is_refused_with_a_clear_reason():
    decision = dm.dm_decide_inbound("pairing", "444", [], 3)
    assert decision.action is A.REFUSE
    assert "3 pairing requests are already pending" in decision.reason


def test_it_matches_telegram_senders_with_or_without_prefix():
    assert dm.dm_decide_inbound("allowlist", "tg:123", ["telegram:123"], 0, channel="telegram").processed
    assert not dm.dm_decide_inbound("allowlist", "tg:123", ["telegram:123"], 0, channel="signal").processed


@pytest.mark.parametrize(
    ("current", "sender", "channel", "expected"),
    [
        ([], "123", "", ["123"]),
        (["111"], "222", "", ["111", "222"]),
        (["111", "222"], "111", "", ["111", "222"]),  # idempotent, order kept
        (["111"], "  333  ", "", ["111", "333"]),
        (["111"], "*", "", ["111"]),  # an approval never opens the channel
        (["111"], "   ", "", ["111"]),
        (["111"], "telegram:999", "telegram", ["111", "999"]),
        (["999"], "TG:999", "telegram", ["999"]),
    ],
)
def test_it_adds_senders_to_allow_from(current, sender, channel, expected):
    before = list(current)
    assert dm.allow_from_add(current, sender, channel=channel) == expected
    assert current == before  # a new list; the input is untouched
