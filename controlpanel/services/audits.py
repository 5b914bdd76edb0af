"""Security audits of stored gateways: queued, run in a child process with a hard timeout, stored.

``audit_run_start`` creates the run and, in the same transaction, its background task
(``controlpanel.tasks.audits.audit_run``, run by ``manage.py db_worker``). ``audit_run_execute``
claims the run (a conditional UPDATE), runs the engine in a child process
(``controlpanel.lib.audit_runner``) killed at the timeout, and stores the outcome once: the final
write locks the run and happens only while it is still running. A task whose worker died is run
again and resumes the run (``resume=True``); when its attempts are spent the run is marked failed.

Runs are started by hand, after every config change (``audit_after_config_change``: the one hook
every config write calls), on each gateway's schedule (``audit_schedule_due``, a periodic task) and
for the whole fleet (``audit_fleet_start``). A run that worsens the posture raises a posture alert
(services.posture).
"""

from __future__ import annotations

import shlex
import sys
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from controlpanel.audit import CHECKS, apply_fixes, propose_fixes
from controlpanel.audit.schema import Finding
from controlpanel.background import enqueue_on_commit
from controlpanel.lib.audit_runner import AuditChild, AuditChildError, AuditTimeout
from controlpanel.lib.triage import triage_rank
from controlpanel.models import AuditFinding, AuditRun, AuditSuppression, ConfigRevision, FleetAudit, Gateway
from controlpanel.models.gateways import AUDIT_EVERY_CHOICES
from controlpanel.openclaw import load_config
from controlpanel.tasks.audits import audit_fleet_queue, audit_run

from .activity import activity_record
from .memory import audit_memory_inputs
from .posture import posture_evaluate

PATHS = {spec.id: spec.paths for spec in CHECKS}
Trigger = AuditRun.Trigger
# Runs the scheduler queues per pass at most (a pass every minute): a backlog drains over a few.
SCHEDULE_BATCH = 500
# Runs a fleet-wide audit creates per transaction (workers start on the first ones meanwhile).
FLEET_CHUNK = 50


def _next_due(gateway: Gateway, now: datetime) -> datetime | None:
    """When the scheduler audits the gateway next, if nothing else does first (None: schedule off)."""
    return now + timedelta(hours=gateway.audit_every_hours) if gateway.audit_every_hours else None


def audit_run_start(
    *,
    gateway: Gateway,
    actor=None,
    trigger: str = Trigger.MANUAL,
    fleet_audit: FleetAudit | None = None,
    now: datetime | None = None,
) -> AuditRun:
    """Queue an audit of the gateway's stored config; a task worker runs it once this commits.

    Any run, whatever started it, moves the gateway's next scheduled audit to a full period later.
    """
    now = now or timezone.now()
    with transaction.atomic():
        run = AuditRun.objects.create(
            gateway=gateway,
            started_by=actor,
            config_hash=gateway.config_hash,
            trigger=trigger,
            fleet_audit=fleet_audit,
        )
        gateway.audit_due_at = _next_due(gateway, now)
        Gateway.objects.filter(pk=gateway.pk).update(audit_due_at=gateway.audit_due_at)
        activity_record(
            action="audit.started",
            actor=actor,
            gateway=gateway,
            target=f"audit:{run.code}",
            detail={"trigger": trigger},
        )
        if result := enqueue_on_commit(audit_run, run_id=run.pk):
            run.task_id = result.id
            run.save(update_fields=["task_id"])
    return run


def audit_after_config_change(*, gateway: Gateway, actor=None) -> AuditRun:
    """THE hook of every config change (import, panel edits, fixes, revisions): audit the new config.

    Call it inside the transaction that stores the config. A run of this gateway still queued (not
    started) is reused: it reads the config when it starts, so a burst of changes costs one audit.
    """
    queued = AuditRun.objects.filter(gateway=gateway, status=AuditRun.Status.QUEUED).order_by("-pk").first()
    if queued is not None:
        return queued
    return audit_run_start(gateway=gateway, actor=actor, trigger=Trigger.CONFIG)


