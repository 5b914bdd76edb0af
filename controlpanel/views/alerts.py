"""Alert pages: the cross-gateway list, ack / resolve / silence, ingest tokens and the memory chart."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from controlpanel import selectors
from controlpanel.charts import memory_chart
from controlpanel.http import HtmxHttpRequest
from controlpanel.lib.safetext import escape_unstorable, has_unstorable
from controlpanel.models import Alert, IngestToken, MemorySample
from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.services.alerts import AlertStateError, alert_acknowledge, alert_resolve, silence_create
from controlpanel.services.ingest_tokens import ingest_token_create, ingest_token_revoke

from .confirm import confirm_page, confirmed
from .once import secret_show_once


@login_required
@require_GET
def alert_list(request) -> HttpResponse:
    """Open alerts (and the latest resolved ones) on every gateway the user can see."""
    context = selectors.alert_list_context(
        user=request.user,
        page=selectors.page_number(request.GET.get("page")),
        firing_only=request.GET.get("state") == "firing",
    )
    return render(request, "alerts/list.html", context)


def _alert_action(request: HtmxHttpRequest, code: UUID, pk: int, action) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.DECIDE)
    alert = get_object_or_404(Alert, pk=pk, gateway=access.gateway)
    try:
        alert = action(alert=alert, actor=request.user)
    except AlertStateError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
        alert.refresh_from_db()
    if request.htmx:
        silenced = alert.pk in selectors.silenced_keys(gateway=access.gateway, alerts=[alert])
        snapshot = selectors.alert_snapshot(alert, access.gateway, silenced=silenced)
        return render(request, "alerts/_alert.html", {"a": snapshot})
    return redirect("gateway-alerts", code=code)


@login_required
@require_POST
def alert_ack(request: HtmxHttpRequest, code: UUID, pk: int) -> HttpResponse:
    return _alert_action(request, code, pk, alert_acknowledge)


@login_required
@require_POST
def alert_resolve_view(request: HtmxHttpRequest, code: UUID, pk: int) -> HttpResponse:
    if not confirmed(request):
        access = get_gateway_for_user(request.user, code, need=Capability.DECIDE)
        alert = get_object_or_404(Alert, pk=pk, gateway=access.gateway)
        return confirm_page(
            request,
            title=f"Resolve {alert.type} {alert.subject}?",
            consequence="It leaves the open alerts. If the condition still holds, the next event opens "
            "a new alert (and a new toast).",
            action_label="Resolve the alert",
            cancel_url=reverse("gateway-alerts", kwargs={"code": code}),
        )
    return _alert_action(request, code, pk, alert_resolve)


@login_required
@require_POST
def alert_silence(request, code: UUID) -> HttpResponse:
    """Create a silence from the alerts tab form (admins); expiry and comment are mandatory."""
    access = get_gateway_for_user(request.user, code, need=Capability.DECIDE)
    try:
        hours = int(request.POST.get("hours", ""))
    except ValueError:
        hours = 0
    comment = request.POST.get("comment", "").strip()[:500]
    if not 1 <= hours <= 720 or not comment:
        messages.error(request, "A silence needs a comment and an expiry of 1 to 720 hours.")
        return redirect("gateway-alerts", code=code)
    try:
        silence_create(
            gateway=access.gateway,
            type_pattern=request.POST.get("type_pattern", "*").strip()[:100],
            subject_pattern=request.POST.get("subject_pattern", "*").strip()[:300],
            comment=comment,
            expires_at=timezone.now() + timedelta(hours=hours),
            actor=request.user,
        )
    except ValueError as exc:  # e.g. a NUL character, which the database cannot store
        messages.error(request, str(exc))
        return redirect("gateway-alerts", code=code)
    messages.success(request, f"Silenced for {hours} h.")
    return redirect("gateway-alerts", code=code)


def _ingest_url(request, code: UUID) -> str:
    return request.build_absolute_uri(reverse("api-ingest-events", kwargs={"code": code}))


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def ingest_tokens(request, code: UUID) -> HttpResponse:
    """List and create ingest tokens (owners). A new token is shown once, on a no-store page."""
    access = get_gateway_for_user(request.user, code, need=Capability.SECRETS)
    gateway = access.gateway
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name or len(name) > 100 or has_unstorable(name):
            messages.error(request, "A token name is 1 to 100 characters (no NUL characters).")
            return redirect("ingest-tokens", code=code)
        token, plaintext = ingest_token_create(gateway=gateway, name=name, actor=request.user)
        url = _ingest_url(request, code)
        return secret_show_once(
            request,
            title=f"Ingest token “{token.name}”",
            value=plaintext,
            label="Ingest token",
            lead="Copy it now: it is shown only once. Your log shipper sends it with every batch.",
            back_url=reverse("ingest-tokens", kwargs={"code": code}),
            back_label=f"Back to the ingest tokens of {gateway.name}",
            notes=[
                f"Send it as Authorization: Bearer <token> to POST {url}",
                f"The panel keeps only its SHA-256 hash and the prefix {token.prefix}.",
            ],
            links=[
                (reverse("docs-ingest") + f"?gateway={code}", "What to send: event formats with examples")
            ],
        )
    tokens = IngestToken.objects.filter(gateway=gateway).select_related("created_by")
    context = {"gateway": gateway, "tokens": tokens, "ingest_url": _ingest_url(request, code)}
    return render(request, "alerts/tokens.html", context)


def _tokens_page(request, code: UUID, **_) -> str:
    return reverse("ingest-tokens", kwargs={"code": code})


@login_required
@require_recent_auth(next_url=_tokens_page)
@require_POST
def ingest_token_revoke_view(request, code: UUID, pk: int) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.SECRETS)
    token = get_object_or_404(IngestToken, pk=pk, gateway=access.gateway)
    if not confirmed(request):
        return confirm_page(
            request,
            title=f"Revoke the ingest token “{token.name}”?",
            consequence="Senders using it get 401 from now on; their events are not stored.",
            action_label="Revoke the token",
            cancel_url=reverse("ingest-tokens", kwargs={"code": code}),
        )
    ingest_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Revoked {token.name}: it no longer authenticates.")
    return redirect("ingest-tokens", code=code)


@login_required
@require_GET
def alert_memory(request, code: UUID) -> HttpResponse:
    """Memory usage of one subject over time against its limit: a uPlot chart with axes and time labels
    (static/js/memory_chart.js), and the readings as a table for anyone without JavaScript."""
    access = get_gateway_for_user(request.user, code)
    # Subjects are stored escaped and fitted (services.alerts.ingest): look up the same form.
    subject = MemorySample.stored_subject(escape_unstorable(request.GET.get("subject", "")))
    samples = list(
        MemorySample.objects.filter(gateway=access.gateway, subject=subject)
        .order_by("-ts")
        .values_list("ts", "usage_bytes", "limit_bytes")[:2000]
    )
    samples.reverse()
    context = {"gateway": access.gateway, "subject": subject, **memory_chart(samples)}
    return render(request, "alerts/memory.html", context)


@login_required
@require_GET
def alert_detail(request, code: UUID, pk: int) -> HttpResponse:
    """One alert: what it is, its history, and every notification sent about it (the delivery log)."""
    access = get_gateway_for_user(request.user, code)
    alert = get_object_or_404(Alert.objects.select_related("acknowledged_by"), pk=pk, gateway=access.gateway)
    silenced = alert.pk in selectors.silenced_keys(gateway=access.gateway, alerts=[alert])
    context = {
        "gateway": access.gateway,
        "access": access,
        "alert": alert,
        "a": selectors.alert_snapshot(alert, access.gateway, silenced=silenced),
        "events": alert.events.order_by("-pk")[:50],
        "deliveries": selectors.alert_deliveries(alert=alert),
    }
    return render(request, "alerts/detail.html", context)
