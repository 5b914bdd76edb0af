"""Identity-provider groups -> a panel role per gateway. [pure]

The rules come from ``CP_IDP_GROUP_ROLES``: entries separated by ``;`` or new lines, each
``GROUP=ROLE@SELECTOR`` where SELECTOR is ``tag:NAME`` (the gateways tagged NAME), ``name:GATEWAY``
(one gateway by name) or ``*`` (every gateway). Example::

    openclaw-prod-admins=admin@tag:prod; openclaw-owners=owner@*; lab=viewer@name:home-lab

A user in several matching groups gets the highest role for each gateway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

ROLES = ("viewer", "admin", "owner")  # lowest first, as controlpanel.models.Role ranks them
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


class RuleError(ValueError):
    """A malformed rule; the message names the entry."""


@dataclass(frozen=True)
class GroupRule:
    group: str
    role: str
    kind: str  # "tag", "name" or "all"
    value: str = ""

    def selects(self, name: str, tags: Iterable[str]) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "name":
            return name == self.value
        return self.value in tags

    def __str__(self) -> str:
        selector = "*" if self.kind == "all" else f"{self.kind}:{self.value}"
        return f"{self.group}={self.role}@{selector}"


def parse_rules(text: str) -> tuple[GroupRule, ...]:
    """Parse the rules; a malformed entry raises RuleError naming it (1-based) and saying what is wrong."""
    rules = []
    entries = [e.strip() for e in re.split(r"[;\n]", text or "")]
    for number, entry in enumerate((e for e in entries if e), start=1):
        where = f"CP_IDP_GROUP_ROLES entry {number} ({entry!r})"
        group, eq, rest = entry.partition("=")
        role, at, selector = rest.partition("@")
        group, role, selector = group.strip(), role.strip().lower(), selector.strip()
        if not eq or not at or not group:
            raise RuleError(f"{where}: expected GROUP=ROLE@SELECTOR, e.g. ops=admin@tag:prod")
        if role not in ROLES:
            raise RuleError(f"{where}: role must be one of {', '.join(ROLES)}, not {role!r}")
        if selector == "*":
            rules.append(GroupRule(group, role, "all"))
            continue
        kind, colon, value = selector.partition(":")
        if not colon or kind not in ("tag", "name") or not value.strip():
            raise RuleError(f"{where}: selector must be tag:NAME, name:GATEWAY or *, not {selector!r}")
        value = value.strip()
        if kind == "tag":
            value = value.lower()
            if not TAG_RE.match(value):
                raise RuleError(f"{where}: {value!r} is not a tag (a-z, 0-9, '.', '_', '-'; 40 at most)")
        rules.append(GroupRule(group, role, kind, value))
    return tuple(rules)


def roles_for(rules: Iterable[GroupRule], groups: Iterable[str], gateways: Iterable[tuple]) -> dict:
    """``{gateway key: role}`` granted by ``groups``. ``gateways`` yields ``(key, name, tags)``."""
    groups = set(groups)
    active = [r for r in rules if r.group in groups]
    granted: dict = {}
    if not active:
        return granted
    for key, name, tags in gateways:
        for rule in active:
            if rule.selects(name, tags) and (
                key not in granted or ROLES.index(rule.role) > ROLES.index(granted[key])
            ):
                granted[key] = rule.role
    return granted


def normalise_tags(text: str) -> list[str]:
    """Tags from a comma- or space-separated text: lowercased, deduplicated, in order; RuleError names a
    bad one."""
    tags: list[str] = []
    for raw in re.split(r"[,\s]+", text or ""):
        tag = raw.strip().lower()
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise RuleError(f"{raw!r} is not a tag: use a-z, 0-9, '.', '_' or '-' (40 characters at most)")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > 20:
        raise RuleError("at most 20 tags per gateway")
    return tags


def split_groups(value: str) -> list[str]:
    """Groups as a proxy sends them in one header: comma-separated (oauth2-proxy's X-Forwarded-Groups)."""
    return [g.strip() for g in (value or "").split(",") if g.strip()]
