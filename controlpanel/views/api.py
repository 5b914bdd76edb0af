"""The JSON API (``/api/v1/``). Same permission rule as the pages; errors are JSON with a path.

Authentication: ``Authorization: Bearer cpu_…`` (a personal API token, no CSRF: it is not ambient),
or the browser session (then CSRF applies to writes, as on the pages). Anonymous callers get 401,
outsiders 404, insufficient roles 403. Owner-only writes need recent authentication as on the pages
(``@require_recent_auth``): a session whose password entry is older than 15 minutes gets 403
``recent_auth_required``; a personal API token counts as recent (``permissions.auth_is_recent``).
The description is ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import contextlib
from functools import wraps
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from controlpanel import selectors
from controlpanel.http import ApiHttpRequest, BadRequest, bearer_token, read_json
from controlpanel.models import Gateway
from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.services.api_tokens import api_token_authenticate
from controlpanel.services.config_revisions import ConfigConflict
from controlpanel.services.gateways import (
    GatewayNameInvalid,
    GatewayNameTaken,
    gateway_import_config,
    gateway_name_clean,
)


class ApiError(Exception):
    def __init__(self, status: int, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.path = status, message, path


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """The pages' CSRF check, for session-authenticated calls (the view itself is csrf_exempt so that
    bearer-token calls work). The middleware already prepared the request; only the check runs here."""
    if CsrfViewMiddleware(lambda req: None).process_view(request, None, (), {}) is None:
        return None
    return JsonResponse(
        {"error": "CSRF check failed: send the X-CSRFToken header with a session."}, status=403
    )


def api_view(view):
    """Bearer-token or session authentication; JSON errors instead of HTML pages and login redirects."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: ApiHttpRequest, *args, **kwargs) -> HttpResponse:
        token = bearer_token(request)
        if token is not None:
            user = api_token_authenticate(token)
            if user is None:
                return JsonResponse({"error": "Invalid or revoked API token."}, status=401)
            request.user, request.api_auth = user, "token"
        elif not request.user.is_authenticated:
            return JsonResponse({"error": "Authentication required."}, status=401)
        elif (failure := _csrf_failure(request)) is not None:
            return failure
        else:
            request.api_auth = "session"
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return JsonResponse(_error_body(exc.message, exc.path), status=exc.status)
        except ApiError as exc:
            return JsonResponse(_error_body(exc.message, exc.path), status=exc.status)
        except Http404:
            return JsonResponse({"error": "Not found."}, status=404)
        except PermissionDenied as exc:
            return JsonResponse({"error": str(exc) or "Permission denied."}, status=403)

    return wrapper


def _error_body(message: str, path: str | None) -> dict:
    return {"error": message} if path is None else {"error": message, "path": path}


def _json_body(request: HttpRequest, allowed: set[str]) -> dict:
    body = read_json(request, limit=settings.CP_MAX_CONFIG_BYTES)
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.", path="")
    for key in body:
        if key not in allowed:
            raise ApiError(400, f"Unknown field {key!r}.", path=key)
    return body


def _config_fields(body: dict) -> tuple[str, dict[str, str]]:
    config = body.get("config")
    if not isinstance(config, str):
        raise ApiError(400, "expected a string (the openclaw.json text)", path="config")
    env = body.get("env", {})
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise ApiError(400, "expected an object of string values", path="env")
    return config, env


def _gateway_json(gateway: Gateway, role: str | None = None) -> dict:
    data = {
        "code": str(gateway.code),
        "name": gateway.name,
        "status": gateway.current_status,
        "bind": gateway.bind,
        "port": gateway.port,
        "authMode": gateway.auth_mode,
        "configHash": selectors.config_hash_shown(gateway.config_hash),
    }
    if role is not None:
        data["role"] = role
    return data


@api_view
@require_GET
def gateways(request: HttpRequest) -> HttpResponse:
    rows = selectors.gateway_list(user=request.user)
    return JsonResponse({"gateways": [_gateway_json(g, g.user_role) for g in rows]})


@api_view
@require_GET
def gateway(request: HttpRequest, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code)
    data = _gateway_json(access.gateway, access.role)
    data["agents"] = [
        {"id": a.agent_id, "name": a.name, "model": a.model, "default": a.is_default}
        for a in access.gateway.agents.all()
    ]
    return JsonResponse(data)


