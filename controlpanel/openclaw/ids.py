"""Agent ids as OpenClaw compares them (packages/normalization-core agent-id, read not copied).

An id is case-insensitive: "Research" and "research" are one agent, and the CLI resolves
``--agent Research`` to the entry ``research``.
"""

from __future__ import annotations

import re

DEFAULT_AGENT_ID = "main"
_VALID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z", re.IGNORECASE)
_INVALID_CHARS = re.compile(r"[^a-z0-9_-]+")


def normalize_agent_id(value: str | None) -> str:
    """Return the canonical (lower-case, filesystem-safe) form of an agent id; "main" if none remains."""
    trimmed = (value or "").strip()
    lowered = trimmed.lower()
    if _VALID.match(trimmed):
        return lowered
    cleaned = _INVALID_CHARS.sub("-", lowered).strip("-")[:64]
    return cleaned or DEFAULT_AGENT_ID


def is_valid_agent_id(value: str | None) -> bool:
    """Whether value is already a canonical agent-id input (before lower-casing)."""
    trimmed = (value or "").strip()
    return bool(trimmed) and bool(_VALID.match(trimmed))
