"""The agent page: what an agent can really do, why, and a "can it do X?" box."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from controlpanel import selectors
from controlpanel.http import HtmxHttpRequest
from controlpanel.permissions import get_gateway_for_user


@login_required
@require_GET
def agent_detail(request: HtmxHttpRequest, code: UUID, agent_id: str) -> HttpResponse:
    access = get_gateway_for_user(request.user, code)
    agent = access.gateway.agents.filter(agent_id=agent_id).first()
    if agent is None:
        raise Http404("No such agent on this gateway.")
    session = request.GET.get("session", "main")
    if session not in selectors.SESSION_KINDS:
        session = "main"
    context = {"access": access, "gateway": access.gateway, "agent": agent}
    context.update(selectors.agent_policy_view(gateway=access.gateway, agent_id=agent_id, session=session))
    memory = selectors.gateway_memory_view(gateway=access.gateway)
    context["agent_workloads"] = [w for w in memory["workloads"] if w["row"].agent_id == agent_id]
    context["plugins"] = memory["plugins"]
    tool = request.GET.get("tool", "").strip()
    if tool:
        context["question"] = selectors.agent_tool_question(
            gateway=access.gateway, agent_id=agent_id, tool=tool, session=session
        )
    if request.htmx and request.GET.get("partial") == "can":
        return render(request, "agents/detail.html#can-result", context)
    return render(request, "agents/detail.html", context)
