"""Template context shared by every page."""

from django.http import HttpRequest

from controlpanel import selectors


def panel(request: HttpRequest) -> dict:
    """The navigation badge: pending requests across the user's gateways (one query each, lazily)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"pending_counts": lambda: selectors.pending_counts(user=user)}
