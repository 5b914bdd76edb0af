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


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {
        400: "Bad input: the error names the field path",
        401: "Not authenticated",
        403: "Role too low; or, for an owner-only write with a session (not a token), the password was "
        "entered more than 15 minutes ago (code recent_auth_required)",
        404: "No such gateway (or not yours)",
        409: "Name taken",
        413: "Body too large",
        415: "Body is not application/json",
    }
    return {str(c): _json(ERROR, text[c]) for c in codes}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenClaw control panel API",
            "version": "1",
            "description": "Gateways and their openclaw.json configs. Same per-gateway roles as the pages.",
        },
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "A personal API token (cpu_…)"},
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
                            "properties": {**CONFIG_BODY["properties"], "name": {"type": "string"}},
                        }
                    ),
                    "responses": {
                        "201": _json(GATEWAY, "Created"),
                        "400": {
                            "description": "Invalid config (issues by path) or bad field",
                            "content": {"application/json": {"schema": {"oneOf": [VALIDATION, ERROR]}}},
                        },
                        **_errors(401, 409, 413, 415),
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
                    "summary": "Replace the gateway's config (owners); nothing is saved unless it is valid",
                    "parameters": [CODE],
                    "requestBody": _body(CONFIG_BODY),
                    "responses": {
                        "200": _json(GATEWAY, "Saved"),
                        "400": {
                            "description": "Invalid config (issues by path) or bad field",
                            "content": {"application/json": {"schema": {"oneOf": [VALIDATION, ERROR]}}},
                        },
                        **_errors(401, 403, 404, 413, 415),
                    },
                }
            },
            "/api/v1/config/validate/": {
                "post": {
                    "summary": "Validate a config without saving it",
                    "requestBody": _body(CONFIG_BODY),
                    "responses": {"200": _json(VALIDATION, "The verdict"), **_errors(400, 401, 413, 415)},
                }
            },
        },
    }
