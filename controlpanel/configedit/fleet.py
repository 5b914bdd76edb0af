"""One change for many gateways: a JSON5 snippet merged at a path, one audit fix, or the security baseline.

``change_text`` applies the change to one gateway's file as a minimal text edit (its comments and
layout stay); ``preview`` adds the validation and the what-if. Pure Python, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from controlpanel.audit import apply_fixes, propose_fixes, run_audit
from controlpanel.lib.json5edit import rewrite
from controlpanel.lib.safetext import refusal
from controlpanel.openclaw import ConfigSyntaxError, parse_json5

from .merge import merge_at
from .review import Review, loaded, review

BASELINE_FILE = Path(__file__).with_name("baseline.json5")


class ChangeError(ValueError):
    """The change itself is wrong (bad snippet, bad path): nothing to preview."""


@cache
def baseline_text() -> str:
    return BASELINE_FILE.read_text()


@dataclass(frozen=True)
class Change:
    kind: str  # "snippet", "fix" or "baseline"
    path: str = ""
    snippet: str = ""
    check_id: str = ""

    def patch(self) -> Any:
        """The value merged in (snippet and baseline). Raises ChangeError for a bad snippet."""
        source = baseline_text() if self.kind == "baseline" else self.snippet
        try:
            return parse_json5(source)
        except ConfigSyntaxError as exc:
            raise ChangeError(f"snippet: {exc}") from None

    def parts(self) -> list[str]:
        parts = [p for p in self.path.split(".") if p] if self.kind == "snippet" else []
        if any(not p.strip() for p in parts):
            raise ChangeError("path: use dotted keys, e.g. tools.exec")
        return parts

    def validate(self) -> None:
        """Raise ChangeError when the change cannot apply to any gateway."""
        if self.kind not in ("snippet", "fix", "baseline"):
            raise ChangeError("kind: snippet, fix or baseline")
        for name in ("path", "snippet", "check_id"):
            # Kept with the change: a character no database can store is refused here (one written
            # as an escape in the snippet is the validator's, per gateway and path).
            if (message := refusal(getattr(self, name), f"the {name}")) is not None:
                raise ChangeError(f"{name}: {message}")
        if self.kind == "fix" and not self.check_id.strip():
            raise ChangeError("check_id: name the audit check whose fix to apply")
        if self.kind == "snippet":
            self.parts()
            if not self.snippet.strip():
                raise ChangeError("snippet: give the JSON5 to merge")
            patch = self.patch()
            if not self.parts() and not isinstance(patch, dict):
                raise ChangeError("snippet: at the top level, merge an object")


def change_text(text: str, change: Change) -> str:
    """Return ``text`` with ``change`` applied (unchanged when it does not apply)."""
    result = loaded(text)
    raw = result.raw if result.raw is not None else parse_json5(text)
    if change.kind == "fix":
        findings = [f for f in run_audit(result.resolved or raw).findings if f.check_id == change.check_id]
        fixes = propose_fixes(raw, findings)
        return rewrite(text, apply_fixes(raw, fixes)) if fixes else text
    return rewrite(text, merge_at(raw, change.parts(), change.patch()))


def preview(text: str, change: Change, *, diff: bool = False) -> tuple[str, Review]:
    """Return the changed text and its review (validation, what-if) against ``text``."""
    new_text = change_text(text, change)
    return new_text, review(text, new_text, diff=diff)
