"""Merging config values: RFC 7386 merge patches at a path (fleet changes) and three-way merges."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from controlpanel.lib.json5edit import get_in, same, set_in

_MISSING = object()


def merge_patch(target: Any, patch: Any) -> Any:
    """Return ``target`` with ``patch`` applied as a JSON merge patch: objects merge, ``null`` deletes."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def merge_at(config: dict[str, Any], path: Sequence[str], patch: Any) -> dict[str, Any]:
    """Return ``config`` with ``patch`` merged into the value at ``path`` (created when missing)."""
    if not path:
        return merge_patch(config, patch)
    return set_in(config, list(path), merge_patch(get_in(config, list(path)), patch))


@dataclass
class ThreeWay:
    """Yours and theirs merged on top of the base; ``conflicts`` are the paths both changed differently
    (there ``merged`` holds theirs)."""

    merged: Any
    conflicts: list[str] = field(default_factory=list)


def three_way(base: Any, yours: Any, theirs: Any) -> ThreeWay:
    """Merge two edits of ``base`` key by key; arrays and scalars are taken whole."""
    result = ThreeWay(merged=None)
    result.merged = _merge(base, yours, theirs, (), result.conflicts)
    return result


def _merge(base: Any, yours: Any, theirs: Any, path: tuple[str, ...], conflicts: list[str]) -> Any:
    if _eq(yours, base):
        return theirs
    if _eq(theirs, base) or _eq(yours, theirs):
        return yours
    if all(isinstance(v, dict) for v in (yours, theirs)) and isinstance(base, dict | type(_MISSING)):
        base_map = base if isinstance(base, dict) else {}
        out: dict[str, Any] = {}
        for key in dict.fromkeys([*theirs, *yours, *base_map]):
            value = _merge(
                base_map.get(key, _MISSING),
                yours.get(key, _MISSING),
                theirs.get(key, _MISSING),
                (*path, key),
                conflicts,
            )
            if value is not _MISSING:
                out[key] = value
        return out
    conflicts.append(".".join(path) or "<root>")
    return theirs


def _eq(a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return a is b
    return same(a, b)
