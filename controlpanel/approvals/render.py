"""Show an exec command exactly as it will run, with the flags a reviewer needs beside it.

* Invisible or blank-looking code points are never shown raw: Unicode format characters (Cf: zero-width
  space/joiner, bidi controls U+202A-202E and U+2066-2069, BOM, soft hyphen…), line/paragraph separators,
  Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the braille blank U+2800, variation selectors and
  every space separator except the ASCII space (decision: U+00A0 NO-BREAK SPACE is escaped too, because
  it looks like a space but is not a word separator for the shell), and control characters except
  newline and tab. They appear as ``\\u{XXXX}`` escapes, as in OpenClaw's own prompts (GHSA-pcqg-f7rg-xfvv).
  A literal ``\\u{`` in the command is shown as ``\\u{005C}u{`` so an escape can never be faked.
* Secrets are redacted (see :mod:`controlpanel.approvals.redact`).
* Obfuscation checks run on the NFKC form (GHSA-9r3v-37xh-2cf6); the display is never normalised.

The returned text is plain text: HTML-escaping is the template's job.
"""

from __future__ import annotations

import shlex
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from controlpanel.approvals.redact import MASK, is_secret_name, redact
from controlpanel.approvals.shell import analyse, dangerous_env

# Visually blank code points that are letters or marks, so their category alone does not catch them.
BLANK_LOOKING = frozenset(
    [
        *(0x115F, 0x1160, 0x3164, 0xFFA0),  # Hangul fillers
        *(0x2800, 0x034F, 0x17B4, 0x17B5),  # braille blank, combining grapheme joiner, Khmer inherent vowels
        *(0x180B, 0x180C, 0x180D, 0x180F),  # Mongolian free variation selectors
        *range(0xFE00, 0xFE10),  # variation selectors 1-16
        *range(0xE0100, 0xE01F0),  # variation selectors 17-256
    ]
)
_ESCAPED_CATEGORIES = frozenset({"Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
_KEPT_CONTROLS = frozenset("\n\t")


class Flag(StrEnum):
    """Warnings shown beside a command."""

    INVISIBLE = "invisible_characters"
    OBFUSCATION = "obfuscation"
    INLINE_EVAL = "inline_eval"
    CHAINED = "chained_segments"
    DANGEROUS_ENV = "dangerous_env"
    SECRET_REDACTED = "secret_redacted"
    MULTILINE = "multiline"


@dataclass(frozen=True)
class RenderedCommand:
    """A command made safe to show: ``text`` plus ``flags`` and one human-readable line per finding."""

    text: str
    flags: frozenset[Flag]
    details: tuple[str, ...]
    env: tuple[str, ...] = ()

    def has(self, flag: Flag) -> bool:
        """Return True when ``flag`` was raised."""
        return flag in self.flags


def needs_escape(ch: str) -> bool:
    """Return True when ``ch`` must be shown as a ``\\u{…}`` escape."""
    if ch in _KEPT_CONTROLS:
        return False
    cat = unicodedata.category(ch)
    return (
        cat in _ESCAPED_CATEGORIES or cat == "Cc" or (cat == "Zs" and ch != " ") or ord(ch) in BLANK_LOOKING
    )


def escape_invisible(text: str) -> tuple[str, list[str]]:
    """Return ``text`` with invisible/blank code points escaped, and the escapes that were made."""
    out: list[str] = []
    made: list[str] = []
    for i, ch in enumerate(text):
        if needs_escape(ch) or (ch == "\\" and text[i + 1 : i + 3] == "u{"):
            esc = f"\\u{{{ord(ch):04X}}}"
            out.append(esc)
            if ch != "\\":
                made.append(esc)
        else:
            out.append(ch)
    return "".join(out), made


def _argv_text(command: str | Sequence[str]) -> str:
    if isinstance(command, str):
        return command
    # argv form: quote only what needs quoting so the reviewer reads a shell-equivalent line.
    return " ".join(shlex.quote(a) if a else "''" for a in command)


def render_command(command: str | Sequence[str], *, env: Mapping[str, str] | None = None) -> RenderedCommand:
    """Return the command (a shell string or an argv list) rendered for review, with its flags.

    ``env`` is the environment the request passes explicitly; its dangerous keys are flagged and its
    secret-looking values masked. Never raises on any input string.
    """
    raw = _argv_text(command)
    flags: set[Flag] = set()
    details: list[str] = []

    redacted, kinds = redact(raw)
    text, escapes = escape_invisible(redacted)
    if kinds:
        flags.add(Flag.SECRET_REDACTED)
        details.append("secrets redacted: " + ", ".join(kinds))
    if escapes:
        flags.add(Flag.INVISIBLE)
        details.append("invisible characters: " + " ".join(dict.fromkeys(escapes)))
    if "\n" in raw.strip("\n"):
        flags.add(Flag.MULTILINE)

    found = analyse(raw)
    if found.chained:
        flags.add(Flag.CHAINED)
        details.append("chained: " + " ".join(dict.fromkeys(found.chained)))
    if found.inline_eval:
        flags.add(Flag.INLINE_EVAL)
        details.append("inline eval: " + ", ".join(dict.fromkeys(found.inline_eval)))
    if found.obfuscation:
        flags.add(Flag.OBFUSCATION)
        details.append("obfuscation: " + "; ".join(dict.fromkeys(found.obfuscation)))
    env = dict(env or {})
    bad_env = dangerous_env([*found.env_assignments, *env])
    if bad_env:
        flags.add(Flag.DANGEROUS_ENV)
        details.append("dangerous env override: " + ", ".join(bad_env))

    env_lines = []
    for key, value in env.items():
        shown = MASK if is_secret_name(key) else redact(str(value))[0]
        env_lines.append(escape_invisible(f"{key}={shown}")[0])
    return RenderedCommand(text=text, flags=frozenset(flags), details=tuple(details), env=tuple(env_lines))
