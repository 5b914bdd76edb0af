"""Operator scopes and device pairing approval rules (panel-issued tokens: controlpanel.lib.tokens).

Follows OpenClaw 2026.9.6 (``docs/gateway/operator-scopes.md`` and ``src/shared/operator-scope-compat.ts``):

* ``operator.admin`` satisfies every ``operator.*`` scope, including unknown future ones;
* ``operator.write`` satisfies ``operator.read``, ``operator.talk`` and the session scopes;
* ``operator.sessions.read`` is also satisfied by ``operator.read`` or ``operator.sessions.write``;
* anything else needs an exact match; a scope outside ``operator.*`` is never implied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

READ = "operator.read"
WRITE = "operator.write"
ADMIN = "operator.admin"
PAIRING = "operator.pairing"
APPROVALS = "operator.approvals"
QUESTIONS = "operator.questions"
TALK = "operator.talk"
TALK_SECRETS = "operator.talk.secrets"
SESSIONS_READ = "operator.sessions.read"
SESSIONS_WRITE = "operator.sessions.write"

# The closed set config validation accepts (gateway.auth.identityScopes, roles).
OPERATOR_SCOPES = (READ, WRITE, ADMIN, PAIRING, APPROVALS, QUESTIONS, TALK, TALK_SECRETS)
ROLES = ("operator", "node")
_OPERATOR_PREFIX = "operator."

# Commands a node may declare whose approval needs operator.admin (node.pair.approve).
ADMIN_SENSITIVE_NODE_COMMANDS = frozenset(
    {
        "system.run",
        "system.run.prepare",
        "system.which",
        "browser.proxy",
        "browser.proxy.upload.v1",
        "fs.listDir",
        "system.execApprovals.get",
        "system.execApprovals.set",
    }
)


def _clean(scopes: Iterable[str]) -> list[str]:
    return [s.strip() for s in scopes if s and s.strip()]


def holds(granted: Iterable[str], required: str) -> bool:
    """Return True when the ``granted`` operator scopes satisfy ``required``."""
    have = set(_clean(granted))
    required = required.strip()
    if not required.startswith(_OPERATOR_PREFIX):
        return False
    if required in have or ADMIN in have:
        return True
    if required in (READ, TALK, SESSIONS_READ, SESSIONS_WRITE) and WRITE in have:
        return True
    return required == SESSIONS_READ and (READ in have or SESSIONS_WRITE in have)


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """Return the known operator scopes implied by ``scopes``, plus the given ones themselves.

    Unknown scopes are kept as given (they only ever match exactly), so ``expand`` is safe to show
    in the UI as "what this device can do".
    """
    given = _clean(scopes)
    known = {s for s in (*OPERATOR_SCOPES, SESSIONS_READ, SESSIONS_WRITE) if holds(given, s)}
    return frozenset(known | set(given))


@dataclass(frozen=True)
class Verdict:
    """Result of an authorisation rule: ``ok`` or a refusal with its reason."""

    ok: bool
    reason: str = ""
    missing: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return self.ok


OK = Verdict(True)


def refuse(reason: str, *missing: str) -> Verdict:
    """Return a refusal naming the reason and the missing scopes, if any."""
    return Verdict(False, reason, tuple(missing))


def check_device_approval(
    approver_scopes: Iterable[str],
    request_roles: str | Iterable[str],
    requested_scopes: Iterable[str],
    *,
    inherited_scopes: Iterable[str] = (),
) -> Verdict:
    """Return whether an approver holding ``approver_scopes`` may approve a device pairing request.

    Rules (OpenClaw 2026.9.6): every requested scope must belong to a requested role (``<role>.``
    prefix), otherwise the request is rejected; a non-operator role (``node``) needs ``operator.admin``;
    operator scopes can only be granted by an approver who holds them. Approving at all needs
    ``operator.pairing`` (admin implies it). A repair request naming no scopes inherits the device's
    current token scopes (``inherited_scopes``), so approving it needs those scopes too.
    """
    roles = [request_roles] if isinstance(request_roles, str) else list(request_roles)
    roles = [r.strip() for r in roles if r and r.strip()]
    scopes = _clean(requested_scopes) or _clean(inherited_scopes)
    have = _clean(approver_scopes)
    if not roles:
        return refuse("request names no role")
    unknown_roles = [r for r in roles if r not in ROLES]
    if unknown_roles:
        return refuse(f"unknown device role: {unknown_roles[0]}")
    for scope in scopes:
        if not any(scope.startswith(f"{role}.") for role in roles):
            return refuse(f"invalid scope for requested roles: {scope}")
    if not holds(have, PAIRING):
        return refuse(f"missing scope: {PAIRING}", PAIRING)
    if any(role != "operator" for role in roles) and not holds(have, ADMIN):
        return refuse(f"approving a {'/'.join(roles)} device needs {ADMIN}", ADMIN)
    missing = [s for s in scopes if s.startswith(_OPERATOR_PREFIX) and not holds(have, s)]
    if missing:
        return refuse(f"missing scope: {missing[0]}", *missing)
    return OK


def node_approval_required_scopes(commands: Iterable[str]) -> frozenset[str]:
    """Return the scopes ``node.pair.approve`` needs for a node declaring ``commands``."""
    declared = set(_clean(commands))
    if not declared:
        return frozenset({PAIRING})
    if declared & ADMIN_SENSITIVE_NODE_COMMANDS:
        return frozenset({PAIRING, ADMIN})
    return frozenset({PAIRING, WRITE})


def check_node_capability_approval(approver_scopes: Iterable[str], commands: Iterable[str]) -> Verdict:
    """Return whether the approver may approve a node capability request declaring ``commands``."""
    have = _clean(approver_scopes)
    missing = sorted(s for s in node_approval_required_scopes(commands) if not holds(have, s))
    if missing:
        return refuse(f"missing scope: {missing[0]}", *missing)
    return OK


def check_device_record(token_hashes: Iterable[str], approved_roles: Iterable[str], role: str) -> Verdict:
    """Return whether a stored device record may authenticate in ``role``.

    Fails closed on a record with no token (OpenClaw 2026.9 fix) and on a role it was never approved for.
    """
    if not [t for t in token_hashes if t]:
        return refuse("device record has no token: fail closed")
    if role not in set(approved_roles):
        return refuse(f"device is not approved for role {role!r}")
    return OK
