"""The devices tab pages its rows: a gateway with hundreds of nodes stays quick to open."""

from __future__ import annotations

import pytest
from django.urls import reverse

from controlpanel.models import Device, Role
from controlpanel.selectors import DEVICES_PER_PAGE
from tests.conftest import client_for, make_gateway, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_gateway():
    owner = make_user("owner")
    gateway = make_gateway("many-nodes", members={owner: Role.OWNER})
    Device.objects.bulk_create(
        Device(gateway=gateway, device_id=f"d{i:03}", name=f"node {i:03}", token_hash="a" * 64)
        for i in range(2 * DEVICES_PER_PAGE + 30)
    )
    return client_for(owner), gateway


def rows(html: str) -> int:
    return html.count('<tr id="device-')


@pytest.mark.parametrize(
    ("page", "expected_rows", "first", "label"),
    [
        (None, DEVICES_PER_PAGE, "node 000", "page 1 of 3"),
        ("2", DEVICES_PER_PAGE, "node 100", "page 2 of 3"),
        ("3", 30, "node 200", "page 3 of 3"),
        ("nonsense", DEVICES_PER_PAGE, "node 000", "page 1 of 3"),  # bad input: first page, no 500
        ("99", 30, "node 200", "page 3 of 3"),  # past the end: last page
    ],
)
def test_devices_are_paged(big_gateway, page, expected_rows, first, label):
    client, gateway = big_gateway
    url = reverse("gateway-devices", kwargs={"code": gateway.code})
    html = client.get(url, {"page": page} if page else {}).content.decode()
    assert rows(html) == expected_rows
    assert first in html
    assert label in html
    assert f"of {2 * DEVICES_PER_PAGE + 30}</span>" in html


def test_the_pager_links_swap_only_the_tab(big_gateway):
    client, gateway = big_gateway
    url = reverse("gateway-devices", kwargs={"code": gateway.code})
    html = client.get(url, {"page": "2"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in html  # the tab partial, not the whole page
    assert f'hx-get="{url}?page=1"' in html and f'hx-get="{url}?page=3"' in html
    assert 'hx-target="#gateway-tabs"' in html


def test_a_small_gateway_shows_no_pager():
    owner = make_user("owner")
    gateway = make_gateway("few", members={owner: Role.OWNER})
    Device.objects.create(gateway=gateway, device_id="d1", name="only", token_hash="a" * 64)
    html = client_for(owner).get(reverse("gateway-devices", kwargs={"code": gateway.code})).content.decode()
    assert "only" in html and 'class="pager"' not in html
