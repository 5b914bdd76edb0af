"""Request plumbing shared by the views: typed htmx requests, the bearer-token parser, the bounded body
reader and the JSON body parser of the API and ingest views, and file downloads.

Each answers bad input with ``BadRequest`` (a status and a one-line message naming what is wrong), never
with an exception that becomes a 500.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django_htmx.middleware import HtmxDetails

from controlpanel.lib import jsonlimits


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (every request of the panel does):
    annotate views with it so ``request.htmx`` is typed."""

    htmx: HtmxDetails


class ApiHttpRequest(HttpRequest):
    """A request of the JSON API, after ``views.api.api_view`` authenticated it."""

    # How the caller proved who it is: the browser session or a personal API token (Authorization:
    # Bearer). permissions.auth_is_recent reads it; views never need to.
    api_auth: Literal["session", "token"]


class BadRequest(Exception):
    """A request the panel refuses before doing anything: ``status`` (400, 411, 413, 415) and why."""

    def __init__(self, status: int, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.path = status, message, path


def bearer_token(request: HttpRequest) -> str | None:
    """The credentials of an ``Authorization: Bearer <token>`` header (RFC 6750 section 2.1).

    None when the request carries no bearer credentials (no header, or another scheme); "" when the
    scheme is Bearer but the token is missing, so the caller refuses it instead of trying the session.
    The scheme is case-insensitive (RFC 9110 section 11.1); surrounding white space is ignored.
    """
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def read_body(request: HttpRequest, *, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes; raises BadRequest otherwise.

    A declared ``Content-Length`` that is not a non-negative integer is a 400; one over the limit is a
    413 before anything is read; a body that turns out larger (or that Django refuses, over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``) is a 413 too.
    """
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isascii() or not declared.strip().isdigit():
        raise BadRequest(400, f"Content-Length must be a number of bytes, not {declared[:40]!r}.")
    too_big = BadRequest(413, f"The body is larger than {limit} bytes.")
    if int(declared) > limit:
        raise too_big
    try:
        body = request.body
    except RequestDataTooBig:
        raise too_big from None
    if len(body) > limit:
        raise too_big
    return body


def parse_json(body: bytes | str, *, max_depth: int = jsonlimits.MAX_JSON_DEPTH) -> Any:
    """Parse a JSON body from a user; raises BadRequest (400) naming the line and column, or the path
    where it nests deeper than ``max_depth`` (the panel's recursive code must never see such a value)."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return jsonlimits.loads(text, max_depth=max_depth)
    except jsonlimits.JsonTooDeep as exc:
        raise BadRequest(400, f"The body is not accepted: {exc}", path=exc.path) from None
    except UnicodeDecodeError as exc:
        raise BadRequest(400, f"The body is not UTF-8 text (byte {exc.start}).") from None
    except ValueError as exc:  # json.JSONDecodeError names the line and column
        raise BadRequest(400, f"The body is not valid JSON: {exc}") from None


def read_json(request: HttpRequest, *, limit: int, max_depth: int = jsonlimits.MAX_JSON_DEPTH) -> Any:
    """``read_body`` then ``parse_json``, for views that accept only ``application/json``."""
    if request.content_type != "application/json":
        raise BadRequest(415, "Send the body as application/json.")
    return parse_json(read_body(request, limit=limit), max_depth=max_depth)


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    """Make ``response`` a download named ``filename``, encoded per RFC 6266 (``filename*=utf-8''…``
    when the name is not plain printable ASCII), so no name can break or extend the header."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