@api_view
@require_POST
def config_validate(request: HttpRequest) -> HttpResponse:
    """Validate a config without saving: the shape of ``openclaw config validate --json``."""
    config, env = _config_fields(_json_body(request, {"config", "env"}))
    outcome = gateway_import_config(text=config, env=env, name="", dry_run=True)
    return JsonResponse(outcome.result.to_validate_json())


@api_view
@require_POST
def gateway_create(request: HttpRequest) -> HttpResponse:
    """Create a gateway from a config, in two steps: ``dryRun: true`` returns the review (validation,
    what each agent may do, the audit findings) and a ``reviewToken``; the same body with that token
    and a ``reason`` creates it. Nothing is created without the review."""
    body = _json_body(request, {"name", "config", "env", "dryRun", "reviewToken", "reason"})
    name = body.get("name")
    if not isinstance(name, str):
        raise ApiError(400, "expected a string", path="name")
    try:
        name = gateway_name_clean(name)  # the web form's rule, before anything else is looked at
    except GatewayNameInvalid as exc:
        raise ApiError(400, str(exc), path="name") from None
    config, env = _config_fields(body)
    if _dry_run(body):
        # Whether the name is taken is not said here (nor on the page): only the save tells.
        return _review_json(request, before="", text=config, env=env, base_hash="", name=name)
    if (invalid := _invalid(config, env)) is not None:
        return invalid
    _check_review(request, body, text=config, name=name)
    try:
        outcome = gateway_import_config(
            text=config, env=env, name=name, actor=request.user, reason=_reason(body)
        )
    except GatewayNameTaken as exc:
        raise ApiError(409, "A gateway with this name already exists.", path="name") from exc
    if outcome.gateway is None:
        return JsonResponse(outcome.result.to_validate_json(), status=400)
    return JsonResponse(_gateway_json(outcome.gateway, "owner"), status=201)


@api_view
@require_recent_auth
@require_http_methods(["PUT"])
def gateway_config(request: HttpRequest, code: UUID) -> HttpResponse:
    """Deprecated (use ``config/revisions/``): replace the config, after its review like every save.

    ``dryRun: true`` returns the review and a ``reviewToken`` (against the current revision); the
    same body with that token and a ``reason`` saves it, or answers 409 when the config changed since.
    """
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    gateway = access.gateway
    body = _json_body(request, {"config", "env", "dryRun", "reviewToken", "reason"})
    config, env = _config_fields(body)
    if _dry_run(body):
        return _review_json(
            request, before=gateway.config_text or "", text=config, env=env, base_hash=gateway.config_hash,
            gateway=gateway, source="import",
        )  # fmt: skip
    if (invalid := _invalid(config, env)) is not None:
        return invalid
    reviewed = _check_review(request, body, text=config, gateway=gateway)
    try:
        outcome = gateway_import_config(
            text=config,
            env=env,
            name=gateway.name,
            gateway=gateway,
            actor=request.user,
            base_hash=reviewed.base_hash,
            reason=_reason(body),
        )
    except ConfigConflict as exc:
        return _conflict_json(exc)
    if outcome.gateway is None:
        return JsonResponse(outcome.result.to_validate_json(), status=400)
    return JsonResponse(_gateway_json(outcome.gateway, access.role))


def _invalid(config: str, env) -> JsonResponse | None:
    """An invalid config is answered with its issues (400) whether or not it was reviewed."""
    from controlpanel.configedit.review import loaded

    result = loaded(config, env)
    return None if result.valid else JsonResponse(result.to_validate_json(), status=400)


def _dry_run(body: dict) -> bool:
    dry = body.get("dryRun", False)
    if not isinstance(dry, bool):
        raise ApiError(400, "expected true or false", path="dryRun")
    return dry


def _reason(body: dict) -> str:
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise ApiError(400, "expected a string", path="reason")
    if not reason.strip():
        raise ApiError(400, "Say why you make this change (reason).", path="reason")
    return reason


