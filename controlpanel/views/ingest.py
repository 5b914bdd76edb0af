"""``POST /api/v1/gateways/<code>/events``: runtime events from a gateway, authenticated by an ingest token.

Not a session endpoint: no cookies, so CSRF does not apply (exempt) and the authz matrix lists it
as exempt; its own tests cover the token. Order of checks: token (401), rate (429), size (413),
media type (415), parse (400 naming the field path or line). A rejected batch stores nothing. Text no
database can store (NUL, lone surrogates) is kept escaped and listed in the answer's ``escaped``.
"""

from __future__ import annotations

import logging
import threading
import time
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from controlpanel.events.errors import FieldProblem
from controlpanel.events.parse import (
    EventValidationError,
    decode_text,
    parse_json_batch,
    parse_lines,
    raise_for_problems,
    storable_json_batch,
    storable_text,
)
from controlpanel.http import BadRequest, bearer_token, parse_json, read_body
from controlpanel.services.alerts import ingest_events
from controlpanel.services.ingest_tokens import ingest_token_authenticate

logger = logging.getLogger(__name__)
RATE_WINDOW_SECONDS = 60


def _error(status: int, message: str, *, path: str | None = None, **extra) -> JsonResponse:
    body: dict = {"error": message}
    if path is not None:
        body["path"] = path
    body.update(extra)
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="openclaw-panel-ingest"'
    return response


class _LocalCounts:
    """Per-process request counts for the current window: the rate limit while the cache is down."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.window = -1
        self.counts: dict[str, int] = {}
        self.failing = False  # warn once per outage, not once per request

    def incr(self, key: str, window: int) -> int:
        with self.lock:
            if window != self.window:
                self.window, self.counts = window, {}
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]


_local = _LocalCounts()


def _count(key: str, window: int) -> int:
    """Return the request count of ``key`` in this window: shared (cache), else this process's own.

    The cache is Redis when workers scale out. If Redis is down the events must still be stored (the
    database is the record and the sockets backfill from it), so a failing cache must not turn ingest
    into 500s: each worker then limits on its own count, a limit of N x the rate for N workers, which
    still stops a runaway sender.
    """
    try:
        # incr() is atomic on Redis and LocMem, so concurrent workers share one count; the first request
        # of a window creates the key (add() loses cleanly to a concurrent creator).
        try:
            count = cache.incr(key)
        except ValueError:
            count = 1 if cache.add(key, 1, timeout=RATE_WINDOW_SECONDS * 2) else cache.incr(key)
    except Exception as exc:
        if not _local.failing:
            _local.failing = True
            logger.warning("ingest: rate-limit cache unavailable (%r); counting per process", exc)
        return _local.incr(key, window)
    if _local.failing:
        _local.failing = False
        logger.warning("ingest: rate-limit cache available again")
    return count


def _rate_limited(token_id: int) -> int | None:
    """Count this request against the token's fixed window; returns seconds to wait if over the limit."""
    window = int(time.time() // RATE_WINDOW_SECONDS)
    count = _count(f"cp:ingest-rate:{token_id}:{window}", window)
    if count > settings.CP_INGEST_RATE_PER_MINUTE:
        return RATE_WINDOW_SECONDS - int(time.time()) % RATE_WINDOW_SECONDS
    return None


def _problems_json(problems) -> list[dict]:
    return [{"path": p.path, "line": p.line, "reason": p.reason} for p in problems[:50]]


def _parse(request: HttpRequest, body: bytes) -> tuple[list, list[FieldProblem]]:
    """Return (the events in the body, where text no database stores was escaped); raises
    EventValidationError or BadRequest (bad JSON)."""
    if request.content_type == "application/json":
        data, escaped = storable_json_batch(parse_json(body), raw=body)
        return parse_json_batch(data, max_events=settings.CP_MAX_INGEST_EVENTS), escaped
    text, escaped = storable_text(decode_text(body))
    parsed = parse_lines(text)
    raise_for_problems(parsed)
    if len(parsed) > settings.CP_MAX_INGEST_EVENTS:
        reason = f"too many events (max {settings.CP_MAX_INGEST_EVENTS})"
        raise EventValidationError([FieldProblem(path="events", reason=reason)])
    return [item.event for item in parsed], escaped


@csrf_exempt
@require_POST
def ingest_events_view(request: HttpRequest, code: UUID) -> HttpResponse:
    """Accept one event, a batch, or log lines; 202 with counts, or a 4xx saying what is wrong."""
    token = bearer_token(request)
    row = ingest_token_authenticate(gateway_code=code, token=token) if token else None
    if row is None:
        return _error(401, "A valid ingest token for this gateway is required (Authorization: Bearer).")
    if (retry := _rate_limited(row.pk)) is not None:
        response = _error(
            429, f"Too many requests for this token (max {settings.CP_INGEST_RATE_PER_MINUTE}/min)."
        )
        response["Retry-After"] = str(retry)
        return response
    try:
        body = read_body(request, limit=settings.CP_MAX_INGEST_BYTES)
    except BadRequest as exc:
        hint = " Send smaller batches." if exc.status == 413 else ""
        return _error(exc.status, exc.message + hint)
    if request.content_type not in ("application/json", "text/plain"):
        return _error(
            415, 'Send application/json (an event, an array, or {"events": [...]}) or text/plain lines.'
        )
    try:
        events, escaped = _parse(request, body)
    except EventValidationError as exc:
        return _error(400, str(exc), path=exc.path, line=exc.line, problems=_problems_json(exc.problems))
    except BadRequest as exc:
        return _error(exc.status, exc.message, path=exc.path or "")
    result = ingest_events(gateway=row.gateway, events=events)
    return JsonResponse(
        {
            "accepted": result.events,
            "alerts_created": result.alerts_created,
            "alerts_updated": result.alerts_updated,
            "samples": result.samples,
            "last_event_id": max(result.event_ids, default=None),
            "pending": result.pending,
            # Text no database can store (NUL, lone surrogates), kept escaped: where and how.
            **({"escaped": _problems_json(escaped)} if escaped else {}),
        },
        status=202,
    )
