"""Signal receivers: login time for sudo mode."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from controlpanel.permissions import mark_recent_auth


@receiver(user_logged_in)
def remember_login_time(sender, request, user, **kwargs) -> None:
    # A fresh password entry counts as re-authentication for trust-granting actions.
    if request is not None and hasattr(request, "session"):
        mark_recent_auth(request.session)