def audit_schedule_set(*, gateway: Gateway, every_hours: int, actor, now: datetime | None = None) -> None:
    """Set how often the gateway is audited on its schedule (0: off). The next scheduled audit is
    due a full period after the gateway's newest run, at once if it never ran. Raises ValueError
    for a period not offered (AUDIT_EVERY_CHOICES)."""
    if every_hours not in dict(AUDIT_EVERY_CHOICES):
        raise ValueError(f"audit_every_hours: choose one of {sorted(dict(AUDIT_EVERY_CHOICES))}")
    now = now or timezone.now()
    with transaction.atomic():
        gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
        before = gateway.audit_every_hours
        gateway.audit_every_hours = every_hours
        newest = gateway.audit_runs.order_by("-created_at").values_list("created_at", flat=True).first()
        gateway.audit_due_at = _next_due(gateway, newest) if newest else (now if every_hours else None)
        gateway.save(update_fields=["audit_every_hours", "audit_due_at", "updated_at"])
        activity_record(
            action="audit.schedule_set",
            actor=actor,
            gateway=gateway,
            target="audit-schedule",
            before={"every_hours": before},
            after={"every_hours": every_hours},
        )


def audit_schedule_due(*, now: datetime | None = None, limit: int = SCHEDULE_BATCH) -> int:
    """Queue a scheduled audit of every gateway whose time has come; returns how many were queued.

    Each gateway is claimed with a conditional UPDATE of its due time, so two schedulers never queue
    the same period twice; a gateway with a run still queued or running just moves on a period.
    """
    now = now or timezone.now()
    due = list(
        Gateway.objects.filter(audit_due_at__lte=now, audit_every_hours__gt=0)
        .order_by("audit_due_at")
        .values_list("pk", "audit_due_at")[:limit]
    )
    busy = set(
        AuditRun.objects.filter(
            gateway_id__in=[pk for pk, _ in due], status__in=["queued", "running"]
        ).values_list("gateway_id", flat=True)
    )
    queued = 0
    for pk, due_at in due:
        with transaction.atomic():
            gateway = Gateway.objects.select_for_update().filter(pk=pk, audit_due_at=due_at).first()
            if gateway is None:
                continue  # another scheduler, or a run started meanwhile, moved it on
            if pk in busy:
                gateway.audit_due_at = _next_due(gateway, now)
                gateway.save(update_fields=["audit_due_at"])
                continue
            audit_run_start(gateway=gateway, trigger=Trigger.SCHEDULED, now=now)
            queued += 1
    return queued


