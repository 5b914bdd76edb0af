"""The security baseline of docs/security.md, each protection with a test that fails without it."""

from __future__ import annotations

import io
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from controlpanel.lib.logredact import RedactSecretsFilter

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        "PATH": os.environ["PATH"],
        "CP_SECRET_KEY": secrets.token_urlsafe(50),
        "CP_VAR_DIR": "/tmp/cp-check-var",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, check=False
    )


def test_production_settings_pass_check_deploy():
    ok = manage(
        "check", "--deploy", "--fail-level", "WARNING", CP_HTTPS="True", CP_ALLOWED_HOSTS="panel.example"
    )
    assert ok.returncode == 0, ok.stderr
    # ... and the check has teeth: without the HTTPS settings it fails.
    bad = manage("check", "--deploy", "--fail-level", "WARNING", CP_ALLOWED_HOSTS="panel.example")
    assert bad.returncode != 0


def test_wildcard_allowed_hosts_is_refused():
    result = manage("check", CP_ALLOWED_HOSTS="*")
    assert result.returncode != 0 and "WebSocket origin check" in result.stderr


def test_production_cookies_have_host_prefixes():
    out = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, "
        "s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)",
        CP_HTTPS="True",
        CP_ALLOWED_HOSTS="panel.example",
    )
    assert out.stdout.split() == ["__Host-sessionid", "__Host-csrftoken", "True", "True"], out.stderr


def test_headers_on_every_page(alice, alpha, client):
    client.force_login(alice)
    response = client.get(reverse("gateway-detail", kwargs={"code": alpha.code}))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    body = response.content.decode()
    assert "<script>" not in body and " style=" not in body and "onclick" not in body


def _login(ip: str, password: str) -> int:
    client = Client(REMOTE_ADDR=ip)
    return client.post(reverse("login"), {"username": "alice", "password": password}).status_code


def test_login_throttling_locks_username_per_address(alice):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login("203.0.113.9", "wrong") == 200  # the form again, with an error
    assert _login("203.0.113.9", "wrong") == 429  # the last allowed failure locks
    assert _login("203.0.113.9", "pw-alice-long-enough") == 429, "locked even with the right password"
    # The owner, elsewhere, is not locked out by someone else's failures.
    assert _login("198.51.100.7", "pw-alice-long-enough") == 302


def test_session_is_rotated_at_login_and_ended_at_logout(alice):
    client = Client()
    client.get(reverse("login"))
    client.cookies[settings.SESSION_COOKIE_NAME] = "attacker-chosen"
    client.post(reverse("login"), {"username": "alice", "password": "pw-alice-long-enough"})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert key != "attacker-chosen" and Session.objects.filter(session_key=key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()


def test_log_filter_removes_secrets():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    log = logging.getLogger("tests.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("connect %s", "ws://gw?token=s3cr3t-token-value")
        log.warning(
            "headers %r", {"Authorization": "Bearer abcdefgh12345678", "Cookie": "sessionid=zzzz9999"}
        )
        log.warning("redis at redis://panel:hunter2pw@127.0.0.1:6379/0")
        log.warning('payload {"password": "p4ssw0rd!", "gatewayToken": "tok-123456789"}')
        try:
            raise ValueError("bad api_key=AKIA1234567890")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    for secret in (
        "s3cr3t-token-value",
        "abcdefgh12345678",
        "zzzz9999",
        "hunter2pw",
        "p4ssw0rd!",
        "tok-123456789",
        "AKIA1234567890",
    ):
        assert secret not in text
    assert "[REDACTED]" in text and "ws://gw" in text


def test_every_configured_handler_has_the_filter():
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact_secrets" in handler.get("filters", []), name
