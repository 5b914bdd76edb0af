"""Accepting an invitation: the link's token is the credential (no session needed to open it)."""

from __future__ import annotations

from django import forms
from django.contrib import auth, messages
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from controlpanel.services.invitations import (
    InvitationUnusable,
    invitation_accept,
    invitation_find,
    why_unusable,
)


class AccountForm(UserCreationForm):
    email = forms.EmailField(required=False)

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request, token: str) -> HttpResponse:
    invitation = invitation_find(token)
    problem = why_unusable(invitation)
    if problem:
        return render(
            request, "invitations/unusable.html", {"problem": problem}, status=410 if invitation else 404
        )
    signed_in = request.user.is_authenticated
    form = None if signed_in else AccountForm(request.POST or None, initial={"email": invitation.email})
    if request.method == "POST" and (signed_in or form.is_valid()):
        account = None
        if not signed_in:
            account = {
                "username": form.cleaned_data["username"],
                "email": form.cleaned_data["email"],
                "password": form.cleaned_data["password1"],
            }
        try:
            accepted = invitation_accept(
                token=token, user=request.user if signed_in else None, new_account=account
            )
        except InvitationUnusable as exc:
            return render(request, "invitations/unusable.html", {"problem": str(exc)}, status=410)
        if not signed_in:
            auth.login(request, accepted.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"You are {accepted.membership.role} of {accepted.invitation.gateway.name}."
        )
        return redirect("gateway-detail", code=accepted.invitation.gateway.code)
    return render(request, "invitations/accept.html", {"invitation": invitation, "form": form})
