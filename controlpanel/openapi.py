"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json.

Kept by hand next to views/api.py; tests/security/test_api_schema.py runs schemathesis against it,
so a response that drifts from this description fails the suite.
"""

from __future__ import annotations

from typing import Any

ISSUE = {
    "type": "object",
    "required": ["path", "message"],
    "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
}
VALIDATION = {
    "type": "object",
    "required": ["valid"],
    "properties": {
        "valid": {"type": "boolean"},
        "issues": {"type": "array", "items": ISSUE},
        "warnings": {"type": "array", "items": ISSUE},
    },
    "description": "The shape of `openclaw config validate --json` (without the file path).",
}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "path": {"type": "string"},
        # 403 of an owner-only write on a session whose password entry is older than 15 minutes
        "code": {"type": "string", "enum": ["recent_auth_required"]},
        "reauth": {"type": "string", "description": "the page that confirms the password"},
    },
}
GATEWAY = {
    "type": "object",
    "required": ["code", "name", "status", "bind", "authMode", "configHash"],
    "properties": {
        "code": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "status": {"enum": ["online", "degraded", "offline", "unknown"]},
        "bind": {"type": "string"},
        "port": {"type": ["integer", "null"]},
        "authMode": {"type": "string"},
        "configHash": {"type": "string"},
        "role": {"enum": ["viewer", "admin", "owner"]},
    },
}
GATEWAY_DETAIL = {
    "allOf": [GATEWAY],
    "type": "object",
    "properties": {
        "agents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "default"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "model": {"type": "string"},
                    "default": {"type": "boolean"},
                },
            },
        }
    },
}
CONFIG_BODY = {
    "type": "object",
    "required": ["config"],
    "additionalProperties": False,
    "properties": {
        "config": {"type": "string", "description": "openclaw.json text (JSON5)"},
        "env": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "values for ${VAR} references; used for the check only, never stored",
        },
    },
}


NULLABLE_STRING = {"type": ["string", "null"]}
REQUEST = {
    "type": "object",
    "required": ["code", "gateway", "kind", "status", "requestedAt", "expiresAt"],
    "properties": {
        "code": {"type": "string", "format": "uuid"},
        "gateway": {"type": "string", "format": "uuid"},
        "kind": {"enum": ["dm", "device", "node", "exec"]},
        "status": {"enum": ["pending", "approved", "rejected", "allowed", "denied", "expired", "cancelled"]},
        "requestedAt": {"type": "string", "format": "date-time"},
        "expiresAt": {"type": "string", "format": "date-time"},
        "decidedAt": NULLABLE_STRING,
        "decidedBy": NULLABLE_STRING,
        "agent": {"type": "string"},
        "command": {"type": "string"},
        "cwd": {"type": "string"},
        "sessionKey": {"type": "string"},
        "allowedDecisions": {"type": "array", "items": {"type": "string"}},
        "decision": NULLABLE_STRING,
        "channel": {"type": "string"},
        "account": {"type": "string"},
        "sender": {"type": "string"},
        "senderName": {"type": "string"},
        "device": {"type": "string"},
        "deviceName": {"type": "string"},
        "platform": {"type": "string"},
        "role": {"type": "string"},
        "scopes": {"type": "array", "items": {"type": "string"}},
    },
    "description": "A pairing or exec request. A DM request never carries its pairing code.",
}
DECISION_ANSWER = {
    "type": "object",
    "required": ["request", "won", "message"],
    "properties": {
        "request": REQUEST,
        "won": {"type": "boolean"},
        "message": {"type": "string"},
        "deviceToken": {
            "type": "string",
            "description": "A newly paired device's token (panel-only requests): shown once, stored hashed",
        },
    },
}
ALERT = {
    "type": "object",
    "required": ["id", "gateway", "type", "subject", "severity", "state", "message", "count"],
    "properties": {
        "id": {"type": "integer"},
        "gateway": {"type": "string", "format": "uuid"},
        "type": {"type": "string"},
        "subject": {"type": "string"},
        "severity": {"enum": ["info", "warning", "critical"]},
        "state": {"enum": ["firing", "acknowledged", "resolved"]},
        "message": {"type": "string"},
        "count": {"type": "integer"},
        "firstSeen": {"type": "string", "format": "date-time"},
        "lastSeen": {"type": "string", "format": "date-time"},
        "acknowledgedBy": NULLABLE_STRING,
    },
}
AUDIT_RUN = {
    "type": "object",
    "required": ["code", "gateway", "status", "createdAt", "summary"],
    "properties": {
        "code": {"type": "string", "format": "uuid"},
        "gateway": {"type": "string", "format": "uuid"},
        "status": {"enum": ["queued", "running", "succeeded", "failed", "timed_out"]},
        "createdAt": {"type": "string", "format": "date-time"},
        "summary": {"type": "object", "additionalProperties": {"type": "integer"}},
        "configHash": {"type": "string"},
        "report": {
            "type": ["object", "null"],
            "description": "The JSON of `openclaw security audit --json` (summary, findings, ...)",
        },
        "error": NULLABLE_STRING,
    },
}
INGEST_RESULT = {
    "type": "object",
    "required": ["accepted", "alerts_created", "alerts_updated", "samples", "pending"],
    "properties": {
        "accepted": {"type": "integer"},
        "alerts_created": {"type": "integer"},
        "alerts_updated": {"type": "integer"},
        "samples": {"type": "integer"},
        "last_event_id": {"type": ["integer", "null"]},
        "escaped": {
            "type": "array",
            "description": "Text no database can store (NUL, lone surrogates), kept escaped: where and how",
            "items": {"type": "object"},
        },
        "pending": {
            "type": "array",
            "description": "Readings over a threshold still in their pending period: no alert yet.",
            "items": {
                "type": "object",
                "required": ["alert", "subject", "level", "fires_in_seconds", "hint"],
                "properties": {
                    "alert": {"type": "string"},
                    "subject": {"type": "string"},
                    "level": {"enum": ["warning", "critical"]},
                    "fires_in_seconds": {"type": "integer"},
                    "hint": {"type": "string"},
                },
            },
        },
    },
}
INGEST_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "path": {"type": ["string", "null"]},
        "line": {"type": ["integer", "null"]},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "path": {"type": ["string", "null"]},
                    "line": {"type": ["integer", "null"]},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}
REVISION = {
    "type": "object",
    "required": ["number", "sha256", "parent", "author", "source", "reason", "createdAt"],
    "properties": {
        "number": {"type": "integer"},
        "sha256": {"type": "string"},
        "parent": {"type": ["integer", "null"]},
        "author": {"type": "string"},
        "source": {
            "enum": [
                "import",
                "editor",
                "form",
                "fix",
                "migration",
                "approval",
                "rollback",
                "pulled",
                "fleet",
            ]
        },
        "reason": {"type": "string"},
        "createdAt": {"type": "string", "format": "date-time"},
        "text": {"type": "string", "description": "the file, secrets redacted"},
    },
}
KEY_CHANGE = {
    "type": "object",
    "required": ["path", "change"],
    "properties": {"path": {"type": "string"}, "change": {"enum": ["added", "removed", "changed"]}},
}
WHATIF = {
    "type": ["object", "null"],
    "description": "Per agent: tools gained and lost, sandbox/exec/elevated changes; audit findings that "
    "appear, go or change severity; loosens: whether any agent may do more afterwards.",
    "properties": {
        "agents": {"type": "array", "items": {"type": "object"}},
        "findings": {"type": "array", "items": {"type": "object"}},
        "loosens": {"type": "boolean"},
    },
}
REVIEW = {
    "type": "object",
    "required": ["valid", "issues", "warnings", "changed"],
    "properties": {
        "valid": {"type": "boolean"},
        "issues": {"type": "array", "items": ISSUE},
        "warnings": {"type": "array", "items": ISSUE},
        "changed": {"type": "boolean"},
        "whatIf": WHATIF,
        "keys": {"type": "array", "items": KEY_CHANGE},
        "reviewToken": {
            "type": "string",
            "description": "send it back with the same body to save (valid changes only)",
        },
    },
    "description": "What saving would do (dryRun): nothing is saved.",
}
CONFLICT = {
    "type": "object",
    "required": ["error", "head"],
    "properties": {
        "error": {"type": "string"},
        "path": {"type": "string"},
        "head": {"oneOf": [REVISION, {"type": "null"}]},
    },
}
SAVE_BODY = {
    "type": "object",
    "required": ["config", "baseHash"],
    "additionalProperties": False,
    "properties": {
        "config": {"type": "string", "description": "the whole openclaw.json; redacted secrets are kept"},
        "baseHash": {"type": "string", "description": "configHash of the revision the edit starts from"},
        "reason": {"type": "string", "description": "why (required to save)"},
        "dryRun": {"type": "boolean", "description": "only validate and show what it would do"},
        "reviewToken": {
            "type": "string",
            "description": "from the dry run of this same body (required to save)",
        },
    },
}
REVIEWED = {
    "dryRun": SAVE_BODY["properties"]["dryRun"],
    "reviewToken": SAVE_BODY["properties"]["reviewToken"],
    "reason": SAVE_BODY["properties"]["reason"],
}
ROLLBACK_BODY = {
    "type": "object",
    "required": ["baseHash"],
    "additionalProperties": False,
    "properties": {k: v for k, v in SAVE_BODY["properties"].items() if k != "config"},
}
DIFF = {
    "type": "object",
    "required": ["from", "to", "unified", "keys", "whatIf"],
    "properties": {
        "from": {"type": "integer"},
        "to": {"type": "integer"},
        "unified": {"type": "string"},
        "keys": {"type": "array", "items": KEY_CHANGE},
        "whatIf": WHATIF,
    },
}
DRIFT = {
    "type": "object",
    "required": ["linked", "liveHash", "currentRevision", "runningRevision", "drift", "keys", "whatIf"],
    "properties": {
        "linked": {"type": "boolean"},
        "liveHash": {"type": "string"},
        "fetchedAt": {"type": ["string", "null"]},
        "currentRevision": {"type": ["integer", "null"]},
        "runningRevision": {"type": ["integer", "null"], "description": "null: drift, or not read yet"},
        "drift": {"type": "boolean"},
        "keys": {"type": "array", "items": KEY_CHANGE},
        "whatIf": WHATIF,
    },
}
NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {
        400: "Bad input: the error names the field path",
        401: "Not authenticated",
        403: "Role too low; or, for an owner-only write with a session (not a token), the password was "
        "entered more than 15 minutes ago (code recent_auth_required)",
        404: "No such gateway (or not yours)",
        409: "Conflict: the name is taken, or the request or alert was decided otherwise",
        410: "The request expired",
        413: "Body too large",
        415: "Body is not application/json",
        428: "Review first: send the body with dryRun: true, then again with its reviewToken",
    }
    return {str(c): _json(ERROR, text[c]) for c in codes}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
ALERT_ID = {"name": "pk", "in": "path", "required": True, "schema": {"type": "integer"}}


def _ingest() -> dict:
    """``POST /api/v1/gateways/{code}/events``: authenticated by an ingest token, not a user's."""
    events = {
        "oneOf": [
            {"type": "object", "description": 'One event: {"type": "exec.denied", ...}'},
            {"type": "array", "items": {"type": "object"}},
            {"type": "object", "required": ["events"], "properties": {"events": {"type": "array"}}},
        ]
    }
    errors = {
        "400": "The body does not parse: the error names the field path or line",
        "401": "No valid ingest token for this gateway",
        "404": "Not a gateway code",
        "413": "Body too large",
        "415": "Neither application/json nor text/plain",
        "429": "Too many requests for this token (see Retry-After)",
    }
    return {
        "post": {
            "summary": "Send runtime events (denials, memory readings, log lines) from a gateway",
            "description": "Formats with examples: /docs/ingest/ in the panel. Nothing is stored unless the "
            "whole batch is valid.",
            "security": [{"ingest": []}],
            "parameters": [CODE],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": events},
                    "text/plain": {"schema": {"type": "string", "description": "OpenClaw log lines"}},
                },
            },
            "responses": {
                "202": _json(INGEST_RESULT, "Stored"),
                **{code: _json(INGEST_ERROR, text) for code, text in errors.items()},
            },
        }
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenClaw control panel API",
            "version": "1",
            "description": "Gateways and their openclaw.json configs, approvals, alerts, audit reports and "
            "event ingest. Same per-gateway roles as the pages.",
        },
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "A personal API token (cpu_…)"},
                "ingest": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A gateway's ingest token (cpi_…), made on the gateway's Alerts tab",
                },
            }
        },
        "security": [{"token": []}],
        "paths": {
            "/api/v1/gateways/": {
                "get": {
                    "summary": "Gateways you are a member of, with your role",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["gateways"],
                                "properties": {"gateways": {"type": "array", "items": GATEWAY}},
                            },
                            "OK",
                        ),
                        **_errors(401),
                    },
                }
            },
            "/api/v1/gateways/new/": {
                "post": {
                    "summary": "Create a gateway from a config (you become its owner)",
                    "requestBody": _body(
                        {
                            **CONFIG_BODY,
                            "required": ["name", "config"],
                            "properties": {
                                **CONFIG_BODY["properties"],
                                **REVIEWED,
                                "name": {"type": "string"},
                            },
                        }
                    ),
                    "responses": {
                        "200": _json(REVIEW, "Dry run: validation, what each agent may do, the audit"),
                        "201": _json(GATEWAY, "Created"),
                        "400": {
                            "description": "Invalid config (issues by path) or bad field",
                            "content": {"application/json": {"schema": {"oneOf": [VALIDATION, ERROR]}}},
                        },
                        **_errors(401, 409, 413, 415, 428),
                    },
                }
            },
            "/api/v1/gateways/{code}/": {
                "get": {
                    "summary": "One gateway with its agents",
                    "parameters": [CODE],
                    "responses": {"200": _json(GATEWAY_DETAIL, "OK"), **_errors(401, 404)},
                }
            },
            "/api/v1/gateways/{code}/config/": {
                "put": {
                    "summary": "Replace the gateway's config (owners; deprecated, use config/revisions/): "
                    "dryRun first, then the same body with its reviewToken and a reason",
                    "deprecated": True,
                    "parameters": [CODE],
                    "requestBody": _body(
                        {**CONFIG_BODY, "properties": {**CONFIG_BODY["properties"], **REVIEWED}}
                    ),
                    "responses": {
                        "200": _json({"oneOf": [GATEWAY, REVIEW]}, "Saved, or the dry run's review"),
                        "409": _json(CONFLICT, "The config changed since the review: nothing saved"),
                        "400": {
                            "description": "Invalid config (issues by path) or bad field",
                            "content": {"application/json": {"schema": {"oneOf": [VALIDATION, ERROR]}}},
                        },
                        **_errors(401, 403, 404, 413, 415, 428),
                    },
                }
            },
            "/api/v1/gateways/{code}/config/revisions/": {
                "get": {
                    "summary": "The config's revisions, newest first",
                    "parameters": [CODE],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["revisions"],
                                "properties": {"revisions": {"type": "array", "items": REVISION}},
                            },
                            "OK",
                        ),
                        **_errors(401, 404),
                    },
                },
                "post": {
                    "summary": "Save a new revision (owners), guarded by baseHash; dryRun: what it would do",
                    "parameters": [CODE],
                    "requestBody": _body(SAVE_BODY),
                    "responses": {
                        "200": _json(REVIEW, "Dry run: validation and what-if, nothing saved"),
                        "201": _json(REVISION, "Saved"),
                        "409": _json(CONFLICT, "The config changed since baseHash: nothing saved"),
                        **_errors(400, 401, 403, 404, 413, 415, 428),
                    },
                },
            },
            "/api/v1/gateways/{code}/config/revisions/{number}/": {
                "get": {
                    "summary": "One revision with its text (secrets redacted)",
                    "parameters": [CODE, NUMBER],
                    "responses": {"200": _json(REVISION, "OK"), **_errors(401, 404)},
                }
            },
            "/api/v1/gateways/{code}/config/revisions/{number}/rollback/": {
                "post": {
                    "summary": "Make this revision's exact text the newest revision (owners)",
                    "parameters": [CODE, NUMBER],
                    "requestBody": _body(ROLLBACK_BODY),
                    "responses": {
                        "200": _json(REVIEW, "Dry run"),
                        "201": _json(REVISION, "Saved"),
                        "409": _json(CONFLICT, "The config changed since baseHash: nothing saved"),
                        **_errors(400, 401, 403, 404, 413, 415, 428),
                    },
                }
            },
            "/api/v1/gateways/{code}/config/diff/": {
                "get": {
                    "summary": "Two revisions compared: lines (redacted), keys, tools per agent, findings",
                    "parameters": [
                        CODE,
                        {"name": "from", "in": "query", "required": True, "schema": {"type": "integer"}},
                        {"name": "to", "in": "query", "required": True, "schema": {"type": "integer"}},
                    ],
                    "responses": {"200": _json(DIFF, "OK"), **_errors(400, 401, 404)},
                }
            },
            "/api/v1/gateways/{code}/config/drift/": {
                "get": {
                    "summary": "Which revision the live gateway runs, or how it differs",
                    "parameters": [CODE],
                    "responses": {"200": _json(DRIFT, "OK"), **_errors(401, 404)},
                }
            },
            "/api/v1/config/validate/": {
                "post": {
                    "summary": "Validate a config without saving it",
                    "requestBody": _body(CONFIG_BODY),
                    "responses": {"200": _json(VALIDATION, "The verdict"), **_errors(400, 401, 413, 415)},
                }
            },
            "/api/v1/gateways/{code}/events": _ingest(),
            "/api/v1/gateways/{code}/audits/": {
                "get": {
                    "summary": "The gateway's audit runs, newest first",
                    "parameters": [CODE],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["runs"],
                                "properties": {"runs": {"type": "array", "items": AUDIT_RUN}},
                            },
                            "OK",
                        ),
                        **_errors(401, 404),
                    },
                }
            },
            "/api/v1/audits/{code}/": {
                "get": {
                    "summary": "One audit run and its report (the JSON of openclaw security audit --json)",
                    "parameters": [CODE],
                    "responses": {"200": _json(AUDIT_RUN, "OK"), **_errors(401, 404)},
                }
            },
            "/api/v1/approvals/": {
                "get": {
                    "summary": "Pending pairing and exec requests on your gateways, soonest to expire first",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["requests"],
                                "properties": {"requests": {"type": "array", "items": REQUEST}},
                            },
                            "OK",
                        ),
                        **_errors(401),
                    },
                }
            },
            "/api/v1/approvals/{code}/decision/": {
                "post": {
                    "summary": "Decide a request (admins): approve/reject, or allow-once/allow-always/deny",
                    "description": "First answer wins: a repeat of the same decision is 200 and names the "
                    "winner, a different one 409, an expired request 410. Approving a device or node "
                    "grants lasting access: with a session, the password must have been entered in "
                    "the last 15 minutes (403 recent_auth_required); a personal token counts as recent.",
                    "parameters": [CODE],
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["decision"],
                            "additionalProperties": False,
                            "properties": {
                                "decision": {
                                    "enum": sorted(
                                        ["approve", "reject", "allow-once", "allow-always", "deny"]
                                    )
                                },
                                "reason": {"type": "string"},
                            },
                        }
                    ),
                    "responses": {
                        "200": _json(DECISION_ANSWER, "Decided (or the same decision again)"),
                        "403": _json({"oneOf": [DECISION_ANSWER, ERROR]}, "Refused by a rule or your role"),
                        "409": _json(DECISION_ANSWER, "Decided otherwise first"),
                        "410": _json(DECISION_ANSWER, "Expired"),
                        **_errors(400, 401, 404, 413, 415),
                    },
                }
            },
            "/api/v1/alerts/": {
                "get": {
                    "summary": "Alerts on your gateways: open first, most severe first",
                    "parameters": [
                        {"name": "state", "in": "query", "required": False, "schema": {"enum": ["firing"]}}
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["alerts"],
                                "properties": {"alerts": {"type": "array", "items": ALERT}},
                            },
                            "OK",
                        ),
                        **_errors(400, 401),
                    },
                }
            },
            "/api/v1/alerts/{pk}/acknowledge/": {
                "post": {
                    "summary": "Acknowledge a firing alert (admins): you own it; it stays open",
                    "parameters": [ALERT_ID],
                    "responses": {"200": _json(ALERT, "Acknowledged"), **_errors(401, 403, 404, 409)},
                }
            },
            "/api/v1/alerts/{pk}/resolve/": {
                "post": {
                    "summary": "Resolve an open alert (admins)",
                    "parameters": [ALERT_ID],
                    "responses": {"200": _json(ALERT, "Resolved"), **_errors(401, 403, 404, 409)},
                }
            },
        },
    }
