"""The review of one config change before it is saved: validation, what-if, diffs.

``review(before, after)`` is what every save path shows (and what ``bench/config_edit.py`` times):
the new text validated as an import would be, per agent the tools gained and lost and the sandbox
and exec changes, the audit findings that appear, go or change severity, the keys that changed and
the line diff (secrets redacted).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from controlpanel.lib import json5edit
from controlpanel.openclaw import ConfigIssue, ConfigSyntaxError, LoadResult, load_config, redact_text

from .diff import Hunk, KeyChange, key_changes, text_diff
from .whatif import WhatIf, whatif

_CACHE: OrderedDict[tuple[str, tuple], LoadResult] = OrderedDict()
_CACHE_SIZE = 64


def loaded(text: str, env: Mapping[str, str] | None = None) -> LoadResult:
    """``load_config`` with a small cache: the current revision is reviewed against again and again.

    The result is shared: read it, never change it.
    """
    key = (text, tuple(sorted((env or {}).items())))
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    result = load_config(text, env=dict(env or {}))
    _CACHE[key] = result
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def blocking_issues(result: LoadResult) -> list[ConfigIssue]:
    """Issues that stop a save (a ``${VAR}`` the panel cannot resolve does not: the gateway can)."""
    return [i for i in result.issues if "env var" not in i.message.lower()]


@dataclass
class Review:
    before_text: str
    after_text: str
    result: LoadResult
    whatif: WhatIf | None = None
    keys: list[KeyChange] = field(default_factory=list)
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.result.raw is not None and not blocking_issues(self.result)

    @property
    def issues(self) -> list[ConfigIssue]:
        return blocking_issues(self.result)

    @property
    def changed(self) -> bool:
        return self.before_text != self.after_text

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "valid": self.valid,
            "issues": [{"path": i.path, "message": i.message} for i in self.issues],
            "warnings": [{"path": w.path, "message": w.message} for w in self.result.warnings],
            "changed": self.changed,
        }
        if self.whatif is not None:
            out["whatIf"] = self.whatif.as_json()
            out["keys"] = [k.as_json() for k in self.keys]
        return out


def review(
    before_text: str, after_text: str, *, env: Mapping[str, str] | None = None, diff: bool = True
) -> Review:
    """Validate ``after_text`` and, when it is valid, compare it with ``before_text``.

    ``before_text`` may be empty (a new gateway): then every agent and finding is new.
    """
    after = loaded(after_text, env)
    out = Review(before_text, after_text, after)
    if not out.valid:
        return out
    before = loaded(before_text, env) if before_text.strip() else None
    out.whatif = whatif(_config(before) if before is not None else None, _config(after), env=env)
    out.keys = key_changes(before.raw if before is not None else {}, after.raw or {})
    if diff:
        out.hunks = text_diff(_redacted(before_text), _redacted(after_text))
    return out


def _config(result: LoadResult) -> dict[str, Any]:
    """The config as the gateway would see it; without the environment, references stay as written."""
    if result.resolved is not None:
        return result.resolved
    from controlpanel.openclaw.roster import migrate_agent_list

    return migrate_agent_list(result.raw or {})[0]


def _redacted(text: str) -> str:
    try:
        return redact_text(text) if text else ""
    except ConfigSyntaxError:
        return ""


_UNRECOGNIZED = re.compile(r'^Unrecognized keys?: "([^"]+)"')


def issue_lines(text: str, issues: list[ConfigIssue]) -> list[dict[str, Any]]:
    """Each issue with the line (and column) it belongs to in ``text``, for the editor's gutter.

    A syntax error carries its own position; a schema issue is placed on its path's value, or on the
    deepest part of the path that exists (a missing key is reported where it would go); an unknown
    key on that key.
    """
    try:
        json5edit.parse_tree(text)
    except ConfigSyntaxError as exc:
        return [
            {
                "path": i.path,
                "message": i.message,
                "line": exc.line or 1,
                "column": exc.column or 1,
            }
            for i in issues
        ]
    out = []
    for issue in issues:
        path = [] if issue.path == "<root>" else issue.path.split(".")
        span = None
        unknown = _UNRECOGNIZED.match(issue.message)
        if unknown:
            span = json5edit.key_span(text, path, unknown.group(1))
        if span is None:
            span = json5edit.locate_nearest(text, path)
        start = span[0]
        line = json5edit.line_of(text, start)
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        out.append({"path": issue.path, "message": issue.message, "line": line, "column": column})
    return out
