"""Owner edits of a gateway's memory policy inputs (the Memory tab shows them)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.services.memory import (
    MemoryInputError,
    memory_policy_set,
    plugin_manifest_set,
    workload_set,
)


def _memory_tab(request, code: UUID) -> str:
    return reverse("gateway-memory", kwargs={"code": code})


def _done(request, code: UUID, action) -> HttpResponse:
    try:
        message = action()
    except MemoryInputError as exc:
        messages.error(request, f"Nothing was saved: {exc}")
    else:
        messages.success(request, message)
    return redirect("gateway-memory", code=code)


@login_required
@require_recent_auth(next_url=_memory_tab)
@require_POST
def manifest_set(request, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)

    def save() -> str:
        row = plugin_manifest_set(
            gateway=access.gateway,
            text=request.POST.get("manifest", ""),
            requires_execute=request.POST.get("requires_execute") == "on",
            actor=request.user,
        )
        return f"Saved the manifest of {row.plugin}."

    return _done(request, code, save)


@login_required
@require_recent_auth(next_url=_memory_tab)
@require_POST
def sandbox_policy_set(request, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)

    def save() -> str:
        memory_policy_set(
            gateway=access.gateway,
            text=request.POST.get("policy", ""),
            production=request.POST.get("production") == "on",
            actor=request.user,
        )
        return "Saved the sandbox memory policy."

    return _done(request, code, save)


@login_required
@require_recent_auth(next_url=_memory_tab)
@require_POST
def workload_save(request, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    name = request.POST.get("name", "").strip()[:200]

    def save() -> str:
        if not name:
            raise MemoryInputError("name: required")
        workload_set(
            gateway=access.gateway,
            name=name,
            agent_id=request.POST.get("agent_id", "").strip()[:100],
            request=request.POST.get("request", ""),
            limit=request.POST.get("limit", ""),
            actor=request.user,
        )
        return f"Saved workload {name}."

    return _done(request, code, save)
