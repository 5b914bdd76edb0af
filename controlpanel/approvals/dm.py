"""DM pairing rules: pairing codes, inbound DM decisions and allowFrom updates.

Mirrors OpenClaw 2026.9.6 (``docs/channels/pairing.md``, ``src/pairing/pairing-store.ts``): codes are 8
characters from an alphabet without 0/O/1/I, a pending request lives 1 hour from its creation, and at
most 3 requests are pending per channel account; further unknown senders are ignored until one expires
or is approved. A sender who already has a pending request keeps the same code (no new message).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

CODE_LENGTH = 8
# 32 symbols: uppercase A-Z and 2-9 minus the look-alikes 0/O and 1/I (OpenClaw's PAIRING_CODE_ALPHABET).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_PENDING_PER_ACCOUNT = 3
WILDCARD = "*"

DM_POLICIES = ("pairing", "allowlist", "open", "disabled")
# OpenClaw's default when a channel sets no dmPolicy.
DEFAULT_DM_POLICY = "pairing"

# Channel-specific allowFrom normalisation. Core OpenClaw ships one adapter (Telegram strips a
# `telegram:`/`tg:` prefix); other channels keep the trimmed entry as it is.
_CHANNEL_PREFIXES: dict[str, re.Pattern[str]] = {
    "telegram": re.compile(r"^(telegram|tg):", re.IGNORECASE),
}


def code_generate(existing: Iterable[str] = ()) -> str:
    """Return a fresh pairing code that is not in ``existing`` (compared case-insensitively)."""
    taken = {normalize_code(c) for c in existing}
    for _ in range(500):  # same bound as OpenClaw; 32**8 codes make a clash practically impossible
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code
    raise RuntimeError("could not generate a unique pairing code")


def normalize_code(user_input: str) -> str:
    """Return user-typed code input stripped of surrounding and inner blanks/dashes and upper-cased."""
    # People paste codes as "abcd-efgh" or with spaces; neither is part of the code.
    return re.sub(r"[\s-]+", "", user_input).upper()


class InboundAction(StrEnum):
    """What the gateway does with a DM from a sender."""

    ALLOW = "allow"  # the message is processed
    ISSUE_CODE = "issue_code"  # a new pairing request: reply with a fresh code
    PENDING = "pending"  # the sender already waits: same code, no new reply
    REFUSE = "refuse"  # the account already has the maximum of pending requests
    DROP = "drop"  # not allowed by policy; silently ignored


@dataclass(frozen=True)
class InboundDecision:
    """The outcome for one inbound DM, with a reason a human can read."""

    action: InboundAction
    reason: str

    @property
    def processed(self) -> bool:
        """Return True when the message reaches the agent."""
        return self.action is InboundAction.ALLOW


def normalize_allow_entry(channel: str, entry: str) -> str:
    """Return ``entry`` normalised the way OpenClaw stores it for ``channel`` ("" when unusable)."""
    value = entry.strip()
    prefix = _CHANNEL_PREFIXES.get(channel.strip().lower())
    if prefix is not None:
        value = prefix.sub("", value).strip()
    return value


def _is_listed(channel: str, sender: str, allow_from: Iterable[str]) -> bool:
    wanted = normalize_allow_entry(channel, sender)
    return bool(wanted) and any(normalize_allow_entry(channel, e) == wanted for e in allow_from)


def dm_decide_inbound(
    policy: str | None,
    sender: str,
    allow_from: Iterable[str],
    pending_count: int,
    *,
    channel: str = "",
    has_pending_request: bool = False,
) -> InboundDecision:
    """Return what happens to a DM from ``sender`` under ``policy``.

    ``allow_from`` is the effective allowlist: config ``allowFrom`` plus approved pairings, except for
    ``open``, where pairing-store approvals do not widen access (pass the config list only);
    ``pending_count`` counts live pending requests of this channel account, ``has_pending_request``
    tells whether ``sender`` is one of them. An unknown policy fails closed (drop).
    """
    entries = [str(e) for e in allow_from]
    policy = DEFAULT_DM_POLICY if policy is None else policy
    wildcard = WILDCARD in (e.strip() for e in entries)
    listed = _is_listed(channel, sender, entries)

    if policy == "disabled":
        return InboundDecision(InboundAction.DROP, "DMs are disabled on this channel")
    if policy == "open":
        # Public only with the "*" wildcard; with concrete entries only those senders get in.
        if wildcard or listed:
            return InboundDecision(InboundAction.ALLOW, "open policy")
        return InboundDecision(InboundAction.DROP, 'open policy without "*" admits only listed senders')
    if policy == "allowlist":
        if wildcard or listed:
            return InboundDecision(InboundAction.ALLOW, "sender is in allowFrom")
        return InboundDecision(InboundAction.DROP, "sender is not in allowFrom")
    if policy == "pairing":
        if wildcard or listed:
            return InboundDecision(InboundAction.ALLOW, "sender is approved")
        if has_pending_request:
            return InboundDecision(InboundAction.PENDING, "sender already has a pending pairing code")
        if pending_count >= MAX_PENDING_PER_ACCOUNT:
            return InboundDecision(
                InboundAction.REFUSE,
                f"{MAX_PENDING_PER_ACCOUNT} pairing requests are already pending for this channel account; "
                "new senders are ignored until one expires or is approved",
            )
        return InboundDecision(InboundAction.ISSUE_CODE, "unknown sender: a pairing code is issued")
    return InboundDecision(InboundAction.DROP, f"unknown dmPolicy {policy!r}: fail closed")


def allow_from_add(allow_from: Iterable[str], sender: str, *, channel: str = "") -> list[str]:
    """Return a new allowFrom list with ``sender`` appended unless already present.

    Order is kept and the input is not modified. Like OpenClaw's pairing store, an empty entry or the
    wildcard ``"*"`` is never added by an approval: approving one person must not open the channel.
    """
    current = list(allow_from)
    entry = normalize_allow_entry(channel, sender)
    if not entry or entry == WILDCARD or _is_listed(channel, entry, current):
        return current
    return [*current, entry]
