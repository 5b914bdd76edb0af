"""Gateway pages: the list, the detail tabs, import, export and deletion."""

from __future__ import annotations

import json
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from controlpanel import selectors
from controlpanel.forms import ConfigImportForm
from controlpanel.http import HtmxHttpRequest, attachment
from controlpanel.lib import csvsafe
from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.services.config_revisions import config_hash
from controlpanel.services.gateways import (
    GatewayNameTaken,
    gateway_delete,
    gateway_export_config,
    gateway_import_config,
)

TABS = [
    "overview",
    "config",
    "agents",
    "devices",
    "pairing",
    "approvals",
    "audit",
    "alerts",
    "memory",
    "activity",
]


@login_required
@require_GET
def gateway_list(request: HtmxHttpRequest) -> HttpResponse:
    page = selectors.gateway_list_page(user=request.user, number=request.GET.get("page"))
    template = "gateways/list.html#gateway-table" if request.htmx else "gateways/list.html"
    return render(request, template, {"gateways": page.object_list, "page": page})


@login_required
@require_GET
def gateway_detail(request: HtmxHttpRequest, code: UUID, tab: str = "overview") -> HttpResponse:
    access = get_gateway_for_user(request.user, code)
    context = {"access": access, "gateway": access.gateway, "tab": tab, "tabs": TABS}
    check = {k: request.GET.get(k, "")[:200] for k in ("plugin", "operation", "region", "address")}
    context.update(
        selectors.gateway_tab_context(
            gateway=access.gateway,
            tab=tab,
            check=check,
            page=request.GET.get("page"),
            firing_only=request.GET.get("state") == "firing",
        )
    )
    context["tab_counts"] = selectors.gateway_tab_counts(gateway=access.gateway)
    for item in [*context.get("pending_requests", []), *context.get("decided_requests", [])]:
        item.can_decide, item.user_role = access.can(Capability.DECIDE), access.role
    # A tab click swaps only the tab body; a plain link (or a boosted one) gets the whole page.
    partial = request.htmx and not request.htmx.boosted
    return render(
        request, "gateways/detail.html#gateway-tabs" if partial else "gateways/detail.html", context
    )


IMPORT_DRAFTS = "cp_import_drafts"  # session key: reviewed new-gateway imports (text, env, name) by sha256


def _import_draft(request, digest: str) -> dict | None:
    """The reviewed import ``digest`` of this session, its environment decrypted (None: gone)."""
    from controlpanel import fieldcrypto

    draft = request.session.get(IMPORT_DRAFTS, {}).get(digest)
    if draft is None:
        return None
    try:
        env = json.loads(fieldcrypto.decrypt(draft["env"]) or "{}")
    except (fieldcrypto.InvalidToken, TypeError, ValueError):
        return None  # kept under a key since retired, or not ours: import again
    return {**draft, "env": env}


@login_required
@require_http_methods(["GET", "POST"])
def gateway_import(request) -> HttpResponse:
    """Create a gateway from a pasted or uploaded config: validate, review, then create (the importer
    becomes its owner). ``?draft=<sha256>`` reopens the form with a reviewed import."""
    initial = None
    draft = _import_draft(request, request.GET.get("draft", ""))
    if request.method == "GET" and draft is not None:
        env_lines = "\n".join(f"{k}={v}" for k, v in draft["env"].items())
        initial = {"name": draft["name"], "config_text": draft["text"], "env_text": env_lines}
    form = ConfigImportForm(request.POST or None, request.FILES or None, initial=initial)
    outcome = None
    if request.method == "POST" and form.is_valid():
        text, env, name = (form.cleaned_data[k] for k in ("config_text", "env_text", "name"))
        outcome = gateway_import_config(text=text, env=env, name=name, dry_run=True)
        if outcome.valid:
            # Nothing is created here: the review shows what the gateway would be; Create makes it.
            return render(
                request, "gateways/import_review.html", _import_review(request, name=name, text=text, env=env)
            )
    return render(request, "gateways/import.html", {"form": form, "outcome": outcome, "gateway": None})


def _import_review(request, *, name: str, text: str, env: dict[str, str], **extra) -> dict:
    """The review of a new gateway: its validation, what each agent may do, its audit findings.

    The text and environment stay on the server (the page shows the text redacted; the environment
    is kept encrypted, as its values are secrets the panel never stores); the token names exactly
    this text, this name and this user."""
    from controlpanel import fieldcrypto
    from controlpanel.configedit.review import review
    from controlpanel.reviews import review_token_for
    from controlpanel.views.configs import redacted

    digest = config_hash(text)
    drafts = {k: v for k, v in request.session.get(IMPORT_DRAFTS, {}).items() if k != digest}
    drafts[digest] = {"name": name, "text": text, "env": fieldcrypto.encrypt(json.dumps(env))}
    request.session[IMPORT_DRAFTS] = dict(list(drafts.items())[-3:])
    result = review("", text, env=env, diff=False)
    return {
        "name": name,
        "review": result,
        "agents": result.whatif.agents if result.whatif else [],
        "findings": result.whatif.findings if result.whatif else [],
        "text": redacted(text),
        "lines": text.count("\n") + 1,
        "digest": digest,
        "token": review_token_for(text=text, base_hash="", source="import", name=name, user=request.user),
        **extra,
    }


