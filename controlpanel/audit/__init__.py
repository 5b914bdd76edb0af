"""Security audit engine: the checks of `openclaw security audit` (2026.9.6) and beyond.

Pure Python, no Django. Entry points: `run_audit`, `run_context`, `propose_fixes`, `CHECKS`.
"""

from .catalogue import CHECKS, CheckSpec, get_check
from .engine import refusal_json, run_audit, run_context
from .fixes import Fix, apply_fixes, propose_fixes
from .schema import (
    AuditContext,
    AuditReport,
    ExecApprovalSettings,
    Finding,
    MemoryPolicy,
    MemorySandbox,
    PluginManifest,
    Severity,
    Suppression,
    Workload,
)

__all__ = [
    "CHECKS",
    "AuditContext",
    "AuditReport",
    "CheckSpec",
    "ExecApprovalSettings",
    "Finding",
    "Fix",
    "MemoryPolicy",
    "MemorySandbox",
    "PluginManifest",
    "Severity",
    "Suppression",
    "Workload",
    "apply_fixes",
    "get_check",
    "propose_fixes",
    "refusal_json",
    "run_audit",
    "run_context",
]
