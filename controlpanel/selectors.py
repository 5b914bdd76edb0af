"""Reads shaped for pages and sockets. Each takes the user (or a gateway already authorised) and goes
through ``Gateway.objects.visible_to``. Imports no service: services may read through selectors, never
the other way round."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Page as CountedPage
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.utils import timezone
from django.utils.crypto import salted_hmac

from controlpanel.events.silences import silence_matches
from controlpanel.live.frames import socket_message
from controlpanel.models import (
    ActivityEvent,
    Agent,
    Alert,
    AlertEvent,
    ConfigRevision,
    Device,
    ExecApprovalRequest,
    Gateway,
    GatewayLease,
    GatewayLink,
    GatewayWorkerProcess,
    MemorySample,
    PairingRequest,
    Silence,
)


def _count(model, **filters) -> Coalesce:
    """A correlated COUNT subquery per gateway: no join fan-out, one query for the whole list."""
    sub = (
        model.objects.filter(gateway=OuterRef("pk"), **filters)
        .order_by()
        .values("gateway")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


# Rows per page of the fleet-wide lists (gateways, fleet audit, alerts); request cards are larger.
PER_PAGE = 50
REQUESTS_PER_PAGE = 25


@dataclass
class Page:
    """One page of a list that is not counted (counting 100,000 alerts per view costs more than the
    page): ``has_next`` comes from reading one row more than shown."""

    items: list
    number: int
    has_next: bool
    per_page: int = PER_PAGE
    extra: dict = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.items)


def page_number(value: str | None) -> int:
    """A page number from the query string: bad or missing values give the first page."""
    try:
        return max(1, min(int(value or 1), 10_000))
    except ValueError:
        return 1


def _uncounted_page(rows, number: int, per_page: int = PER_PAGE) -> Page:
    start = (number - 1) * per_page
    items = list(rows[start : start + per_page + 1])
    return Page(items=items[:per_page], number=number, has_next=len(items) > per_page, per_page=per_page)


def gateway_list(*, user) -> QuerySet[Gateway]:
    """The user's gateways with their role and counts: one query for any page of them (paginate it;
    the counts are correlated subqueries, so a page costs the same however many gateways exist)."""
    return (
        Gateway.objects.with_user_role(user)
        .annotate(
            agent_count=_count(Agent),
            pending_pairing_count=_count(PairingRequest, status="pending"),
            pending_exec_count=_count(ExecApprovalRequest, status="pending"),
            open_alert_count=_count(Alert, state="firing"),
        )
        .order_by("name", "pk")
    )


def gateway_list_page(*, user, number) -> CountedPage:
    """One page of ``gateway_list``: the page's gateways are found first (by name, an index read), then
    counted, so a deep page costs what the first does (a single query would count every gateway it
    skips: PostgreSQL projects the rows before the OFFSET). Three queries for any page."""
    ids = Gateway.objects.visible_to(user).order_by("name", "pk").values_list("pk", flat=True)
    page = Paginator(ids, PER_PAGE).get_page(number)
    rows = {g.pk: g for g in gateway_list(user=user).filter(pk__in=list(page.object_list))}
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return page


def gateway_activity(*, gateway: Gateway, limit: int = 200) -> QuerySet[ActivityEvent]:
    return gateway.activity.select_related("actor").order_by("-seq")[:limit]


def pending_counts(*, user) -> dict[str, int]:
    """Pending requests across every gateway the user can see (the navigation badge)."""
    visible = Gateway.objects.visible_to(user)
    return {
        "pairing": PairingRequest.objects.pending().filter(gateway__in=visible).count(),
        "exec": ExecApprovalRequest.objects.pending().filter(gateway__in=visible).count(),
    }


# --- config hashes as they leave the server (issue 19, finding 7) -------------------------------------


def config_hash_shown(digest: str) -> str:
    """A config hash (``Gateway.config_hash``, a revision's or the gateway's running one) as shown.

    The stored hash is the plain SHA-256 of the exact text: with the redacted text beside it, it would
    let a viewer confirm a guessed secret offline. Every surface (API, pages, activity log) shows this
    keyed hash instead (HMAC with the panel's SECRET_KEY): it tells versions apart and proves nothing.
    """
    if not digest:
        return ""
    return salted_hmac("controlpanel.config-hash", digest, algorithm="sha256").hexdigest()


def config_base_hash(*, gateway: Gateway, given: str) -> str:
    """The stored hash a client's ``baseHash`` stands for (the shown one of the current config)."""
    return gateway.config_hash if given and given == config_hash_shown(gateway.config_hash) else given


def gateway_config_view(*, gateway: Gateway) -> dict:
    """The config tab: the file with secrets redacted, its structure, references and unmodeled sections.

    Re-reads the stored text (no environment: references are listed, not resolved).
    """
    from controlpanel.openclaw import load_config, redact, redact_text

    result = load_config(gateway.config_text, env={})
    return {
        "redacted_text": redact_text(gateway.config_text) if gateway.config_text else "",
        "config_tree": redact(gateway.config_raw or {}),
        "env_refs": result.env_refs,
        "unmodeled": result.unmodeled,
        "config_warnings": result.warnings,
    }


def gateway_tab_counts(*, gateway: Gateway) -> dict[str, int]:
    """The numbers on the gateway's tabs: pending pairing and exec requests, firing alerts."""
    return {
        "pairing": gateway.pairing_requests.pending().count(),
        "exec": gateway.exec_requests.pending().count(),
        "alerts": gateway.alerts.filter(state="firing").count(),
    }


DEVICES_PER_PAGE = 100


def gateway_tab_context(
    *,
    gateway: Gateway,
    tab: str,
    check: dict | None = None,
    page: str | None = None,
    firing_only: bool = False,
) -> dict:
    """The data one tab of the gateway page needs, and nothing more (partials get only their data).

    ``page`` is the devices tab's page number as the request gave it (bad values give the first or
    last page).
    """
    if tab == "overview":
        return {
            "agents": list(gateway.agents.all()[:50]),
            "pending_pairing": gateway.pairing_requests.pending().count(),
            "pending_exec": gateway.exec_requests.pending().count(),
            "firing_alerts": gateway.alerts.filter(state="firing").count(),
            "recent_activity": list(gateway_activity(gateway=gateway, limit=10)),
        }
    if tab == "config":
        return gateway_config_view(gateway=gateway)
    if tab == "agents":
        return {"agents": list(gateway.agents.all()), "channels": list(gateway.channels.all())}
    if tab == "devices":
        # Paged: a gateway with hundreds of nodes would otherwise render them all on every visit.
        devices = gateway.devices.select_related("approved_by").order_by("name", "device_id")
        page_obj = Paginator(devices, DEVICES_PER_PAGE).get_page(page)
        return {
            "devices": list(page_obj.object_list),
            "device_groups": device_groups(list(page_obj.object_list)),
            "page": page_obj,
            "stale_devices": (stale := devices_stale(gateway=gateway)),
            "cleanup_label": f"Clean up {len(stale)} stale…",
        }
    if tab == "pairing":
        return _requests_tab(gateway, PairingRequest, gateway.pairing_requests)
    if tab == "approvals":
        return _requests_tab(gateway, ExecApprovalRequest, gateway.exec_requests)
    if tab == "audit":
        from controlpanel.models.gateways import AUDIT_EVERY_CHOICES

        return {
            "audit_runs": list(gateway.audit_runs.select_related("started_by")[:50]),
            "audit_latest": gateway.audit_latest,
            "audit_every_choices": AUDIT_EVERY_CHOICES,
            "suppressions": list(gateway.audit_suppressions.select_related("created_by")),
        }
    if tab == "alerts":
        return alert_tab_context(gateway=gateway, firing_only=firing_only)
    if tab == "activity":
        return {"activity": list(gateway_activity(gateway=gateway))}
    if tab == "memory":
        return gateway_memory_view(gateway=gateway, check=check)
    raise ValueError(f"unknown tab {tab!r}")


def _requests_tab(gateway: Gateway, model, rows) -> dict:
    """The Pairing or Approvals tab: pending requests as decision cards, then the latest decided ones."""
    from django.utils import timezone

    from controlpanel.approvals.render import render_command

    pending = list(rows.pending().select_related("gateway", "decided_by").order_by("expires_at")[:100])
    decided = list(
        rows.exclude(status="pending").select_related("gateway", "decided_by").order_by("-decided_at")[:50]
    )
    configs: dict[int, dict] = {}
    for item in pending + decided:
        item.kind_label = "exec" if model is ExecApprovalRequest else item.kind
        if model is ExecApprovalRequest:
            item.rendered = render_command(item.command, env=item.env or None)
            item.review = exec_request_review(item, configs=configs)
    return {"pending_requests": pending, "decided_requests": decided, "server_now": timezone.now()}


def gateway_choices(*, user) -> list[tuple[str, str]]:
    """(code, name) of the user's gateways, for filters (one light query)."""
    return [
        (str(code), name)
        for code, name in Gateway.objects.visible_to(user).order_by("name").values_list("code", "name")
    ]


def approvals_inbox(
    *,
    user,
    gateway_code: str | None = None,
    kind: str | None = None,
    pending: bool = True,
    page: int = 1,
    per_page: int = REQUESTS_PER_PAGE,
) -> Page:
    """One page of requests across the user's gateways, each with ``user_role`` of its gateway.

    ``kind``: "dm" / "device" / "node" (pairing) or "exec". Pending ones soonest-to-expire first;
    decided ones (history) newest decision first. At most five queries for any page: the roles, the
    sort keys of the first ``page * per_page + 1`` requests of each model (tuples, read through the
    inbox indexes), merged here, then the page's requests of each model by id.
    """
    roles = dict(Gateway.objects.with_user_role(user).values_list("pk", "user_role"))
    filters: dict = {"gateway__in": Gateway.objects.visible_to(user).values("pk")}
    if gateway_code:
        filters["gateway__code"] = gateway_code
    field, order = ("expires_at", ("expires_at", "pk")) if pending else ("decided_at", ("-decided_at", "-pk"))
    wanted = page * per_page + 1
    models = [
        m
        for m, kinds in ((PairingRequest, ("dm", "device", "node")), (ExecApprovalRequest, ("exec",)))
        if not kind or kind in kinds
    ]
    keys: list[tuple] = []
    for model in models:
        rows = model.objects.filter(**filters)
        rows = rows.filter(status="pending") if pending else rows.exclude(status="pending")
        if kind and model is PairingRequest:
            rows = rows.filter(kind=kind)
        keys += [(at, pk, model) for at, pk in rows.order_by(*order).values_list(field, "pk")[:wanted]]
    keys.sort(key=lambda k: (k[0], k[1]), reverse=not pending)
    start = (page - 1) * per_page
    shown = keys[start : start + per_page]
    found: dict[tuple, object] = {}
    for model in models:
        ids = [pk for _, pk, m in shown if m is model]
        if ids:
            for item in model.objects.filter(pk__in=ids).select_related("gateway", "decided_by"):
                found[(model, item.pk)] = item
    items = [found[(model, pk)] for _, pk, model in shown]
    for item in items:
        item.user_role = roles[item.gateway_id]
        item.kind_label = "exec" if isinstance(item, ExecApprovalRequest) else item.kind
    return Page(items=items, number=page, has_next=len(keys) > start + per_page, per_page=per_page)


# --- effective policy (issue 3) ---------------------------------------------------------------------

SESSION_KINDS = {
    "main": "the agent's main session",
    "group": "a group chat",
    "dm": "a DM from another sender",
}


def gateway_policy_config(*, gateway: Gateway) -> tuple[dict, dict[str, str]]:
    """The stored config as the gateway would see it, without its environment (``${VAR}`` values stay
    unresolved: policy does not depend on secret values; empty if it does not load), and how the
    file spells each agent's path (`agents.entries.<id>` or the legacy `agents.list[<i>]`)."""
    from controlpanel.openclaw import load_config
    from controlpanel.policy import agent_paths

    result = load_config(gateway.config_text or "{}", env={})
    return result.resolved or {}, agent_paths(result.raw or {})


def session_key_for(*, gateway: Gateway, agent_id: str, kind: str) -> str | None:
    """A representative session key of ``kind`` for this agent (None: the main session)."""
    if kind not in ("group", "dm"):
        return None
    channel = gateway.channels.values_list("name", flat=True).first() or "telegram"
    return f"agent:{agent_id}:{channel}:{'group' if kind == 'group' else 'dm'}:example"


LAYER_WORDS = {
    "profile": "the tool profile",
    "global": "the global tool policy",
    "agent": "the agent's own tool policy",
    "provider": "a per-model tool policy (tools.byProvider)",
    "sandbox": "the sandbox tool policy",
    "default": "no layer: nothing restricts it",
}
CLASS_WORDS = {"plugin": "Plugin tools", "bundleMcp": "Tools of bundled MCP servers"}


def _decision_view(decision, agent_id: str, paths: dict[str, str]) -> dict:
    """One verdict as the pages show it: the rule, the deciding layer, the key as the file spells it."""
    from controlpanel.policy import key_as_written

    return {
        "allowed": decision.allowed,
        "rule": decision.rule,
        "layer": decision.layer,
        "layer_words": LAYER_WORDS.get(decision.layer, decision.layer),
        "source": decision.source,
        "key": key_as_written(decision.key, agent_id, paths) if decision.rule != "default" else "",
        "pattern": decision.pattern,
    }


def agent_policy_view(*, gateway: Gateway, agent_id: str, session: str = "main") -> dict:
    """The agent page: each built-in tool's verdict with the rule and config key that decided it,
    the verdicts on plugin and bundled-MCP tools, and warnings (exec that asks nobody)."""
    from controlpanel.policy import TOOL_GROUPS, explain_json, key_as_written, resolve_agent

    config, paths = gateway_policy_config(gateway=gateway)
    session_key = session_key_for(gateway=gateway, agent_id=agent_id, kind=session)
    policy = resolve_agent(config, agent_id, session_key=session_key)
    group_of: dict[str, str] = {}
    for group, members in TOOL_GROUPS.items():
        for tool in members:
            group_of.setdefault(tool, group)
    tools = [
        {
            "name": tool,
            **_decision_view(d, agent_id, paths),
            "sandboxed": d.allowed and policy.sandbox.session_is_sandboxed,
            "group": group_of.get(tool, ""),
        }
        for tool, d in sorted(policy.decisions.items())
    ]
    classes = [
        {"name": name, "label": CLASS_WORDS[name], **_decision_view(d, agent_id, paths)}
        for name, d in policy.classes.items()
    ]
    exec_policy = policy.exec
    warnings = []
    if policy.decisions["exec"].allowed and exec_policy.runs_anything_unasked:
        sources = [exec_policy.security_source, exec_policy.ask_source]
        keys = list(dict.fromkeys(key_as_written(k, agent_id, paths) for k in sources if "default" not in k))
        warnings.append(
            {
                "id": "exec-unguarded",
                "text": "Exec runs any command without asking anyone: security is full and ask is off",
                "keys": keys,
                "fix": f"Set {key_as_written(f'agents.entries.{agent_id}.tools.exec.mode', agent_id, paths)} "
                'to "ask" (or "allowlist"), or deny exec for this agent.',
            }
        )
    return {
        "policy": policy,
        "explain": explain_json(policy),
        "tools": tools,
        "classes": classes,
        "warnings": warnings,
        "session": session,
        "session_kinds": SESSION_KINDS,
        "allowed_count": len(policy.allowed),
    }


def agent_tool_question(*, gateway: Gateway, agent_id: str, tool: str, session: str = "main") -> dict:
    """The "Can it use X?" answer: a built-in tool's verdict, a plugin tool's (for any other name),
    or the members of a group; always with the deciding layer and the rule as the file spells it."""
    from controlpanel.policy import TOOL_GROUPS, build_layers, can_use, key_as_written, resolve_sandbox
    from controlpanel.policy.matching import normalize_tool_name
    from controlpanel.policy.tools import plugin_id_entries

    asked = tool.strip()[:100]
    group = TOOL_GROUPS.get(normalize_tool_name(asked))
    if group is not None:
        return {"asked": asked, "group_members": list(group)}
    config, paths = gateway_policy_config(gateway=gateway)
    session_key = session_key_for(gateway=gateway, agent_id=agent_id, kind=session)
    decision = can_use(config, agent_id, asked, session_key=session_key)
    answer = {"asked": asked, "as_plugin": decision.as_plugin, **_decision_view(decision, agent_id, paths)}
    if decision.as_plugin:
        layers = build_layers(config, agent_id, resolve_sandbox(config, agent_id, session_key))
        answer["plugin_ids"] = [
            {"entry": entry, "key": key_as_written(key, agent_id, paths), "verb": verb}
            for entry, key, verb in plugin_id_entries(layers, asked)
        ]
    return answer


# --- audits (issue 4) --------------------------------------------------------------------------------


def audit_fleet(*, user, page: str | int | None = None, history: int = 20, per_page: int = PER_PAGE):
    """The fleet audit view, one page of gateways: never audited first (their posture is unknown,
    not clean), then by the critical, then warn, counts of their latest succeeded audit, with its
    age, the schedule and the last ``history`` runs' counts for a trend line. Four queries for any
    page: the count, the page, the trends, the fleet summary."""
    from controlpanel.models import AuditRun

    visible = Gateway.objects.visible_to(user)
    ranked = visible.select_related("audit_latest").annotate(
        never=Case(When(audit_latest__isnull=True, then=Value(0)), default=Value(1)),
        critical=_summary_count("critical"),
        warn=_summary_count("warn"),
    )
    page_obj = Paginator(ranked.order_by("never", "-critical", "-warn", "name"), per_page).get_page(page)
    gateways = list(page_obj.object_list)
    series: dict[int, list] = {g.pk: [] for g in gateways}
    recent = (
        AuditRun.objects.filter(gateway__in=[g.pk for g in gateways], status="succeeded")
        .annotate(n=Window(RowNumber(), partition_by=F("gateway_id"), order_by=F("created_at").desc()))
        .filter(n__lte=history)
        .values_list("gateway_id", "summary", "created_at")
    )
    for gateway_id, summary, _ in sorted(recent, key=lambda r: r[2]):
        series[gateway_id].append(summary)
    now = timezone.now()
    rows = []
    for gateway in gateways:
        latest = gateway.audit_latest
        summary = latest.summary if latest else {}
        every = timedelta(hours=gateway.audit_every_hours)
        rows.append(
            {
                "gateway": gateway,
                "latest": latest,
                # On a schedule, yet not audited for a period and an hour: are the task workers up?
                "overdue": bool(latest and every and now - latest.finished_at > every + timedelta(hours=1)),
                "critical": summary.get("critical", 0),
                "warn": summary.get("warn", 0),
                "info": summary.get("info", 0),
                "trend": _sparkline([(s.get("critical", 0), s.get("warn", 0)) for s in series[gateway.pk]]),
            }
        )
    summary = visible.annotate(critical=_summary_count("critical")).aggregate(
        total=Count("pk"),
        never=Count("pk", filter=Q(audit_latest__isnull=True)),
        with_critical=Count("pk", filter=Q(critical__gt=0)),
        scheduled_off=Count("pk", filter=Q(audit_every_hours=0)),
    )
    return {"rows": rows, "page": page_obj, "fleet": summary}


def _summary_count(severity: str):
    """The number of ``severity`` findings of a gateway's latest audit (None: never audited)."""
    return Cast(KeyTextTransform(severity, "audit_latest__summary"), IntegerField())


def fleet_audit_progress(*, user) -> dict | None:
    """The user's latest fleet-wide audit and how far it got (runs by status), or None."""
    from controlpanel.models import AuditRun, FleetAudit

    fleet = FleetAudit.objects.filter(started_by=user).order_by("-created_at").first()
    if fleet is None:
        return None
    counts = dict(
        AuditRun.objects.filter(fleet_audit=fleet)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    finished = sum(n for status, n in counts.items() if status in AuditRun.FINAL)
    return {
        "fleet": fleet,
        "queued": sum(counts.values()),
        "finished": finished,
        "failed": counts.get("failed", 0) + counts.get("timed_out", 0),
        "done": fleet.queued_at is not None and finished >= sum(counts.values()),
    }


def _sparkline(points: list[tuple[int, int]], width: int = 160, height: int = 32) -> dict:
    """SVG polyline coordinates for critical and warn counts over runs (server-rendered, no JS)."""
    if not points:
        return {}
    top = max(max(c, w) for c, w in points) or 1
    step = width / max(len(points) - 1, 1)

    def line(index: int) -> str:
        return " ".join(
            f"{i * step:.1f},{height - 2 - (p[index] / top) * (height - 4):.1f}" for i, p in enumerate(points)
        )

    return {"critical": line(0), "warn": line(1), "width": width, "height": height}


# --- alerts ----------------------------------------------------------------------------------------

BACKFILL_CAP = 200


def alert_snapshot(alert: Alert, gateway: Gateway, *, silenced: bool = False) -> dict[str, Any]:
    """Return the JSON-safe view of ``alert`` stored with each AlertEvent and used by ``_alert.html``."""
    return {
        "id": alert.pk,
        "gateway_code": str(gateway.code),
        "gateway_name": gateway.name,
        "type": alert.type,
        "subject": alert.subject,
        "severity": alert.severity,
        "state": alert.state,
        "message": alert.message,
        "count": alert.count,
        "first_seen": alert.first_seen_at.isoformat(),
        "last_seen": alert.last_seen_at.isoformat(),
        "acknowledged_by": alert.acknowledged_by.get_username() if alert.acknowledged_by else "",
        "silenced": silenced,
    }


def active_silences(*, gateway: Gateway, now: datetime | None = None) -> list[Silence]:
    """Return the gateway's unexpired silences (one query)."""
    return list(Silence.objects.filter(gateway=gateway, expires_at__gt=now or timezone.now()))


def silenced_keys(*, gateway: Gateway, alerts: Iterable[Alert], now: datetime | None = None) -> set[int]:
    """Return the ids of ``alerts`` that an active silence of ``gateway`` matches (one query)."""
    silences = active_silences(gateway=gateway, now=now)
    return {a.pk for a in alerts if silence_matches(silences, a.type, a.subject)}


def alert_backfill(*, gateway_ids: Iterable[int], since: int, cap: int = BACKFILL_CAP) -> tuple[list, bool]:
    """Return (socket messages for AlertEvents after ``since`` on those gateways, truncated).

    When more than ``cap`` are waiting, the newest ``cap`` are returned and ``truncated`` is True: the
    client then reloads the list over HTTP rather than replaying an unbounded history.
    """
    rows = list(
        AlertEvent.objects.filter(gateway_id__in=list(gateway_ids), pk__gt=since).order_by("-pk")[: cap + 1]
    )
    truncated = len(rows) > cap
    return [socket_message(e) for e in reversed(rows[:cap])], truncated


def alert_event_ids_after(*, gateway_ids: Iterable[int], since: int, limit: int) -> list[tuple[int, int]]:
    """Return (id, gateway id) of the first ``limit`` AlertEvents after ``since`` on those gateways."""
    return list(
        AlertEvent.objects.filter(gateway_id__in=list(gateway_ids), pk__gt=since)
        .order_by("pk")
        .values_list("pk", "gateway_id")[:limit]
    )


def latest_alert_event_id() -> int:
    """Return the highest AlertEvent id of all gateways (0 when there is none)."""
    return AlertEvent.objects.aggregate(m=Max("id"))["m"] or 0


def visible_gateway_ids(*, user_id: int) -> set[int]:
    """Return the ids of the gateways user ``user_id`` may see (none once the user is inactive)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return set()
    return set(Gateway.objects.visible_to(user).values_list("pk", flat=True))


def _alert_snapshots(alerts: list[Alert]) -> list[dict]:
    """Alerts as the dicts ``alerts/_alert.html`` renders (the same shape pushed over the socket).
    One query for the silences of all their gateways."""
    by_gateway: dict[int, list[Alert]] = {}
    for a in alerts:
        by_gateway.setdefault(a.gateway_id, []).append(a)
    silences: dict[int, list] = {}
    if by_gateway:
        for silence in Silence.objects.filter(gateway_id__in=list(by_gateway), expires_at__gt=timezone.now()):
            silences.setdefault(silence.gateway_id, []).append(silence)
    return [
        alert_snapshot(
            a, a.gateway, silenced=silence_matches(silences.get(a.gateway_id, []), a.type, a.subject)
        )
        for a in alerts
    ]


def _last_alert_event_id(gateways) -> int:
    """The newest AlertEvent id of these gateways: the socket replays everything after it."""
    return AlertEvent.objects.filter(gateway__in=gateways).aggregate(m=Max("pk"))["m"] or 0


def alert_order() -> list:
    """Open alerts first (firing, then acknowledged), then by severity (critical first), then newest:
    ``Alert.list_rank`` and the index ``cp_alert_list_rank`` (a page is read from it, not sorted)."""
    return ["list_rank", F("resolved_at").desc(nulls_first=True), "-last_seen_at", "-id"]


def alert_tab_context(*, gateway: Gateway, firing_only: bool = False) -> dict:
    """The gateway's alerts tab: open alerts first, most severe first; silences; chart subjects."""
    last_id = _last_alert_event_id([gateway])
    rows = gateway.alerts.select_related("acknowledged_by", "gateway")
    if firing_only:
        rows = rows.filter(state="firing")
    alerts = list(rows.order_by(*alert_order())[:200])
    return {
        "alerts": _alert_snapshots(alerts),
        "last_event_id": last_id,
        "firing_only": firing_only,
        "silences": active_silences(gateway=gateway),
        "memory_subjects": list(
            MemorySample.objects.filter(gateway=gateway)
            .order_by("subject")
            .values_list("subject", flat=True)
            .distinct()[:20]
        ),
    }


COUNT_CAP = 10_000


def _capped_count(rows) -> str:
    """How many ``rows`` there are, as the lists show it ("1,234"; "10,000+" past ``COUNT_CAP``): counted
    up to the cap, so the count costs the same with 100,000 alerts as with 10,001."""
    n = rows.order_by().values("pk")[: COUNT_CAP + 1].count()
    return f"{COUNT_CAP:,}+" if n > COUNT_CAP else f"{n:,}"


def alert_list_context(*, user, page: int = 1, firing_only: bool = False) -> dict:
    """One page of alerts across every gateway ``user`` can see (open first, most severe first), plus
    the id to replay from and the firing/total counts (each capped at ``COUNT_CAP``). ``firing_only``:
    only alerts whose condition holds and nobody acknowledged yet. Five queries for any page."""
    visible = Gateway.objects.visible_to(user)
    # The newest id of all (one index entry) is as right here as the newest of the visible gateways
    # (one lookup per gateway): the socket replays only what its gateways had after it.
    last_id = latest_alert_event_id()
    mine = Alert.objects.filter(gateway__in=visible.values("pk"))
    rows = mine.select_related("acknowledged_by", "gateway")
    if firing_only:
        rows = rows.filter(state="firing")
    page_obj = _uncounted_page(rows.order_by(*alert_order()), page)
    counts = {"firing": _capped_count(mine.filter(state="firing")), "total": _capped_count(mine)}
    return {
        "alerts": _alert_snapshots(page_obj.items),
        "last_event_id": last_id,
        "page": page_obj,
        "firing_only": firing_only,
        "counts": counts,
    }


# --- memory (seeds 000 and 003) -------------------------------------------------------------------------

SAMPLE_WINDOW = timedelta(days=7)


def workload_samples(*, gateway: Gateway, name: str, since: datetime | None = None) -> list[int]:
    """Return the workload's memory readings of the last ``SAMPLE_WINDOW``, oldest first."""
    since = since or timezone.now() - SAMPLE_WINDOW
    return list(
        MemorySample.objects.filter(
            gateway=gateway, subject=MemorySample.stored_subject(f"workload:{name}"), ts__gte=since
        )
        .order_by("ts")
        .values_list("usage_bytes", flat=True)[:20000]
    )


def gateway_memory_view(*, gateway: Gateway, check: dict | None = None) -> dict:
    """The memory tab: each plugin's manifest against the sandbox policy, workloads with usage and advice,
    and (if asked) the verdict on one memory operation, like ``clw-inspect --show-policy``."""
    from controlpanel.models import GatewayMemoryPolicy, MemorySample
    from controlpanel.policy.memory import check_memory_operation, effective_memory_permissions, region_errors
    from controlpanel.policy.workload import format_quantity, recommend, usage_percent

    policy_row = GatewayMemoryPolicy.objects.filter(gateway=gateway).first()
    sandbox = policy_row.policy if policy_row else {}
    plugins = []
    for m in gateway.plugin_manifests.all():
        policy = m.manifest.get("memory_policy") or {}
        plugins.append(
            {
                "row": m,
                "perms": effective_memory_permissions(m.manifest, sandbox),
                "regions": policy.get("regions") or [],
                "region_errors": [str(e) for e in region_errors(policy.get("regions") or [])],
            }
        )
    workloads = []
    for w in gateway.workloads.all():
        samples = workload_samples(gateway=gateway, name=w.name)
        latest = samples[-1] if samples else None
        workloads.append(
            {
                "row": w,
                "limit": format_quantity(w.limit_bytes) if w.limit_bytes else "none",
                "request": format_quantity(w.request_bytes) if w.request_bytes else "none",
                "usage": format_quantity(latest) if latest is not None else "",
                "percent": usage_percent(latest, w.limit_bytes)
                if latest is not None and w.limit_bytes
                else None,
                "samples": len(samples),
                "advice": recommend(samples).as_json() if samples else None,
            }
        )
    # Readings of workloads nobody declared yet: the tab says they exist instead of "no workloads".
    from django.db.models import Max

    declared = {f"workload:{w['row'].name}" for w in workloads}
    observed = [
        {"name": row["subject"].removeprefix("workload:"), "samples": row["n"], "last": row["last"]}
        for row in MemorySample.objects.filter(gateway=gateway, subject__startswith="workload:")
        .exclude(subject__in=declared)
        .values("subject")
        .annotate(n=Count("pk"), last=Max("ts"))
        .order_by("subject")[:50]
    ]
    verdict, check_error = None, ""
    if check and check.get("plugin"):
        manifest = gateway.plugin_manifests.filter(plugin=check["plugin"]).first()
        if manifest is not None:
            try:
                verdict = check_memory_operation(
                    manifest.manifest,
                    sandbox,
                    check.get("operation") or "read",
                    region=check.get("region") or None,
                    address=check.get("address") or None,
                )
            except ValueError as exc:  # an unknown operation, a malformed region or address
                check_error = str(exc)
    return {
        "memory_policy": policy_row,
        "sandbox_json": sandbox,
        "plugins": plugins,
        "workloads": workloads,
        "observed_workloads": observed,
        "memory_check": check or {},
        "memory_verdict": verdict,
        "memory_check_error": check_error,
        "operations": ["read", "write", "execute", "allocate", "map"],
    }


# --- approvals: what a request card explains ---------------------------------------------------------


def exec_request_review(item: ExecApprovalRequest, *, configs: dict[int, dict] | None = None) -> dict:
    """Why an exec request asked, and what the gateway's stored policy says about it (the card's text).

    Reads the policy through ``controlpanel.policy.resolve_agent``, as the agent page does: no rule is
    decided here. ``configs`` caches each gateway's resolved config across the cards of one page.
    """
    from controlpanel.policy import resolve_agent

    if configs is None:
        configs = {}
    if item.gateway_id not in configs:
        configs[item.gateway_id] = gateway_policy_config(gateway=item.gateway)[0]
    config = configs[item.gateway_id]
    analysis = item.analysis or {}
    policy = resolve_agent(config, item.agent_ref or None, session_key=item.session_key or None)
    tool, ex = policy.decisions.get("exec"), policy.exec
    reasons: list[str] = []
    if analysis.get("warningText"):
        reasons.append(analysis["warningText"])
    reasons += [line for line in analysis.get("warningLines", []) if line not in reasons]
    if analysis.get("riskKinds"):
        reasons.append("The gateway flagged: " + ", ".join(analysis["riskKinds"]) + ".")
    ask = analysis.get("ask") or ex.ask  # the gateway's own words first, else the stored config
    # Say whose setting it was: the gateway's own words, else the config the panel holds.
    source = "the gateway applied it" if analysis.get("ask") else f"from {ex.ask_source}"
    if ask == "always":
        reasons.append(f"Every command of this agent waits for a person (exec ask is always; {source}).")
    elif ask == "on-miss":
        reasons.append(
            f"The command is not on the agent's allowlist and exec ask is on-miss ({source}): anything "
            "outside the allowlist waits for a person."
        )
    if tool is not None and not tool.allowed:
        tone, verdict = (
            "critical",
            (
                f"The config does not let {policy.agent_id} use exec ({tool.reason}). A gateway with this "
                "config would not run it: deny it and find out where the request came from."
            ),
        )
    elif ex.security == "deny":
        tone, verdict = (
            "critical",
            (
                f"Exec security is deny for {policy.agent_id} (from {ex.security_source}): the config lets "
                "no command run. Deny it unless the config is about to change."
            ),
        )
    elif ex.security == "full" and ex.ask == "off":
        tone, verdict = (
            "warning",
            (
                f"The config lets {policy.agent_id} run any command without asking (security full, ask off, "
                f"from {ex.security_source}), so this request was raised by a stricter setting elsewhere, "
                "such as the gateway host's approvals file."
            ),
        )
    else:
        tone, verdict = (
            "info",
            (
                f"Consistent with the config: {policy.agent_id} may use exec, in mode {ex.mode} "
                f"(security {ex.security}, ask {ex.ask}; set at {ex.config_path})."
            ),
        )
    return {
        "session": item.session_key,
        "reasons": reasons,
        "verdict": verdict,
        "tone": tone,
        "mode": ex.mode,
        "security": ex.security,
        "ask": ex.ask,
        "config_path": ex.config_path,
        # What the gateway said it applied, when it said so (it may differ from the stored config).
        "applied": {"security": analysis["security"], "ask": analysis.get("ask", "")}
        if analysis.get("security")
        else None,
    }


# --- devices -------------------------------------------------------------------------------------------

STALE_AFTER = timedelta(days=7)


def device_group_key(device: Device) -> tuple[str, ...]:
    """Devices with the same key are the same client paired again (e.g. an ephemeral CLI run that got
    a new identity each time). Unnamed records without client details are never grouped."""
    if not (device.name or device.client_id or device.host):
        return ("device", device.device_id)
    return (device.role, device.name, device.client_id or device.client_mode, device.platform, device.host)


def devices_stale(*, gateway: Gateway, now: datetime | None = None) -> list[Device]:
    """Records safe to clean up: revoked devices, and duplicates of a more recently active record of the
    same client that have not been active for ``STALE_AFTER``. The newest record of a client stays."""
    now = now or timezone.now()
    groups: dict[tuple[str, ...], list[Device]] = {}
    for device in gateway.devices.all():
        groups.setdefault(device_group_key(device), []).append(device)
    stale = []
    for members in groups.values():
        members.sort(key=lambda d: d.last_active_at, reverse=True)
        for i, device in enumerate(members):
            if device.revoked_at is not None or (i > 0 and now - device.last_active_at >= STALE_AFTER):
                stale.append(device)
    return sorted(stale, key=lambda d: (d.name, d.device_id))


def device_groups(devices: list) -> list[dict]:
    """The devices of one page grouped by client: a client paired several times is one group whose
    newest record comes first and whose older records are its duplicates."""
    groups: dict[tuple[str, ...], list] = {}
    for device in devices:
        groups.setdefault(device_group_key(device), []).append(device)
    out = []
    for members in groups.values():
        members.sort(key=lambda d: (d.revoked_at is not None, -d.last_active_at.timestamp()))
        out.append({"device": members[0], "duplicates": members[1:]})
    return out


def gateway_lease_view(*, gateway: Gateway, now: datetime | None = None) -> dict:
    """Which gateway worker holds the gateway's connection (host, pid, since), for the Connection page.

    ``state``: ``held`` (renewed in time), ``lapsed`` (its worker stopped renewing: another live
    worker takes it over shortly) or ``free`` (no worker holds it); ``workers`` counts the live
    workers, ``others`` those besides the holder.
    """
    now = now or timezone.now()
    horizon = now - timedelta(seconds=settings.CP_GATEWAY_LEASE_SECONDS)
    lease = GatewayLease.objects.filter(gateway=gateway).select_related("holder").first()
    live = GatewayWorkerProcess.objects.filter(seen_at__gt=horizon)
    view: dict = {"state": "free", "workers": live.count()}
    if lease is not None and lease.holder is not None:
        view.update(
            others=live.exclude(pk=lease.holder_id).count(),  # who could take a lapsed lease over
            state="held" if lease.expires_at > now else "lapsed",
            hostname=lease.holder.hostname,
            pid=lease.holder.pid,
            since=lease.acquired_at,
            expires_at=lease.expires_at,
            generation=lease.generation,
        )
    return view


# --- notifications ----------------------------------------------------------------------------------


def alert_deliveries(*, alert) -> list:
    """The notifications sent about ``alert`` (newest first), each with its attempts: the delivery log."""
    from controlpanel.models import Notification

    return list(
        Notification.objects.filter(alerts=alert)
        .select_related("receiver", "user", "push_subscription")
        .prefetch_related("attempts_log")
        .order_by("-id")[:50]
    )


def receiver_deliveries(*, receiver, limit: int = 50) -> list:
    """The latest notifications to ``receiver`` with their attempts: its delivery log."""
    return list(receiver.notifications.prefetch_related("attempts_log").order_by("-id")[:limit])


# --- config history and changes (issue 18) ------------------------------------------------------------


def config_history(*, gateway: Gateway) -> dict:
    """The revisions of a gateway, newest first, with the one known to run on the gateway marked."""
    from controlpanel.models import GatewayLink

    revisions = list(gateway.revisions.select_related("author").defer("text"))
    link = GatewayLink.objects.filter(gateway=gateway).first()
    return {
        "revisions": revisions,
        "live_revision_id": link.live_revision_id if link else None,
        "linked": bool(link and link.remote_config_hash),
    }


def config_compare(*, gateway: Gateway, old, new) -> dict:
    """Two revisions (``old`` may be None: the first import) line by line and by meaning."""
    from controlpanel.configedit.review import review

    result = review(old.text if old is not None else "", new.text)
    return {"review": result, "hunks": result.hunks, "keys": result.keys, "whatif": result.whatif}


def config_three_way(*, gateway: Gateway, yours: str, base_hash: str) -> dict:
    """Yours, theirs (the current revision) and the base you started from, plus a merge when the two
    changes do not touch the same keys (theirs with your changes on top, as a minimal edit)."""
    from controlpanel.configedit.diff import text_diff
    from controlpanel.configedit.merge import three_way
    from controlpanel.lib.json5edit import rewrite
    from controlpanel.openclaw import ConfigSyntaxError, parse_json5, redact_text

    def shown(text: str) -> str:
        try:
            return redact_text(text)
        except ConfigSyntaxError:
            return text

    theirs = gateway.revisions.first()
    base = gateway.revisions.filter(sha256=base_hash).first()
    base_text = base.text if base else ""
    merged_text, conflicts = None, []
    try:
        merge = three_way(parse_json5(base_text or "{}"), parse_json5(yours), parse_json5(theirs.text))
        conflicts = merge.conflicts
        if not conflicts:
            merged_text = shown(rewrite(theirs.text, merge.merged))
    except ConfigSyntaxError:
        conflicts = ["<root>"]
    return {
        "base": base,
        "theirs": theirs,
        "base_text": shown(base_text),
        "theirs_text": shown(theirs.text),
        "yours_text": shown(yours),
        "theirs_hunks": text_diff(shown(base_text), shown(theirs.text)),
        "yours_hunks": text_diff(shown(base_text), shown(yours)),
        "merged_text": merged_text,
        "conflicts": conflicts,
    }


def config_form(*, gateway: Gateway) -> dict:
    """The config form's sections for the current revision, with the current audit findings per field."""
    from controlpanel.audit import run_audit
    from controlpanel.configedit.fields import form_sections
    from controlpanel.configedit.review import loaded

    result = loaded(gateway.config_text or "{}")
    config = result.raw or {}
    findings = [f.to_json() for f in run_audit(result.resolved or config).findings]
    return {
        "form_sections": form_sections(config, findings),
        "base_hash": gateway.config_hash,
        "head": gateway.revisions.first(),
    }


@dataclass
class LiveState:
    """What the Live page shows: the running config and how it relates to the panel's revisions."""

    link: GatewayLink | None
    running: ConfigRevision | None  # the revision known to run there
    current: ConfigRevision | None  # the panel's newest revision
    drift: bool
    live_text: str


def live_state(*, gateway: Gateway) -> LiveState:
    link = GatewayLink.objects.filter(gateway=gateway).select_related("live_revision").first()
    current = gateway.revisions.first()
    if link is None or not link.remote_config_hash:
        return LiveState(link, None, current, False, "")
    running = link.live_revision
    return LiveState(link, running, current, running is None, link.remote_config_text)


def drift_whatif(current: ConfigRevision, live_text: str):
    from controlpanel.configedit.review import loaded
    from controlpanel.configedit.whatif import whatif

    """What the running config does that the panel's current revision does not (None if unreadable)."""
    live = loaded(live_text)
    if live.raw is None:
        return None
    ours = loaded(current.text)
    return whatif(ours.resolved or ours.raw or {}, live.resolved or live.raw or {})


def config_live(*, gateway: Gateway) -> dict:
    """The Live page: the running config against the panel's revisions, the drift, recent pushes."""
    from controlpanel.configedit.diff import key_changes, text_diff
    from controlpanel.models import GatewayConfigPush
    from controlpanel.openclaw import ConfigSyntaxError, parse_json5, redact_text

    state = live_state(gateway=gateway)
    context: dict = {
        "state": state,
        "pushes": list(
            GatewayConfigPush.objects.filter(gateway=gateway).select_related("created_by", "revision")[:10]
        ),
        "revisions": list(gateway.revisions.values_list("number", flat=True)[:50]),
    }
    if state.drift and state.current is not None:
        context["whatif"] = drift_whatif(state.current, state.live_text)
        context["hunks"] = text_diff(redact_text(state.current.text), state.live_text)
        try:
            context["keys"] = key_changes(parse_json5(state.current.text), parse_json5(state.live_text))
        except ConfigSyntaxError:
            context["keys"] = []
    return context


@dataclass(frozen=True)
class FleetProgress:
    """How far a fleet change got: its gateways counted by state."""

    total: int
    working: int  # being previewed or applied
    saved: int
    unchanged: int
    not_saved: int
    blocked: int  # previewed, and the change would make their config invalid

    @property
    def done(self) -> int:
        return self.total - self.working

    @property
    def finished(self) -> bool:
        return self.working == 0


def fleet_change(*, user, code) -> dict | None:
    """A fleet change of ``user`` (only its author sees it): each gateway's preview or result, with its
    push when one was queued, and the progress. None when there is no such change of this user."""
    from controlpanel.background.state import workers_alive
    from controlpanel.models import FleetChange, FleetChangeTarget

    fleet = FleetChange.objects.filter(code=code, created_by=user).first()
    if fleet is None:
        return None
    targets = list(fleet.targets.select_related("gateway", "revision", "push").order_by("name", "pk"))
    count = {s: 0 for s in FleetChangeTarget.Status.values}
    for t in targets:
        count[t.status] += 1
    Status = FleetChangeTarget.Status
    progress = FleetProgress(
        total=len(targets),
        working=count[Status.PREVIEWING] + count[Status.APPLYING],
        saved=count[Status.SAVED],
        unchanged=count[Status.UNCHANGED],
        not_saved=count[Status.NOT_SAVED],
        blocked=sum(1 for t in targets if t.status == Status.PREVIEWED and not t.preview.get("valid")),
    )
    return {
        "fleet": fleet,
        "targets": targets,
        "progress": progress,
        "workers_alive": workers_alive() if not progress.finished else True,
    }
