"""The confirmation step of destructive actions (revoke, rotate, remove, resolve, clean up).

Pages offer these actions behind ``<details class="confirm">`` whose form sends ``confirm=yes``.
The server holds the line too: a POST without it changes nothing and answers with a confirmation page
(the same question, a form that repeats the POST with ``confirm=yes``, and a way back). Works with no
JavaScript at all.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirm") == "yes"


def confirm_page(
    request: HttpRequest,
    *,
    title: str,
    consequence: str,
    action_label: str,
    cancel_url: str,
    items: list[str] | None = None,
    keep: tuple[str, ...] = (),
) -> HttpResponse:
    """The page that asks before ``request`` (a POST) is carried out. ``keep``: POST fields to resend."""
    if getattr(request, "htmx", False):
        # An htmx control always sends confirm=yes; without it, say so instead of swapping in a page.
        return HttpResponse("Confirm first: send confirm=yes.", status=400, content_type="text/plain")
    context = {
        "title": title,
        "consequence": consequence,
        "action_label": action_label,
        "cancel_url": cancel_url,
        "items": items or [],
        "fields": [(name, request.POST.get(name, "")) for name in keep if name in request.POST],
        "action": request.get_full_path(),
    }
    return render(request, "components/confirm_page.html", context)