@login_required
@require_POST
def gateway_import_save(request) -> HttpResponse:
    """Create the gateway exactly as reviewed, with a reason (the import's first revision)."""
    from controlpanel.reviews import ReviewTokenInvalid, review_token_read

    try:
        reviewed = review_token_read(request.POST.get("token"))
    except ReviewTokenInvalid as exc:
        messages.error(request, exc.message)
        return redirect("gateway-import")
    draft = _import_draft(request, reviewed.text_hash)
    if reviewed.gateway_id is not None or reviewed.user_id != request.user.pk or draft is None:
        messages.error(request, "This review is no longer available: import the file again.")
        return redirect("gateway-import")
    name, text, env = draft["name"], draft["text"], draft["env"]
    reason = request.POST.get("reason", "").strip()
    if name != reviewed.name or not reason:
        context = _import_review(request, name=name, text=text, env=env, save_error="Say why (reason).")
        return render(request, "gateways/import_review.html", context, status=400)
    try:
        outcome = gateway_import_config(text=text, env=env, name=name, actor=request.user, reason=reason)
    except GatewayNameTaken:
        context = _import_review(
            request,
            name=name,
            text=text,
            env=env,
            save_error=f"A gateway named {name} already exists: go back to the form and choose another name.",
        )
        return render(request, "gateways/import_review.html", context, status=409)
    if outcome.gateway is None:  # cannot happen for a reviewed text, but never create an invalid one
        messages.error(request, "The config is not valid any more: import it again.")
        return redirect("gateway-import")
    drafts = request.session.get(IMPORT_DRAFTS, {})
    request.session[IMPORT_DRAFTS] = {k: v for k, v in drafts.items() if k != reviewed.text_hash}
    messages.success(request, _import_message(outcome))
    return redirect("gateway-agents", code=outcome.gateway.code)


def _writes(request, *args, **kwargs) -> bool:
    """A re-import POST saves unless it only validates (which shows the what-if and saves nothing)."""
    return "validate" not in request.POST


@login_required
@require_recent_auth(when=_writes)
@require_http_methods(["GET", "POST"])
def gateway_reimport(request, code: UUID) -> HttpResponse:
    """Replace an existing gateway's config (owners only): validate, then the review, then Save."""
    from controlpanel.views.configs import review_context

    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    gateway = access.gateway
    initial = {"config_text": gateway_export_config(gateway=gateway)} if request.method == "GET" else None
    form = ConfigImportForm(request.POST or None, request.FILES or None, initial=initial, require_name=False)
    outcome = None
    if request.method == "POST" and form.is_valid():
        outcome = gateway_import_config(
            text=form.cleaned_data["config_text"],
            env=form.cleaned_data["env_text"],
            name=gateway.name,
            gateway=gateway,
            dry_run=True,
        )
        if outcome.valid:
            # Nothing is saved here: the review shows what the new file would do; Save stores it.
            context = review_context(
                request,
                access,
                new_text=form.cleaned_data["config_text"],
                source="migration" if request.POST.get("migration") else "import",
                title="Review the migration" if request.POST.get("migration") else "Review the import",
                back=reverse("gateway-reimport", kwargs={"code": code}),
            )
            return render(request, "configs/review.html", context)
    context = {"form": form, "outcome": outcome, "gateway": gateway, "access": access}
    return render(request, "gateways/import.html", context)


def _import_message(outcome) -> str:
    gw = outcome.gateway
    verb = "Imported" if outcome.created else "Updated"
    text = f"{verb} {gw.name} with {gw.agents.count()} agent(s)."
    if outcome.agents_added and not outcome.created:
        text += f" Added: {', '.join(outcome.agents_added)}."
    if outcome.agents_removed:
        text += f" Removed: {', '.join(outcome.agents_removed)}."
    return text


@login_required
@require_GET
def gateway_export(request, code: UUID) -> HttpResponse:
    """Download the config as imported (owners only: a file may hold literal secrets)."""
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    response = HttpResponse(gateway_export_config(gateway=access.gateway), content_type="application/json5")
    attachment(response, f"{access.gateway.name}.openclaw.json")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def gateway_delete_view(request, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.DELETE)
    if request.method == "POST":
        if request.POST.get("confirm_name") != access.gateway.name:
            messages.error(request, "Type the gateway's name exactly to delete it.")
            return redirect("gateway-delete", code=code)
        name = access.gateway.name
        gateway_delete(gateway=access.gateway, actor=request.user)
        messages.success(request, f"Deleted {name}.")
        return redirect("gateway-list")
    return render(request, "gateways/delete.html", {"access": access, "gateway": access.gateway})


@login_required
@require_GET
def activity_export(request, code: UUID, fmt: str) -> HttpResponse:
    """The gateway's activity log as JSON or CSV, with the hashes so a copy can be verified offline."""
    access = get_gateway_for_user(request.user, code)
    rows = [
        {
            "seq": e.seq,
            "created_at": e.created_at.isoformat(),
            "actor": e.actor_label,
            "action": e.action,
            "target": e.target,
            "before": e.before,
            "after": e.after,
            "detail": e.detail,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in access.gateway.activity.order_by("seq")
    ]
    filename = f"{access.gateway.name}-activity.{fmt}"
    if fmt == "json":
        response = HttpResponse(json.dumps(rows, indent=2), content_type="application/json")
    elif fmt == "csv":
        response = HttpResponse(content_type="text/csv")
        writer = csvsafe.writer(response)
        writer.writerow(list(rows[0]) if rows else ["seq"])
        for row in rows:
            writer.writerow(json.dumps(v) if isinstance(v, dict | list) else v for v in row.values())
    else:
        raise Http404("Export as json or csv.")
    return attachment(response, filename)
