"""Audit pages: start a run, watch it, read the report, apply safe fixes, suppress, the fleet view."""

from __future__ import annotations

import difflib
import json
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from controlpanel import selectors
from controlpanel.background.state import task_state
from controlpanel.http import HtmxHttpRequest, attachment
from controlpanel.lib import csvsafe
from controlpanel.lib.triage import triage_group
from controlpanel.models import AuditRun, AuditSuppression, Gateway, Role
from controlpanel.openclaw import load_config
from controlpanel.permissions import (
    Capability,
    get_gateway_for_user,
    get_object_for_user,
    require_recent_auth,
)
from controlpanel.services import audits as svc
from controlpanel.services.config_edits import ConfigEditError


def _run_for_user(user, code: UUID, need: Capability = Capability.READ):
    return get_object_for_user(user, AuditRun, need=need, missing="No such audit run.", code=code)


@login_required
@require_POST
def audit_start(request, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.AUDIT)
    run = svc.audit_run_start(gateway=access.gateway, actor=request.user)
    return redirect("audit-run", code=run.code)


@login_required
@require_GET
def audit_run(request: HtmxHttpRequest, code: UUID) -> HttpResponse:
    run, access = _run_for_user(request.user, code)
    findings = svc.audit_findings_sorted(run) if not run.is_running else []
    groups: list[dict] = []
    for finding in findings:
        key, title = triage_group(finding.check_id)
        if not groups or groups[-1]["key"] != key:
            groups.append({"key": key, "title": title, "findings": []})
        groups[-1]["findings"].append(finding)
    context = {
        "run": run,
        "task": task_state(run.task_id) if run.is_running else None,
        "access": access,
        "gateway": access.gateway,
        "groups": groups,
        "suppressed": [f for f in run.findings.all() if f.suppressed] if not run.is_running else [],
        "diff": svc.audit_run_diff(run) if not run.is_running else None,
        "fixes": svc.audit_fixes_for(run) if not run.is_running and access.can(Capability.CONFIG) else [],
        "suppressed_ids": set(access.gateway.audit_suppressions.values_list("check_id", flat=True)),
        "env_refs": sorted(
            {r.name for r in load_config(access.gateway.config_text or "{}", env={}).env_refs}
        ),
    }
    if request.htmx and request.GET.get("poll"):
        # While running, the page polls this partial; the finished report replaces it.
        return render(request, "audits/run.html#audit-body", context)
    return render(request, "audits/run.html", context)


@login_required
@require_GET
def audit_export(request, code: UUID, fmt: str) -> HttpResponse:
    run, access = _run_for_user(request.user, code)
    name = f"{access.gateway.name}-audit-{run.created_at:%Y%m%dT%H%M%S}.{fmt}"
    if fmt == "json":
        response = HttpResponse(json.dumps(run.report, indent=2), content_type="application/json")
    elif fmt == "csv":
        response = HttpResponse(content_type="text/csv")
        writer = csvsafe.writer(response)
        writer.writerow(["checkId", "severity", "title", "detail", "remediation", "configPath", "suppressed"])
        for f in run.findings.all():
            writer.writerow(
                [f.check_id, f.severity, f.title, f.detail, f.remediation, f.config_path, f.suppressed]
            )
    else:
        raise Http404("Export as json or csv.")
    return attachment(response, name)


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def audit_fixes(request, code: UUID) -> HttpResponse:
    """The proposed safe fixes as a config diff; an owner applies them (then the audit runs again)."""
    run, access = _run_for_user(request.user, code, need=Capability.CONFIG)
    fixes = svc.audit_fixes_for(run)
    if request.method == "POST":
        try:
            new_run = svc.audit_fixes_apply(run=run, actor=request.user)
        except ConfigEditError as exc:
            messages.error(request, f"The fixes were not applied: {exc}")
            return redirect("audit-fixes", code=code)
        messages.success(request, f"Applied {len(fixes)} fix(es); the audit is running again.")
        return redirect("audit-run", code=new_run.code)
    after = (
        svc.audit_fixes_preview(gateway=access.gateway, fixes=fixes) if fixes else access.gateway.config_text
    )
    diff = list(
        difflib.unified_diff(
            access.gateway.config_text.splitlines(), after.splitlines(), "before", "after", lineterm="", n=2
        )
    )
    context = {"run": run, "access": access, "gateway": access.gateway, "fixes": fixes, "diff": diff}
    return render(request, "audits/fixes.html", context)


