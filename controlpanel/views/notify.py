"""Notification pages: receivers and routes (a gateway's, and the global ones), the route preview, a
person's own settings and browsers, the service worker. Writes go through services.notify."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from uuid import UUID
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from controlpanel import selectors
from controlpanel.http import BadRequest, read_json
from controlpanel.models import Alert, Gateway, NotifySubscription, PushSubscription, Receiver, Route
from controlpanel.notify.labels import KNOWN_LABELS, SEVERITIES, alert_labels
from controlpanel.permissions import Capability, GatewayAccess, get_gateway_for_user, require_recent_auth
from controlpanel.services.notify import config as svc
from controlpanel.services.notify import personal
from controlpanel.services.notify.preview import route_preview
from controlpanel.services.notify.push import vapid_public_key

SERVICE_WORKER = Path(settings.BASE_DIR) / "static" / "js" / "notify-sw.js"


@dataclass
class Scope:
    """Where a notification page works: one gateway (its owners edit) or the global tree (superusers)."""

    gateway: Gateway | None
    access: GatewayAccess | None
    can_edit: bool

    def url(self, name: str, **kwargs) -> str:
        if self.gateway is None:
            return reverse(f"notify-global-{name}", kwargs=kwargs)
        return reverse(f"notify-{name}", kwargs={"code": self.gateway.code, **kwargs})

    @property
    def home(self) -> str:
        return self.url("home")


def _scope(request: HttpRequest, code: UUID | None, *, edit: bool = False) -> Scope:
    if code is None:
        if not request.user.is_superuser:
            raise Http404("Global notifications are managed by the panel's superusers.")
        return Scope(None, None, True)
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG if edit else Capability.READ)
    return Scope(access.gateway, access, access.can(Capability.CONFIG))


def _page(request, scope: Scope, template: str, *, status: int = 200, **context) -> HttpResponse:
    context = {"scope": scope, "gateway": scope.gateway, "access": scope.access, **context}
    return render(request, template, context, status=status)


@login_required
@require_GET
def notify_home(request, code: UUID | None = None) -> HttpResponse:
    """The receivers and the routing tree of a gateway (or the global ones)."""
    if code is None and not request.user.is_superuser:
        return render(
            request,
            "notify/home.html",
            {"scope": None, "gateways": selectors.gateway_list(user=request.user)},
        )
    scope = _scope(request, code)
    receivers = Receiver.objects.filter(gateway=scope.gateway).order_by("name")
    routes = list(Route.objects.filter(gateway=scope.gateway).select_related("receiver"))
    return _page(request, scope, "notify/home.html", receivers=receivers, routes=_tree_rows(routes))


def _tree_rows(routes: list[Route]) -> list[tuple[int, Route]]:
    """Routes in tree order with their depth (for an indented list)."""
    children: dict[int | None, list[Route]] = {}
    for route in routes:
        children.setdefault(route.parent_id, []).append(route)
    out: list[tuple[int, Route]] = []

    def walk(parent: int | None, depth: int) -> None:
        for route in sorted(children.get(parent, []), key=lambda r: (r.position, r.pk)):
            route.durations = {
                name: svc.format_duration(getattr(route, name))
                for name in ("group_wait", "group_interval", "repeat_interval")
            }
            out.append((depth, route))
            walk(route.pk, depth + 1)

    walk(None, 0)
    return out


# --- receivers --------------------------------------------------------------------------------------


def _home_of(request, code, **_) -> str:
    return reverse("notify-home", kwargs={"code": code}) if code else reverse("notify-global-home")


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def receiver_new(request, code: UUID | None = None) -> HttpResponse:
    scope = _scope(request, code, edit=True)
    form = {"kind": request.POST.get("kind", "webhook"), "name": "", "send_resolved": True}
    if request.method == "POST":
        form.update(name=request.POST.get("name", ""), send_resolved=bool(request.POST.get("send_resolved")))
        try:
            receiver, secret = svc.receiver_create(
                gateway=scope.gateway,
                name=form["name"],
                kind=form["kind"],
                url=request.POST.get("url", ""),
                to=request.POST.get("to", ""),
                send_resolved=form["send_resolved"],
                actor=request.user,
            )
        except svc.ConfigError as exc:
            return _page(request, scope, "notify/receiver_form.html", form=form, error=exc, status=400)
        if secret:
            return _secret_once(request, scope, receiver, secret)
        messages.success(request, f"Receiver {receiver.name} created.")
        return redirect(scope.url("receiver", pk=receiver.pk))
    return _page(request, scope, "notify/receiver_form.html", form=form, kinds=Receiver.Kind.choices)


def _secret_once(request, scope: Scope, receiver: Receiver, secret: str) -> HttpResponse:
    response = _page(request, scope, "notify/secret_once.html", receiver=receiver, secret=secret)
    response["Cache-Control"] = "no-store"
    return response


def _receiver(request, scope: Scope, pk: int) -> Receiver:
    return get_object_or_404(Receiver, pk=pk, gateway=scope.gateway)


@login_required
@require_recent_auth(when=lambda request, *a, **k: request.method == "POST")
@require_http_methods(["GET", "POST"])
def receiver_detail(request, pk: int, code: UUID | None = None) -> HttpResponse:
    """A receiver: where it sends (the hint only), its settings and its delivery log."""
    scope = _scope(request, code, edit=request.method == "POST")
    receiver = _receiver(request, scope, pk)
    if request.method == "POST":
        try:
            svc.receiver_update(
                receiver=receiver,
                name=request.POST.get("name", ""),
                send_resolved=bool(request.POST.get("send_resolved")),
                enabled=bool(request.POST.get("enabled")),
                url=request.POST.get("url", ""),
                to=request.POST.get("to", ""),
                actor=request.user,
            )
        except svc.ConfigError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Saved.")
        return redirect(scope.url("receiver", pk=pk))
    deliveries = selectors.receiver_deliveries(receiver=receiver)
    return _page(request, scope, "notify/receiver.html", receiver=receiver, deliveries=deliveries)


@login_required
@require_recent_auth(next_url=lambda request, code=None, **_: _home_of(request, code))
@require_POST
def receiver_action(request, pk: int, action: str, code: UUID | None = None) -> HttpResponse:
    """Test, delete, or new signing secret."""
    scope = _scope(request, code, edit=True)
    receiver = _receiver(request, scope, pk)
    if action == "test":
        svc.receiver_test(receiver=receiver, actor=request.user)
        messages.success(request, "Test notification queued: its delivery shows below in a moment.")
        return redirect(scope.url("receiver", pk=pk))
    if action == "secret":
        return _secret_once(
            request, scope, receiver, svc.receiver_rotate_secret(receiver=receiver, actor=request.user)
        )
    try:
        svc.receiver_delete(receiver=receiver, actor=request.user)
    except svc.ConfigError as exc:
        messages.error(request, exc.message)
        return redirect(scope.url("receiver", pk=pk))
    messages.success(request, f"Receiver {receiver.name} removed.")
    return redirect(scope.home)


# --- routes -----------------------------------------------------------------------------------------


def _route_form_context(scope: Scope, route: Route | None, data: dict) -> dict:
    others = Route.objects.filter(gateway=scope.gateway)
    if route is not None:
        others = others.exclude(pk=route.pk)
    return {
        "route": route,
        "form": data,
        "receivers": Receiver.objects.filter(gateway=scope.gateway),
        "parents": others,
        "labels": KNOWN_LABELS,
    }


def _route_data(route: Route | None) -> dict:
    if route is None:
        return {"name": "", "matchers": "", "receiver": "", "parent": "", "continue": False, "group_by": "",
                "group_wait": "", "group_interval": "", "repeat_interval": ""}  # fmt: skip
    return {
        "name": route.name,
        "matchers": "\n".join(route.matchers),
        "receiver": str(route.receiver_id or ""),
        "parent": str(route.parent_id or ""),
        "continue": route.continue_matching,
        "group_by": ", ".join(route.group_by or []),
        "group_wait": svc.format_duration(route.group_wait),
        "group_interval": svc.format_duration(route.group_interval),
        "repeat_interval": svc.format_duration(route.repeat_interval),
    }


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def route_edit(request, pk: int | None = None, code: UUID | None = None) -> HttpResponse:
    """Create (no ``pk``) or change a route."""
    scope = _scope(request, code, edit=True)
    route = get_object_or_404(Route, pk=pk, gateway=scope.gateway) if pk else None
    if request.method == "GET":
        return _page(
            request, scope, "notify/route_form.html", **_route_form_context(scope, route, _route_data(route))
        )
    post = request.POST
    data = {k: post.get(k, "") for k in _route_data(None)}
    data["continue"] = bool(post.get("continue"))
    receiver = Receiver.objects.filter(gateway=scope.gateway, pk=_int(post.get("receiver"))).first()
    parent = Route.objects.filter(gateway=scope.gateway, pk=_int(post.get("parent"))).first()
    fields = {
        "name": data["name"],
        "matchers": data["matchers"],
        "receiver": receiver,
        "parent": parent,
        "continue_matching": data["continue"],
        "group_by": data["group_by"],
        "group_wait": data["group_wait"],
        "group_interval": data["group_interval"],
        "repeat_interval": data["repeat_interval"],
    }
    try:
        if route is None:
            route = svc.route_create(gateway=scope.gateway, actor=request.user, **fields)
        else:
            route = svc.route_update(route=route, actor=request.user, **fields)
    except svc.ConfigError as exc:
        context = _route_form_context(scope, route, data)
        return _page(request, scope, "notify/route_form.html", error=exc, status=400, **context)
    messages.success(request, f"Route {route.name} saved.")
    return redirect(scope.home)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_recent_auth(next_url=lambda request, code=None, **_: _home_of(request, code))
@require_POST
def route_action(request, pk: int, action: str, code: UUID | None = None) -> HttpResponse:
    """Move up, move down, or delete a route."""
    scope = _scope(request, code, edit=True)
    route = get_object_or_404(Route, pk=pk, gateway=scope.gateway)
    if action == "delete":
        svc.route_delete(route=route, actor=request.user)
        messages.success(request, f"Route {route.name} removed (and the routes under it).")
    else:
        svc.route_move(route=route, up=action == "up", actor=request.user)
    return redirect(scope.home)


# --- preview ----------------------------------------------------------------------------------------


@login_required
@require_GET
def preview(request, code: UUID) -> HttpResponse:
    """Give an alert (labels) or pick a past one: which receivers and people it reaches, and why."""
    scope = _scope(request, code)
    gateway = scope.gateway
    recent = list(Alert.objects.filter(gateway=gateway).order_by("-last_seen_at")[:30])
    labels, picked = None, None
    if alert_id := _int(request.GET.get("alert")):
        picked = next((a for a in recent if a.pk == alert_id), None) or get_object_or_404(
            Alert, pk=alert_id, gateway=gateway
        )
        labels = alert_labels(
            gateway=gateway.name, type_=picked.type, subject=picked.subject, severity=picked.severity
        )
    elif request.GET.get("type"):
        severity = request.GET.get("severity", "warning")
        labels = alert_labels(
            gateway=gateway.name,
            type_=request.GET.get("type", "")[:100],
            subject=request.GET.get("subject", "")[:300],
            severity=severity if severity in SEVERITIES else "warning",
        )
        for name in ("agent", "workload", "channel"):
            if value := request.GET.get(name, "").strip()[:200]:
                labels[name] = value
    result = route_preview(gateway=gateway, labels=labels, alert=picked) if labels else None
    context = {
        "recent": recent,
        "picked": picked,
        "labels": labels,
        "result": result,
        "severities": SEVERITIES,
        "q": request.GET,
    }
    return _page(request, scope, "notify/preview.html", **context)


# --- a person's own ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account_notifications(request) -> HttpResponse:
    """My notifications: channels, approvals, quiet hours, subscriptions and browsers."""
    user = request.user
    if request.method == "POST":
        try:
            fields = {
                "push_enabled": bool(request.POST.get("push_enabled")),
                "email_enabled": bool(request.POST.get("email_enabled")),
                "approvals": bool(request.POST.get("approvals")),
                "critical_overrides_quiet": bool(request.POST.get("critical_overrides_quiet")),
                "quiet_start": _time(request.POST.get("quiet_start", ""), "quiet_start"),
                "quiet_end": _time(request.POST.get("quiet_end", ""), "quiet_end"),
                "timezone": _zone(request.POST.get("timezone", "UTC")),
            }
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            personal.profile_update(user=user, **fields)
            messages.success(request, "Saved.")
        return redirect("account-notifications")
    context = {
        "profile": personal.profile_of(user),
        "subscriptions": NotifySubscription.objects.filter(user=user).select_related("gateway"),
        "browsers": PushSubscription.objects.filter(user=user),
        "gateways": selectors.gateway_list(user=user),
        "severities": SEVERITIES,
        "vapid_key": vapid_public_key(),
        "zones": sorted(available_timezones()),
    }
    return render(request, "account/notifications.html", context)


def _time(text: str, field: str) -> time | None:
    if not text.strip():
        return None
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{field}: write a time as HH:MM") from None


def _zone(text: str) -> str:
    if text not in available_timezones():
        raise ValueError(f"timezone: {text!r} is not a time zone name (e.g. Europe/Berlin)")
    return text


@login_required
@require_POST
def subscription_add_view(request) -> HttpResponse:
    code = request.POST.get("gateway", "")
    gateway = get_gateway_for_user(request.user, code).gateway if code else None
    try:
        personal.subscription_add(
            user=request.user,
            gateway=gateway,
            min_severity=request.POST.get("min_severity", "warning"),
            type_pattern=request.POST.get("type_pattern", "*"),
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("account-notifications")


@login_required
@require_POST
def subscription_remove_view(request, pk: int) -> HttpResponse:
    sub = get_object_or_404(NotifySubscription, pk=pk, user=request.user)
    personal.subscription_remove(subscription=sub, user=request.user)
    return redirect("account-notifications")


@login_required
@require_POST
def push_subscribe_view(request) -> HttpResponse:
    """Register this browser (JSON: the PushSubscription's endpoint and keys)."""
    try:
        data = read_json(request, limit=4096)
        endpoint = str(data["endpoint"])
        keys = data["keys"]
        p256dh, auth = str(keys["p256dh"]), str(keys["auth"])
    except (BadRequest, KeyError, TypeError) as exc:
        return JsonResponse({"error": f"expected {{endpoint, keys: {{p256dh, auth}}}} ({exc})"}, status=400)
    if not endpoint.startswith("https://") and not settings.DEBUG and not _allowed_local(endpoint):
        return JsonResponse({"error": "endpoint: a push service URL (https://) is expected"}, status=400)
    if len(endpoint) > 1000 or len(p256dh) > 200 or len(auth) > 100:
        return JsonResponse({"error": "endpoint or keys too long"}, status=400)
    label = request.headers.get("User-Agent", "")[:100]
    sub = personal.push_subscribe(user=request.user, endpoint=endpoint, p256dh=p256dh, auth=auth, label=label)
    return JsonResponse({"id": sub.pk}, status=201)


def _allowed_local(endpoint: str) -> bool:
    from controlpanel.services.notify.senders import Permanent, check_http_url

    try:
        check_http_url(endpoint)
    except Permanent:
        return False
    return True


@login_required
@require_POST
def push_action_view(request, pk: int, action: str) -> HttpResponse:
    """Remove one of my browsers, or send it a test."""
    sub = get_object_or_404(PushSubscription, pk=pk, user=request.user)
    if action == "test":
        personal.push_test(subscription=sub, user=request.user)
        messages.success(request, "Test sent to that browser.")
    else:
        personal.push_unsubscribe(subscription=sub, user=request.user)
        messages.success(request, "Browser removed.")
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"ok": True})
    return redirect("account-notifications")


@require_GET
def service_worker(request) -> HttpResponse:
    """The Web Push service worker, served from the root so that it may control every page."""
    response = HttpResponse(SERVICE_WORKER.read_text(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def _json(obj) -> str:
    return json.dumps(obj)
