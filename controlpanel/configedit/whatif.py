"""What a config change would do, before it is saved: per agent and per audit finding.

Built only on the public entry points of the rules: ``policy.resolve_agent`` (tools, sandbox, exec)
and the audit engine (``audit.run_audit``). Pure Python, no Django.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from controlpanel.audit import run_audit
from controlpanel.policy import resolve_agent
from controlpanel.policy.config_access import agent_entries, agent_ids

SEVERITY_RANK = {"info": 0, "warn": 1, "critical": 2}
# Looser is later: each step lets more run without a human.
EXEC_SECURITY_RANK = {"deny": 0, "allowlist": 1, "full": 2}
EXEC_ASK_RANK = {"always": 0, "on-miss": 1, "off": 2}
SANDBOX_RANK = {"all": 0, "non-main": 1, "off": 2}


@dataclass(frozen=True)
class Change:
    """One setting of one agent before and after (``loosens``: the change gives the agent more power)."""

    before: str
    after: str
    loosens: bool


@dataclass(frozen=True)
class AgentNow:
    """What a new agent may do (a new gateway's agents, or an agent the change adds)."""

    tools: list[str]
    sandbox: str
    exec_security: str
    exec_ask: str
    elevated: str  # "on" or "off"

    def as_json(self) -> dict[str, Any]:
        return {
            "tools": self.tools,
            "sandbox": self.sandbox,
            "execSecurity": self.exec_security,
            "execAsk": self.exec_ask,
            "elevated": self.elevated,
        }


@dataclass
class AgentChange:
    agent_id: str
    gained: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    sandbox: Change | None = None
    exec_security: Change | None = None
    exec_ask: Change | None = None
    elevated: Change | None = None
    added: bool = False
    removed: bool = False
    now: AgentNow | None = None  # for an added agent: everything it may do

    @property
    def loosens(self) -> bool:
        """True when the agent may do more after the change: a tool gained or a setting loosened."""
        settings = (self.sandbox, self.exec_security, self.exec_ask, self.elevated)
        return bool(self.gained) or any(c is not None and c.loosens for c in settings)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"agentId": self.agent_id, "gained": self.gained, "lost": self.lost}
        for name in ("sandbox", "exec_security", "exec_ask", "elevated"):
            change = getattr(self, name)
            if change is not None:
                out[_camel(name)] = {
                    "before": change.before,
                    "after": change.after,
                    "loosens": change.loosens,
                }
        if self.added or self.removed:
            out["added" if self.added else "removed"] = True
        if self.now is not None:
            out["now"] = self.now.as_json()
        return out


@dataclass(frozen=True)
class FindingChange:
    check_id: str
    title: str
    detail: str
    before: str | None  # severity before (None: the finding appears)
    after: str | None  # severity after (None: the finding goes)

    @property
    def kind(self) -> str:
        if self.before is None:
            return "new"
        if self.after is None:
            return "gone"
        return "worse" if SEVERITY_RANK[self.after] > SEVERITY_RANK[self.before] else "better"

    def as_json(self) -> dict[str, Any]:
        return {
            "checkId": self.check_id,
            "title": self.title,
            "detail": self.detail,
            "before": self.before,
            "after": self.after,
            "change": self.kind,
        }


@dataclass
class WhatIf:
    """The effect of one change. Empty lists: nothing of that kind changes."""

    agents: list[AgentChange]
    findings: list[FindingChange]

    @property
    def findings_new(self) -> list[FindingChange]:
        return [f for f in self.findings if f.kind == "new"]

    @property
    def findings_gone(self) -> list[FindingChange]:
        return [f for f in self.findings if f.kind == "gone"]

    @property
    def findings_changed(self) -> list[FindingChange]:
        return [f for f in self.findings if f.kind in ("worse", "better")]

    @property
    def loosens(self) -> bool:
        """True when any agent may do more afterwards (a tool gained, exec/sandbox/elevated loosened)."""
        return any(a.loosens for a in self.agents)

    @property
    def critical_new(self) -> bool:
        return any(f.after == "critical" and f.kind in ("new", "worse") for f in self.findings)

    @property
    def empty(self) -> bool:
        return not self.agents and not self.findings

    def as_json(self) -> dict[str, Any]:
        return {
            "agents": [a.as_json() for a in self.agents],
            "findings": [f.as_json() for f in self.findings],
            "loosens": self.loosens,
        }


def whatif(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], *, env: Mapping[str, str] | None = None
) -> WhatIf:
    """Compare two resolved configs (as ``load_config`` gives them) agent by agent and finding by finding.

    ``before`` None: there is no gateway yet (a first import), so every agent and every finding is new
    (an empty config would not do: OpenClaw gives it a default agent and findings of its own).
    """
    return WhatIf(agents=agent_changes(before, after), findings=finding_changes(before, after, env=env or {}))


