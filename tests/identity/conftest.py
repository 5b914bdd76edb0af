"""A real OpenID provider on loopback (oidc-provider-mock: authlib's authorization server, RS256
id_tokens, JWKS, userinfo, end_session), started by the tests, and helpers to run the code flow.

``ForgingProxy`` sits in front of the provider's token endpoint like a man in the middle and, when
told, swaps the id_token: one re-signed with another key (wrong signature), or a genuine token the
same provider issued to another client (wrong audience).
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from controlpanel.authn import oidc
from controlpanel.identity.group_roles import parse_rules

CLIENT_ID = "controlpanel"
CLIENT_SECRET = "s3cret-of-the-panel"
RULES = "openclaw-prod-admins=admin@tag:prod; openclaw-owners=owner@name:alpha; lab=viewer@*"


class ForgingProxy:
    """WSGI middleware: passes everything through; rewrites the token endpoint's id_token per ``mode``."""

    def __init__(self, app) -> None:
        self.app = app
        self.mode: str | None = None
        self.base_url = ""
        self.forged: list[str] = []

    def __call__(self, environ, start_response):
        passthrough = environ.get("HTTP_X_NOT_FORGED")  # the forger's own requests for a genuine token
        if self.mode is None or passthrough or environ.get("PATH_INFO") != "/oauth2/token":
            return self.app(environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        payload = json.loads(body)
        if "id_token" in payload:
            payload["id_token"] = self.forge(payload["id_token"])
            self.forged.append(payload["id_token"])
        body = json.dumps(payload).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def forge(self, genuine: str) -> str:
        header = jwt.get_unverified_header(genuine)
        claims = jwt.decode(genuine, options={"verify_signature": False})
        if self.mode == "wrong-signature":
            other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            kid = {"kid": header["kid"]} if "kid" in header else None
            return jwt.encode(claims, other_key, algorithm="RS256", headers=kid)
        if self.mode == "alg-none":
            return jwt.encode(claims, None, algorithm="none")
        if self.mode == "wrong-audience":
            return token_for_other_client(self.base_url, claims["sub"], claims.get("nonce"))
        raise AssertionError(self.mode)


def token_for_other_client(base_url: str, sub: str, nonce: str | None) -> str:
    """A genuine id_token from the same provider, issued to client "other-app" (same user and nonce)."""
    redirect_uri = "http://other-app.example/callback"
    query = {
        "client_id": "other-app",
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid",
    }
    if nonce:
        query["nonce"] = nonce
    answer = requests.post(
        f"{base_url}/oauth2/authorize?{urlencode(query)}",
        data={"sub": sub},
        allow_redirects=False,
        timeout=10,
    )
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{base_url}/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        auth=("other-app", "whatever"),
        headers={"X-Not-Forged": "1"},
        timeout=10,
    )
    return token.json()["id_token"]


class Provider:
    def __init__(self, base_url: str, proxy: ForgingProxy) -> None:
        self.url = base_url
        self.proxy = proxy

    def set_user(self, sub: str, **claims) -> None:
        answer = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        assert answer.status_code == 204, answer.text


@contextmanager
def running_provider(**options):
    app = oidc_provider_mock.app(**options)
    proxy = ForgingProxy(app)
    server = werkzeug.serving.make_server("127.0.0.1", 0, proxy, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    proxy.base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield Provider(proxy.base_url, proxy)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def provider():
    with running_provider() as provider:
        yield provider


@pytest.fixture
def sso(provider, settings):
    """The panel configured for the loopback provider, with the example group rules."""
    settings.CP_OIDC_ISSUER = provider.url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.CP_IDP_GROUP_ROLES = parse_rules(RULES)
    oidc._discovery.clear()
    provider.proxy.mode = None
    yield provider
    provider.proxy.mode = None
    oidc._discovery.clear()


def sign_in(client: Client, provider: Provider, sub: str):
    """The authorization-code flow with the Django test client: the panel redirects to the provider,
    the user "authenticates" there as ``sub``, the provider redirects back with a code, and the panel
    exchanges it over HTTP (token, JWKS, userinfo). Returns the callback's response."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302 and start["Location"].startswith(provider.url), start
    answer = requests.post(start["Location"], data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    assert callback.path == "/oidc/callback/"
    return client.get(f"{callback.path}?{callback.query}")
