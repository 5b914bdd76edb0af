"""The second factor (django-otp TOTP + recovery codes) with a controlled clock, and the owner rule."""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from unittest import mock

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from controlpanel.models import ActivityEvent, ApiToken
from controlpanel.permissions import SESSION_AUTH_AT, SESSION_SECOND_FACTOR_AT
from controlpanel.services.api_tokens import api_token_create
from tests.conftest import MINIMAL_CONFIG, TEST_ENV

T0 = 1_800_000_000.0  # the controlled "now": a fixed Unix time


@contextmanager
def clock(at: float):
    """The controlled clock: django-otp's TOTP check (time.time()) and its failure throttling
    (timezone.now()) both read ``at``."""
    now = datetime.fromtimestamp(at, tz=UTC)
    with (
        mock.patch("django_otp.plugins.otp_totp.models.time", SimpleNamespace(time=lambda: at)),
        mock.patch("django_otp.models.timezone", SimpleNamespace(now=lambda: now)),
    ):
        yield


def code_at(device: TOTPDevice, at: float) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at
    return f"{totp.token():0{device.digits}d}"


def enrol(client: Client, user) -> list[str]:
    """Set up TOTP through the page at T0; returns the recovery codes it shows."""
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    with clock(T0):
        response = client.post("/account/two-factor/", {"action": "enable", "code": code_at(device, T0)})
    assert response.status_code == 302 and response["Location"] == "/once/"  # shown once (Post/Redirect/Get)
    shown = client.get(response["Location"])
    assert "no-store" in shown["Cache-Control"]
    return re.findall(r"<li><code>([^<]+)</code></li>", shown.content.decode())


def password_login(username: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": f"pw-{username}-long-enough"})
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_enrolment_shows_a_qr_code_and_needs_a_right_code(alice):
    client = Client()
    client.force_login(alice)
    page = client.get("/account/two-factor/").content.decode()
    assert 'src="data:image/svg+xml' in page and "totp-secret" in page
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    with clock(T0 - 100):
        wrong = client.post("/account/two-factor/", {"action": "enable", "code": code_at(device, T0 + 300)})
    assert b"not right" in wrong.content
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    codes = enrol(client, alice)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=alice).confirmed
    assert ActivityEvent.objects.filter(action="two_factor.enabled", target="user:alice").exists()


@pytest.mark.django_db
def test_password_login_asks_for_the_code_and_accepts_it_only_in_its_time_window(alice):
    enrol(_logged_in(alice), alice)
    device = TOTPDevice.objects.get(user=alice)

    client = password_login("alice")
    assert client.get("/").status_code == 302  # not signed in until the code
    assert "_auth_user_id" not in client.session
    with clock(T0 + 120):  # 4 steps later: a code from T0 is outside the one-step tolerance
        stale = client.post("/login/code/", {"code": code_at(device, T0)})
    assert stale.status_code == 200 and "_auth_user_id" not in client.session
    with clock(T0 + 125):  # (after the 1 s back-off the wrong code earned)
        ok = client.post("/login/code/", {"code": code_at(device, T0 + 150)})  # one step ahead: tolerated
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)
    assert client.get("/account/").context["verified"] is True

    # The same code again (another browser): refused, django-otp remembers the last step used.
    again = password_login("alice")
    with clock(T0 + 130):
        replay = again.post("/login/code/", {"code": code_at(device, T0 + 150)})
    assert replay.status_code == 200 and "_auth_user_id" not in again.session


def _stale(client: Client, at: float = 0) -> Client:
    """The session's last sign-in and second factor at ``at`` (default: long ago)."""
    session = client.session
    session[SESSION_AUTH_AT] = session[SESSION_SECOND_FACTOR_AT] = int(at)
    session.save()
    return client


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_wrong_codes_are_throttled(alice):
    enrol(_logged_in(alice), alice)
    device = TOTPDevice.objects.get(user=alice)
    client = password_login("alice")
    with clock(T0 + 300):
        client.post("/login/code/", {"code": code_at(device, T0 + 9000)})  # wrong: 1 s back-off
        assert client.post("/login/code/", {"code": code_at(device, T0 + 300)}).status_code == 200
        # (that refused attempt counted too: now a 2 s back-off)
    with clock(T0 + 302):
        assert client.post("/login/code/", {"code": code_at(device, T0 + 302)}).status_code == 302


@pytest.mark.django_db
def test_a_recovery_code_works_once(alice):
    codes = enrol(_logged_in(alice), alice)
    first = password_login("alice")
    assert first.post("/login/code/", {"code": codes[0]}).status_code == 302
    second = password_login("alice")
    assert second.post("/login/code/", {"code": codes[0]}).status_code == 200
    assert "_auth_user_id" not in second.session


