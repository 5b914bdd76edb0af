"""The user's own settings: personal API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from controlpanel.models import ApiToken
from controlpanel.permissions import require_recent_auth
from controlpanel.services.api_tokens import api_token_create, api_token_revoke


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def api_tokens(request) -> HttpResponse:
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name:
            messages.error(request, "Give the token a name, so you can recognise it later.")
            return redirect("account-tokens")
        token, plaintext = api_token_create(user=request.user, name=name)
        response = render(request, "account/token_created.html", {"token": token, "plaintext": plaintext})
        response["Cache-Control"] = "no-store"
        return response
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "account/tokens.html", {"tokens": tokens})


@login_required
@require_POST
def api_token_revoke_view(request, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # only your own tokens
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Revoked {token.name}: it stopped working.")
    return redirect("account-tokens")
