"""load_config: openclaw.json text in, a LoadResult out (never raises for bad input)."""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from controlpanel.lib.safetext import REFUSED, refusal

from .config_warnings import dm_policy_warnings, heartbeat_warnings
from .dump import dump_config
from .envsubst import EnvRef, config_env_vars, substitute
from .issues import ROOT_PATH, ConfigIssue, dotted, js_type
from .legacy import apply_fixes, find_legacy
from .plugin_checks import plugin_problems
from .roster import migrate_agent_list, with_implicit_main
from .rules import rule_issues
from .schema import channel_keys, core_issues, unmodeled_keys
from .syntax import ConfigSyntaxError, parse_json5_noting_repeats


class Migration(BaseModel):
    """A proposed rewrite of a config refused only for legacy keys: the new text and what changed."""

    model_config = ConfigDict(frozen=True)

    text: str
    changes: list[str]


class LoadResult(BaseModel):
    """Everything known about one openclaw.json text; ``resolved``/``config`` are None when invalid."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    valid: bool
    issues: list[ConfigIssue] = []
    warnings: list[ConfigIssue] = []
    raw: dict[str, Any] | None = None
    resolved: dict[str, Any] | None = None
    unmodeled: list[str] = []  # dotted paths kept verbatim, untyped: "models", "gateway.remote"
    env_refs: list[EnvRef] = []
    migration: Migration | None = None
    default_agent_id: str | None = None

    def to_validate_json(self) -> dict[str, Any]:
        """Return the shape of `openclaw config validate --json` (without the file path).

        Like the CLI: a valid config gets "warnings" (possibly empty), an invalid one gets "issues" only.
        What only the panel says (a repeated key) is left out.
        """
        if self.valid:
            said = [w for w in self.warnings if not w.panel_only]
            return {"valid": True, "warnings": [{"path": w.path, "message": w.message} for w in said]}
        return {"valid": False, "issues": [{"path": i.path, "message": i.message} for i in self.issues]}


def load_config(text: str, *, env: Mapping[str, str] | None = None) -> LoadResult:
    """Parse, substitute, migrate and validate one openclaw.json text; returns a LoadResult.

    env defaults to os.environ; variables the config defines itself (env.vars) fill the gaps.
    """
    try:
        raw, repeats = parse_json5_noting_repeats(text)
    except ConfigSyntaxError as exc:
        message = f"JSON5 parse failed: {_js_wording(exc.message)}"
        if exc.line:
            message += f" at {exc.line}:{exc.column}"
        return LoadResult(valid=False, issues=[ConfigIssue(path=exc.path or ROOT_PATH, message=message)])
    if not isinstance(raw, dict):
        found = js_type(raw)
        issue = ConfigIssue(path=ROOT_PATH, message=f"Invalid input: expected object, received {found}")
        return LoadResult(valid=False, issues=[issue])
    result = _validate(raw, dict(os.environ) if env is None else dict(env), text)
    repeated = [
        ConfigIssue(
            path=dup.path,
            message=f'Duplicate key "{dup.key}" (line {dup.line}, column {dup.column}): OpenClaw keeps the '
            "last value, the earlier one is ignored",
            panel_only=True,
        )
        for dup in repeats
    ]
    if repeated:
        result.warnings = repeated + result.warnings
    if unstorable := storage_issues(raw, text):
        # What no database can store is refused like any invalid value, naming where it is; the rest
        # of the validation is still reported.
        update = {"valid": False, "issues": unstorable + result.issues, "resolved": None, "config": None}
        return result.model_copy(update={**update, "migration": None, "default_agent_id": None})
    return result


UNSTORABLE = REFUSED  # the start of every storage issue's message (tests/oracle_parity.py knows it)


def storage_issues(raw: Any, text: str = "") -> list[ConfigIssue]:
    """Issues for text no database can store (NUL, lone surrogates; see ``lib.safetext``), per path.

    PostgreSQL refuses both in text and JSON columns (SQLite stores them, so the panel refuses them
    everywhere alike). A value or key is named by its path; such a character elsewhere in the file
    (a comment) by its line and column.
    """
    found: list[ConfigIssue] = []

    def walk(value: Any, path: list[Any]) -> None:
        if isinstance(value, str):
            if (message := refusal(value, locate=False)) is not None:
                found.append(ConfigIssue(path=dotted(path), message=message))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, [*path, i])
        elif isinstance(value, dict):
            for key, item in value.items():
                if (message := refusal(key, "the key", locate=False)) is not None:
                    shown = key.encode("unicode_escape", "backslashreplace").decode("ascii")
                    found.append(ConfigIssue(path=dotted([*path, shown]), message=message))
                    continue
                walk(item, [*path, key])

    walk(raw, [])
    if not found and text and (message := refusal(text, "the text", locate=True)) is not None:
        found.append(ConfigIssue(path=ROOT_PATH, message=message))
    return found


def _js_wording(message: str) -> str:
    """Word the common parse errors as the json5 npm package does (what `openclaw config validate` shows)."""
    if message == "Unexpected end of input":
        return "SyntaxError: JSON5: invalid end of input"
    found = re.fullmatch(r'Unexpected "(.)"', message)
    if found:
        return f"SyntaxError: JSON5: invalid character '{found.group(1)}'"
    return message


def _validate(raw: dict[str, Any], env: dict[str, str], text: str | None = None) -> LoadResult:
    """Run substitution, migrations and the schema on a parsed config."""
    # The process environment wins over the config's own env.vars, as in OpenClaw.
    substitution = substitute(raw, {**config_env_vars(raw), **env})
    # The CLI lists missing variables after the warnings about the config itself.
    env_warnings = [
        ConfigIssue(
            path=ref.path,
            message=f'Missing env var "{ref.name}" - feature using this value will be unavailable',
        )
        for ref in substitution.missing
    ]
    resolved, moved, default_id = migrate_agent_list(substitution.value)
    warnings = [ConfigIssue(path="agents.entries", message=message) for message in moved]
    issues, found_warnings = _problems(resolved)
    legacy = find_legacy(raw)
    issues = _with_hints(issues, legacy)
    unmodeled = unmodeled_keys(raw)
    base = {"raw": raw, "unmodeled": unmodeled, "env_refs": substitution.refs}
    if issues:
        migration = _propose_migration(raw, legacy, issues, env, text)
        return LoadResult(
            valid=False, issues=issues, migration=migration, warnings=warnings + env_warnings, **base
        )
    warnings += heartbeat_warnings(resolved, default_id) + dm_policy_warnings(resolved)
    warnings += found_warnings + env_warnings
    return LoadResult(valid=True, resolved=resolved, default_agent_id=default_id, warnings=warnings, **base)


def _problems(resolved: dict[str, Any]) -> tuple[list[ConfigIssue], list[ConfigIssue]]:
    """Return (issues, warnings) in OpenClaw's order: the core schema, then (only when it passed) the
    rules of its validation core, then (only when those passed) what the plugins check."""
    if _has_non_finite(resolved):
        return [ConfigIssue(path=ROOT_PATH, message="Invalid input: numbers must be finite")], []
    issues = core_issues(with_implicit_main(resolved)) or rule_issues(resolved)
    if issues:
        return issues, []
    return plugin_problems(resolved)


def _has_non_finite(value: Any) -> bool:
    """JSON5 allows Infinity/NaN but a config holding them cannot be written back as JSON."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    return False


