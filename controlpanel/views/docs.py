"""Help pages: what to send to the ingest endpoint, with copyable examples.

The field tables are generated from the event models the ingest endpoint validates against
(controlpanel/events/models.py), so they cannot drift; every example here is posted to the real
endpoint by tests/views/test_docs.py and must be accepted.
"""

from __future__ import annotations

import json
import re
import typing
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from controlpanel.events.models import Event
from controlpanel.models import Gateway

# Examples, newest practice first. Each body is sent as is by the test.
JSON_EXAMPLES: list[dict[str, str]] = [
    {
        "id": "one-event",
        "title": "One event",
        "note": "An object with a type. Unknown fields are refused (400 names the field).",
        "body": {
            "type": "exec.denied",
            "agent": "ops",
            "command": "curl https://example.com/install.sh | sh",
            "reason": "approval-required",
            "session_key": "agent:ops:main",
        },
    },
    {
        "id": "batch",
        "title": "A batch",
        "note": 'An array, or {"events": [...]}, of up to 10,000 events; one bad event rejects the whole '
        "batch and nothing is stored.",
        "body": {
            "events": [
                {
                    "type": "clw-memory-denied",
                    "ts": "2026-11-21T08:32:14Z",
                    "operation": "read",
                    "address": "0x7fff5a3c0000",
                    "required_permission": "clw_mem_read",
                    "session_permissions": "clw_mem_none",
                    "sandbox_policy": "strict",
                    "process": "plugin-fetcher",
                    "pid": 12847,
                },
                {
                    "type": "memory.sample",
                    "workload": "payment-processor",
                    "usage_bytes": 1824522240,
                    "limit_bytes": 2147483648,
                },
            ]
        },
    },
    {
        "id": "pressure",
        "title": "Memory pressure",
        "note": "Percentages are worked out from usage and limit, never taken on trust. A warning (80 %) or "
        "critical (90 %) alert fires only after the level held for 60 s: the answer lists such "
        "readings under pending.",
        "body": {
            "type": "clw-memory-pressure",
            "workload": "payment-processor",
            "usage_bytes": 1996488704,
            "limit_bytes": 2147483648,
        },
    },
]
TEXT_EXAMPLES: list[dict[str, str]] = [
    {
        "id": "log-lines",
        "title": "Log lines",
        "note": "text/plain: OpenClaw's own log and terminal lines, one event per line (multi-line blocks "
        "are joined). Lines the panel does not recognise are kept verbatim, never dropped.",
        "body": "[2026-11-21 08:32:14] [WARN] clw-memory-denied: Access denied to region 0x100000-0x110000\n"
        "[OpenClaw v2.4.1] ERROR: clw-memory-denied Attempted access to protected memory region at "
        "0x7fff5a3c0000 Operation: read Required permission: clw_mem_read Current session permissions: "
        "clw_mem_none Sandbox policy: strict Process: plugin-fetcher (PID 12847)\n",
    },
]


def _type_of(schema: dict) -> str:
    """A field's JSON schema in words: "text (up to 512)", "integer ≥ 0", "time (ISO 8601)"."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    words = []
    for s in options:
        kind = s.get("type", "")
        if "enum" in s:
            words.append(" | ".join(str(v) for v in s["enum"]))
        elif "$ref" in s:
            words.append("info | warning | critical")
        elif s.get("format") == "date-time":
            words.append("time (ISO 8601)")
        elif kind == "string" and s.get("pattern"):
            words.append("hex address (0x…)")
        elif kind == "string":
            words.append("text")
        elif kind in ("integer", "number"):
            words.append("integer" if kind == "integer" else "number")
        elif kind:
            words.append(kind)
    return " or ".join(words) or "any"


def _about(model) -> str:
    """The model's first docstring line without its leading type name and reST quotes."""
    line = (model.__doc__ or "").strip().splitlines()[0]
    line = re.sub(r"^``[^`]+``[^:]*:\s*", "", line)
    return line.replace("``", "")


def event_types() -> list[dict]:
    """Each accepted event type with its fields, read from the models the endpoint validates with."""
    models = typing.get_args(typing.get_args(Event)[0])
    out = []
    for model in models:
        schema = model.model_json_schema()
        required = set(schema.get("required", []))
        fields = [
            {"name": name, "type": _type_of(prop), "required": name in required}
            for name, prop in schema["properties"].items()
            if name != "type"
        ]
        out.append(
            {
                "type": schema["properties"]["type"].get("const") or schema["properties"]["type"]["default"],
                "about": _about(model),
                "severity": model.default_severity.value,
                "fields": fields,
            }
        )
    return out


@require_GET
def favicon(request) -> HttpResponse:
    """Browsers and tools ask for /favicon.ico whatever the page links: send them to the static icon."""
    return redirect(static("img/favicon.svg"), permanent=True)


@login_required
@require_GET
def ingest_formats(request) -> HttpResponse:
    """The event formats of ``POST /api/v1/gateways/<code>/events``, for whoever sets up a sender."""
    gateway = None
    if code := request.GET.get("gateway"):
        try:
            gateway = Gateway.objects.visible_to(request.user).filter(code=UUID(code)).first()
        except ValueError:
            gateway = None
    path = reverse("api-ingest-events", kwargs={"code": gateway.code}) if gateway else None
    url = (
        request.build_absolute_uri(path)
        if path
        else request.build_absolute_uri("/api/v1/gateways/") + ("<gateway code>/events")
    )
    examples = []
    for example in JSON_EXAMPLES:
        body = json.dumps(example["body"], indent=2)
        examples.append({**example, "body": body, "content_type": "application/json"})
    examples += [{**e, "content_type": "text/plain"} for e in TEXT_EXAMPLES]
    for example in examples:
        flag = "--data-binary @-" if example["content_type"] == "text/plain" else "--data @-"
        example["curl"] = (
            f"curl -sS -X POST '{url}' \\\n"
            '  -H "Authorization: Bearer $CP_INGEST_TOKEN" \\\n'
            f"  -H 'Content-Type: {example['content_type']}' \\\n"
            f"  {flag} <<'EOF'\n{example['body'].rstrip()}\nEOF"
        )
    context = {"gateway": gateway, "url": url, "examples": examples, "event_types": event_types()}
    return render(request, "docs/ingest.html", context)
