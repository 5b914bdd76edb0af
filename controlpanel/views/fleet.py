"""Fleet changes: one change, previewed on each selected gateway, then applied gateway by gateway."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from controlpanel import selectors
from controlpanel.audit.fixes import fixable_check_ids
from controlpanel.configedit.fleet import Change, ChangeError, baseline_text
from controlpanel.http import HtmxHttpRequest
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


@login_required
@require_GET
def fleet_change(request: HtmxHttpRequest, code: UUID) -> HttpResponse:
    """Each gateway's preview, then its result, filled in as the tasks finish them (the page polls)."""
    context = selectors.fleet_change(user=request.user, code=code)
    if context is None:
        raise Http404("No such fleet change.")
    if request.htmx and request.GET.get("poll"):
        return render(request, "fleet/change.html#fleet-body", context)
    return render(request, "fleet/change.html", context)


def _fleet_page(request, code: UUID) -> str:
    return reverse("fleet-change", kwargs={"code": code})


@login_required
@require_recent_auth(next_url=_fleet_page)
@require_POST
def fleet_change_apply_view(request, code: UUID) -> HttpResponse:
    fleet = FleetChange.objects.filter(code=code, created_by=request.user).first()
    if fleet is None:
        raise Http404("No such fleet change.")
    try:
        fleet_change_apply(fleet=fleet, actor=request.user)
    except ConfigEditError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Applying: each gateway is saved on its own, all of its change or none.")
    return redirect("fleet-change", code=code)
