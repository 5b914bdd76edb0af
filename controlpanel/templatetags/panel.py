"""Small template filters for showing config data. Output is always auto-escaped by the caller."""

import json

from django import template

register = template.Library()


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