def agent_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[AgentChange]:
    """Per agent: tools gained and lost, sandbox mode, exec security/ask and elevated, where they change.

    An agent's policy depends on its own entry and on everything outside ``agents.entries``; agents
    whose inputs are equal on both sides are not resolved again (a per-agent edit resolves one agent).
    """
    if before is None:
        return [c for a in agent_ids(after) if (c := _agent_change({}, after, a, False, True)) is not None]
    old_ids, new_ids = agent_ids(before), agent_ids(after)
    shared_same = _fingerprint(_without_entries(before)) == _fingerprint(_without_entries(after)) and (
        _defaults(before) == _defaults(after) and old_ids == new_ids
    )
    old_entries, new_entries = agent_entries(before), agent_entries(after)
    out = []
    for agent in dict.fromkeys([*old_ids, *new_ids]):
        if shared_same and _fingerprint(old_entries.get(agent)) == _fingerprint(new_entries.get(agent)):
            continue
        change = _agent_change(before, after, agent, agent in old_ids, agent in new_ids)
        if change is not None:
            out.append(change)
    return out


def _agent_change(before, after, agent: str, was: bool, now: bool) -> AgentChange | None:
    old = resolve_agent(before, agent) if was else None
    new = resolve_agent(after, agent) if now else None
    had = set(old.allowed) if old else set()
    has = set(new.allowed) if new else set()
    change = AgentChange(
        agent, gained=sorted(has - had), lost=sorted(had - has), added=not was, removed=not now
    )
    if old is None and new is not None:
        change.now = AgentNow(
            tools=sorted(has),
            sandbox=str(new.sandbox.mode),
            exec_security=str(new.exec.security),
            exec_ask=str(new.exec.ask),
            elevated="on" if new.elevated.enabled else "off",
        )
    if old is not None and new is not None:
        change.sandbox = _setting(old.sandbox.mode, new.sandbox.mode, SANDBOX_RANK)
        change.exec_security = _setting(old.exec.security, new.exec.security, EXEC_SECURITY_RANK)
        change.exec_ask = _setting(old.exec.ask, new.exec.ask, EXEC_ASK_RANK)
        change.elevated = _setting(
            "on" if old.elevated.enabled else "off",
            "on" if new.elevated.enabled else "off",
            {"off": 0, "on": 1},
        )
    settings = (change.sandbox, change.exec_security, change.exec_ask, change.elevated)
    if change.gained or change.lost or change.added or change.removed or any(settings):
        return change
    return None


def _setting(before: str, after: str, rank: Mapping[str, int]) -> Change | None:
    if before == after:
        return None
    return Change(str(before), str(after), rank.get(after, -1) > rank.get(before, -1))


def finding_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], *, env: Mapping[str, str]
) -> list[FindingChange]:
    """Audit findings that appear, go, or change severity (matched by check id and detail)."""
    old = [f.to_json() for f in run_audit(before, env=env).findings] if before is not None else []
    new = [f.to_json() for f in run_audit(after, env=env).findings]
    old_keys = {(f["checkId"], f["detail"]): f for f in old}
    new_keys = {(f["checkId"], f["detail"]): f for f in new}
    out: list[FindingChange] = []
    unmatched_old = [f for k, f in old_keys.items() if k not in new_keys]
    unmatched_new = [f for k, f in new_keys.items() if k not in old_keys]
    for key, f in new_keys.items():
        if key in old_keys and old_keys[key]["severity"] != f["severity"]:
            out.append(
                FindingChange(f["checkId"], f["title"], f["detail"], old_keys[key]["severity"], f["severity"])
            )
    # A check whose wording changed but which fires on both sides is one finding, not two.
    for f in list(unmatched_new):
        twin = next((o for o in unmatched_old if o["checkId"] == f["checkId"]), None)
        if twin is not None:
            unmatched_old.remove(twin)
            unmatched_new.remove(f)
            if twin["severity"] != f["severity"]:
                out.append(
                    FindingChange(f["checkId"], f["title"], f["detail"], twin["severity"], f["severity"])
                )
    out += [FindingChange(f["checkId"], f["title"], f["detail"], None, f["severity"]) for f in unmatched_new]
    out += [FindingChange(f["checkId"], f["title"], f["detail"], f["severity"], None) for f in unmatched_old]
    out.sort(key=lambda c: (-SEVERITY_RANK[c.after or c.before or "info"], c.check_id))
    return out


def _without_entries(config: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(config)
    agents = dict(out.get("agents") or {}) if isinstance(out.get("agents"), Mapping) else {}
    agents.pop("entries", None)
    agents.pop("list", None)
    out["agents"] = agents
    return out


def _defaults(config: Mapping[str, Any]) -> list[str]:
    return [k for k, v in agent_entries(config).items() if v.get("default") is True]


def _fingerprint(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
