"""Middleware of the panel's own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SyncMiddlewareChain:
    """Listed last: makes Django run the whole middleware chain and the view in one thread hop.

    Under ASGI, Django runs each middleware that can be async (``MiddlewareMixin`` ones can) in async
    mode, and a ``MiddlewareMixin`` in async mode runs its ``process_request`` and
    ``process_response`` through ``sync_to_async``: two trips to the worker thread per middleware,
    twenty-odd per request with this list. Django adapts once between an async and a sync-only
    middleware, and every middleware outside a sync one runs sync too; so this sync-only no-op,
    innermost, turns the chain into one sync call made from the event loop once. Measured with
    bench/request_overhead.py on the benchmark machine: an idle worker's 404, 10.5 ms -> 6.8 ms.
    The views are sync (the ORM is), so nothing here wanted to be async.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
