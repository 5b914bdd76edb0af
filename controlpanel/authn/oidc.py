"""OpenID Connect sign-in through mozilla-django-oidc (authorization code + PKCE + nonce).

mozilla-django-oidc checks the signature (JWKS), ``exp`` and the nonce; this backend adds what it
leaves out: the audience (and ``azp``), the issuer and the required claims. Endpoints come from the
issuer's discovery document (fetched when first needed, kept for an hour).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from controlpanel.permissions import mark_recent_auth
from controlpanel.services.identities import identity_sign_in

logger = logging.getLogger("controlpanel.security")

DISCOVERY_TTL = 3600
_discovery: dict[str, tuple[float, dict]] = {}


def provider_metadata(issuer: str | None = None) -> dict:
    """The issuer's discovery document; its ``issuer`` must be the configured one exactly."""
    issuer = issuer or settings.CP_OIDC_ISSUER
    if not issuer:
        raise ImproperlyConfigured("CP_OIDC_ISSUER is not set")
    cached = _discovery.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL:
        return cached[1]
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    document = response.json()
    if document.get("issuer") != issuer:
        raise SuspiciousOperation(
            f"discovery document names issuer {document.get('issuer')!r}, not {issuer!r}"
        )
    _discovery[issuer] = (time.monotonic(), document)
    return document


class PanelOIDCBackend(OIDCAuthenticationBackend):
    """Inert unless CP_OIDC_ISSUER is set and the call comes from the callback (it carries a nonce)."""

    def __init__(self, *args, **kwargs) -> None:  # endpoints are read when needed, not at every login
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not settings.CP_OIDC_ISSUER:
            return None
        meta = provider_metadata()
        self.OIDC_OP_TOKEN_ENDPOINT = meta["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = meta["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = meta["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def retrieve_matching_jwk(self, token):
        """The provider's key for this token. A token without ``kid`` is accepted only when the JWKS
        holds exactly one signing key for the algorithm (the spec allows leaving ``kid`` out then)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"id_token refused: {exc}") from exc
        if "kid" in header:
            return super().retrieve_matching_jwk(token)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = [
            k
            for k in response.json().get("keys", [])
            if k.get("use", "sig") == "sig" and k.get("alg", self.OIDC_RP_SIGN_ALGO) == self.OIDC_RP_SIGN_ALGO
        ]
        if len(keys) != 1:
            raise SuspiciousOperation("id_token refused: it names no key (kid) and the provider has several")
        return jwt.PyJWK(keys[0])

    def _verify_jws(self, payload, key):
        """Signature, algorithm, expiry, audience, issuer and the required claims, or refused."""
        try:
            algorithm = jwt.get_unverified_header(payload).get("alg")
            if algorithm != self.OIDC_RP_SIGN_ALGO:
                raise jwt.InvalidAlgorithmError(f"algorithm {algorithm!r} is not {self.OIDC_RP_SIGN_ALGO}")
            claims = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.CP_OIDC_ISSUER,
                leeway=30,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            logger.warning("OIDC id_token refused: %s", exc)
            raise SuspiciousOperation(f"id_token refused: {exc}") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            logger.warning("OIDC id_token refused: several audiences and azp is not this client")
            raise SuspiciousOperation("id_token refused: azp is not this client")
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload["sub"]:
            raise SuspiciousOperation("the userinfo answer is about another subject than the id_token")
        claims = {**userinfo, **payload}
        groups = claims.get(settings.CP_OIDC_GROUPS_CLAIM) or []
        if isinstance(groups, str):
            groups = [groups]
        return identity_sign_in(
            issuer=settings.CP_OIDC_ISSUER,
            subject=str(payload["sub"]),
            email=str(claims.get("email") or ""),
            email_verified=claims.get("email_verified") is True,
            username_hint=str(claims.get("preferred_username") or ""),
            groups=[str(g) for g in groups if isinstance(g, str | int)],
            create_users=settings.CP_OIDC_CREATE_USERS,
        )


class SignInView(OIDCAuthenticationRequestView):
    """Redirect to the provider. ``?reauth=1`` asks it to authenticate again (prompt=login, max_age=0)."""

    def __init__(self, *args, **kwargs) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not settings.CP_OIDC_ISSUER:
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_metadata()["authorization_endpoint"]
        except (requests.RequestException, ValueError, KeyError, SuspiciousOperation) as exc:
            logger.warning("OIDC provider unavailable: %s", exc)
            messages.error(
                request, "The identity provider did not answer; try again or sign in with a password."
            )
            return HttpResponseRedirect(reverse("login"))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)

    def get_extra_params(self, request):
        return {"prompt": "login", "max_age": "0"} if request.GET.get("reauth") else {}


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider's redirect back. A refused answer (forged or expired token, provider error) goes
    back to the login page with a message and a warning in the log; nobody is signed in."""

    def get(self, request):
        if not settings.CP_OIDC_ISSUER:
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except (SuspiciousOperation, requests.RequestException, ValueError, KeyError) as exc:
            logger.warning("OIDC sign-in refused: %s", exc)
            return self.login_failure()

    def login_failure(self):
        messages.error(self.request, "Single sign-on failed: the identity provider's answer was refused.")
        return HttpResponseRedirect(reverse("login"))

    def login_success(self):
        response = super().login_success()
        mark_recent_auth(self.request)  # a fresh sign-in at the provider, even for the same user
        return response


def provider_logout_url(request) -> str:
    """RP-initiated logout: the provider's end_session_endpoint, back to our login page afterwards."""
    login_url = request.build_absolute_uri(reverse("login"))
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except (requests.RequestException, ValueError, SuspiciousOperation, ImproperlyConfigured):
        endpoint = None
    if not endpoint:
        return login_url
    params = {"post_logout_redirect_uri": login_url, "client_id": settings.OIDC_RP_CLIENT_ID}
    if id_token := request.session.get("oidc_id_token"):
        params["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(params)}"
