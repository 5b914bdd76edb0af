"""Security audits of stored gateways: queued, run in a child process with a hard timeout, stored.

``audit_run_start`` creates the run and, in the same transaction, its background task
(``controlpanel.tasks.audits.audit_run``, run by ``manage.py db_worker``). ``audit_run_execute``
claims the run (a conditional UPDATE), runs the engine in a child process
(``controlpanel.lib.audit_runner``) killed at the timeout, and stores the outcome once: the final
write locks the run and happens only while it is still running. A task whose worker died is run
again and resumes the run (``resume=True``); when its attempts are spent the run is marked failed.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from controlpanel.audit import CHECKS, apply_fixes, propose_fixes
from controlpanel.audit.schema import Finding
from controlpanel.background import enqueue_on_commit
from controlpanel.lib.triage import triage_rank
from controlpanel.models import AuditFinding, AuditRun, AuditSuppression, ConfigRevision, Gateway
from controlpanel.openclaw import load_config
from controlpanel.tasks.audits import audit_run

from .activity import activity_record
from .memory import audit_memory_inputs

PATHS = {spec.id: spec.paths for spec in CHECKS}


def audit_run_start(*, gateway: Gateway, actor=None) -> AuditRun:
    """Queue an audit of the gateway's stored config; a task worker runs it once this commits."""
    with transaction.atomic():
        run = AuditRun.objects.create(gateway=gateway, started_by=actor, config_hash=gateway.config_hash)
        activity_record(action="audit.started", actor=actor, gateway=gateway, target=f"audit:{run.code}")
        if result := enqueue_on_commit(audit_run, run_id=run.pk):
            run.task_id = result.id
            run.save(update_fields=["task_id"])
    return run


def audit_run_abandon(*, run_id: int, error: str, attempts: int) -> None:
    """Mark a run failed when its task gave up (it raised, or its worker died, on every attempt)."""
    with transaction.atomic():
        run = AuditRun.objects.select_for_update().select_related("gateway").filter(pk=run_id).first()
        if run is None or not run.is_running:
            return
        _finish(run, status="failed", error=f"The audit could not be run ({attempts} attempt(s)): {error}")


def _progress(run_id: int, value: int) -> None:
    AuditRun.objects.filter(pk=run_id, status="running").update(progress=value)


def audit_run_execute(*, run_id: int, timeout: float | None = None, resume: bool = False) -> AuditRun | None:
    """Run a queued audit to a final state. Returns None if it was claimed or finished already.

    ``resume``: also take a run left "running" (its task's earlier attempt died with its worker).
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
    loaded = load_config(gateway.config_text or "{}", env={})
    if loaded.resolved is None:
        return _finish(
            run,
            status="failed",
            error="OpenClaw config is invalid, so it is not audited (`openclaw security audit` refuses it "
            "too): " + "; ".join(f"{i.path}: {i.message}" for i in loaded.issues[:5]),
        )
    _progress(run_id, 20)
    payload = {
        "config": loaded.resolved,
        "env": {},
        "suppressions": [
            {"checkId": s.check_id, "reason": s.reason} for s in gateway.audit_suppressions.all()
        ],
        "memory": audit_memory_inputs(gateway=gateway),
    }
    try:
        proc = subprocess.run(  # noqa: S603 - our module, after the operator's own prefix (settings)
            [
                *shlex.split(settings.CP_AUDIT_EXEC_PREFIX),
                sys.executable,
                "-m",
                "controlpanel.lib.audit_runner",
            ],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _finish(
            run, status="timed_out", error=f"The audit did not finish within {timeout:g} s and was stopped."
        )
    if proc.returncode != 0:
        return _finish(run, status="failed", error=(proc.stderr or "the audit process failed")[-2000:])
    _progress(run_id, 80)
    report = json.loads(proc.stdout)
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
            run.report = report
            run.summary = report.get("summary", {})
        run.status = status
        run.error = error
        run.progress = 100
        run.finished_at = timezone.now()
        run.save()
        activity_record(
            action=f"audit.{status}",
            gateway=run.gateway,
            target=f"audit:{run.code}",
            after={"summary": run.summary, "error": error[:200]},
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


def audit_run_diff(run: AuditRun) -> dict[str, list[AuditFinding]]:
    """Findings new since the previous finished run of the same gateway, and those resolved since."""
    previous = (
        AuditRun.objects.filter(gateway=run.gateway, status="succeeded", created_at__lt=run.created_at)
        .order_by("-created_at")
        .first()
    )
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
        config_revision_create(
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
        return audit_run_start(gateway=gateway, actor=actor)
