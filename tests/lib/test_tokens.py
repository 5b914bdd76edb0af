"""Panel-issued tokens: shown once, stored as prefix + SHA-256, compared in constant time."""

import pytest

from controlpanel.lib import tokens as s


def test_token_generate_returns_plaintext_prefix_and_hash():
    plaintext, prefix, digest = s.token_generate()
    assert plaintext.startswith(prefix) and len(prefix) < len(plaintext)
    assert len(digest) == 64 and plaintext not in digest
    assert s.token_verify(plaintext, digest)
    assert s.token_verify(plaintext, digest.upper())
    assert s.token_generate()[0] != plaintext


@pytest.mark.parametrize(
    ("candidate", "stored_ok"),
    [("wrong", True), ("", True), ("x", False)],
)
def test_token_verify_rejects_wrong_or_empty_input(candidate, stored_ok):
    plaintext, _, digest = s.token_generate()
    assert not s.token_verify(candidate if stored_ok else plaintext, digest if stored_ok else "")


def test_token_verify_compares_in_constant_time(monkeypatch):
    calls = []
    real = s.hmac.compare_digest
    monkeypatch.setattr(s.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    plaintext, _, digest = s.token_generate()
    assert s.token_verify(plaintext, digest)
    assert calls == [(digest, digest)]
