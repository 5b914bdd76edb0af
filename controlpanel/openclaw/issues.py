"""ConfigIssue: one error or warning about a config, with the real validator's path and wording."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

ROOT_PATH = "<root>"  # what `openclaw config validate --json` prints for the top level


class ConfigIssue(BaseModel):
    """One error or warning: dotted path (``<root>`` for the top level), message, optional migration hint."""

    model_config = ConfigDict(frozen=True)

    path: str
    message: str
    hint: str | None = None
    # Said by the panel only (a repeated key): not part of `openclaw config validate`'s output.
    panel_only: bool = False


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


def dotted(parts: Iterable[Any]) -> str:
    """Return the CLI's dotted path for a location (array indexes as plain segments)."""
    text = ".".join(str(part) for part in parts)
    return text or ROOT_PATH
