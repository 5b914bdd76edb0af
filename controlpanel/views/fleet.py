"""Fleet changes: give one change, see it previewed on each selected gateway, apply it to all or none."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from controlpanel.audit.fixes import fixable_check_ids
from controlpanel.configedit.fleet import Change, ChangeError, baseline_text
from controlpanel.models import FleetChange
from controlpanel.permissions import require_recent_auth
from controlpanel.services.config_fleet import fleet_change_apply, fleet_change_preview, owned_gateways
from controlpanel.services.config_revisions import ConfigEditError


@login_required
@require_http_methods(["GET", "POST"])
def fleet_change_new(request) -> HttpResponse:
    """The change and the gateways it goes to (only gateways the user owns are offered)."""
    gateways = owned_gateways(request.user)
    context = {
        "gateways": gateways,
        "checks": fixable_check_ids(),
        "baseline": baseline_text(),
        "values": request.POST or {"kind": "snippet"},
        "selected": set(request.POST.getlist("gateways")),
    }
    if request.method == "POST":
        change = Change(
            kind=request.POST.get("kind", ""),
            path=request.POST.get("path", "").strip(),
            snippet=request.POST.get("snippet", ""),
            check_id=request.POST.get("check_id", "").strip(),
        )
        chosen = [g for g in gateways if str(g.code) in context["selected"]]
        if not chosen:
            context["error"] = "gateways: select at least one gateway you own."
        else:
            try:
                fleet = fleet_change_preview(
                    user=request.user,
                    change=change,
                    gateways=chosen,
                    reason=request.POST.get("reason", ""),
                    push=bool(request.POST.get("push")),
                )
            except ChangeError as exc:
                context["error"] = str(exc)
            else:
                return redirect("fleet-change", code=fleet.code)
        return render(request, "fleet/new.html", context)
    return render(request, "fleet/new.html", context)


def _fleet_for(user, code: UUID) -> FleetChange:
    fleet = FleetChange.objects.filter(code=code, created_by=user).first()
    if fleet is None:
        raise Http404("No such fleet change.")
    return fleet


@login_required
@require_GET
def fleet_change(request, code: UUID) -> HttpResponse:
    """The per-gateway preview (or, once applied, the per-gateway result)."""
    fleet = _fleet_for(request.user, code)
    rows = [{"code": c, **r} for c, r in fleet.results.items() if not c.startswith("_")]
    rows.sort(key=lambda r: r.get("name", ""))
    blocked = [r for r in rows if not r.get("valid")]
    return render(
        request,
        "fleet/change.html",
        {"fleet": fleet, "rows": rows, "blocked": blocked, "error": fleet.results.get("_error", {})},
    )


def _fleet_page(request, code: UUID) -> str:
    return reverse("fleet-change", kwargs={"code": code})


@login_required
@require_recent_auth(next_url=_fleet_page)
@require_POST
def fleet_change_apply_view(request, code: UUID) -> HttpResponse:
    fleet = _fleet_for(request.user, code)
    try:
        fleet = fleet_change_apply(fleet=fleet, actor=request.user)
    except ConfigEditError as exc:
        messages.error(request, exc.message)
    else:
        if fleet.status == FleetChange.Status.APPLIED:
            messages.success(request, "Applied: one new revision per changed gateway.")
        else:
            messages.error(
                request, "Nothing was saved: " + fleet.results.get("_error", {}).get("message", "")
            )
    return redirect("fleet-change", code=code)
