"""Differences between two config texts: line by line, and key by key (secrets redacted)."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from controlpanel.lib.json5edit import same
from controlpanel.openclaw import redact


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "add", "del"
    old: int | None  # line number on the old side
    new: int | None
    text: str


@dataclass(frozen=True)
class Hunk:
    header: str
    lines: list[Line]


def text_diff(old: str, new: str, *, context: int = 3) -> list[Hunk]:
    """Return the changed regions of two texts with ``context`` lines around each, numbered."""
    a, b = old.splitlines(), new.splitlines()
    hunks = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(context):
        lines: list[Line] = []
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                lines += [Line("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)]
                continue
            lines += [Line("del", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [Line("add", None, j + 1, b[j]) for j in range(j1, j2)]
        first, last = group[0], group[-1]
        header = f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@"
        hunks.append(Hunk(header, lines))
    return hunks


def unified(old: str, new: str, *, old_name: str = "before", new_name: str = "after") -> str:
    """The same difference as a unified diff text (for the API and downloads)."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=old_name, tofile=new_name
        )
    )


@dataclass(frozen=True)
class KeyChange:
    path: str
    kind: str  # "added", "removed", "changed"
    before: Any = None
    after: Any = None

    @property
    def before_text(self) -> str:
        return json.dumps(self.before, ensure_ascii=False)

    @property
    def after_text(self) -> str:
        return json.dumps(self.after, ensure_ascii=False)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "change": self.kind}
        if self.kind != "added":
            out["before"] = self.before
        if self.kind != "removed":
            out["after"] = self.after
        return out


def key_changes(old: Any, new: Any) -> list[KeyChange]:
    """Keys added, removed or changed between two parsed configs, deepest object keys first-class.

    Arrays are compared whole. Secret values are redacted on both sides before comparing, so a
    changed secret shows as changed with both sides redacted.
    """
    out: list[KeyChange] = []
    _walk(redact(old), redact(new), (), out, raw=(old, new))
    return out


def _walk(old: Any, new: Any, path: tuple[str, ...], out: list[KeyChange], raw: tuple[Any, Any]) -> None:
    raw_old, raw_new = raw
    if same(raw_old, raw_new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in dict.fromkeys([*old, *new]):
            where = (*path, str(key))
            if key not in new:
                out.append(KeyChange(_dotted(where), "removed", before=old[key]))
            elif key not in old:
                out.append(KeyChange(_dotted(where), "added", after=new[key]))
            else:
                _walk(old[key], new[key], where, out, (raw_old[key], raw_new[key]))
        return
    out.append(KeyChange(_dotted(path), "changed", before=old, after=new))


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path) or "<root>"
