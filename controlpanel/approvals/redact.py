"""Secret redaction for exec commands shown in approval prompts (OpenClaw 2026.9 does the same).

Each rule keeps a recognisable prefix (``sk-``, ``ghp_``, ``--password=``, ``TOKEN=``…) and replaces the
secret itself with ``***``, so a reviewer still sees *that* a credential is passed, never its value.
"""

from __future__ import annotations

import re

MASK = "***"

_QUOTED_OR_WORD = r"""(?:'[^'\n]*'|"[^"\n]*"|[^\s'";&|]+)"""

# (pattern with a "keep" group, description); order matters: the most specific shapes come first.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"(?P<keep>-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]{0,8000}?-----END [A-Z ]*PRIVATE KEY-----"
        ),
        "private key",
    ),
    (re.compile(r"(?P<keep>\b[A-Za-z][A-Za-z0-9+.-]{0,31}://[^/\s:@]+:)[^@\s/]+(?=@)"), "URL password"),
    (re.compile(r"(?P<keep>\bsk-(?:proj-|ant-(?:[a-z]+\d*-)?|live_|test_)?)[A-Za-z0-9_-]{16,}"), "sk- key"),
    (re.compile(r"(?P<keep>\b(?:ghp|gho|ghu|ghs|ghr)_)[A-Za-z0-9]{20,}"), "GitHub token"),
    (re.compile(r"(?P<keep>\bgithub_pat_)[A-Za-z0-9_]{20,}"), "GitHub token"),
    (re.compile(r"(?P<keep>\bglpat-)[A-Za-z0-9_-]{16,}"), "GitLab token"),
    (re.compile(r"(?P<keep>\bxox[abposr]-)[A-Za-z0-9-]{8,}"), "Slack token"),
    (re.compile(r"(?P<keep>\b(?:AKIA|ASIA))[A-Z0-9]{16}\b"), "AWS access key"),
    (re.compile(r"(?P<keep>\bAIza)[0-9A-Za-z_-]{35}"), "Google API key"),
    (re.compile(r"(?P<keep>\beyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "JWT"),
    (
        re.compile(
            r"(?P<keep>\b(?:Bearer|Basic)\s+|\bAuthorization:\s*Token\s+)[A-Za-z0-9._~+/=-]{8,}", re.I
        ),
        "auth header",
    ),
    (
        re.compile(
            r"(?P<keep>(?<![\w-])--?(?:password|passwd|pass|token|secret|api[-_]?key|access[-_]?key|"
            r"auth[-_]?token|client[-_]?secret)(?:=|\s+))" + _QUOTED_OR_WORD,
            re.IGNORECASE,
        ),
        "secret option",
    ),
    # The name is matched plainly and judged in redact(): a regex with the secret words inside an
    # identifier pattern backtracks quadratically on long identifiers.
    (re.compile(r"(?P<keep>(?<![\w-])(?P<name>[A-Za-z_][A-Za-z0-9_]*)=)" + _QUOTED_OR_WORD), "secret env"),
)


def redact(text: str) -> tuple[str, tuple[str, ...]]:
    """Return ``text`` with secrets masked, and the kinds of secrets found (deduplicated, in order)."""
    found: list[str] = []
    for pattern, kind in _RULES:

        def mask(m: re.Match[str], kind: str = kind) -> str:
            name = m.groupdict().get("name")
            if name is not None and not is_secret_name(name):
                return m.group(0)
            if MASK in m.group(0)[len(m.group("keep")) :]:
                return m.group(0)  # already masked by an earlier rule
            if kind not in found:
                found.append(kind)
            return m.group("keep") + MASK

        text = pattern.sub(mask, text)
    return text, tuple(found)


_SECRET_WORD = re.compile(
    # AUTH only as a whole name part: AUTHOR=... is not a secret, GIT_AUTH=... may be.
    r"TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|(?:^|_)AUTH(?:_|$)",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    """Return True when an environment variable called ``name`` probably holds a secret."""
    return _SECRET_WORD.search(name) is not None
