"""The explicit check registry: one entry per check id, in the CLI's emission order.

A check is a small function `(facts) -> Iterable[Finding] | None` registered with
`@check(...)`. The registry is explicit (style.md §3.4): `checks/__init__.py` imports each
module by name, and every check states the `order` at which the real CLI emits it, so the
report order does not depend on how our modules happen to be split.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .schema import CheckClass, Finding, Severity

CheckFn = Callable[..., "Iterable[Finding] | None"]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """Catalogue metadata of one check id (`<x>` marks a dynamic id segment)."""

    id: str
    severity: Severity
    title: str
    remediation: str | None
    cls: CheckClass
    paths: tuple[str, ...]
    doc: str
    order: float
    fn: CheckFn
    needs: frozenset[str] = frozenset()  # top-level keys; the check cannot fire without one

    def finding(
        self,
        detail: str,
        *,
        severity: Severity | None = None,
        title: str | None = None,
        remediation: str | None = None,
        check_id: str | None = None,
    ) -> Finding:
        """Return a Finding of this check; overrides cover severity rules and dynamic ids."""
        return Finding(  # positional: measurably cheaper in the audit loop
            check_id or self.id,
            severity or self.severity,
            title or self.title,
            detail,
            remediation if remediation is not None else self.remediation,
        )


CHECKS: list[CheckSpec] = []
_BY_ID: dict[str, CheckSpec] = {}


def check(
    id: str,
    *,
    severity: Severity,
    title: str,
    remediation: str | None = None,
    cls: CheckClass = CheckClass.CONFIG,
    paths: tuple[str, ...] = (),
    order: float,
    needs: tuple[str, ...] = (),
) -> Callable[[CheckFn], CheckSpec]:
    """Register the decorated function as the check `id`; the docstring is its doc line.

    Returns the CheckSpec (not the function) so a check body can call `spec.finding(...)`
    through its own name. `needs` lists top-level config keys of which at least one must be
    present for the check to be able to fire; the engine skips it otherwise (a cheap gate
    that keeps audits of small configs fast).
    """

    def register(fn: CheckFn) -> CheckSpec:
        if id in _BY_ID:
            raise ValueError(f"duplicate check id {id}")
        doc = (fn.__doc__ or "").strip().splitlines()
        spec = CheckSpec(
            id=id,
            severity=severity,
            title=title,
            remediation=remediation,
            cls=cls,
            paths=paths,
            doc=doc[0] if doc else "",
            order=order,
            fn=fn,
            needs=frozenset(needs),
        )
        _BY_ID[id] = spec
        CHECKS.append(spec)
        CHECKS.sort(key=lambda s: s.order)
        return spec

    return register


def get_check(check_id: str) -> CheckSpec | None:
    """Return the spec of a registered id (exact, or by its `<x>` pattern), or None."""
    spec = _BY_ID.get(check_id)
    if spec is not None:
        return spec
    for candidate in CHECKS:
        if "<" in candidate.id and _matches_pattern(candidate.id, check_id):
            return candidate
    return None


def _matches_pattern(pattern: str, check_id: str) -> bool:
    head, _, rest = pattern.partition("<")
    tail = rest.partition(">")[2]
    return check_id.startswith(head) and check_id.endswith(tail) and len(check_id) > len(head) + len(tail)
