"""Trusted-proxy sign-in: the user header is believed only from CP_TRUSTED_PROXIES."""

from __future__ import annotations

import http.client
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from controlpanel.identity.group_roles import parse_rules
from controlpanel.identity.proxies import parse_networks
from controlpanel.models import ExternalIdentity, Role

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "X-Forwarded-Email"
META = "HTTP_X_FORWARDED_EMAIL"


@pytest.fixture
def proxy(settings, alpha):
    settings.CP_PROXY_USER_HEADER = HEADER
    settings.CP_PROXY_GROUPS_HEADER = "X-Forwarded-Groups"
    settings.CP_TRUSTED_PROXIES = parse_networks("10.0.0.5, 127.0.0.2/32")
    settings.CP_IDP_GROUP_ROLES = parse_rules("ops=admin@name:alpha")
    return settings


def _whoami(response) -> str | None:
    user = response.wsgi_request.user
    return user.get_username() if user.is_authenticated else None


def test_the_header_from_the_proxy_signs_the_user_in_with_the_group_roles(proxy, alpha):
    client = Client(REMOTE_ADDR="10.0.0.5")
    response = client.get("/", **{META: "lee@example.com", "HTTP_X_FORWARDED_GROUPS": "ops, other"})
    assert response.status_code == 200 and _whoami(response) == "lee"
    lee = get_user_model().objects.get(username="lee")
    assert lee.email == "lee@example.com" and not lee.has_usable_password()
    membership = alpha.memberships.get(user=lee)
    assert (membership.role, membership.source) == (Role.ADMIN, "idp")
    assert client.session["cp_auth_source"] == "proxy"
    # The next request with the same header keeps the session (no new login); without it, it ends.
    key = client.session.session_key
    assert _whoami(client.get("/", **{META: "lee@example.com"})) == "lee"
    assert client.session.session_key == key
    assert _whoami(client.get("/")) is None


def test_the_same_header_from_another_address_is_ignored_and_logged(proxy, caplog):
    client = Client(REMOTE_ADDR="10.0.0.6")
    with caplog.at_level(logging.WARNING, logger="controlpanel.security"):
        response = client.get("/", **{META: "alice", "HTTP_X_FORWARDED_GROUPS": "ops"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert _whoami(response) is None
    assert not ExternalIdentity.objects.exists()
    (record,) = [r for r in caplog.records if "untrusted address" in r.getMessage()]
    assert "10.0.0.6" in record.getMessage() and "alice" in record.getMessage()
    assert record.levelno == logging.WARNING


def test_a_header_for_another_user_switches_the_proxy_session(proxy):
    client = Client(REMOTE_ADDR="10.0.0.5")
    assert _whoami(client.get("/", **{META: "lee@example.com"})) == "lee"
    assert _whoami(client.get("/", **{META: "max@example.com"})) == "max"


def test_a_password_session_is_not_ended_by_requests_without_the_header(proxy, alice):
    client = Client(REMOTE_ADDR="10.0.0.5")
    client.force_login(alice)
    assert _whoami(client.get("/")) == "alice"


def test_over_real_sockets_only_the_proxy_address_is_believed(proxy, live_server, caplog):
    """A live server on loopback; the "proxy" connects from 127.0.0.2, a stranger from 127.0.0.1."""
    host, port = live_server.url.removeprefix("http://").split(":")

    def get(source: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source, 0))
        connection.request("GET", "/account/", headers={HEADER: "nora@example.com", "Host": "localhost"})
        return connection.getresponse()

    with caplog.at_level(logging.WARNING, logger="controlpanel.security"):
        stranger = get("127.0.0.1")
        from_proxy = get("127.0.0.2")
    assert stranger.status == 302 and stranger.getheader("Location").startswith("/login/")
    assert from_proxy.status == 200 and b"nora" in from_proxy.read()
    assert any("untrusted address 127.0.0.1" in r.getMessage() for r in caplog.records)


def test_proxy_addresses_are_parsed_strictly():
    from controlpanel.identity.proxies import ProxyAddressError, is_trusted

    with pytest.raises(ProxyAddressError, match=re.escape("'10.0.0.1/8'")):
        parse_networks("10.0.0.1/8")
    nets = parse_networks("10.0.0.0/8 ::1")
    assert is_trusted("10.1.2.3", nets) and is_trusted("::1", nets) and is_trusted("::ffff:10.0.0.1", nets)
    assert not is_trusted("11.0.0.1", nets) and not is_trusted("", nets) and not is_trusted("junk", nets)


def test_unknown_proxy_users_are_refused_when_creation_is_off(proxy, settings):
    settings.CP_PROXY_CREATE_USERS = False
    response = Client(REMOTE_ADDR="10.0.0.5").get("/", **{META: "nobody@example.com"})
    assert _whoami(response) is None
