"""Signing in and out: password (then the second factor when the account has one), single sign-on
(controlpanel/authn/oidc.py), logout (also at the identity provider for single sign-on sessions)."""

from __future__ import annotations

import time

import django_otp
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from controlpanel.authn import SESSION_AUTH_SOURCE
from controlpanel.authn.second_factor import has_second_factor, passkeys_enabled, second_factor_accepted
from controlpanel.forms import CodeForm

PENDING = "cp_2fa_pending"
PENDING_SECONDS = 300
PENDING_ATTEMPTS = 5


class LoginView(auth_views.LoginView):
    """Django's login; an account with a second factor is signed in only after its code (next step)."""

    def form_valid(self, form):
        user = form.get_user()
        if has_second_factor(user):
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": self.get_success_url(),
                "failures": 0,
            }
            return redirect("login-code")
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_label"] = settings.CP_OIDC_LABEL if settings.CP_OIDC_ISSUER else ""
        context["passkeys_enabled"] = passkeys_enabled()
        return context


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request) -> HttpResponse:
    """The second step of a password sign-in: a TOTP or recovery code within five minutes."""
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.error(request, "Sign in again: the code step expired after five minutes.")
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = auth.get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
        code = "".join(form.cleaned_data["code"].split())
        device = django_otp.match_token(user, code) if user else None
        if device is not None:
            del request.session[PENDING]
            user.backend = pending["backend"]
            auth.login(request, user)
            second_factor_accepted(request, device)
            return HttpResponseRedirect(pending["next"])
        pending["failures"] += 1
        if pending["failures"] >= PENDING_ATTEMPTS:
            del request.session[PENDING]
            messages.error(request, "Too many wrong codes: sign in again.")
            return redirect("login")
        request.session[PENDING] = pending
        form.add_error("code", "That code is not right (or was used already). Codes change every 30 seconds.")
    context = {"form": form, "passkeys_enabled": passkeys_enabled()}
    return render(request, "registration/login_code.html", context)


@require_POST
def logout_view(request) -> HttpResponse:
    """Log out here; a single sign-on session is also ended at the identity provider."""
    target = settings.LOGOUT_REDIRECT_URL
    if request.session.get(SESSION_AUTH_SOURCE) == "oidc" and settings.CP_OIDC_ISSUER:
        from controlpanel.authn.oidc import provider_logout_url

        target = provider_logout_url(request)
    auth.logout(request)
    return redirect(target)