def _review_json(
    request, *, before: str, text: str, env=None, base_hash: str, gateway=None, name: str = "",
    source: str = "editor", detail: dict | None = None,
) -> JsonResponse:  # fmt: skip
    """The review of ``text`` against ``before`` with its ``reviewToken`` (only when it may be saved)."""
    from controlpanel.configedit.review import review
    from controlpanel.reviews import review_token_for

    result = review(before, text, env=env, diff=False)
    data = result.as_json()
    if result.valid and result.changed:
        data["reviewToken"] = review_token_for(
            text=text, base_hash=base_hash, source=source, gateway=gateway, name=name, user=request.user,
            detail=detail,
        )  # fmt: skip
    return JsonResponse(data)


def _check_review(request, body: dict, *, text: str, gateway=None, name: str = "", base_hash=None):
    """The save's ``reviewToken`` must be the review of exactly this text: 428 without one."""
    from controlpanel.reviews import ReviewTokenInvalid, review_token_check

    if "reviewToken" not in body:
        raise ApiError(
            428,
            "Review first: send the same body with dryRun: true, read the review, then send it again "
            "with the reviewToken the review gave and a reason.",
            path="reviewToken",
        )
    try:
        return review_token_check(
            body["reviewToken"], text=text, base_hash=base_hash, gateway=gateway, name=name, user=request.user
        )
    except ReviewTokenInvalid as exc:
        raise ApiError(400, exc.message, path="reviewToken") from None


def _conflict_json(exc) -> JsonResponse:
    head = exc.head
    return JsonResponse(
        {
            "error": "The config changed since your base hash: fetch it and merge your change.",
            "path": "baseHash",
            "head": _revision_json(head) if head else None,
        },
        status=409,
    )


@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    """The API description (public: it describes the shape, not any data)."""
    from controlpanel.openapi import openapi_document

    return JsonResponse(openapi_document())


# --- config revisions (issue 18) -------------------------------------------------------------------


def _revision_json(revision, *, text: bool = False) -> dict:
    from controlpanel.views.configs import redacted

    data = {
        "number": revision.number,
        "sha256": selectors.config_hash_shown(revision.sha256),
        "parent": revision.parent.number if revision.parent_id else None,
        "author": revision.author.get_username() if revision.author else revision.author_label,
        "source": revision.source,
        "reason": revision.reason,
        "createdAt": revision.created_at.isoformat(),
    }
    if text:
        data["text"] = redacted(revision.text)
    return data


def _revision_or_404(gateway, number: int):
    revision = gateway.revisions.select_related("author", "parent").filter(number=number).first()
    if revision is None:
        raise ApiError(404, "No such revision.")
    return revision


@api_view
@require_recent_auth
@require_http_methods(["GET", "POST"])
def config_revisions(request: HttpRequest, code: UUID) -> HttpResponse:
    """GET: the revisions, newest first. POST (owners): a new revision, guarded by ``baseHash``."""
    if request.method == "GET":
        access = get_gateway_for_user(request.user, code)
        rows = access.gateway.revisions.select_related("author", "parent").defer("text")[:500]
        return JsonResponse({"revisions": [_revision_json(r) for r in rows]})
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    body = _json_body(request, {"config", "baseHash", "reason", "dryRun", "reviewToken"})
    config, _ = _config_fields({"config": body.get("config")})
    base_hash = _base_hash(body, "your edit", access.gateway)
    from controlpanel.configedit.secrets import SecretNotKept, restore_secrets
    from controlpanel.openclaw import ConfigSyntaxError

    gateway = access.gateway
    try:
        text = restore_secrets(config, gateway.config_text or "")
    except SecretNotKept as exc:
        raise ApiError(400, str(exc), path="config") from exc
    except ConfigSyntaxError:
        text = config
    return _save(request, gateway, body, text=text, base_hash=base_hash, detail={"via": "api"})


def _base_hash(body: dict, what: str, gateway) -> str:
    base_hash = body.get("baseHash")
    if not isinstance(base_hash, str) or not base_hash:
        raise ApiError(400, f"expected the config hash {what} is based on", path="baseHash")
    return selectors.config_base_hash(gateway=gateway, given=base_hash)


