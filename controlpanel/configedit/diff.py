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
    # Edits are local: the common head and tail are compared cheaply, only the middle by difflib
    # (quadratic in the worst case on a 2,000-line file).
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    keep = max(head - context, 0), max(tail - context, 0)
    mid_a, mid_b = a[keep[0] : len(a) - keep[1]], b[keep[0] : len(b) - keep[1]]
    hunks = []
    matcher = difflib.SequenceMatcher(a=mid_a, b=mid_b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        lines: list[Line] = []
        group = [(op, i1 + keep[0], i2 + keep[0], j1 + keep[0], j2 + keep[0]) for op, i1, i2, j1, j2 in group]
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

    Arrays are compared whole. Secret values are redacted on both sides (a changed secret shows as
    changed with both sides redacted).
    """
    out: list[KeyChange] = []
    _walk(old, new, (), out)
    return out


def _walk(old: Any, new: Any, path: tuple[str, ...], out: list[KeyChange]) -> None:
    if same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in dict.fromkeys([*old, *new]):
            where = (*path, str(key))
            if key not in new:
                out.append(KeyChange(_dotted(where), "removed", before=redact(old[key], where)))
            elif key not in old:
                out.append(KeyChange(_dotted(where), "added", after=redact(new[key], where)))
            else:
                _walk(old[key], new[key], where, out)
        return
    out.append(KeyChange(_dotted(path), "changed", before=redact(old, path), after=redact(new, path)))


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path) or "<root>"
