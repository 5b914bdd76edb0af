"""Signal receivers: login time for sudo mode; live-alert sockets that live no longer than their session.

A socket authenticated by a session must stop receiving alerts once that session no longer
authenticates its user (ASVS 3.3, 7.4): logout closes the user's sockets at once; any save of the
user (deactivated, password changed, from any surface: a page, the admin, ``changepassword``) and
any deleted session (logout elsewhere, an admin, ``clearsessions``, a rotated key) make the user's
sockets re-check their own session (``live.consumer.AlertsConsumer.alerts_recheck``); each socket
also re-checks when its session expires.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from controlpanel.authn import SESSION_AUTH_SOURCE, auth_source
from controlpanel.live.groups import CLOSE_LOGGED_OUT, sockets_close, sockets_recheck
from controlpanel.live.sessions import session_user_of_row
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
        sockets_close(user.pk, CLOSE_LOGGED_OUT)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def recheck_sockets_after_user_change(sender, instance, created, update_fields, **kwargs) -> None:
    # A login only records its time: nothing a socket's session depends on changed.
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    sockets_recheck(instance.pk)


@receiver(post_delete, sender=Session)
def recheck_sockets_after_session_delete(sender, instance, **kwargs) -> None:
    if (user_id := session_user_of_row(instance)) is not None:
        sockets_recheck(user_id)