def _with_hints(issues: list[ConfigIssue], legacy: list[Any]) -> list[ConfigIssue]:
    """Attach the migration hint of each legacy key to the issue that names its parent path."""
    hints: dict[str, list[str]] = {}
    for finding in legacy:
        hints.setdefault(finding.reported_at, []).append(finding.hint)
    # agents.list[i] findings surface at agents.entries.<id> after the in-memory move.
    out = []
    for issue in issues:
        hint = "; ".join(dict.fromkeys(hints.get(issue.path, []))) or _list_hint(issue.path, legacy)
        hint = hint or _misplaced_hint(issue)
        out.append(issue.model_copy(update={"hint": hint or None}) if hint else issue)
    return out


def _misplaced_hint(issue: ConfigIssue) -> str:
    """Hint for channel settings written at the top level (documents show them as bare excerpts)."""
    if issue.path != ROOT_PATH or not issue.message.startswith("Unrecognized key"):
        return ""
    keys = re.findall(r'"([^"]+)"', issue.message)
    if not keys or not all(key in channel_keys() for key in keys):
        return ""
    names = ", ".join(keys)
    return f"{names} are settings of one channel: move them under channels.<channel> (e.g. channels.whatsapp)"


def _list_hint(path: str, legacy: list[Any]) -> str:
    parts = path.split(".")
    if len(parts) >= 3 and parts[:2] == ["agents", "entries"]:
        tail = parts[3:]
        for finding in legacy:
            if finding.parent[:2] == ("agents", "list") and list(finding.parent[3:]) == tail:
                return finding.hint
    return ""


def _propose_migration(
    raw: dict[str, Any], legacy: list[Any], issues: list[ConfigIssue], env: dict[str, str], source: str | None
) -> Migration | None:
    """Return the rewrite when every issue is explained by a legacy key and the rewrite is valid.

    The rewrite edits ``source`` (the file as written) in place: only the migrated keys change, its
    comments and layout stay.
    """
    if not legacy or any(issue.hint is None for issue in issues):
        return None
    migrated, changes = apply_fixes(raw, legacy)
    text = dump_config(migrated)
    if source is not None:
        from controlpanel.lib.json5edit import rewrite  # lib imports this package: import on use

        # A text that repeats a key cannot be edited in place: the rewrite is then the dump.
        with contextlib.suppress(ConfigSyntaxError):
            text = rewrite(source, migrated)
    check = _validate(migrated, env)
    return Migration(text=text, changes=changes) if check.valid else None