@pytest.mark.django_db
def test_five_wrong_codes_send_the_user_back_to_the_password(alice):
    enrol(_logged_in(alice), alice)
    client = password_login("alice")
    for _ in range(4):
        assert client.post("/login/code/", {"code": "000000"}).status_code == 200
    assert client.post("/login/code/", {"code": "000000"})["Location"] == "/login/"
    assert client.get("/login/code/")["Location"] == "/login/"


@pytest.mark.django_db
def test_owners_need_the_second_factor_on_owner_pages_and_the_api(settings, alpha, alice, bob):
    settings.CP_REQUIRE_OWNER_2FA = True
    body = json.dumps({"config": MINIMAL_CONFIG, "env": TEST_ENV, "dryRun": True})  # the review: 200
    url = f"/api/v1/gateways/{alpha.code}/config/"
    client = _logged_in(alice)
    page = client.get(f"/gateways/{alpha.code}/members/")
    assert page.status_code == 403 and b"/account/two-factor/" in page.content
    assert client.put(url, body, content_type="application/json").status_code == 403
    assert client.get(f"/gateways/{alpha.code}/").status_code == 200  # reads and admin work stay open

    _, plain = api_token_create(user=alice, name="no 2fa")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    answer = Client().put(url, body, content_type="application/json", **bearer)
    assert answer.status_code == 403 and "second factor" in answer.json()["error"]

    enrol(client, alice)  # verifies this session too
    assert client.get(f"/gateways/{alpha.code}/members/").status_code == 200
    client.post("/account/tokens/", {"name": "with 2fa"})
    assert ApiToken.objects.get(name="with 2fa").second_factor
    _, strong = api_token_create(user=alice, name="made in code", second_factor=True)
    ok = Client().put(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {strong}")
    assert ok.status_code == 200, ok.content

    # Without the setting nothing changes for owners without a second factor.
    settings.CP_REQUIRE_OWNER_2FA = False
    assert Client().put(url, body, content_type="application/json", **bearer).status_code == 200


@pytest.mark.django_db
def test_the_recent_auth_rule_accepts_a_code(alice):
    enrol(_logged_in(alice), alice)
    device = TOTPDevice.objects.get(user=alice)
    client = _logged_in(alice)
    _stale(client)  # the sign-in was long ago
    assert client.post("/account/tokens/", {"name": "t"})["Location"].startswith("/reauth/")
    with clock(T0 + 60):
        wrong = client.post("/reauth/", {"code": "123456", "next": "/account/tokens/"})
        assert b"not right" in wrong.content
    with clock(T0 + 62):  # after the wrong code's 1 s back-off
        right = client.post("/reauth/", {"code": code_at(device, T0 + 62), "next": "/account/tokens/"})
    assert right["Location"] == "/account/tokens/"
    assert client.post("/account/tokens/", {"name": "t"})["Location"] == "/once/"  # made, shown once


@pytest.mark.django_db
def test_turning_it_off_needs_recent_auth_and_strips_tokens_of_their_standing(alice):
    client = _logged_in(alice)
    enrol(client, alice)
    client.post("/account/tokens/", {"name": "strong"})
    _stale(client)
    assert client.post("/account/two-factor/", {"action": "disable"})["Location"].startswith("/reauth/")
    assert TOTPDevice.objects.filter(user=alice).exists()
    _stale(client, at=time.time())
    client.post("/account/two-factor/", {"action": "disable"})
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not ApiToken.objects.get(name="strong").second_factor


@pytest.mark.django_db
def test_verifying_a_session_returns_only_to_this_site(alice):
    client = _logged_in(alice)
    enrol(_logged_in(alice), alice)
    device = TOTPDevice.objects.get(user=alice)
    with clock(T0 + 600):
        away = client.post(
            "/account/two-factor/",
            {"action": "verify", "code": code_at(device, T0 + 600), "next": "https://evil.example/"},
        )
    assert away["Location"] == "/account/two-factor/"
    assert client.get("/account/").context["verified"] is True


@pytest.mark.django_db
def test_adding_a_passkey_needs_a_recent_authentication(settings, alice):
    settings.CP_WEBAUTHN_ORIGIN = "http://localhost:8000"
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost:8000"]
    client = _logged_in(alice)
    begin = "/webauthn/registration/begin/"
    assert client.post(begin).status_code == 200  # just signed in
    _stale(client)
    stale = client.post(begin)
    assert stale.status_code == 403 and stale.json()["code"] == "recent_auth_required"
    assert b"confirm it is you" in client.get("/account/two-factor/").content
    settings.CP_WEBAUTHN_ORIGIN = ""
    assert client.post(begin).status_code == 404  # off unless configured
