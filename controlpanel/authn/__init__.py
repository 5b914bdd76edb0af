"""How people sign in besides a local password: OpenID Connect, a trusted proxy, the second factor.

Django glue only; the rules (group mapping, proxy addresses) are in ``controlpanel.identity`` and the
writes in ``controlpanel.services.identities``.
"""

# Where the session's sign-in came from: "password", "oidc", "proxy" or "passkey" (signals.py).
SESSION_AUTH_SOURCE = "cp_auth_source"

BACKEND_SOURCES = {
    "controlpanel.authn.oidc.PanelOIDCBackend": "oidc",
    "controlpanel.authn.proxy.TrustedProxyBackend": "proxy",
    "django_otp_webauthn.backends.WebAuthnBackend": "passkey",
}


def auth_source(backend_path: str | None) -> str:
    return BACKEND_SOURCES.get(backend_path or "", "password")
