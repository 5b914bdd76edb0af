"""Validate a channel's or a plugin's settings as OpenClaw does: with the plugin's own JSON Schema, through
TypeBox (not zod), after the core schema passed.

TypeBox collects every error (at most 8 per schema context) in a fixed keyword order: type, then the
object keywords (required, additionalProperties, properties, propertyNames, ...), the array, string and
number keywords, then const, enum, if, not, allOf, anyOf, oneOf. A union that fails keeps its branches'
errors and adds its own. OpenClaw words each error as "invalid config: <message>", one issue per missing
required property, unknown keys listed by name, allowed values appended (schema-validator, read not copied).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .zod import MISSING, allowed_hint, js_length, js_number, js_regex, same_json, url_parses

Node = dict[str, Any]
MAX_ERRORS = 8


class _Errors:
    """One TypeBox error context: errors beyond the capacity are dropped."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def full(self) -> bool:
        return len(self.items) >= MAX_ERRORS

    def add(self, keyword: str, path: tuple[Any, ...], **params: Any) -> bool:
        if not self.full():
            self.items.append({"keyword": keyword, "path": path, **params})
        return False

    def extend(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            if not self.full():
                self.items.append(item)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "null":
        return value is None
    if kind == "string":
        return isinstance(value, str)
    return True


_SCHEMA_KEYWORDS = frozenset({"$ref", "$id", "$schema", "$defs", "definitions", "$anchor"})


def normalized(schema: Node) -> Node:
    """OpenClaw's preparation of a plugin schema for TypeBox: a type list becomes an anyOf of single types,
    and a map (additionalProperties schema, no properties) matches its keys with a ".*" pattern."""
    kind = schema.get("type")
    if isinstance(kind, list):
        rest = {k: v for k, v in schema.items() if k != "type"}
        resources = {k: v for k, v in rest.items() if k in _SCHEMA_KEYWORDS}
        branch = {k: v for k, v in rest.items() if k not in _SCHEMA_KEYWORDS}
        schema = {**resources, "anyOf": [{**branch, "type": entry} for entry in kind]}
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and "properties" not in schema and "patternProperties" not in schema:
        rest = {k: v for k, v in schema.items() if k != "additionalProperties"}
        schema = {**rest, "patternProperties": {".*": extra}, "additionalProperties": False}
    return schema


class _Walker:
    def __init__(self, root: Node) -> None:
        self.root = root

    def walk(self, schema: Any, value: Any, path: tuple[Any, ...], errors: _Errors) -> bool:
        if errors.full():
            return False
        if schema is True or schema is False:
            return schema or errors.add("boolean", path)
        if not isinstance(schema, dict):
            return True
        schema = normalized(schema)
        ok = True
        kind = schema.get("type")
        if kind is not None:
            kinds = kind if isinstance(kind, list) else [kind]
            if not any(_type_ok(k, value) for k in kinds):
                ok = errors.add("type", path, type=kind)
        if isinstance(value, dict):
            ok &= self._object(schema, value, path, errors)
        if isinstance(value, list):
            ok &= self._array(schema, value, path, errors)
        if isinstance(value, str):
            ok &= self._string(schema, value, path, errors)
        if isinstance(value, int | float) and not isinstance(value, bool):
            ok &= self._number(schema, value, path, errors)
        if "$ref" in schema:
            ok &= self.walk(self._resolve(schema["$ref"]), value, path, errors)
        if "const" in schema and not same_json(value, schema["const"]):
            ok = errors.add("const", path, allowed=[schema["const"]])
        if "enum" in schema and not any(same_json(value, v) for v in schema["enum"]):
            ok = errors.add("enum", path, allowed=list(schema["enum"]))
        if "if" in schema:
            ok &= self._if(schema, value, path, errors)
        if "not" in schema and self.walk(schema["not"], value, path, _Errors()):
            ok = errors.add("not", path)
        if "allOf" in schema:
            failed = [e.items for e in self._branches(schema["allOf"], value, path) if e.items]
            for items in failed:
                errors.extend(items)
            ok &= not failed
        if "anyOf" in schema:
            results = self._branches(schema["anyOf"], value, path)
            if not any(not r.items for r in results):
                for r in results:
                    errors.extend(r.items)
                ok = errors.add("anyOf", path)
        if "oneOf" in schema:
            results = self._branches(schema["oneOf"], value, path)
            passing = sum(1 for r in results if not r.items)
            if passing != 1:
                if passing == 0:
                    for r in results:
                        errors.extend(r.items)
                ok = errors.add("oneOf", path)
        return ok

    def _branches(self, schemas: list[Any], value: Any, path: tuple[Any, ...]) -> list[_Errors]:
        out = []
        for schema in schemas:
            branch = _Errors()
            if not self.walk(schema, value, path, branch) and not branch.items:
                branch.add("boolean", path)  # failed at capacity: still a failure
            out.append(branch)
        return out

    def _resolve(self, ref: str) -> Any:
        node: Any = self.root
        for part in ref.removeprefix("#").strip("/").split("/"):
            if not part:
                continue
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
        return node

    def _if(self, schema: Node, value: Any, path: tuple[Any, ...], errors: _Errors) -> bool:
        if self.walk(schema["if"], value, path, _Errors()):
            if "then" in schema and not self.walk(schema["then"], value, path, _Errors()):
                return errors.add("if", path, failing="then")
            return True
        if "else" in schema and not self.walk(schema["else"], value, path, errors):
            return errors.add("if", path, failing="else")
        return True

    def _object(self, schema: Node, value: dict[str, Any], path: tuple[Any, ...], errors: _Errors) -> bool:
        ok = True
        missing = [key for key in schema.get("required", ()) if key not in value]
        if missing:
            ok = errors.add("required", path, missing=missing)
        properties = schema.get("properties", {})
        patterns = [js_regex(p) for p in schema.get("patternProperties", {})]
        if "additionalProperties" in schema:
            extra_schema = schema["additionalProperties"]
            unknown = []
            for key in value:
                if key in properties or any(p is not None and p.search(key) for p in patterns):
                    continue
                if not self.walk(extra_schema, value[key], (*path, key), errors):
                    unknown.append(key)
            if unknown:
                ok = errors.add("additionalProperties", path, keys=unknown)
        for pattern, sub in schema.get("patternProperties", {}).items():
            regex = js_regex(pattern)
            for key in value:
                if regex is not None and regex.search(key):
                    ok &= self.walk(sub, value[key], (*path, key), errors)
        for key, sub in properties.items():
            if key in value:
                ok &= self.walk(sub, value[key], (*path, key), errors)
        if "propertyNames" in schema:
            bad = [key for key in value if not self.walk(schema["propertyNames"], key, (*path, key), errors)]
            if bad:
                ok = errors.add("propertyNames", path, names=bad)
        for keyword, relation, word in (
            ("minProperties", -1, "fewer than"),
            ("maxProperties", 1, "more than"),
        ):
            limit = schema.get(keyword)
            if isinstance(limit, int) and (len(value) - limit) * relation > 0:
                ok = errors.add(keyword, path, message=f"must not have {word} {limit} properties")
        return ok

    def _array(self, schema: Node, value: list[Any], path: tuple[Any, ...], errors: _Errors) -> bool:
        ok = True
        items = schema.get("items")
        if isinstance(items, list):
            for index, item in enumerate(value):
                sub = items[index] if index < len(items) else schema.get("additionalItems", True)
                ok &= self.walk(sub, item, (*path, index), errors)
        elif items is not None:
            for index, item in enumerate(value):
                ok &= self.walk(items, item, (*path, index), errors)
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            ok = errors.add("maxItems", path, message=f"must not have more than {schema['maxItems']} items")
        if "minItems" in schema and len(value) < schema["minItems"]:
            ok = errors.add("minItems", path, message=f"must not have fewer than {schema['minItems']} items")
        if schema.get("uniqueItems") and any(
            same_json(a, b) for i, a in enumerate(value) for b in value[i + 1 :]
        ):
            ok = errors.add("uniqueItems", path, message="must not have duplicate items")
        return ok

    def _string(self, schema: Node, value: str, path: tuple[Any, ...], errors: _Errors) -> bool:
        ok = True
        length = js_length(value)
        if "maxLength" in schema and length > schema["maxLength"]:
            ok = errors.add(
                "maxLength", path, message=f"must not have more than {schema['maxLength']} characters"
            )
        if "minLength" in schema and length < schema["minLength"]:
            ok = errors.add(
                "minLength", path, message=f"must not have fewer than {schema['minLength']} characters"
            )
        # OpenClaw checks "uri" (does the URL parse) and treats every other format as documentation.
        if schema.get("format") == "uri" and not url_parses(value):
            ok = errors.add("format", path, message='must match format "uri"')
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            regex = js_regex(pattern)
            if regex is not None and not regex.search(value):
                ok = errors.add("pattern", path, message=f'must match pattern "{pattern}"')
        return ok

    def _number(self, schema: Node, value: float, path: tuple[Any, ...], errors: _Errors) -> bool:
        ok = True
        for keyword, comparison, holds in (
            ("exclusiveMaximum", "<", lambda v, limit: v < limit),
            ("exclusiveMinimum", ">", lambda v, limit: v > limit),
            ("maximum", "<=", lambda v, limit: v <= limit),
            ("minimum", ">=", lambda v, limit: v >= limit),
        ):
            limit = schema.get(keyword)
            if isinstance(limit, int | float) and not isinstance(limit, bool) and not holds(value, limit):
                ok = errors.add(keyword, path, message=f"must be {comparison} {js_number(limit)}")
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and step and (value / step) % 1:
            ok = errors.add("multipleOf", path, message=f"must be multiple of {js_number(step)}")
        return ok


_MESSAGES = {
    "boolean": "schema is false",
    "const": "must be equal to constant",
    "enum": "must be equal to one of the allowed values",
    "not": "must not be valid",
    "anyOf": "must match a schema in anyOf",
    "oneOf": "must match exactly one schema in oneOf",
}


def _without_false_schema_errors(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenClaw drops the "schema is false" error TypeBox adds per unknown key before listing them."""
    out: list[dict[str, Any]] = []
    run = 0
    for item in items:
        if item["keyword"] == "boolean":
            out.append(item)
            run += 1
            continue
        keys = item.get("keys") or []
        if item["keyword"] == "additionalProperties" and 0 < len(keys) <= run:
            tail = out[-len(keys) :]
            if all(t["path"] == (*item["path"], key) for t, key in zip(tail, keys, strict=True)):
                del out[-len(keys) :]
        out.append(item)
        run = 0
    return out


def _message(item: dict[str, Any]) -> str:
    keyword = item["keyword"]
    if keyword == "type":
        kind = item["type"]
        return f"must be {kind}" if isinstance(kind, str) else "must be either " + " or ".join(kind)
    if keyword == "additionalProperties":
        return "must not have additional properties: " + ", ".join(json.dumps(k) for k in item["keys"])
    if keyword == "if":
        return f'must match "{item["failing"]}" schema'
    if keyword == "propertyNames":
        return f"property names {', '.join(item['names'])} are invalid"
    return item.get("message") or _MESSAGES.get(keyword, "an unknown validation error occurred")


def _dotted(path: tuple[Any, ...]) -> str:
    # TypeBox joins keys with "/" unescaped; OpenClaw turns every "/" into ".".
    return ".".join(str(p).replace("/", ".") for p in path)


def with_defaults(schema: Any, value: Any) -> Any:
    """Return value with the schema's defaults filled in, as OpenClaw does before validating a plugin's
    settings (properties, map values, array items and allOf parts; a copy, the input is left alone)."""
    if value is MISSING and isinstance(schema, dict) and "default" in schema:
        value = copy.deepcopy(schema["default"])
    if not isinstance(schema, dict) or value is MISSING:
        return value
    for part in schema.get("allOf", []):
        value = with_defaults(part, value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        out = dict(value)
        for key, sub in properties.items():
            if key in value:
                out[key] = with_defaults(sub, value[key])
            elif isinstance(sub, dict) and "default" in sub:  # else an absent key stays absent
                out[key] = with_defaults(sub, MISSING)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                if key not in properties:
                    out[key] = with_defaults(extra, value[key])
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [with_defaults(schema["items"], item) for item in value]
    return value


def plugin_schema_issues(schema: Node, value: Any) -> list[tuple[str, str]]:
    """Return (relative dotted path or "", message) pairs, worded as OpenClaw words plugin schema errors."""
    if value is MISSING:
        return []
    errors = _Errors()
    _Walker(schema).walk(schema, with_defaults(schema, value), (), errors)
    out: list[tuple[str, str]] = []
    for item in _without_false_schema_errors(errors.items):
        base = _dotted(item["path"])
        if item["keyword"] == "required":
            for key in item["missing"]:
                out.append((f"{base}.{key}" if base else key, f"must have required property '{key}'"))
            continue
        message = _message(item)
        allowed = item.get("allowed")
        if allowed:
            message += f" (allowed: {allowed_hint(allowed)})"
        out.append((base, message))
    return out
