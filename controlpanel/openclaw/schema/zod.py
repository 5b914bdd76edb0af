"""Validate a value against the recorded schema the way OpenClaw's zod schema does (zod 4), and word the
issues as `openclaw config validate` prints them.

The recorded JSON Schema is zod's own export (input mode), so each JSON Schema form stands for one zod type:
``additionalProperties: false`` a strict object, no ``additionalProperties`` a stripping one (unknown keys
dropped silently), ``propertyNames`` a record, ``anyOf`` a union, ``oneOf`` a discriminated union, ``const``
and ``enum`` literals and enums, ``type: integer`` ``.int()``. What a JSON Schema validator would not do and
zod does is reproduced here (read from zod's source, not copied):

- a union that fails everywhere reports one "Invalid input", unless exactly one branch failed only on
  checks that let parsing go on (length, range, pattern, unknown keys): then that branch's own issues;
- unknown keys of a strict object are one issue per object, and their values are not looked at;
- a failed type stops the checks below it; checks (length, range, pattern) do not stop each other;
- an object's refinements (the cross-field rules of refinements.py) run only when nothing below it failed
  on a type: rules are attached to schema paths and called here.

OpenClaw then adds hints to zod's messages: "(allowed: ...)" for enums, literals and booleans, and
"(minimum: 1)" for numeric bounds (validation-core, read not copied); ``config_issues`` does the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..issues import ROOT_PATH, ConfigIssue

Node = dict[str, Any]
Path = tuple[Any, ...]
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()


@dataclass
class ZodIssue:
    """One zod issue: its code, the path below the node that raised it, and what OpenClaw reads from it."""

    code: str
    path: Path
    message: str
    resume: bool = False  # zod's ``continue``: the parent's refinements still run
    values: tuple[Any, ...] | None = None  # invalid_value: the allowed values
    expected: str | None = None  # invalid_type
    branches: list[list[ZodIssue]] = field(default_factory=list)  # invalid_union
    bound: tuple[str, float, bool] | None = None  # too_small / too_big on a number: (code, limit, inclusive)

    def under(self, *prefix: Any) -> ZodIssue:
        self.path = (*prefix, *self.path)
        return self


# A refinement: (value, its concrete path) -> issues with paths relative to that value.
Refinement = Callable[[Any, Path], list[ZodIssue]]
# A record key rule: the key -> whether zod's key schema accepts it.
KeyRule = Callable[[str], bool]


@dataclass
class Rules:
    """What a JSON Schema cannot carry, attached where zod has it (refinements.py fills this).

    ``objects``: the key set of an object schema -> the rules of that object;
    ``values``: (key set of the parent object, property) -> the rules of that property's value;
    ``keys``: (key set of the parent object, property) -> the rule a record's keys follow there;
    ``messages``: (key set of the parent object, property) -> zod's own message for a pattern mismatch
    there (the export keeps the pattern, not a custom message).
    """

    objects: dict[frozenset[str], list[Refinement]] = field(default_factory=dict)
    values: dict[tuple[frozenset[str], str], list[Refinement]] = field(default_factory=dict)
    keys: dict[tuple[frozenset[str], str], KeyRule] = field(default_factory=dict)
    messages: dict[tuple[frozenset[str], str], str | Callable[[dict[str, Any]], str | None]] = field(
        default_factory=dict
    )


def custom(message: str, *path: Any) -> ZodIssue:
    """A refinement's issue (zod's ``custom`` code); it never stops the parent's own refinements."""
    return ZodIssue("custom", tuple(path), message, resume=True)


def js_type(value: Any) -> str:
    """Return the type zod names in "received ..."."""
    if value is MISSING:
        return "undefined"
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


