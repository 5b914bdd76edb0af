"""schemathesis against /api/v1/openapi.json: no 500s, and every response matches the description."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from controlpanel.models import Role
from controlpanel.services.api_tokens import api_token_create
from controlpanel.wsgi import application
from tests.conftest import make_gateway, make_user

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def token(db, oracle_parity_paused):
    # Requests go through the real WSGI handler; like Django's test client, keep the test's database
    # connection open across them (the handler would close it at the end of each request).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    owner = make_user("api-owner")
    make_gateway("api-gw", members={owner: Role.OWNER})
    yield api_token_create(user=owner, name="fuzz")[1]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_conforms(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
