"""Template filters and tags that show values as a person reads them. Output is auto-escaped by the caller.

Every value a page shows that is not plain text goes through one of these (never ``{{ value }}`` on a
bool, list, dict, tuple or None): ``human`` is the general one; the page sweep fails on ``True``,
``None``, ``['…']``, ``{'…'}`` or ``('…')`` in a page's text.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

EMPTY = "—"


def _is_address(value: Any) -> bool:
    """A (host, port) pair as Python's socket functions give it."""
    return (
        isinstance(value, tuple | list)
        and len(value) in (2, 4)
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    )


def humanize(value: Any, *, empty: str = EMPTY) -> str:
    """Return ``value`` as text: yes/no, "—" for nothing, lists joined, mappings as "key: value"."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if timezone.is_aware(value) else value.isoformat(" ")
    if _is_address(value):
        host, port = value[0], value[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return ", ".join(humanize(v) for v in items) if items else "none"
    if isinstance(value, dict):
        if not value:
            return "none"
        return "; ".join(f"{k}: {humanize(v)}" for k, v in value.items())
    return str(value)


@register.filter
def human(value: Any, empty: str = EMPTY) -> str:
    """``{{ value|human }}``: booleans as yes/no, None as "—", lists and mappings as words."""
    return humanize(value, empty=empty)


_TUPLE_ADDRESS = re.compile(r"\('([^']*)', (\d+)(?:, \d+, \d+)?\)")


@register.filter
def readable(text: Any) -> str:
    """Text from Python (an error message) with its reprs made readable: ``('127.0.0.1', 8819)`` ->
    ``127.0.0.1:8819``; None -> "—"."""
    if text is None or text == "":
        return EMPTY
    return _TUPLE_ADDRESS.sub(lambda m: humanize((m[1], int(m[2]))), str(text))


@register.filter
def address(value: Any) -> str:
    """``('127.0.0.1', 8819)`` -> ``127.0.0.1:8819``; a string is shown as it is."""
    return humanize(value)


TONES = {
    # alert and audit severities
    "critical": "critical",
    "warning": "warning",
    "warn": "warning",
    "info": "info",
    # request states
    "pending": "warning",
    "approved": "ok",
    "allowed": "ok",
    "rejected": "critical",
    "denied": "critical",
    "expired": "neutral",
    "cancelled": "neutral",
    # alert states
    "firing": "critical",
    "acknowledged": "warning",
    "resolved": "neutral",
    # gateway status colours and audit run states
    "online": "ok",
    "green": "ok",
    "degraded": "warning",
    "yellow": "warning",
    "offline": "critical",
    "red": "critical",
    "unknown": "neutral",
    "grey": "neutral",
    "succeeded": "ok",
    "failed": "critical",
    "timed_out": "critical",
    "queued": "neutral",
    "running": "info",
}


@register.filter
def tone(value: Any) -> str:
    """The badge class for a severity or a state: ``<span class="badge {{ x|tone }}">``."""
    return f"tone-{TONES.get(str(value).lower(), 'neutral')}"


SEVERITY_WORDS = {"warn": "warning"}


@register.filter
def severity_word(value: Any) -> str:
    """OpenClaw's audit says "warn"; the pages say "warning" everywhere."""
    return SEVERITY_WORDS.get(str(value), str(value))


@register.simple_tag
def when(value: datetime | None, now: datetime | None = None) -> str:
    """Relative time for a datetime ("5 minutes ago" / "in 20 minutes"), "never" for None."""
    if value is None:
        return "never"
    now = now or timezone.now()
    if value > now:
        return f"in {timesince(now, value)}"
    return f"{timesince(value, now)} ago"


@register.filter
def config_items(node) -> list:
    return list(node.items()) if isinstance(node, dict) else []


@register.filter
def is_mapping(value) -> bool:
    return isinstance(value, dict)


@register.filter
def is_list(value) -> bool:
    return isinstance(value, list)


@register.filter
def pretty_json(value) -> str:
    """A JSON value laid out on several lines (for <pre>)."""
    return json.dumps(value, ensure_ascii=False, indent=2)


CAMEL_WORDS = {
    "configPath": "config path",
    "askFallback": "ask fallback",
    "autoReview": "auto review",
    "allowedDecisions": "decisions offered",
    "safeBins": "safe binaries",
    "safeBinTrustedDirs": "trusted directories",
    "strictInlineEval": "strict inline eval",
    "allowedByConfig": "allowed by the config",
    "alwaysAllowedByConfig": "always allowed by the config",
    "allowFrom": "allowed from",
}


@register.filter
def label(key: str) -> str:
    """A camelCase key of explain's JSON as words ("askFallback" -> "ask fallback")."""
    return CAMEL_WORDS.get(key, key)


@register.filter
def json_scalar(value) -> str:
    """A scalar as JSON would write it (``true``, ``null``, ``"text"``)."""
    return json.dumps(value, ensure_ascii=False)


@register.simple_tag
def select_options(choices, selected="") -> str:
    """``<option>`` elements for (value, label) pairs, escaped, ``selected`` marked: one join rather
    than a template loop (a filter over a thousand gateways costs a millisecond, not tens)."""
    from html import escape

    from django.utils.safestring import mark_safe

    selected = str(selected)
    return mark_safe(  # noqa: S308 - every value and label is escaped here
        "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) == selected else ""}>'
            f"{escape(str(label))}</option>"
            for v, label in choices
        )
    )


@register.filter
def shown_hash(digest: str) -> str:
    """A config hash as pages show it: keyed, never the plain SHA-256 (``selectors.config_hash_shown``)."""
    from controlpanel.selectors import config_hash_shown

    return config_hash_shown(digest or "")
