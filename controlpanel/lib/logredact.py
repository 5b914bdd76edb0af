"""A logging filter that removes secret values from log records before any handler writes them.

Tokens leaked through logs are a recurring OpenClaw bug class (a dashboard URL with its token in a
log that operator.read clients could tail). Every handler of the panel gets this filter.
"""

from __future__ import annotations

import logging
import re

MARK = "[REDACTED]"
_KEYS = r"(?:token|password|passwd|secret|authorization|cookie|api[_-]?key|session(?:id)?|csrftoken)"
_PATTERNS = [
    # key=value, key: value, "key": "value", key='value' (query strings, headers, JSON, reprs)
    re.compile(rf"""(?i)(["']?[\w.-]*{_KEYS}[\w.-]*["']?\s*[=:]\s*)(["']?)([^\s"'&,;}}]+)\2"""),
    # Authorization schemes
    re.compile(r"(?i)\b(bearer|basic|token)\s+([A-Za-z0-9._~+/=-]{8,})"),
    # Credentials in URLs: scheme://user:pass@host
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)([^\s@/]+)(@)"),
]


def redact(text: str) -> str:
    """``text`` with secret values replaced by ``[REDACTED]`` (schemes first, then key=value pairs)."""
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)} {MARK}", text)
    text = _PATTERNS[2].sub(lambda m: f"{m.group(1)}{MARK}{m.group(3)}", text)
    return _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}{MARK}{m.group(2)}", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites the record's message (and traceback text) with secrets replaced; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw template rather than lose the record
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
