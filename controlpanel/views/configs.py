"""Config pages: history, revision, diff, raw editor, form, review-then-save, rollback, three-way view.

Every change is saved the same way: the page that makes it renders the review (validation, what-if,
diff) with a signed token for exactly that text against that base revision; Save posts the text,
the token and a reason to ``config_save``, which refuses a text the token was not made for. Texts go
to the browser redacted and come back with the stored secrets put back (``configedit.secrets``).
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from controlpanel import selectors
from controlpanel.configedit.review import blocking_issues, issue_lines, loaded, review
from controlpanel.configedit.secrets import SecretNotKept, restore_secrets
from controlpanel.models import ConfigRevision
from controlpanel.openclaw import ConfigSyntaxError, redact_text
from controlpanel.permissions import Capability, auth_is_recent, get_gateway_for_user, require_recent_auth
from controlpanel.reviews import Reviewed, ReviewTokenInvalid, review_token_for, review_token_read
from controlpanel.services.config_revisions import (
    ConfigConflict,
    ConfigEditError,
    config_hash,
    config_revision_create,
)

MAX_TEXT = settings.CP_MAX_CONFIG_BYTES
DRAFTS = "cp_config_drafts"  # session key: the reviewed texts (secrets real), by sha256; a few at most
# Sources a client may ask a review for; the others are computed by their own pages.
CLIENT_SOURCES = {"editor", "import", "migration"}
ACTIONS = {
    "editor": "config.edited",
    "form": "config.edited",
    "import": "gateway.config_imported",
    "migration": "config.migrated",
    "fix": "audit.fixes_applied",
    "rollback": "config.rolled_back",
    "pulled": "config.adopted",
}


def redacted(text: str) -> str:
    try:
        return redact_text(text)
    except ConfigSyntaxError:
        return ""


def _edit_page(request, code: UUID, *args, **kwargs) -> str:
    return reverse("config-edit", kwargs={"code": code})


def _live_page(request, code: UUID, *args, **kwargs) -> str:
    return reverse("config-live", kwargs={"code": code})


def _reauth(code: UUID, where: str) -> HttpResponse:
    return redirect(f"/reauth/?next=/gateways/{code}/config/{where}")


def _text_field(request: HttpRequest, like: str, name: str = "text") -> str:
    """The posted text with the line breaks of ``like``: browsers send every textarea with CRLF."""
    text = request.POST.get(name, "")
    if len(text) > MAX_TEXT:
        raise ConfigEditError(f"The config is larger than {MAX_TEXT} characters.", path=name)
    return text if "\r\n" in like else text.replace("\r\n", "\n")


def _reviewed_text(request: HttpRequest, data: Reviewed, base_text: str) -> str | None:
    """The real text a review token was made for: kept on the server at review time, else rebuilt
    from the posted (redacted) text. None when neither is that text."""
    kept = request.session.get(DRAFTS, {}).get(data.text_hash)
    if kept is not None:
        return kept
    if data.source == "import":
        return None  # an imported file may bring new secrets: they never went to the browser
    posted = request.POST.get("text", "")[:MAX_TEXT]
    for candidate in dict.fromkeys([posted, posted.replace("\r\n", "\n")]):
        text = restore_secrets(candidate, base_text)
        if config_hash(text) == data.text_hash:
            return text
    return None


def _keep_draft(request: HttpRequest, text: str) -> str:
    """Keep the reviewed text on the server (the browser only ever sees it redacted); return its hash."""
    digest = config_hash(text)
    drafts = {k: v for k, v in request.session.get(DRAFTS, {}).items() if k != digest}
    drafts[digest] = text
    request.session[DRAFTS] = dict(list(drafts.items())[-3:])
    return digest


def review_context(
    request: HttpRequest,
    access,
    *,
    new_text: str,
    source: str,
    detail: dict | None = None,
    title: str,
    back: str,
) -> dict:
    """The review page of one change: ``new_text`` (secrets real) against the current revision."""
    gateway = access.gateway
    current = gateway.config_text or ""
    result = review(current, new_text)
    if result.valid:
        _keep_draft(request, new_text)
    token = review_token_for(
        text=new_text, base_hash=gateway.config_hash, source=source, gateway=gateway, detail=detail
    )
    return {
        "access": access,
        "gateway": gateway,
        "review": result,
        "issues": issue_lines(new_text, result.issues) if not result.valid else [],
        "text": redacted(new_text) if result.result.raw is not None else new_text,
        "token": token,
        "source": source,
        "source_label": ConfigRevision.Source(source).label,
        "title": title,
        "back": back,
        "head": gateway.revisions.first(),
    }


def _render_review(request, access, status: int = 200, **kwargs) -> HttpResponse:
    return render(request, "configs/review.html", review_context(request, access, **kwargs), status=status)


# --- history and diffs --------------------------------------------------------------------------


@login_required
@require_GET
def config_history(request, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code)
    context = {
        "access": access,
        "gateway": access.gateway,
        **selectors.config_history(gateway=access.gateway),
    }
    return render(request, "configs/history.html", context)


@login_required
@require_GET
def config_revision(request, code: UUID, number: int) -> HttpResponse:
    access = get_gateway_for_user(request.user, code)
    revision = _revision(access.gateway, number)
    context = {
        "access": access,
        "gateway": access.gateway,
        "revision": revision,
        "text": redacted(revision.text),
        **selectors.config_compare(gateway=access.gateway, old=revision.parent, new=revision),
    }
    return render(request, "configs/revision.html", context)


@login_required
@require_GET
def config_diff(request, code: UUID) -> HttpResponse:
    """Any two revisions, text and meaning (keys, tools per agent, audit findings)."""
    access = get_gateway_for_user(request.user, code)
    gateway = access.gateway
    numbers = list(gateway.revisions.values_list("number", flat=True))
    try:
        a = int(request.GET.get("a") or (numbers[1] if len(numbers) > 1 else numbers[0]))
        b = int(request.GET.get("b") or numbers[0])
    except (ValueError, IndexError):
        raise Http404("No such revision.") from None
    old, new = _revision(gateway, a), _revision(gateway, b)
    context = {
        "access": access,
        "gateway": gateway,
        "old": old,
        "new": new,
        "numbers": numbers,
        **selectors.config_compare(gateway=gateway, old=old, new=new),
    }
    return render(request, "configs/diff.html", context)


def _revision(gateway, number: int) -> ConfigRevision:
    revision = gateway.revisions.filter(number=number).first()
    if revision is None:
        raise Http404("No such revision.")
    return revision


# --- editing ------------------------------------------------------------------------------------


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def config_edit(request, code: UUID) -> HttpResponse:
    """The raw JSON5 editor (secrets redacted). POST with ``text`` reopens it with that text."""
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    if not auth_is_recent(request):
        return _reauth(code, "edit/")
    gateway = access.gateway
    text = (
        request.POST.get("text", "")[:MAX_TEXT] if request.method == "POST" else redacted(gateway.config_text)
    )
    context = {
        "access": access,
        "gateway": gateway,
        "text": text,
        "base_hash": gateway.config_hash,
        "head": gateway.revisions.first(),
        "validate_url": reverse("config-validate", kwargs={"code": code}),
    }
    return render(request, "configs/edit.html", context)


@login_required
@require_POST
def config_validate(request, code: UUID) -> HttpResponse:
    """Live validation for the editor: issues with their line, from the same validator as import."""
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    text = _text_field(request, access.gateway.config_text or "")
    result = loaded(text)
    issues = blocking_issues(result) if result.raw is not None else result.issues
    return JsonResponse({"valid": not issues, "issues": issue_lines(text, issues)})


@login_required
@require_recent_auth(next_url=_edit_page)
@require_POST
def config_review(request, code: UUID) -> HttpResponse:
    """Review a text from the editor, the import page or the migration offer (nothing is saved here)."""
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    source = request.POST.get("source", "editor")
    if source not in CLIENT_SOURCES:
        source = "editor"
    gateway = access.gateway
    try:
        submitted = _text_field(request, gateway.config_text or "")
        text = restore_secrets(submitted, gateway.config_text or "")
    except (SecretNotKept, ConfigEditError) as exc:
        return _editor_again(request, access, submitted=request.POST.get("text", ""), error=str(exc))
    except ConfigSyntaxError:
        text = submitted
    if request.POST.get("base_hash") and request.POST["base_hash"] != gateway.config_hash:
        return _conflict(request, access, yours=text, base_hash=request.POST["base_hash"], source=source)
    title = {"import": "Review the import", "migration": "Review the migration"}.get(
        source, "Review your edit"
    )
    back = reverse("config-edit", kwargs={"code": code})
    return _render_review(request, access, new_text=text, source=source, title=title, back=back)


def _editor_again(request, access, *, submitted: str, error: str) -> HttpResponse:
    messages.error(request, error)
    context = {
        "access": access,
        "gateway": access.gateway,
        "text": submitted,
        "base_hash": request.POST.get("base_hash") or access.gateway.config_hash,
        "head": access.gateway.revisions.first(),
        "validate_url": reverse("config-validate", kwargs={"code": access.gateway.code}),
    }
    return render(request, "configs/edit.html", context, status=400)


@login_required
@require_recent_auth(next_url=_edit_page)
@require_POST
def config_save(request, code: UUID) -> HttpResponse:
    """Save a reviewed change: the token must be for exactly this text against this base revision."""
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    gateway = access.gateway
    try:
        data = review_token_read(request.POST.get("token", ""))
    except ReviewTokenInvalid as exc:
        messages.error(request, exc.message)
        return redirect("config-edit", code=code)
    if data.gateway_id != gateway.pk:
        raise Http404("No such review.")
    base = gateway.revisions.filter(sha256=data.base_hash).first()
    try:
        text = _reviewed_text(request, data, base.text if base else gateway.config_text)
    except (SecretNotKept, ConfigSyntaxError) as exc:
        return _editor_again(request, access, submitted=request.POST.get("text", ""), error=str(exc))
    if text is None:
        return _editor_again(
            request,
            access,
            submitted=request.POST.get("text", ""),
            error="The text changed after the review: review it again before saving.",
        )
    source = data.source
    back = reverse("config-edit", kwargs={"code": code})
    if not auth_is_recent(request):
        context = review_context(
            request, access, new_text=text, source=source, detail=data.detail, title="Confirm it is you",
            back=back,
        )  # fmt: skip
        context["needs_auth"] = True
        return render(request, "configs/review.html", context, status=403)
    try:
        saved = config_revision_create(
            gateway=gateway,
            text=text,
            source=source,
            reason=request.POST.get("reason", ""),
            actor=request.user,
            base_hash=data.base_hash,
            action=ACTIONS.get(source, "config.revision_created"),
            detail=data.detail,
        )
    except ConfigConflict as exc:
        return _conflict(request, access, yours=text, base_hash=exc.base_hash, source=source)
    except ConfigEditError as exc:
        context = review_context(
            request, access, new_text=text, source=source, detail=data.detail, title="Review", back=back
        )
        context["save_error"] = exc.message
        return render(request, "configs/review.html", context, status=400)
    drafts = request.session.get(DRAFTS, {})
    request.session[DRAFTS] = {k: v for k, v in drafts.items() if k != data.text_hash}
    messages.success(request, f"Saved as revision {saved.revision.number}.")
    return redirect("config-revision", code=code, number=saved.revision.number)


def _conflict(request, access, *, yours: str, base_hash: str, source: str) -> HttpResponse:
    """Someone saved since this edit began: yours, theirs and the base side by side; nothing is lost."""
    context = {
        "access": access,
        "gateway": access.gateway,
        "source": source,
        **selectors.config_three_way(gateway=access.gateway, yours=yours, base_hash=base_hash),
    }
    return render(request, "configs/conflict.html", context, status=409)


@login_required
@require_GET
def config_rollback(request, code: UUID, number: int) -> HttpResponse:
    """The review of going back to revision ``number`` (saved as a new revision with its exact text)."""
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    if not auth_is_recent(request):
        return redirect(f"/reauth/?next=/gateways/{code}/config/revisions/{number}/rollback/")
    revision = _revision(access.gateway, number)
    return _render_review(
        request,
        access,
        new_text=revision.text,
        source="rollback",
        detail={"rolled_back_to": revision.number},
        title=f"Roll back to revision {revision.number}",
        back=reverse("config-revision", kwargs={"code": code, "number": number}),
    )


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def config_form(request, code: UUID) -> HttpResponse:
    """The settings operators change most, as fields; POST reviews the edit they make."""
    from controlpanel.configedit.fields import FormError, apply_form

    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    if not auth_is_recent(request):
        return _reauth(code, "form/")
    gateway = access.gateway
    context = {"access": access, "gateway": gateway, **selectors.config_form(gateway=gateway)}
    if request.method == "POST":
        if request.POST.get("base_hash") != gateway.config_hash:
            messages.error(request, "The config changed since you opened the form: here it is as it is now.")
            return render(request, "configs/form.html", context, status=409)
        try:
            current = gateway.config_text or "{}\n"
            text, changed = apply_form(current, context["form_sections"], request.POST, loaded(current).raw)
        except FormError as exc:
            context["form_errors"] = exc.errors
            return render(request, "configs/form.html", context, status=400)
        if not changed:
            messages.info(request, "Nothing changed.")
            return redirect("config-form", code=code)
        return _render_review(
            request,
            access,
            new_text=text,
            source="form",
            detail={"fields": changed},
            title="Review your change",
            back=reverse("config-form", kwargs={"code": code}),
        )
    return render(request, "configs/form.html", context)


# --- the live gateway ---------------------------------------------------------------------------


@login_required
@require_GET
def config_live(request, code: UUID) -> HttpResponse:
    """Which revision the gateway runs; the drift (diff, what it does) when it runs something else."""
    access = get_gateway_for_user(request.user, code)
    context = {"access": access, "gateway": access.gateway, **selectors.config_live(gateway=access.gateway)}
    return render(request, "configs/live.html", context)


@login_required
@require_recent_auth(next_url=_live_page)
@require_POST
def config_push(request, code: UUID) -> HttpResponse:
    """Queue a revision for the live gateway (owners, recent password): config.apply with the base hash."""
    from controlpanel.services.config_live import PushRefused, config_push_revision

    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    try:
        revision = _revision(access.gateway, int(request.POST.get("revision", "0")))
    except ValueError:
        raise Http404("No such revision.") from None
    try:
        config_push_revision(gateway=access.gateway, revision=revision, actor=request.user)
    except PushRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Revision {revision.number} is queued: the worker sends it with the running hash."
        )
    return redirect("config-live", code=code)


@login_required
@require_GET
def config_adopt(request, code: UUID) -> HttpResponse:
    """The review of taking the running config as the panel's newest revision (source "pulled")."""
    from controlpanel.models import GatewayLink
    from controlpanel.services.config_live import adopt_text

    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    if not auth_is_recent(request):
        return redirect(f"/reauth/?next=/gateways/{code}/config/live/adopt/")
    link = GatewayLink.objects.filter(gateway=access.gateway).first()
    if link is None or not link.remote_config_text:
        messages.error(request, "The panel has not read this gateway's running config yet.")
        return redirect("config-live", code=code)
    text, unknown = adopt_text(access.gateway, link)
    return _render_review(
        request,
        access,
        new_text=text,
        source="pulled",
        detail={"live_hash": link.remote_config_hash, "secrets_kept_by_gateway": unknown},
        title="Adopt the running config",
        back=reverse("config-live", kwargs={"code": code}),
    )