def _audit_tab(request, code: UUID, **_) -> str:
    return reverse("gateway-audit", kwargs={"code": code})


@login_required
@require_recent_auth(next_url=_audit_tab)
@require_POST
def suppression_add(request, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    check_id, reason = request.POST.get("check_id", "").strip(), request.POST.get("reason", "").strip()
    if not check_id or not reason:
        messages.error(request, "A suppression needs the check id and a reason.")
    else:
        svc.audit_suppression_set(
            gateway=access.gateway, check_id=check_id[:200], reason=reason, actor=request.user
        )
        messages.success(request, f"{check_id} is suppressed; the next audit lists it as suppressed.")
    # From a finding's card: back to that report.
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("gateway-audit", code=code)


@login_required
@require_recent_auth(next_url=_audit_tab)
@require_POST
def suppression_remove(request, code: UUID, pk: int) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    suppression = get_object_or_404(AuditSuppression, pk=pk, gateway=access.gateway)
    svc.audit_suppression_remove(suppression=suppression, actor=request.user)
    messages.success(request, f"{suppression.check_id} is no longer suppressed.")
    return redirect("gateway-audit", code=code)


@login_required
@require_GET
def audit_fleet(request: HtmxHttpRequest) -> HttpResponse:
    progress = selectors.fleet_audit_progress(user=request.user)
    if request.htmx and request.GET.get("progress"):
        # The progress box polls itself while a fleet-wide audit runs.
        return render(request, "audits/fleet.html#fleet-progress", {"progress": progress})
    context = selectors.audit_fleet(user=request.user, page=request.GET.get("page"))
    context["progress"] = progress
    context["can_audit"] = Gateway.objects.with_role(request.user, Role.ADMIN).exists()
    return render(request, "audits/fleet.html", context)


@login_required
@require_POST
def audit_fleet_start(request) -> HttpResponse:
    """Audit every gateway the user may audit (admin or owner), on the task workers."""
    gateways = Gateway.objects.with_role(request.user, Role.ADMIN)
    progress = selectors.fleet_audit_progress(user=request.user)
    if progress is not None and not progress["done"]:
        messages.error(
            request,
            f"Your fleet-wide audit of {progress['fleet'].created_at:%Y-%m-%d %H:%M} UTC is still running "
            f"({progress['finished']} of {progress['fleet'].gateway_count} done); wait for it to finish.",
        )
    elif not gateways.exists():
        messages.error(request, "Only admins and owners may audit a gateway; you are neither on any.")
    else:
        fleet = svc.audit_fleet_start(actor=request.user, gateways=gateways)
        messages.success(
            request,
            f"Auditing {fleet.gateway_count} gateway(s) on the task workers; this page shows progress.",
        )
    return redirect("audit-fleet")


@login_required
@require_recent_auth(next_url=_audit_tab)
@require_POST
def audit_schedule(request, code: UUID) -> HttpResponse:
    """Owners set how often the gateway is audited on its schedule."""
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    try:
        every = int(request.POST.get("audit_every_hours", ""))
        svc.audit_schedule_set(gateway=access.gateway, every_hours=every, actor=request.user)
    except ValueError:
        messages.error(request, "Choose how often to audit this gateway from the list.")
    else:
        access.gateway.refresh_from_db()
        messages.success(request, f"Scheduled audit: {access.gateway.get_audit_every_hours_display()}.")
    return redirect("gateway-audit", code=code)
