"""One-time secrets (new tokens): created by a POST, shown once by a GET (Post/Redirect/Get).

The POST that creates a token stores it in the user's server-side session, encrypted with the
panel's field key (controlpanel/fieldcrypto.py), and redirects to ``/once/``. That page takes the value
out of the session as it renders it (``Cache-Control: no-store``): a reload shows "already shown" and
never creates a second token; a value nobody picks up is dropped after ``TTL_SECONDS``.
"""

from __future__ import annotations

import json
import time

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from controlpanel import fieldcrypto

SESSION_KEY = "cp-once"
TTL_SECONDS = 600


def secret_show_once(
    request: HttpRequest,
    *,
    title: str,
    value: str,
    label: str,
    lead: str,
    back_url: str,
    back_label: str,
    notes: list[str] | None = None,
    links: list[tuple[str, str]] | None = None,
    values: list[str] | None = None,
    list_id: str = "once-values",
) -> HttpResponse:
    """Keep ``value`` (or a list of ``values``, e.g. recovery codes) for one viewing and redirect there
    (an htmx request is told to go there)."""
    payload = {
        "title": title,
        "value": value,
        "values": values or [],
        "list_id": list_id,
        "label": label,
        "lead": lead,
        "back_url": back_url,
        "back_label": back_label,
        "notes": notes or [],
        "links": links or [],
    }
    request.session[SESSION_KEY] = {"box": fieldcrypto.encrypt(json.dumps(payload)), "at": time.time()}
    url = reverse("secret-once")
    return HttpResponseClientRedirect(url) if getattr(request, "htmx", False) else redirect(url)


def _take(request: HttpRequest) -> dict | None:
    stored = request.session.pop(SESSION_KEY, None)
    if not isinstance(stored, dict) or time.time() - float(stored.get("at", 0)) > TTL_SECONDS:
        return None
    try:
        return json.loads(fieldcrypto.decrypt(stored["box"]))
    except (fieldcrypto.InvalidToken, KeyError, ValueError):
        return None


@never_cache
@login_required
@require_GET
def secret_once(request: HttpRequest) -> HttpResponse:
    """Show the value kept by ``secret_show_once`` once; afterwards say that it is gone."""
    payload = _take(request)
    response = render(request, "once/secret.html", {"secret": payload})
    response["Cache-Control"] = "no-store"
    return response
