"""Passkeys through django-otp-webauthn: its ceremony endpoints, with a passkey sign-in or check also
counting as a fresh authentication (sudo mode) and ending a pending code step."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from django_otp_webauthn import exceptions, views
from django_otp_webauthn import urls as webauthn_urls

from controlpanel.permissions import auth_is_recent, mark_second_factor
from controlpanel.services.activity import activity_record

from .second_factor import passkeys_enabled


class _EnabledOnly:
    def dispatch(self, request, *args, **kwargs):
        if not passkeys_enabled():
            raise Http404("Passkeys are not configured (CP_WEBAUTHN_ORIGIN).")
        return super().dispatch(request, *args, **kwargs)


class CompleteAuthentication(_EnabledOnly, views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        super().complete_auth(device)
        self.request.session.pop("cp_2fa_pending", None)
        mark_second_factor(self.request)


class BeginAuthentication(_EnabledOnly, views.BeginCredentialAuthenticationView):
    pass


class RecentAuthRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "recent_auth_required"
    default_detail = "Confirm it is you first (password or code), then add the passkey within 15 minutes."


class BeginRegistration(_EnabledOnly, views.BeginCredentialRegistrationView):
    """A passkey grants lasting access: adding one needs a recent authentication, like an API token."""

    def check_can_register(self):
        if not auth_is_recent(self.request):
            raise RecentAuthRequired()


class CompleteRegistration(_EnabledOnly, views.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            user = self.request.user
            activity_record(
                action="two_factor.passkey_added", actor=user, target=f"user:{user.get_username()}"
            )
        return response


# The library's URL names under its namespace (its template tags reverse them).
urlpatterns = [
    path("registration/begin/", BeginRegistration.as_view(), name="credential-registration-begin"),
    path("registration/complete/", CompleteRegistration.as_view(), name="credential-registration-complete"),
    path("authentication/begin/", BeginAuthentication.as_view(), name="credential-authentication-begin"),
    path(
        "authentication/complete/",
        CompleteAuthentication.as_view(),
        name="credential-authentication-complete",
    ),
    *[p for p in webauthn_urls.urlpatterns if p.name == "js-i18n-catalog"],
]