def _save(request, gateway, body: dict, *, text: str, base_hash: str, source="editor", detail=None):
    """``dryRun: true``: the review and its ``reviewToken``. Otherwise save exactly the reviewed text
    with a reason (428 without a token; 409 when the config moved on since ``baseHash``)."""
    from controlpanel.services.config_revisions import ConfigEditError, config_revision_create

    if base_hash != gateway.config_hash:
        return _conflict_json(ConfigConflict(base_hash=base_hash, head=gateway.revisions.first()))
    if _dry_run(body):
        return _review_json(
            request, before=gateway.config_text or "", text=text, base_hash=base_hash, gateway=gateway,
            source=source, detail=detail,
        )  # fmt: skip
    _check_review(request, body, text=text, gateway=gateway, base_hash=base_hash)
    try:
        saved = config_revision_create(
            gateway=gateway,
            text=text,
            source=source,
            reason=_reason(body),
            actor=request.user,
            base_hash=base_hash,
            action="config.rolled_back" if source == "rollback" else "config.edited",
            detail=detail or {"via": "api"},
        )
    except ConfigConflict as exc:
        return _conflict_json(exc)
    except ConfigEditError as exc:
        raise ApiError(400, exc.message, path=exc.path or "config") from exc
    return JsonResponse(_revision_json(saved.revision), status=201)


@api_view
@require_GET
def config_revision(request: HttpRequest, code: UUID, number: int) -> HttpResponse:
    access = get_gateway_for_user(request.user, code)
    return JsonResponse(_revision_json(_revision_or_404(access.gateway, number), text=True))


@api_view
@require_recent_auth
@require_POST
def config_rollback(request: HttpRequest, code: UUID, number: int) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    body = _json_body(request, {"baseHash", "reason", "dryRun", "reviewToken"})
    revision = _revision_or_404(access.gateway, number)
    return _save(
        request,
        access.gateway,
        body,
        text=revision.text,
        base_hash=_base_hash(body, "your rollback", access.gateway),
        source="rollback",
        detail={"rolled_back_to": revision.number, "via": "api"},
    )


@api_view
@require_GET
def config_diff(request: HttpRequest, code: UUID) -> HttpResponse:
    """Two revisions: the unified diff (secrets redacted), the keys that changed, the what-if."""
    from controlpanel.configedit.diff import unified
    from controlpanel.configedit.review import review
    from controlpanel.views.configs import redacted

    access = get_gateway_for_user(request.user, code)
    numbers = {}
    for name in ("from", "to"):
        value = request.GET.get(name, "")
        if not value.isdigit():
            raise ApiError(400, "expected a revision number", path=name)
        numbers[name] = int(value)
    old = _revision_or_404(access.gateway, numbers["from"])
    new = _revision_or_404(access.gateway, numbers["to"])
    result = review(old.text, new.text, diff=False)
    return JsonResponse(
        {
            "from": old.number,
            "to": new.number,
            "unified": unified(
                redacted(old.text), redacted(new.text), old_name=f"r{old.number}", new_name=f"r{new.number}"
            ),
            "keys": [k.as_json() for k in result.keys],
            "whatIf": result.whatif.as_json() if result.whatif else None,
        }
    )


@api_view
@require_GET
def config_drift(request: HttpRequest, code: UUID) -> HttpResponse:
    """Which revision the live gateway runs; the difference when it runs something else."""
    from controlpanel.configedit.diff import key_changes
    from controlpanel.openclaw import ConfigSyntaxError, parse_json5
    from controlpanel.selectors import drift_whatif, live_state

    access = get_gateway_for_user(request.user, code)
    state = live_state(gateway=access.gateway)
    link = state.link
    data: dict = {
        "linked": bool(link and link.remote_config_hash),
        "liveHash": selectors.config_hash_shown(link.remote_config_hash) if link else "",
        "fetchedAt": link.remote_config_fetched_at.isoformat()
        if link and link.remote_config_fetched_at
        else None,
        "currentRevision": state.current.number if state.current else None,
        "runningRevision": state.running.number if state.running else None,
        "drift": state.drift,
        "keys": [],
        "whatIf": None,
    }
    if state.drift and state.current is not None:
        with contextlib.suppress(ConfigSyntaxError):
            data["keys"] = [
                k.as_json()
                for k in key_changes(parse_json5(state.current.text), parse_json5(state.live_text))
            ]
        effect = drift_whatif(state.current, state.live_text)
        data["whatIf"] = effect.as_json() if effect else None
    return JsonResponse(data)