def js_number(value: float) -> str:
    """Format a number as JavaScript prints it (1, not 1.0)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def js_literal(value: Any) -> str:
    """zod's stringifyPrimitive: strings quoted, other values as JavaScript writes them."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return js_number(value)


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1 (Python's bool is an int)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def js_length(text: str) -> int:
    """A JavaScript string's length (UTF-16 code units; a lone surrogate is one, as in JavaScript)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# The JSON export keeps a regular expression's source but drops its flags; these are the flags of the
# patterns in OpenClaw's schema that have some (read from its source): "i" matters, "u" shows in messages.
PATTERN_FLAGS = {
    "^[a-z0-9_][a-z0-9_-]{0,63}$": "i",  # agents.entries keys
    "^ghp_[a-f0-9]{32}$": "u",
    "^https:\\/\\/[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?\\.cloudflareaccess\\.com$": "u",
}


@cache
def js_regex(source: str) -> re.Pattern[str] | None:
    """Compile a JavaScript regular expression source for Python (None if Python cannot read it)."""
    text = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", source)
    try:
        return re.compile(text, re.IGNORECASE if "i" in PATTERN_FLAGS.get(source, "") else 0)
    except re.error:
        return None


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SPECIAL_SCHEMES = ("http:", "https:", "ws:", "wss:", "ftp:")
_EMAIL = re.compile(r"[^\s@]+@[^\s@.]+(\.[^\s@.]+)+\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})\Z")


def url_parses(text: str) -> bool:
    """Whether WHATWG's URL parser (what zod's url() and TypeBox's "uri" use) accepts the text."""
    text = text.strip()
    if not _SCHEME.match(text) or any(c in text for c in " \t\n"):
        return False
    lowered = text.lower()
    if lowered.startswith(_SPECIAL_SCHEMES):
        host = lowered.split(":", 1)[1].lstrip("/").split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        return bool(host.rsplit("@", 1)[-1].split(":", 1)[0])
    return True


_FORMATS: dict[str, tuple[Callable[[str], bool], str]] = {
    "uri": (url_parses, "Invalid URL"),
    "email": (lambda v: bool(_EMAIL.match(v)), "Invalid email address"),
    "date-time": (lambda v: bool(_DATETIME.match(v)), "Invalid ISO datetime"),
}


class ZodChecker:
    """Walks one value against one schema node, applying ``rules`` where zod has refinements."""

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or Rules()

    def check(self, node: Any, value: Any, at: Path = (), key_rule: KeyRule | None = None) -> list[ZodIssue]:
        """Return the issues of value against node; ``at`` is the value's path."""
        issues = self._check(node, value, at, key_rule)
        if (
            isinstance(value, dict)
            and isinstance(node, dict)
            and "properties" in node
            and not aborted(issues)
        ):
            for rule in self.rules.objects.get(frozenset(node["properties"]), ()):
                issues += rule(value, at)
        return issues

    def _check(self, node: Any, value: Any, at: Path, key_rule: KeyRule | None = None) -> list[ZodIssue]:
        if node is True or not isinstance(node, dict):
            return [] if node is not False else [_type_issue("never", value)]
        if "anyOf" in node:
            return self._union(node["anyOf"], value, at)
        if "oneOf" in node:
            return self._one_of(node["oneOf"], value, at)
        if "allOf" in node:
            return [i for part in node["allOf"] for i in self.check(part, value, at)]
        if "const" in node:
            return [] if same_json(value, node["const"]) else [_value_issue((node["const"],), value)]
        if "enum" in node:
            values = tuple(node["enum"])
            return [] if any(same_json(value, v) for v in values) else [_value_issue(values, value)]
        kind = node.get("type")
        if isinstance(kind, list):
            return self._type_union(kind, value)
        if kind == "object" and "propertyNames" in node:
            return self._record(node, value, at, key_rule)
        check = _TYPE_CHECKS.get(kind)
        if check is None:
            return []
        return check(self, node, value, at)

    # --- unions -------------------------------------------------------------------------------------
    def _union(self, options: list[Node], value: Any, at: Path) -> list[ZodIssue]:
        if len(options) == 1:
            return self.check(options[0], value, at)
        results = []
        for option in options:
            found = self.check(option, value, at)
            if not found:
                return []
            results.append(found)
        resumable = [found for found in results if not aborted(found)]
        if len(resumable) == 1:
            return resumable[0]
        return [ZodIssue("invalid_union", (), "Invalid input", branches=results)]

    def _type_union(self, kinds: list[str], value: Any) -> list[ZodIssue]:
        """``type: [a, b]``: zod's union of bare types, compacted by its exporter."""
        if any(_is_type(value, kind) for kind in kinds):
            return []
        branches = [[_type_issue(_EXPECTED.get(kind, kind), value)] for kind in kinds]
        return [ZodIssue("invalid_union", (), "Invalid input", branches=branches)]

    def _one_of(self, options: list[Node], value: Any, at: Path) -> list[ZodIssue]:
        """zod's discriminated union (exported as oneOf): the discriminator picks the one branch."""
        key = _discriminator(options)
        if key is None:
            matched = [option for option in options if not self.check(option, value, at)]
            if len(matched) == 1:
                return []
            if matched:
                return [ZodIssue("invalid_union", (), "Invalid input: more than one option matched")]
            results = [self.check(option, value, at) for option in options]
            return [ZodIssue("invalid_union", (), "Invalid input", branches=results)]
        if not isinstance(value, dict):
            return [_type_issue("object", value)]
        for option in options:
            if any(same_json(value.get(key, MISSING), v) for v in _literal_values(option, key)):
                return self.check(option, value, at)
        allowed = [v for option in options for v in _literal_values(option, key)]
        message = "Invalid discriminator value. Expected " + " | ".join(f"'{v}'" for v in allowed)
        return [ZodIssue("invalid_union", (key,), message)]

    # --- types --------------------------------------------------------------------------------------
    def _object(self, node: Node, value: Any, at: Path) -> list[ZodIssue]:
        if not isinstance(value, dict):
            return [_type_issue("object", value)]
        issues: list[ZodIssue] = []
        properties = node.get("properties", {})
        required = set(node.get("required", ()))
        shape = frozenset(properties)
        for key, child in properties.items():
            if key not in value and key not in required:
                continue
            item = value.get(key, MISSING)
            found = self.check(child, item, (*at, key), self.rules.keys.get((shape, key)))
            said = self.rules.messages.get((shape, key))
            said = said(value) if callable(said) else said
            for issue in found if said else ():
                if (
                    issue.code == "invalid_format"
                    and not issue.path
                    and issue.message.startswith("Invalid string")
                ):
                    issue.message = said
            if item is not MISSING and not aborted(found):
                for rule in self.rules.values.get((shape, key), ()):
                    found += rule(item, (*at, key))
            issues += [issue.under(key) for issue in found]
        extra = node.get("additionalProperties")
        unknown = [key for key in value if key not in properties]
        if extra is False:
            if unknown:
                label = "Unrecognized keys: " if len(unknown) > 1 else "Unrecognized key: "
                message = label + ", ".join(json.dumps(k, ensure_ascii=False) for k in unknown)
                issues.append(ZodIssue("unrecognized_keys", (), message, resume=True))
        elif isinstance(extra, dict) and extra:
            for key in unknown:
                found = self.check(extra, value[key], (*at, key))
                issues += [issue.under(key) for issue in found]
        return issues

    def _record(self, node: Node, value: Any, at: Path, key_rule: KeyRule | None = None) -> list[ZodIssue]:
        if not isinstance(value, dict):
            return [_type_issue("record", value)]
        names = node.get("propertyNames") or {}
        literal_keys = _literal_keys(names)
        issues: list[ZodIssue] = []
        extra = node.get("additionalProperties", {})
        if literal_keys is not None and "required" in node:
            # An exhaustive record over an enum: every key must be there, no other key may.
            for key in literal_keys:
                found = self.check(extra, value.get(key, MISSING), (*at, key))
                issues += [issue.under(key) for issue in found]
            unknown = [key for key in value if key not in literal_keys]
            if unknown:
                label = "Unrecognized keys: " if len(unknown) > 1 else "Unrecognized key: "
                message = label + ", ".join(json.dumps(k, ensure_ascii=False) for k in unknown)
                issues.append(ZodIssue("unrecognized_keys", (), message, resume=True))
            return issues
        unknown = []
        for key, item in value.items():
            if self._check(names, key, (*at, key)) or (key_rule is not None and not key_rule(key)):
                if literal_keys is not None:
                    unknown.append(key)
                else:
                    issues.append(ZodIssue("invalid_key", (key,), "Invalid key in record"))
                continue
            found = self.check(extra, item, (*at, key))
            issues += [issue.under(key) for issue in found]
        if unknown:
            label = "Unrecognized keys: " if len(unknown) > 1 else "Unrecognized key: "
            message = label + ", ".join(json.dumps(k, ensure_ascii=False) for k in unknown)
            issues.append(ZodIssue("unrecognized_keys", (), message, resume=True))
        return issues

    def _array(self, node: Node, value: Any, at: Path) -> list[ZodIssue]:
        if not isinstance(value, list):
            return [_type_issue("array", value)]
        issues: list[ZodIssue] = []
        items = node.get("items")
        for index, item in enumerate(value):
            if isinstance(items, list):
                schema = items[index] if index < len(items) else node.get("additionalItems", {})
            else:
                schema = items if items is not None else {}
            found = self.check(schema, item, (*at, index))
            issues += [issue.under(index) for issue in found]
        # Size checks run even after an item failed (zod gives them a `when`, not the abort rule).
        if "minItems" in node and len(value) < node["minItems"]:
            issues.append(_size_issue("too_small", "array", node["minItems"]))
        if "maxItems" in node and len(value) > node["maxItems"]:
            issues.append(_size_issue("too_big", "array", node["maxItems"]))
        return issues

    def _string(self, node: Node, value: Any, at: Path) -> list[ZodIssue]:
        if not isinstance(value, str):
            return [_type_issue("string", value)]
        issues: list[ZodIssue] = []
        length = js_length(value) if ("minLength" in node or "maxLength" in node) else 0
        if "minLength" in node and length < node["minLength"]:
            issues.append(_size_issue("too_small", "string", node["minLength"]))
        if "maxLength" in node and length > node["maxLength"]:
            issues.append(_size_issue("too_big", "string", node["maxLength"]))
        fmt = _FORMATS.get(node.get("format", ""))
        if fmt is not None and not fmt[0](value):
            issues.append(ZodIssue("invalid_format", (), fmt[1], resume=True))
        pattern = node.get("pattern")
        if isinstance(pattern, str) and node.get("format") is None:
            regex = js_regex(pattern)
            if regex is not None and not regex.search(value):
                message = f"Invalid string: must match pattern /{pattern}/{PATTERN_FLAGS.get(pattern, '')}"
                issues.append(ZodIssue("invalid_format", (), message, resume=True))
        return issues

    def _number(self, node: Node, value: Any, at: Path) -> list[ZodIssue]:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [_type_issue("number", value)]
        issues: list[ZodIssue] = []
        if node.get("type") == "integer" and not float(value).is_integer():
            issues.append(ZodIssue("invalid_type", (), "Invalid input: expected int, received number", True))
        for keyword, code, op, inclusive in _BOUNDS:
            limit = node.get(keyword)
            if isinstance(limit, int | float) and not isinstance(limit, bool) and not op(value, limit):
                issues.append(_bound_issue(code, limit, inclusive))
        return issues

    def _boolean(self, node: Node, value: Any, at: Path) -> list[ZodIssue]:
        return [] if isinstance(value, bool) else [_type_issue("boolean", value)]

    def _null(self, node: Node, value: Any, at: Path) -> list[ZodIssue]:
        return [] if value is None else [_type_issue("null", value)]


_TYPE_CHECKS: dict[str, Callable[..., list[ZodIssue]]] = {
    "object": ZodChecker._object,
    "array": ZodChecker._array,
    "string": ZodChecker._string,
    "number": ZodChecker._number,
    "integer": ZodChecker._number,
    "boolean": ZodChecker._boolean,
    "null": ZodChecker._null,
}
_EXPECTED = {"integer": "number"}
_BOUNDS = (
    ("minimum", "too_small", lambda v, limit: v >= limit, True),
    ("exclusiveMinimum", "too_small", lambda v, limit: v > limit, False),
    ("maximum", "too_big", lambda v, limit: v <= limit, True),
    ("exclusiveMaximum", "too_big", lambda v, limit: v < limit, False),
)


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return js_type(value) == kind


def _type_issue(expected: str, value: Any) -> ZodIssue:
    message = f"Invalid input: expected {expected}, received {js_type(value)}"
    return ZodIssue("invalid_type", (), message, expected=expected)


def _value_issue(values: tuple[Any, ...], value: Any) -> ZodIssue:
    if len(values) == 1:
        message = f"Invalid input: expected {js_literal(values[0])}"
    else:
        message = "Invalid option: expected one of " + "|".join(js_literal(v) for v in values)
    return ZodIssue("invalid_value", (), message, values=values)


def _size_issue(code: str, origin: str, limit: int) -> ZodIssue:
    unit = "characters" if origin == "string" else "items"
    relation = "Too small" if code == "too_small" else "Too big"
    sign = ">=" if code == "too_small" else "<="
    return ZodIssue(code, (), f"{relation}: expected {origin} to have {sign}{limit} {unit}", resume=True)


def _bound_issue(code: str, limit: float, inclusive: bool) -> ZodIssue:
    relation = "Too small" if code == "too_small" else "Too big"
    sign = (">" if code == "too_small" else "<") + ("=" if inclusive else "")
    message = f"{relation}: expected number to be {sign}{js_number(limit)}"
    return ZodIssue(code, (), message, resume=True, bound=(code, limit, inclusive))


def _literal_values(node: Node, key: str) -> list[Any]:
    prop = node.get("properties", {}).get(key, {})
    if "const" in prop:
        return [prop["const"]]
    return list(prop.get("enum", []))


def _discriminator(options: list[Node]) -> str | None:
    """The key every branch fixes to literal values (what zod.discriminatedUnion was given)."""
    if not options or not all(isinstance(o, dict) and "properties" in o for o in options):
        return None
    common = set.intersection(*(set(o["properties"]) for o in options))
    for key in sorted(common):
        if all(_literal_values(o, key) for o in options):
            return key
    return None


def _literal_keys(names: Node) -> list[Any] | None:
    if "enum" in names:
        return list(names["enum"])
    if "const" in names:
        return [names["const"]]
    return None


def aborted(issues: Iterable[ZodIssue]) -> bool:
    """zod's rule: any issue that does not let parsing go on stops the refinements above it."""
    return any(not issue.resume for issue in issues)


# --- OpenClaw's wording of zod issues ----------------------------------------------------------------


def _allowed_values(issue: ZodIssue) -> list[Any] | None:
    """The values OpenClaw lists after a message (None when it cannot list all of them)."""
    if issue.code == "invalid_value":
        return list(issue.values or ())
    if issue.code == "invalid_type":
        return [True, False] if issue.expected == "boolean" else None
    if issue.code != "invalid_union":
        return []
    if not issue.branches:
        return None
    collected: list[Any] = []
    for branch in issue.branches:
        values: list[Any] = []
        for nested in branch:
            found = _allowed_values(nested)
            if found is None:
                return None
            values += found
        if not values:
            return None
        collected += values
    return collected


def _label(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 160 else text[:160] + f"... (+{len(text) - 160} chars)"


def allowed_hint(values: list[Any]) -> str:
    """OpenClaw's summary of allowed values: at most 12, duplicates dropped."""
    unique: list[Any] = []
    for value in values:
        if not any(same_json(value, seen) and type(value) is type(seen) for seen in unique):
            unique.append(value)
    shown = ", ".join(_label(v) for v in unique[:12])
    return shown + (f", ... (+{len(unique) - 12} more)" if len(unique) > 12 else "")


def _with_hints(issue: ZodIssue) -> str:
    message = issue.message
    if issue.bound is not None:
        code, limit, inclusive = issue.bound
        if code == "too_big":
            message += (
                f" (maximum: {js_number(limit)})" if inclusive else f" (must be less than {js_number(limit)})"
            )
        else:
            message += (
                f" (minimum: {js_number(limit)})"
                if inclusive
                else f" (must be greater than {js_number(limit)})"
            )
    values = _allowed_values(issue)
    lowered = message.lower()
    if values and "(allowed:" not in lowered and "expected one of" not in lowered:
        message += f" (allowed: {allowed_hint(values)})"
    return message


def _dotted(path: Path) -> str:
    return ".".join(str(part) for part in path) or ROOT_PATH


def _bindings_issue(issue: ZodIssue) -> ConfigIssue | None:
    """OpenClaw names the failing field of a binding instead of "Invalid input" on bindings.<i>."""
    if len(issue.path) < 2 or issue.path[0] != "bindings" or not isinstance(issue.path[1], int):
        return None
    best: ZodIssue | None = None
    best_unknown, best_len, route_mismatch = False, -1, False
    for branch in issue.branches:
        if not branch:
            continue
        if any(
            n.path == ("type",) and n.code == "invalid_value" and "route" in (n.values or ()) for n in branch
        ):
            route_mismatch = True
            continue
        pick, pick_unknown, pick_len = None, False, -1
        for nested in branch:
            unknown = nested.code == "unrecognized_keys"
            if len(nested.path) > pick_len or (len(nested.path) == pick_len and unknown and not pick_unknown):
                pick, pick_unknown, pick_len = nested, unknown, len(nested.path)
        if pick is None:
            continue
        if best is not None:
            return None
        best, best_unknown, best_len = pick, pick_unknown, pick_len
    if not route_mismatch or best is None or (best_len == 0 and not best_unknown):
        return None
    return ConfigIssue(path=_dotted((*issue.path, *best.path)), message=best.message)


def config_issues(issues: Iterable[ZodIssue]) -> list[ConfigIssue]:
    """Return the zod issues as `openclaw config validate --json` lists them."""
    out: list[ConfigIssue] = []
    for issue in issues:
        if issue.code == "invalid_union" and not _allowed_values(issue):
            better = _bindings_issue(issue)
            if better is not None:
                out.append(better)
                continue
        out.append(ConfigIssue(path=_dotted(issue.path), message=_with_hints(issue)))
    return out
