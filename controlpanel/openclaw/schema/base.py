"""Building blocks for the config models: strict sections, enum helpers, known-but-unmodeled keys.

Why strict: the real validator (zod) never coerces "true" to true or "18789" to 18789, so neither may we.
Why the known-key padding: each modeled section forbids unknown keys, but the real schema has many
rarely-used keys we do not type yet; those are added as ``Any`` fields from the generated table so that a
valid config is never wrongly rejected (the worst outcome for an importer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from pydantic_core import PydanticCustomError

from .known_keys import KEY_CHOICES, KEY_TYPES, OBJECT_KEYS


class Section(BaseModel):
    """A modeled config object: unknown keys are errors, values are not coerced.

    Fields are declared ``name: T = None`` rather than ``T | None``: the default stands for "absent",
    and an explicit ``null`` is an error, as zod's ``.optional()`` (not ``.nullable()``) has it.
    """

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False, frozen=True)


class OpenSection(BaseModel):
    """A modeled object whose extra keys are accepted verbatim (their shape varies per plugin/channel)."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


def _quoted(values: tuple[Any, ...]) -> list[str]:
    return [f'"{v}"' if isinstance(v, str) else str(v).lower() for v in values]


def _checker(values: tuple[Any, ...], kind: str, message: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value in values and type(value) is type(next(v for v in values if v == value)):
            return value
        raise PydanticCustomError(kind, message, {"allowed": list(values)})

    return check


@dataclass(frozen=True)
class Allowed:
    """Marks an enum field with its values, for pages generated from the schema (the config form)."""

    values: tuple[Any, ...]


def one_of(*values: Any) -> Any:
    """A ``z.enum`` field: the CLI says ``Invalid option: expected one of "a"|"b"``."""
    message = "Invalid option: expected one of " + "|".join(_quoted(values))
    return Annotated[Any, BeforeValidator(_checker(values, "option", message)), Allowed(values)]


def any_of(*values: Any) -> Any:
    """A union of literals: the CLI says ``Invalid input (allowed: "a", "b")``.

    A single literal is worded ``Invalid input: expected "a" (allowed: "a")``.
    """
    allowed = ", ".join(_quoted(values))
    if len(values) == 1:
        message = f"Invalid input: expected {allowed} (allowed: {allowed})"
    else:
        message = f"Invalid input (allowed: {allowed})"
    return Annotated[Any, BeforeValidator(_checker(values, "literal_union", message)), Allowed(values)]


def _field_name(key: str) -> str:
    """Return a Python identifier for a config key (aliases keep the real spelling)."""
    # Always prefixed: real keys such as "schema" or "copy" would shadow BaseModel attributes.
    return "k_" + "".join(c if c.isalnum() else "_" for c in key)


# schema path ("agents.entries.*") -> the keys the panel types there; the rest is kept verbatim.
TYPED_KEYS: dict[str, frozenset[str]] = {}


def pad(model: type[BaseModel], schema_path: str) -> type[BaseModel]:
    """Return model extended with ``Any`` fields for every real-schema key it does not type itself."""
    typed = {field.alias or name for name, field in model.model_fields.items()}
    if typed:
        TYPED_KEYS[schema_path] = frozenset(typed)
    extra = {
        _field_name(key): (_untyped(schema_path, key), Field(default=None, alias=key))
        for key in OBJECT_KEYS.get(schema_path, [])
        if key not in typed
    }
    return create_model(model.__name__, __base__=model, __module__=model.__module__, **extra)


def union(*types: type) -> Any:
    """A value of one of several JSON types; anything else gets zod's bare ``Invalid input``.

    (pydantic would report one error per union member; zod reports one.)
    """

    def check(value: Any) -> Any:
        # bool is an int in Python but not a number in JSON.
        if isinstance(value, types) and not (isinstance(value, bool) and bool not in types):
            return value
        raise PydanticCustomError("union", "Invalid input")

    return Annotated[Any, BeforeValidator(check)]


def _untyped(schema_path: str, key: str) -> Any:
    """Return the checked-but-untyped annotation of a key the panel keeps verbatim."""
    choice = KEY_CHOICES.get(schema_path, {}).get(key)
    if choice is not None:
        values = tuple(choice["values"])
        return one_of(*values) if choice["kind"] == "option" else any_of(*values)
    return json_typed(KEY_TYPES.get(schema_path, {}).get(key))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "object")


def json_typed(types: list[str] | None) -> Any:
    """A key the panel keeps verbatim but whose JSON type the real schema fixes (checked, not typed).

    One type gets zod's ``Invalid input: expected X, received Y``; a union gets its bare ``Invalid input``.
    """
    if not types:
        return Any
    # A record (z.record) is a JSON object too; only the wording differs.
    allowed = frozenset("object" if kind == "record" else kind for kind in types)

    def check(value: Any) -> Any:
        found = _json_type(value)
        if found in allowed:
            return value
        if len(allowed) == 1:
            raise PydanticCustomError("json_type", f"Invalid input: expected {types[0]}, received {found}")
        raise PydanticCustomError("union", "Invalid input")

    return Annotated[Any, BeforeValidator(check)]
