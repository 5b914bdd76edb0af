"""ConfigIssue and the translation of pydantic errors into the real validator's paths and wording."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

ROOT_PATH = "<root>"  # what `openclaw config validate --json` prints for the top level


class ConfigIssue(BaseModel):
    """One error or warning: dotted path (``<root>`` for the top level), message, optional migration hint."""

    model_config = ConfigDict(frozen=True)

    path: str
    message: str
    hint: str | None = None


def js_type(value: Any) -> str:
    """Return the JavaScript type name zod reports as "received ..."."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_EXPECTED = {
    "bool_type": "boolean",
    "int_type": "number",
    "float_type": "number",
    "string_type": "string",
    "list_type": "array",
    "dict_type": "record",
    "model_type": "object",
    "model_attributes_type": "object",
}


def dotted(parts: Iterable[Any]) -> str:
    """Return the CLI's dotted path for a location (array indexes as plain segments)."""
    text = ".".join(str(part) for part in parts)
    return text or ROOT_PATH


def from_validation_error(error: ValidationError) -> list[ConfigIssue]:
    """Translate pydantic errors into issues worded like zod's, grouping unknown keys per object."""
    issues: list[ConfigIssue] = []
    unknown: dict[tuple[Any, ...], list[str]] = {}
    for err in error.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            unknown.setdefault(loc[:-1], []).append(str(loc[-1]))
            continue
        issues.append(ConfigIssue(path=dotted(loc), message=_message(kind, err)))
    for parent, keys in unknown.items():
        names = ", ".join(f'"{key}"' for key in keys)
        label = "Unrecognized key: " if len(keys) == 1 else "Unrecognized keys: "
        issues.append(ConfigIssue(path=dotted(parent), message=label + names))
    return issues


def _message(kind: str, err: Any) -> str:
    """Return zod's wording for one pydantic error."""
    received = js_type(err.get("input"))
    if kind == "int_type" and isinstance(err.get("input"), float):
        return "Invalid input: expected int, received number"
    if kind == "bool_type":
        return f"Invalid input: expected boolean, received {received} (allowed: true, false)"
    if kind in _EXPECTED:
        return f"Invalid input: expected {_EXPECTED[kind]}, received {received}"
    if kind == "greater_than_equal":
        bound = err["ctx"]["ge"]
        return f"Too small: expected number to be >={bound} (minimum: {bound})"
    if kind == "less_than_equal":
        bound = err["ctx"]["le"]
        return f"Too big: expected number to be <={bound} (maximum: {bound})"
    # Our own validators (enums, unions) already carry the real wording.
    return str(err["msg"])
