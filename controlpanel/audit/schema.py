"""Value types of the audit engine: severities, findings, suppressions, the report.

Findings are small named tuples (thousands are built per second in the benchmark);
pydantic is kept for the edges, i.e. the optional inputs a caller hands in
(`AuditContext`, `Suppression`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Severity(StrEnum):
    """Finding severity, spelled as the real CLI spells it."""

    INFO = "info"
    WARN = "warn"
    CRITICAL = "critical"


class CheckClass(StrEnum):
    """Where the facts of a check come from (the classes of audit-catalogue.md)."""

    CONFIG = "config"
    CONFIG_ENV = "config+env"
    PANEL = "panel"  # beyond the CLI: needs manifests/workloads/approval settings


class Finding(NamedTuple):
    """One audit finding; `to_json()` gives the CLI's JSON object for it.

    A NamedTuple rather than a frozen dataclass: equally immutable, and built about four times
    faster (a dense config yields a dozen findings; bench/audit_throughput.py).
    """

    check_id: str
    severity: Severity
    title: str
    detail: str
    remediation: str | None = None

    def to_json(self) -> dict[str, str]:
        """Return the finding as `{"checkId", "severity", "title", "detail"[, "remediation"]}`."""
        out = {
            "checkId": self.check_id,
            "severity": str(self.severity),
            "title": self.title,
            "detail": self.detail,
        }
        # The CLI omits the key (rather than writing null) when a check has no remediation.
        if self.remediation is not None:
            out["remediation"] = self.remediation
        return out


class Suppression(BaseModel):
    """An accepted risk: hides findings of `check_id` (optionally narrowed by text).

    The real CLI reads these from `security.audit.suppressions` in openclaw.json, where the
    reason is optional; the panel requires one so every accepted risk is explained.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    check_id: str = Field(alias="checkId", min_length=1)
    reason: str = Field(min_length=1)
    title_includes: str | None = Field(default=None, alias="titleIncludes")
    detail_includes: str | None = Field(default=None, alias="detailIncludes")

    @field_validator("reason")
    @classmethod
    def _reason_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a suppression needs a reason")
        return value.strip()


@dataclass(slots=True)
class AuditReport:
    """The outcome of one run; `to_json()` has the shape of `openclaw security audit --json`."""

    findings: list[Finding]
    suppressed: list[tuple[Finding, str | None]] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        """Return `{"critical", "warn", "info"}` counts of the active findings."""
        counts = {"critical": 0, "warn": 0, "info": 0}
        for finding in self.findings:
            counts[str(finding.severity)] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        """Return the CLI JSON shape, minus the non-deterministic `ts`.

        `secretDiagnostics` is always present (empty: the panel never resolves external
        secret providers); `suppressedFindings` only when something was suppressed, as in
        the CLI.
        """
        out: dict[str, Any] = {
            "summary": self.summary,
            "findings": [f.to_json() for f in self.findings],
        }
        if self.suppressed:
            out["suppressedFindings"] = [
                {**f.to_json(), "suppression": {"reason": r} if r else {}} for f, r in self.suppressed
            ]
        out["secretDiagnostics"] = []
        return out


class MemoryPolicy(BaseModel):
    """The `memory_policy` block of a plugin manifest (seed 000)."""

    model_config = ConfigDict(extra="allow")

    regions: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    max_allocation_mb: int | None = None


class PluginManifest(BaseModel):
    """A plugin manifest as far as memory policy goes.

    `requires_execute` is the panel's record that the plugin really generates code (JIT);
    without it an `execute` permission is treated as unneeded.
    """

    model_config = ConfigDict(extra="allow")

    plugin: str
    version: str | None = None
    memory_policy: MemoryPolicy = Field(default_factory=MemoryPolicy)
    requires_execute: bool = False


class MemorySandbox(BaseModel):
    """The runtime sandbox memory policy (`sandbox:` of openclaw.yaml in seed 000)."""

    mode: str = "strict"  # strict / permissive / development
    restrict_regions: bool = True
    max_regions: int = 5
    # Permissions the sandbox grants plugins; None = not restricted by the sandbox.
    permissions: list[str] | None = None


class Workload(BaseModel):
    """A workload's memory request/limit (bytes) and observed usage samples (bytes)."""

    name: str
    request_bytes: int | None = None
    limit_bytes: int | None = None
    usage_samples: list[int] = Field(default_factory=list)


class ExecApprovalSettings(BaseModel):
    """Exec approval flow settings as seed 002 describes them (panel-side model)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    policy: str = "allowlist"  # allowlist / always / never
    approvers: list[str] = Field(default_factory=list)


class AuditContext(BaseModel):
    """Everything one audit may look at: the loaded config, env, and panel-only extras.

    `config` is the config as the gateway sees it after load (JSON5 parsed, `${VAR}`
    substituted, `agents.list` migrated). `raw` (optional) is the authored config before
    substitution, the one fix proposals are made against.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    config: dict[str, Any]
    env: Mapping[str, str] = Field(default_factory=dict)
    raw: dict[str, Any] | None = None
    manifests: list[PluginManifest] = Field(default_factory=list)
    memory_sandbox: MemorySandbox | None = None
    workloads: list[Workload] = Field(default_factory=list)
    approvals: ExecApprovalSettings | None = None
    production: bool = True
