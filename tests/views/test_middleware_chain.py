"""The middleware chain runs in one thread hop under ASGI (controlpanel.middleware.SyncMiddlewareChain)."""

from __future__ import annotations

import pytest
from asgiref.sync import SyncToAsync
from django.test import AsyncClient


@pytest.mark.django_db
@pytest.mark.asyncio
async def test_a_request_costs_a_few_thread_hops_not_two_per_middleware(monkeypatch, settings):
    hops = []
    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    response = await AsyncClient().get("/login/")
    assert response.status_code == 200
    # The request_started/finished signals, the chain itself, closing the response: a handful.
    # Without the sync-only innermost middleware Django adapted each of the 11 others: 25+ hops.
    assert len(hops) <= 6, hops
    assert len(settings.MIDDLEWARE) > 10


def test_the_sync_chain_middleware_is_innermost(settings):
    assert settings.MIDDLEWARE[-1] == "controlpanel.middleware.SyncMiddlewareChain"
