"""How closely the panel says what the real OpenClaw 2026.9.6 CLI says, on the generated corpus.

The corpus (tests/fixtures/corpus/configs, made by tools/oracle/corpus.py) was recorded with the real CLI
(tools/oracle/record_corpus.py); this module compares the panel with those recordings, no CLI needed:

    .venv/bin/python -m tests.corpus.fidelity      # prints the figures and each difference

Figures (issue 24's acceptance):
- verdict: the panel's valid/invalid equals `openclaw config validate`'s;
- error path: for a config the CLI refuses, the CLI's first issue path is among the panel's issue paths;
- audit ids/severities: over every config the CLI audits, the (checkId, severity) pairs both report,
  divided by those either reports (a missed and an extra finding both count against); a config the CLI
  refuses to audit counts once, as agreement when the panel refuses too;
- audit texts: of the findings both report, those whose title and detail are equal too;
- explain: of the `sandbox explain` answers recorded (an agent, main or Telegram group session), those
  whose fields all equal the panel's.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from controlpanel.audit import run_audit
from controlpanel.openclaw import LoadResult, load_config
from controlpanel.policy import resolve_agent

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
CONFIGS = CORPUS / "configs"
ORACLE = CORPUS / "oracle"
# Findings that depend on the CLI's host (its throw-away state dir), not on the config.
HOST_DEPENDENT = ("fs.", "skills.workspace.")
# Warnings about what is installed or reachable on the CLI's host, not about the config text.
HOST_WARNINGS = (
    "plugin not installed:",
    "plugin not found:",
    "Configured plugin load path",
    "Plugin load path",
)


def names() -> list[str]:
    """Every corpus config whose `config validate` output is recorded (audit and explain: where recorded)."""
    return sorted(p.name.removesuffix(".validate.json") for p in ORACLE.glob("*.validate.json"))


def text(name: str) -> str:
    return (CONFIGS / f"{name}.json5").read_text()


def env(name: str) -> dict[str, str]:
    sidecar = CONFIGS / f"{name}.env"
    if not sidecar.exists():
        return {}
    return dict(line.split("=", 1) for line in sidecar.read_text().splitlines() if "=" in line)


def recorded(name: str, kind: str) -> Any:
    return json.loads((ORACLE / f"{name}.{kind}.json").read_text())


@cache
def loaded(name: str) -> LoadResult:
    return load_config(text(name), env=env(name))


def panel_audit(name: str) -> dict[str, Any]:
    """The panel's audit of a corpus config, or its refusal in the CLI's words."""
    result = loaded(name)
    if not result.valid:
        return {"ok": False, "issues": [{"path": i.path, "message": i.message} for i in result.issues]}
    return run_audit(result.resolved, env=env(name)).to_json()


def comparable(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if not f["checkId"].startswith(HOST_DEPENDENT)]


# The `sandbox explain` fields compared, as (label, how to read the CLI's, how to read the panel's).
def _cli_fields(doc: dict[str, Any]) -> dict[str, Any]:
    sandbox, elevated = doc["sandbox"], doc["elevated"]
    return {
        "agentId": doc["agentId"],
        "sessionKey": doc["sessionKey"],
        "mainSessionKey": doc["mainSessionKey"],
        "sandbox.mode": sandbox["mode"],
        "sandbox.sessionIsSandboxed": sandbox["sessionIsSandboxed"],
        "sandbox.scope": sandbox["scope"],
        "sandbox.workspaceAccess": sandbox["workspaceAccess"],
        "sandbox.backend": sandbox["backend"],
        "sandbox.tools.allow": sandbox["tools"]["allow"],
        "sandbox.tools.deny": sandbox["tools"]["deny"],
        "sandbox.tools.sources": sandbox["tools"]["sources"],
        "elevated.enabled": elevated["enabled"],
        "elevated.allowedByConfig": elevated["allowedByConfig"],
        "elevated.alwaysAllowedByConfig": elevated["alwaysAllowedByConfig"],
        "elevated.failures": elevated["failures"],
    }


def _panel_fields(name: str, agent: str, session: str | None) -> dict[str, Any]:
    policy = resolve_agent(loaded(name).resolved, agent, session_key=session)
    sandbox, elevated = policy.sandbox, policy.elevated.as_json()
    return {
        "agentId": policy.agent_id,
        "sessionKey": policy.session_key,
        "mainSessionKey": sandbox.main_session_key,
        "sandbox.mode": sandbox.mode,
        "sandbox.sessionIsSandboxed": sandbox.session_is_sandboxed,
        "sandbox.scope": sandbox.scope,
        "sandbox.workspaceAccess": sandbox.workspace_access,
        "sandbox.backend": sandbox.backend,
        "sandbox.tools.allow": list(sandbox.tools.allow or ()),
        "sandbox.tools.deny": list(sandbox.tools.deny or ()),
        "sandbox.tools.sources": {k: v.as_json() for k, v in policy.sandbox.tool_sources.items()},
        "elevated.enabled": elevated["enabled"],
        "elevated.allowedByConfig": elevated["allowedByConfig"],
        "elevated.alwaysAllowedByConfig": elevated["alwaysAllowedByConfig"],
        "elevated.failures": elevated["failures"],
    }


def explain_cases() -> list[tuple[str, str, str | None, str]]:
    """(config, agent as written, session or None, recording file) for every recorded explain."""
    cases = []
    recorded_names = set(names())
    for path in sorted(ORACLE.glob("*.explain.*.json")):
        name, _, rest = path.name.partition(".explain.")
        if name not in recorded_names:
            continue
        group = rest.endswith(".group.json")
        agent = rest.removesuffix(".group.json" if group else ".json")
        session = f"agent:{agent.lower()}:telegram:group:123" if group else None
        cases.append((name, agent, session, path.name.removeprefix(name + ".").removesuffix(".json")))
    return cases


@dataclass
class Figures:
    configs: int = 0
    invalid: int = 0
    verdict_agree: int = 0
    path_right: int = 0
    audited: int = 0  # configs whose `security audit` output is recorded
    audit_units: int = 0  # size of the union of (checkId, severity), plus one per refusal
    audit_agree: int = 0  # size of their intersection, plus one per refusal both make
    findings_matched: int = 0
    texts_equal: int = 0
    explains: int = 0
    explains_equal: int = 0
    differences: list[str] = field(default_factory=list)

    def ratio(self, part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    def lines(self) -> list[str]:
        def figure(label: str, part: int, whole: int) -> str:
            return f"{label}: {part}/{whole} = {self.ratio(part, whole):.1%}"

        return [
            f"corpus: {self.configs} configs recorded ({self.invalid} invalid for the CLI)",
            figure("verdict agreement", self.verdict_agree, self.configs),
            figure("right error path", self.path_right, self.invalid),
            f"audit recorded for {self.audited} configs",
            figure("audit check ids/severities", self.audit_agree, self.audit_units),
            figure("audit titles and details", self.texts_equal, self.findings_matched),
            figure("explain fields", self.explains_equal, self.explains),
        ]


def _validate(fig: Figures, name: str) -> None:
    real = recorded(name, "validate")
    ours = loaded(name)
    fig.configs += 1
    if ours.valid == real["valid"]:
        fig.verdict_agree += 1
    else:
        first = (real.get("issues") or [{}])[0]
        fig.differences.append(
            f"verdict {name}: CLI valid={real['valid']} {first}; panel {ours.to_validate_json()}"
        )
    if not real["valid"]:
        fig.invalid += 1
        wanted = real["issues"][0]["path"]
        if wanted in [i.path for i in ours.issues]:
            fig.path_right += 1
        else:
            fig.differences.append(f"path {name}: CLI {wanted}; panel {[i.path for i in ours.issues]}")


def _audit(fig: Figures, name: str) -> None:
    if not (ORACLE / f"{name}.audit.json").exists():
        return  # an invalid config whose refusal was not recorded: the verdict covers it
    fig.audited += 1
    real = recorded(name, "audit")
    ours = panel_audit(name)
    if real.get("ok") is False or ours.get("ok") is False:
        fig.audit_units += 1
        if real.get("ok") is False and ours.get("ok") is False:
            fig.audit_agree += 1
        else:
            fig.differences.append(
                f"audit refusal {name}: CLI ok={real.get('ok', True)}, panel ok={ours.get('ok', True)}"
            )
        return
    theirs = comparable(real["findings"])
    mine = comparable(ours["findings"])
    a = Counter((f["checkId"], f["severity"]) for f in theirs)
    b = Counter((f["checkId"], f["severity"]) for f in mine)
    fig.audit_units += sum((a | b).values())
    fig.audit_agree += sum((a & b).values())
    for key in (a - b).elements():
        fig.differences.append(f"audit missing {name}: {key}")
    for key in (b - a).elements():
        fig.differences.append(f"audit extra {name}: {key}")
    # Texts: pair the findings both report, in order, per (checkId, severity).
    pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in mine:
        pending.setdefault((f["checkId"], f["severity"]), []).append(f)
    for f in theirs:
        candidates = pending.get((f["checkId"], f["severity"]))
        if not candidates:
            continue
        other = candidates.pop(0)
        fig.findings_matched += 1
        if (other["title"], other["detail"]) == (f["title"], f["detail"]):
            fig.texts_equal += 1
        else:
            fig.differences.append(
                f"audit text {name} {f['checkId']}:\n    CLI   {f['title']!r} {f['detail']!r}\n"
                f"    panel {other['title']!r} {other['detail']!r}"
            )


def _explain(fig: Figures, name: str, agent: str, session: str | None, kind: str) -> None:
    fig.explains += 1
    theirs = _cli_fields(recorded(name, kind))
    try:
        mine = _panel_fields(name, agent, session)
    except Exception as exc:  # a crash is a difference like any other, reported with the others
        fig.differences.append(f"explain {name} {kind}: panel raised {type(exc).__name__}: {exc}")
        return
    wrong = [key for key in theirs if theirs[key] != mine[key]]
    if wrong:
        detail = "; ".join(f"{k}: CLI {theirs[k]!r} panel {mine[k]!r}" for k in wrong)
        fig.differences.append(f"explain {name} {kind}: {detail}"[:600])
    else:
        fig.explains_equal += 1


def figures() -> Figures:
    """Compare the panel with every recording of the corpus."""
    fig = Figures()
    for name in names():
        _validate(fig, name)
        _audit(fig, name)
    for name, agent, session, kind in explain_cases():
        _explain(fig, name, agent, session, kind)
    return fig


if __name__ == "__main__":
    result = figures()
    print("\n".join(result.differences))
    print("\n".join(result.lines()))
