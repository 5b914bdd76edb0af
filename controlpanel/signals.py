"""Signal receivers: login time for sudo mode; logout closes the user's live-alert sockets."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from controlpanel.authn import SESSION_AUTH_SOURCE, auth_source
from controlpanel.permissions import mark_recent_auth


@receiver(user_logged_in)
def remember_login_time(sender, request, user, **kwargs) -> None:
    # A fresh sign-in counts as re-authentication for trust-granting actions; the session remembers
    # how it was signed in (password, oidc, proxy) for re-authentication and logout.
    if request is not None and hasattr(request, "session"):
        mark_recent_auth(request)
        request.session[SESSION_AUTH_SOURCE] = auth_source(getattr(user, "backend", None))


@receiver(user_logged_out)
def close_alert_sockets(sender, request, user, **kwargs) -> None:
    # A socket authenticated by the old session must not keep receiving alerts (ASVS 7.4).
    if user is not None:
        from controlpanel.services.alerts import CLOSE_LOGGED_OUT, sockets_close

        sockets_close(user.pk, CLOSE_LOGGED_OUT)
