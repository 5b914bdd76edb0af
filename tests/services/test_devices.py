from __future__ import annotations

import pytest
from django.urls import reverse

from controlpanel.models import ActivityEvent, Device
from controlpanel.services.devices import (
    DeviceRevoked,
    device_authenticate,
    device_rename,
    device_revoke,
    device_rotate_token,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(alpha, alice):
    token = device_rotate_token(
        device=Device.objects.create(gateway=alpha, device_id="d1", role="operator"), actor=alice
    )
    device = Device.objects.get(device_id="d1")
    device.first_token = token
    return device


def test_rotation_invalidates_the_old_token(device, alpha, alice):
    assert device_authenticate(gateway=alpha, device_id="d1", token=device.first_token, role="operator")
    new = device_rotate_token(device=device, actor=alice)
    assert new != device.first_token
    assert (
        device_authenticate(gateway=alpha, device_id="d1", token=device.first_token, role="operator") is None
    )
    assert device_authenticate(gateway=alpha, device_id="d1", token=new, role="operator")
    stored = Device.objects.get(pk=device.pk)
    assert new not in (stored.token_hash, stored.token_prefix) and new.startswith(stored.token_prefix)


def test_revoked_and_tokenless_devices_fail_closed(device, alpha, alice):
    assert device_authenticate(gateway=alpha, device_id="d1", token=device.first_token, role="node") is None
    device_revoke(device=device, actor=alice)
    assert (
        device_authenticate(gateway=alpha, device_id="d1", token=device.first_token, role="operator") is None
    )
    with pytest.raises(DeviceRevoked):
        device_rotate_token(device=device, actor=alice)
    Device.objects.create(gateway=alpha, device_id="bare", role="operator")
    assert device_authenticate(gateway=alpha, device_id="bare", token="", role="operator") is None


def test_rename_is_logged(device, alice):
    device_rename(device=device, name="Laptop", actor=alice)
    event = ActivityEvent.objects.filter(action="device.renamed").get()
    assert event.before == {"name": ""} and event.after == {"name": "Laptop"}


def test_rotate_page_shows_the_token_once_and_needs_recent_auth(device, alpha, alice):
    client = client_for(alice)
    url = reverse("device-rotate", kwargs={"code": alpha.code, "device_code": device.code})
    created = client.post(url, {"confirm": "yes"})
    assert created.status_code == 302 and created["Location"] == reverse("secret-once")
    response = client.get(created["Location"])
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    token = response.context["secret"]["value"]
    assert token in response.content.decode()
    session = client.session
    session["cp_auth_at"] = 0  # the password was entered long ago
    session.save()
    stale = client.post(url, {"confirm": "yes"})
    assert stale.status_code == 302 and stale["Location"].startswith("/reauth/")
    assert device_authenticate(gateway=alpha, device_id="d1", token=token, role="operator")