def audit_fleet_start(*, actor, gateways) -> FleetAudit:
    """Audit every gateway of ``gateways`` (those ``actor`` may audit): one run each, queued by a task.

    The runs are created by ``audit_fleet_queue`` on a task worker (a thousand gateways would make a
    slow request), and run by all task workers as they come.
    """
    ids = list(gateways.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        fleet = FleetAudit.objects.create(started_by=actor, gateway_count=len(ids))
        enqueue_on_commit(audit_fleet_queue, fleet_id=fleet.pk, gateway_ids=ids)
    return fleet


def audit_fleet_queue_runs(*, fleet_id: int, gateway_ids: list[int]) -> int:
    """The fan-out of a fleet-wide audit: a run per gateway not queued yet, committed in chunks.

    Safe to run again (a retried task): gateways that already have a run of this fleet audit are
    skipped. Returns the number of runs queued.
    """
    fleet = FleetAudit.objects.select_related("started_by").get(pk=fleet_id)
    done = set(AuditRun.objects.filter(fleet_audit=fleet).values_list("gateway_id", flat=True))
    todo = [pk for pk in gateway_ids if pk not in done]
    queued = 0
    for start in range(0, len(todo), FLEET_CHUNK):
        with transaction.atomic():
            for gateway in Gateway.objects.filter(pk__in=todo[start : start + FLEET_CHUNK]):
                audit_run_start(
                    gateway=gateway, actor=fleet.started_by, trigger=Trigger.FLEET, fleet_audit=fleet
                )
                queued += 1
    FleetAudit.objects.filter(pk=fleet.pk).update(queued_at=timezone.now())
    return queued


def audit_run_abandon(*, run_id: int, error: str, attempts: int) -> None:
    """Mark a run failed when its task gave up (it raised, or its worker died, on every attempt)."""
    with transaction.atomic():
        run = AuditRun.objects.select_for_update().select_related("gateway").filter(pk=run_id).first()
        if run is None or not run.is_running:
            return
        _finish(run, status="failed", error=f"The audit could not be run ({attempts} attempt(s)): {error}")


_child: AuditChild | None = None


def _audit_child() -> AuditChild:
    """This process's audit child (started on first use; CP_AUDIT_EXEC_PREFIX goes before it)."""
    global _child
    command = [
        *shlex.split(settings.CP_AUDIT_EXEC_PREFIX),
        sys.executable,
        "-m",
        "controlpanel.lib.audit_runner",
        "--serve",
    ]
    if _child is None or _child.command != command:
        if _child is not None:
            _child.close()
        _child = AuditChild(command)
    return _child


def audit_run_execute(*, run_id: int, timeout: float | None = None, resume: bool = False) -> AuditRun | None:
    """Run a queued audit to a final state. Returns None if it was claimed or finished already.

    ``resume``: also take a run left "running" (its task's earlier attempt died with its worker).
    The run audits the config stored when it starts (its ``config_hash`` says which).
    """
    timeout = timeout or settings.CP_AUDIT_TIMEOUT_SECONDS
    claimable = ["queued", "running"] if resume else ["queued"]
    claimed = AuditRun.objects.filter(pk=run_id, status__in=claimable).update(
        status="running", started_at=timezone.now(), progress=5
    )
    if not claimed:
        return None
    run = AuditRun.objects.select_related("gateway").get(pk=run_id)
    gateway = run.gateway
    if run.config_hash != gateway.config_hash:
        run.config_hash = gateway.config_hash
        AuditRun.objects.filter(pk=run_id).update(config_hash=gateway.config_hash)
    loaded = load_config(gateway.config_text or "{}", env={})
    if loaded.resolved is None:
        return _finish(
            run,
            status="failed",
            error="OpenClaw config is invalid, so it is not audited (`openclaw security audit` refuses it "
            "too): " + "; ".join(f"{i.path}: {i.message}" for i in loaded.issues[:5]),
        )
    payload = {
        "config": loaded.resolved,
        "env": {},
        "suppressions": [
            {"checkId": s.check_id, "reason": s.reason} for s in gateway.audit_suppressions.all()
        ],
        "memory": audit_memory_inputs(gateway=gateway),
    }
    try:
        report = _audit_child().run(payload, timeout=timeout)
    except AuditTimeout:
        return _finish(
            run, status="timed_out", error=f"The audit did not finish within {timeout:g} s and was stopped."
        )
    except AuditChildError as exc:
        return _finish(run, status="failed", error=str(exc)[-2000:] or "the audit process failed")
    return _finish(run, status="succeeded", report=report)


def _finish(run: AuditRun, *, status: str, report: dict | None = None, error: str = "") -> AuditRun:
    """Store the outcome, once: under the run's row lock, only while it is still running."""
    with transaction.atomic():
        if (
            not AuditRun.objects.select_for_update()
            .filter(pk=run.pk, status__in=["queued", "running"])
            .exists()
        ):
            run.refresh_from_db()
            return run  # another attempt stored it first
        active = None  # the run's active findings, for the posture
        if report is not None:
            rows = [
                _finding_row(run, i, f, suppressed=False) for i, f in enumerate(report.get("findings", []))
            ]
            base = len(rows)
            rows += [
                _finding_row(run, base + i, f, suppressed=True)
                for i, f in enumerate(report.get("suppressedFindings", []))
            ]
            AuditFinding.objects.bulk_create(rows)
            active = [(f.check_id, f.title, f.severity) for f in rows if not f.suppressed]
            run.report = report
            run.summary = report.get("summary", {})
        run.status = status
        run.error = error
        run.progress = 100
        run.finished_at = timezone.now()
        run.save()
        after = {"summary": run.summary, "error": error[:200]}
        if status == "succeeded":
            # The fleet view's "last audited": this run, unless a newer one finished first.
            Gateway.objects.filter(pk=run.gateway_id).filter(
                Q(audit_latest__isnull=True) | Q(audit_latest__started_at__lt=run.started_at)
            ).update(audit_latest=run)
            # Before the activity record: alert rows are locked before the log's chain head
            # everywhere (acknowledging an alert does the same), so the two never deadlock.
            if alert := posture_evaluate(run=run, findings=active):
                after["posture_alert"] = alert.pk
        activity_record(
            action=f"audit.{status}", gateway=run.gateway, target=f"audit:{run.code}", after=after
        )
    return run


def _finding_row(run: AuditRun, position: int, f: dict, *, suppressed: bool) -> AuditFinding:
    paths = PATHS.get(f["checkId"]) or ()
    return AuditFinding(
        run=run,
        position=position,
        check_id=f["checkId"],
        severity=f["severity"],
        title=f.get("title", "")[:500],
        detail=f.get("detail", ""),
        remediation=f.get("remediation") or "",
        config_path=paths[0] if paths else "",
        suppressed=suppressed,
    )


def audit_findings_sorted(run: AuditRun) -> list[AuditFinding]:
    """Active findings in triage order (then severity, then the CLI's order)."""
    rank = {"critical": 0, "warn": 1, "info": 2}
    findings = [f for f in run.findings.all() if not f.suppressed]
    return sorted(findings, key=lambda f: (triage_rank(f.check_id), rank.get(f.severity, 3), f.position))


def audit_run_previous(run: AuditRun) -> AuditRun | None:
    """The gateway's last succeeded run before ``run`` (the baseline of its diff and its posture).

    Runs are placed by when they read the config (``started_at``): a run queued earlier may start
    later (a queued run is reused by later config changes, see ``audit_after_config_change``).
    """
    return (
        AuditRun.objects.filter(
            gateway_id=run.gateway_id, status="succeeded", started_at__lt=run.started_at or run.created_at
        )
        .exclude(pk=run.pk)
        .order_by("-started_at")
        .first()
    )


def audit_run_diff(run: AuditRun) -> dict[str, list[AuditFinding]]:
    """Findings new since the previous finished run of the same gateway, and those resolved since."""
    previous = audit_run_previous(run)
    if previous is None:
        return {"new": [], "resolved": [], "previous": None}
    key = lambda f: (f.check_id, f.severity, f.detail)  # noqa: E731
    now_ = {key(f): f for f in run.findings.filter(suppressed=False)}
    before = {key(f): f for f in previous.findings.filter(suppressed=False)}
    return {
        "new": [f for k, f in now_.items() if k not in before],
        "resolved": [f for k, f in before.items() if k not in now_],
        "previous": previous,
    }


# --- suppressions and fixes ---------------------------------------------------------------------


def audit_suppression_set(*, gateway: Gateway, check_id: str, reason: str, actor) -> AuditSuppression:
    with transaction.atomic():
        suppression, _ = AuditSuppression.objects.update_or_create(
            gateway=gateway, check_id=check_id, defaults={"reason": reason, "created_by": actor}
        )
        activity_record(
            action="audit.suppression_set",
            actor=actor,
            gateway=gateway,
            target=check_id,
            after={"reason": reason},
        )
    return suppression


def audit_suppression_remove(*, suppression: AuditSuppression, actor) -> None:
    with transaction.atomic():
        activity_record(
            action="audit.suppression_removed",
            actor=actor,
            gateway=suppression.gateway,
            target=suppression.check_id,
            before={"reason": suppression.reason},
        )
        suppression.delete()


def audit_fixes_for(run: AuditRun):
    """Safe fixes (tightenings only) for a run's findings, against the gateway's stored config."""
    gateway = run.gateway
    findings = [
        Finding(
            check_id=f.check_id,
            severity=f.severity,
            title=f.title,
            detail=f.detail,
            remediation=f.remediation or None,
        )
        for f in run.findings.filter(suppressed=False)
    ]
    return propose_fixes(gateway.config_raw or {}, findings)


def audit_fixes_preview(*, gateway: Gateway, fixes) -> str:
    """The config text after the fixes: only the fixed values change (comments and layout kept)."""
    from controlpanel.lib.json5edit import rewrite

    return rewrite(gateway.config_text or "{}\n", apply_fixes(gateway.config_raw or {}, fixes))


def audit_fixes_apply(*, run: AuditRun, actor, reason: str = "", base_hash: str | None = None) -> AuditRun:
    """Apply the run's proposed fixes as a new config revision (validated, audited), then audit again.

    ``base_hash``: the config hash the fixes were shown against (ConfigConflict when it moved on).
    """
    from .config_revisions import ConfigEditError, config_revision_create

    gateway = run.gateway
    fixes = audit_fixes_for(run)
    if not fixes:
        raise ConfigEditError("nothing to fix")
    text = audit_fixes_preview(gateway=gateway, fixes=fixes)
    with transaction.atomic():
        # The new revision queues its audit (audit_after_config_change): that run is the answer.
        saved = config_revision_create(
            gateway=gateway,
            text=text,
            source=ConfigRevision.Source.FIX,
            reason=reason or f"Applied {len(fixes)} safe fix(es) from an audit.",
            actor=actor,
            base_hash=base_hash,
            action="audit.fixes_applied",
            detail={
                "audit_run": str(run.code),
                "fixes": [
                    {"path": f.dotted, "before": f.before, "after": f.after, "check": f.check_id}
                    for f in fixes
                ],
            },
        )
        return saved.audit
