"""Template context shared by every page."""

from django.http import HttpRequest

from controlpanel import selectors

# Which main-navigation entry a page belongs to, by the prefix of its URL name.
NAV_SECTIONS = (
    ("gateway-import", "import"),
    ("approvals-", "approvals"),
    ("pairing-", "approvals"),
    ("exec-", "approvals"),
    ("reauth", "approvals"),
    ("alert-list", "alerts"),
    ("audit-", "audits"),
    ("account-notifications", "notifications"),
    ("account", "account"),
    ("docs-", "gateways"),
    ("fleet-", "fleet"),
    ("", "gateways"),
)


def nav_section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    name = (match.url_name or "") if match else ""
    return next(section for prefix, section in NAV_SECTIONS if name.startswith(prefix))


def panel(request: HttpRequest) -> dict:
    """The navigation: the pending badge (one query each, lazily) and the current section."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "pending_counts": lambda: selectors.pending_counts(user=user),
        "nav_section": nav_section(request),
    }
