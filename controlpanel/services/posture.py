"""Posture alerts: an audit run that worsens a gateway's posture raises one (controlpanel.audit.posture
says what worsens it); a later run that no longer finds what it was about resolves it.

The alert is an ordinary Alert (type ``audit.posture``, subject ``gateway``), raised through
``services.alerts`` like any other: an AlertEvent, the live push, the lifecycle (acknowledge,
resolve), silences and whatever routes alerts onwards. While it is open, a run with new regressions
counts it again (and notifies); a run that repeats the same findings does nothing.
"""

from __future__ import annotations

from controlpanel.audit.posture import alert_text, regressions, still_present
from controlpanel.models import Alert, AuditRun, Gateway

from .alerts import alert_clear, alert_raise

POSTURE_TYPE = "audit.posture"
POSTURE_SUBJECT = "gateway"


def _active(run: AuditRun) -> list[tuple[str, str, str]]:
    return list(run.findings.filter(suppressed=False).values_list("check_id", "title", "severity"))


def posture_evaluate(*, run: AuditRun, findings: list[tuple[str, str, str]] | None = None) -> Alert | None:
    """Compare a succeeded run with the gateway's previous succeeded run; raise, count or resolve
    the gateway's posture alert. Call it inside the transaction that stores the run; ``findings``:
    the run's active (check id, title, severity), if the caller has them at hand. Returns the alert
    raised or counted, else None."""
    from .audits import audit_run_previous  # audits imports this module

    previous = audit_run_previous(run)
    # One posture evaluation per gateway at a time (two runs finishing together): the gateway row.
    gateway = Gateway.objects.select_for_update().get(pk=run.gateway_id)
    after = findings if findings is not None else _active(run)
    found = regressions(_active(previous) if previous else [], after)
    open_alert = (
        Alert.objects.filter(gateway=gateway, type=POSTURE_TYPE, subject=POSTURE_SUBJECT)
        .exclude(state=Alert.State.RESOLVED)
        .first()
    )
    if not found:
        if open_alert is not None and not still_present(open_alert.detail.get("findings", []), after):
            alert_clear(
                gateway=gateway,
                type_=POSTURE_TYPE,
                subject=POSTURE_SUBJECT,
                reason=f"the audit {run.code} no longer finds what it was about",
            )
        return None
    kept = []
    if open_alert is not None:
        kept = [f for f in open_alert.detail.get("findings", []) if still_present([f], after)]
    listed = [[r.check_id, r.title, r.severity] for r in found]
    return alert_raise(
        gateway=gateway,
        type_=POSTURE_TYPE,
        subject=POSTURE_SUBJECT,
        severity="critical" if any(r.severity == "critical" for r in found) else "warning",
        message=alert_text(found),
        detail={
            "run": str(run.code),
            "previous_run": str(previous.code) if previous else None,
            "findings": kept + [f for f in listed if f not in kept],
        },
    )
