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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from controlpanel import selectors
from controlpanel.background.state import task_state
from controlpanel.http import HtmxHttpRequest, attachment
from controlpanel.lib import csvsafe
from controlpanel.lib.triage import triage_group
from controlpanel.models import AuditRun, AuditSuppression, Gateway
from controlpanel.openclaw import load_config
from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.services import audits as svc
from controlpanel.services.config_edits import ConfigEditError


def _run_for_user(user, code: UUID, need: Capability = Capability.READ):
    run = AuditRun.objects.filter(code=code, gateway__in=Gateway.objects.visible_to(user)).first()
    if run is None:
        raise Http404("No such audit run.")
    access = get_gateway_for_user(user, run.gateway.code, need=need)
    return run, access


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
def audit_fleet(request) -> HttpResponse:
    return render(request, "audits/fleet.html", {"rows": selectors.audit_fleet(user=request.user)})
