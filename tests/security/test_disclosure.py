"""Small disclosures (issue 19, finding 13): other tenants' gateway names, credentials in a gateway's
WebSocket URL, and tokens in daphne's access log."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

from controlpanel.models import ActivityEvent, Gateway
from tests.alerts.servers import ROOT, free_port, server_env
from tests.conftest import MINIMAL_CONFIG, client_for

ENV_TEXT = "GW_TOKEN=" + "a" * 32


@pytest.mark.django_db
def test_validating_an_import_tells_nobody_which_names_other_tenants_use(alpha, bravo, charlie, vera):
    """``/import/`` with ``validate=1`` answered "already exists" for another tenant's gateway name."""
    client = client_for(vera)  # viewer of alpha, outsider to bravo (charlie's)

    def validate(name: str) -> str:
        data = {"name": name, "config_text": MINIMAL_CONFIG, "env_text": ENV_TEXT, "validate": "1"}
        response = client.post(reverse("gateway-import"), data)
        assert response.status_code == 200
        page = re.sub(r"\b(bravo|free-name)\b", "NAME", response.content.decode())
        page = re.sub(r'name="token" value="[^"]+"', "TOKEN", page)  # signed, it names the name
        return re.sub(r'csrf[^"]*": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)

    assert validate("bravo") == validate("free-name")
    assert "already exists" not in validate("bravo")
    # Creating it after the review must still refuse the name (it is unique), and saves nothing.
    data = {"name": "bravo", "config_text": MINIMAL_CONFIG, "env_text": ENV_TEXT}
    token = client.post(reverse("gateway-import"), data).context["token"]
    response = client.post(reverse("gateway-import-save"), {"token": token, "reason": "mine"})
    assert response.status_code == 409 and "already exists" in response.content.decode()
    assert Gateway.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, message",
    [
        ("ws://user:hunter2@gw.example:18789", "no user name or password"),
        ("wss://token@gw.example", "no user name or password"),
        ("http://gw.example:18789", "ws://"),
        ("ws://:18789", "ws://"),
        ("ws://gw.example:99999", "Not a URL"),
    ],
)
def test_a_gateway_url_with_credentials_is_refused(alpha, alice, url, message):
    data = {"ws_url": url, "kind": "token", "secret": "s3cret-token"}
    response = client_for(alice).post(reverse("gateway-credentials", kwargs={"code": alpha.code}), data)
    assert response.status_code == 400
    assert message in response.context["credentials_form"].errors["ws_url"][0]
    alpha.refresh_from_db()
    assert alpha.ws_url == "ws://127.0.0.1:18789"
    assert not ActivityEvent.objects.filter(action="gateway.credentials_set").exists()


@pytest.mark.django_db
def test_a_stored_url_with_credentials_is_shown_without_them(alpha, alice, vera):
    """A URL saved before the rule keeps working for the worker but no page or form shows its secret."""
    Gateway.objects.filter(pk=alpha.pk).update(ws_url="wss://ops:hunter2@gw.example:443/ws")
    overview = client_for(vera).get(reverse("gateway-detail", kwargs={"code": alpha.code})).content.decode()
    assert "wss://gw.example:443/ws" in overview and "hunter2" not in overview
    connection = client_for(alice).get(reverse("gateway-connection", kwargs={"code": alpha.code}))
    assert "hunter2" not in connection.content.decode()


def test_the_access_log_goes_through_the_redaction_filter(tmp_path):
    """Daphne wrote ``GET /…?token=…`` to stdout verbatim; `make run` serves through controlpanel.serve."""
    assert "-m controlpanel.serve " in (ROOT / "Makefile").read_text()
    port = free_port()
    env = server_env(tmp_path, CP_LOG_LEVEL="INFO")
    log = Path(tmp_path) / "serve.log"
    command = [sys.executable, "-m", "controlpanel.serve", "-b", "127.0.0.1", "-p", str(port)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*command, "controlpanel.asgi:application"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/openapi.json?token=cpu_SECRETVALUE123&since=7"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.2)
        deadline = time.monotonic() + 10
        while "openapi.json" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    text = log.read_text()
    line = next(line for line in text.splitlines() if "openapi.json" in line)
    assert "SECRETVALUE" not in text
    assert '"GET /api/v1/openapi.json?token=[REDACTED]&since=7" 200' in line
