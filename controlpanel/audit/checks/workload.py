"""workload.*: container memory requests/limits against observed usage (seed 003)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from controlpanel.policy.workload import percentile, recommend

from ..catalogue import check
from ..facts import Facts
from ..schema import CheckClass, Finding, Severity, Workload

MI = 1024 * 1024


def p95(samples: list[int]) -> int:
    """Return the 95th percentile (nearest-rank) of usage samples in bytes."""
    return percentile(samples, 95)


def advice(samples: list[int]) -> tuple[int, int]:
    """Return (limit, request) in bytes: P95 x 1.5 and P95 x 1.1, rounded up to the values operators
    type, exactly as the Memory tab recommends them (one rule: ``controlpanel.policy.workload``)."""
    recommended = recommend(samples)
    return recommended.limit, recommended.request


def _mi(value: int) -> str:
    return f"{math.ceil(value / MI)}Mi"


def _workloads(f: Facts) -> list[Workload]:
    return list(f.context.workloads) if f.context is not None else []


@check(
    "workload.request_equals_limit",
    severity=Severity.WARN,
    title="Workload memory request equals its limit",
    remediation="Set requests from normal usage (P95 x 1.1) and limits with a buffer (P95 x 1.5).",
    cls=CheckClass.PANEL,
    paths=("workloads.<name>.resources",),
    order=820,
)
def request_equals_limit(f: Facts) -> Iterator[Finding]:
    """requests == limits leaves the scheduler no flexibility."""
    for w in _workloads(f):
        if w.limit_bytes is not None and w.request_bytes == w.limit_bytes:
            yield request_equals_limit.finding(f"{w.name}: request and limit are both {_mi(w.limit_bytes)}.")


@check(
    "workload.no_limit",
    severity=Severity.WARN,
    title="Workload has no memory limit",
    remediation="Set a memory limit (P95 x 1.5 when usage data exists).",
    cls=CheckClass.PANEL,
    paths=("workloads.<name>.resources.limits.memory",),
    order=821,
)
def no_limit(f: Facts) -> Iterator[Finding]:
    """No memory limit: one workload can starve the node."""
    for w in _workloads(f):
        if w.limit_bytes is None:
            yield no_limit.finding(f"{w.name}: no memory limit is set.")


@check(
    "workload.limit_below_p95",
    severity=Severity.CRITICAL,
    title="Workload memory limit is below observed P95 usage",
    remediation="Raise the limit to P95 x 1.5 or fix the memory growth; clw-memory-oom is imminent.",
    cls=CheckClass.PANEL,
    paths=("workloads.<name>.resources.limits.memory",),
    order=822,
)
def limit_below_p95(f: Facts) -> Iterator[Finding]:
    """The limit is under the P95 of observed usage: OOM kills are expected."""
    for w in _workloads(f):
        if w.limit_bytes is not None and w.usage_samples and p95(w.usage_samples) > w.limit_bytes:
            yield limit_below_p95.finding(
                f"{w.name}: limit {_mi(w.limit_bytes)} < P95 usage {_mi(p95(w.usage_samples))}."
            )


@check(
    "workload.sizing_advice",
    severity=Severity.INFO,
    title="Workload memory sizing advice from observed usage",
    cls=CheckClass.PANEL,
    paths=("workloads.<name>.resources",),
    order=823,
)
def sizing_advice(f: Facts) -> Iterator[Finding]:
    """With usage data and a sizing that differs: limit = P95 x 1.5, request = P95 x 1.1."""
    for w in _workloads(f):
        if not w.usage_samples:
            continue
        limit, request = advice(w.usage_samples)
        if (w.limit_bytes, w.request_bytes) == (limit, request):
            continue
        yield sizing_advice.finding(
            f"{w.name}: P95 {_mi(p95(w.usage_samples))}; recommended limit {_mi(limit)} "
            f"(P95 x 1.5), request {_mi(request)} (P95 x 1.1).",
            remediation=f"Set limits.memory={_mi(limit)} and requests.memory={_mi(request)}.",
        )
