"""run_audit: evaluate every registered check on one config, in the CLI's order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import checks  # noqa: F401  (registers every check)
from .catalogue import CHECKS, check
from .facts import Facts, as_list, sub
from .schema import AuditContext, AuditReport, CheckClass, Finding, Severity, Suppression

_NO_ENV: Mapping[str, str] = {}


@check(
    "security.audit.suppressions.active",
    severity=Severity.INFO,
    title="Security audit suppressions configured",
    remediation=(
        "Review suppressedFindings and remove suppressions when the accepted risk no longer applies."
    ),
    paths=("security.audit.suppressions",),
    order=10_000,
)
def suppressions_active(f: Facts) -> None:
    """Appended last by the engine while any suppression is configured (not run as a check)."""
    return None


@check(
    "audit.check_error",
    severity=Severity.WARN,
    title="Audit check failed",
    remediation="Report this config to the panel maintainers; the other checks still ran.",
    cls=CheckClass.PANEL,
    order=9_999,
)
def check_error(f: Facts) -> None:
    """Panel-only: a check raised; its error is reported instead of losing the run."""
    return None


_ENGINE_ONLY = {suppressions_active.id, check_error.id}
_ALL_SPECS = [s for s in CHECKS if s.id not in _ENGINE_ONLY]
_CLI_SPECS = [s for s in _ALL_SPECS if s.cls is not CheckClass.PANEL]
# The checks worth calling for a set of top-level keys, in catalogue order. Configs share a few
# key sets, so this is worked out once per set rather than once per check per audit.
_PLANS: dict[tuple[int, frozenset[str]], tuple[list, tuple[Any, ...]]] = {}
_MAX_PLANS = 4096  # bounded: keys come from configs, which may be anything


def _plan(keys: frozenset[str], panel: bool) -> tuple[Any, ...]:
    specs = _ALL_SPECS if panel else _CLI_SPECS
    # Keyed by the list's identity as well, checked on use: tests may swap the catalogue.
    hit = _PLANS.get((id(specs), keys))
    if hit is None or hit[0] is not specs:
        plan = tuple((s.id, s.fn) for s in specs if not s.needs or not s.needs.isdisjoint(keys))
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        hit = _PLANS[(id(specs), keys)] = (specs, plan)
    return hit[1]


def _config_suppressions(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [s for s in as_list(sub(config, "security", "audit", "suppressions")) if isinstance(s, dict)]


def _matches(finding: Finding, rule: Mapping[str, Any]) -> bool:
    check_id = str(rule.get("checkId") or "").strip()
    if not check_id or finding.check_id != check_id:
        return False
    title = str(rule.get("titleIncludes") or "").strip().lower()
    if title and title not in finding.title.lower():
        return False
    detail = str(rule.get("detailIncludes") or "").strip().lower()
    return not detail or detail in finding.detail.lower()


def run_audit(
    config: Mapping[str, Any],
    *,
    env: Mapping[str, str] = _NO_ENV,
    suppressions: Iterable[Suppression] = (),
    context: AuditContext | None = None,
) -> AuditReport:
    """Audit one loaded config and return the report (CLI JSON via `report.to_json()`).

    Suppressions come from the config's `security.audit.suppressions` (as the CLI reads
    them) plus the panel's own `suppressions` (each with a reason). `context` carries the
    panel-only inputs (plugin manifests, workloads, approval settings).
    """
    facts = Facts(config, env, context)
    findings: list[Finding] = []
    # Panel-only checks need an AuditContext; skipping them up front keeps plain CLI-style
    # audits cheap.
    for check_id, fn in _plan(frozenset(config), context is not None):
        try:
            # extend() drains the generator inside the try: checks raise while iterated.
            findings.extend(fn(facts) or ())
        except Exception as exc:  # a broken check must never lose the whole run
            findings.append(check_error.finding(f"{check_id}: {type(exc).__name__}: {exc}"))
    rules: list[Mapping[str, Any]] = _config_suppressions(config)
    rules += [s.model_dump(by_alias=True, exclude_none=True) for s in suppressions]
    if not rules:
        return AuditReport(findings=findings)
    active: list[Finding] = []
    hidden: list[tuple[Finding, str | None]] = []
    for finding in findings:
        rule = next((r for r in rules if _matches(finding, r)), None)
        if rule is None:
            active.append(finding)
        else:
            reason = str(rule.get("reason") or "").strip()
            hidden.append((finding, reason or None))
    active.append(
        suppressions_active.finding(
            f"security.audit.suppressions has {len(rules)} configured suppression(s); "
            f"{len(hidden)} finding(s) moved to suppressedFindings."
        )
    )
    return AuditReport(findings=active, suppressed=hidden)


def refusal_json(issues: Iterable[Any], config_path: str = "openclaw.json") -> dict[str, Any]:
    """What `openclaw security audit --json` prints for a config its validator refuses: it audits
    nothing and lists the validation issues (the panel says the same instead of auditing)."""
    return {
        "ok": False,
        "error": {"type": "cli_error", "message": f"OpenClaw config is invalid: {config_path}"},
        "issues": [{"path": issue.path, "message": issue.message} for issue in issues],
    }


def run_context(context: AuditContext, *, suppressions: Iterable[Suppression] = ()) -> AuditReport:
    """Audit an AuditContext (config + env + panel-only inputs)."""
    return run_audit(
        context.config,
        env=context.env,
        suppressions=suppressions,
        context=context,
    )


__all__ = ["refusal_json", "run_audit", "run_context"]
