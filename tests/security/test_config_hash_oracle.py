"""A config hash confirms no guessed secret (issue 19, finding 7).

The API (``configHash``, a revision's ``sha256``, ``liveHash``), the pages and the activity log showed
the plain SHA-256 of the exact config text. With the redacted text (same layout) beside it, a viewer
could put a guessed password where the marker is, hash, compare: an offline guessing oracle. What
leaves the server is keyed per panel; the base-hash guard takes it as it is shown.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.urls import reverse

from controlpanel.models import ActivityEvent, AuditRun, GatewayLink
from controlpanel.services.api_tokens import api_token_create
from tests.conftest import MINIMAL_CONFIG, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def plain_hashes(text: str) -> list[str]:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return [digest, digest[:12]]


def reviewed_post(client, url: str, body: dict, **extra):
    """An API config write: the review (dryRun) first, then the save with its reviewToken."""
    review = client.post(
        url, data=json.dumps({**body, "dryRun": True}), content_type="application/json", **extra
    )
    token = review.json().get("reviewToken")
    if token is None:  # refused at review (a stale base hash, say): that answer is the write's answer
        return review
    body = {**body, "reviewToken": token}
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def test_a_viewer_sees_no_plain_hash_of_the_config_anywhere(alpha, alice, vera):
    # The running config too (the gateway's hash of its file is as good an oracle).
    GatewayLink.objects.create(
        gateway=alpha, state="connected", remote_config_hash="f" * 64, remote_config_text="{}"
    )
    # (Importing and saving queue audits of their own; this one is started by hand.)
    run = AuditRun.objects.create(gateway=alpha, started_by=alice, config_hash=alpha.config_hash)
    owner = client_for(alice)
    edited = MINIMAL_CONFIG.replace('name: "Coder"', 'name: "Coder 2"')
    saved = reviewed_post(
        owner,
        reverse("api-config-revisions", kwargs={"code": alpha.code}),
        {"config": edited, "baseHash": alpha.config_hash, "reason": "r"},
    )
    assert saved.status_code == 201, saved.content
    alpha.refresh_from_db()
    plain = [*plain_hashes(MINIMAL_CONFIG), *plain_hashes(alpha.config_text), "f" * 24]
    viewer = client_for(vera)
    code = alpha.code
    pages = {
        "api gateway": viewer.get(reverse("api-gateway", kwargs={"code": code})),
        "api revisions": viewer.get(reverse("api-config-revisions", kwargs={"code": code})),
        "api revision": viewer.get(reverse("api-config-revision", kwargs={"code": code, "number": 2})),
        "api drift": viewer.get(reverse("api-config-drift", kwargs={"code": code})),
        "overview": viewer.get(reverse("gateway-detail", kwargs={"code": code})),
        "revision page": viewer.get(reverse("config-revision", kwargs={"code": code, "number": 2})),
        "live page": viewer.get(reverse("config-live", kwargs={"code": code})),
        "audit run": viewer.get(reverse("audit-run", kwargs={"code": run.code})),
        "activity tab": viewer.get(reverse("gateway-detail", kwargs={"code": code}) + "?tab=activity"),
        "activity export": viewer.get(reverse("activity-export", kwargs={"code": code, "fmt": "csv"})),
    }
    for label, response in pages.items():
        assert response.status_code == 200, label
        body = response.content.decode()
        for digest in plain:
            assert digest not in body, (label, digest)
    for event in ActivityEvent.objects.all():
        stored = json.dumps([event.before, event.after, event.detail])
        for digest in plain:
            assert digest not in stored, (event.action, digest)


def test_the_shown_hash_is_the_base_hash_an_api_client_sends(alpha, alice):
    token = api_token_create(user=alice, name="t")[1]
    client = client_for(alice)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    shown = client.get(reverse("api-gateway", kwargs={"code": alpha.code}), **auth).json()["configHash"]
    assert shown not in plain_hashes(MINIMAL_CONFIG)
    url = reverse("api-config-revisions", kwargs={"code": alpha.code})

    def save(base: str, name: str):
        body = {"config": MINIMAL_CONFIG.replace("Coder", name), "baseHash": base, "reason": "r"}
        return reviewed_post(client, url, body, **auth)

    first = save(shown, "A")
    assert first.status_code == 201, first.content
    assert save(shown, "B").status_code == 409  # the guard still holds: that hash is now stale
    assert save(first.json()["sha256"], "B").status_code == 201
