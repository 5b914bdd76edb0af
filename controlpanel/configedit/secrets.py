"""Secrets stay out of the browser: texts go out redacted and come back with the stored values put back."""

from __future__ import annotations

from controlpanel.openclaw import SECRET_MARKER
from controlpanel.openclaw.syntax import Token, decode_string, walk_values


class SecretNotKept(ValueError):
    """A redacted marker sits where the stored config has no secret to put back (names the path)."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path}: this value is shown redacted, but the saved config has no secret there to keep; "
            "type the value or a ${VAR} reference"
        )
        self.path = path


def restore_secrets(submitted: str, stored: str) -> str:
    """Return ``submitted`` with each redacted marker replaced by the literal the stored text has there.

    Only the marker's own token changes (the stored literal is copied as written, quotes included),
    so comments and layout stay. Raises SecretNotKept when the stored text has no string at that path,
    and ConfigSyntaxError when either text cannot be tokenized.
    """
    text, unknown = _restore(submitted, stored)
    if unknown:
        raise SecretNotKept(unknown[0])
    return text


def restore_known_secrets(submitted: str, stored: str) -> tuple[str, list[str]]:
    """Like ``restore_secrets``, but a marker with no stored secret stays (the gateway keeps that value).

    Returns the text and the paths left redacted. Used to adopt a running config: ``config.get``
    redacts every secret, and the gateway restores its own values when the marker comes back.
    """
    return _restore(submitted, stored)


def _restore(submitted: str, stored: str) -> tuple[str, list[str]]:
    if SECRET_MARKER not in submitted:
        return submitted, []
    literals = {
        site.path: stored[site.token.start : site.token.end]
        for site in walk_values(stored)
        if site.token.kind == "string"
    }
    out: list[str] = []
    unknown: list[str] = []
    last = 0
    for site in walk_values(submitted):
        if site.token.kind != "string" or decode_string(submitted, site.token) != SECRET_MARKER:
            continue
        original = literals.get(site.path)
        if original is None or _value(original) == SECRET_MARKER:
            unknown.append(".".join(site.path))
            continue
        out.append(submitted[last : site.token.start])
        out.append(original)
        last = site.token.end
    out.append(submitted[last:])
    return "".join(out), unknown


def _value(literal: str) -> str:
    return decode_string(literal, Token("string", 0, len(literal)))
