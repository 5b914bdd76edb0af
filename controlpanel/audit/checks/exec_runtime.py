"""Exec runtime checks: sandbox host, security=full, fs drift, safe bins (CLI order 400-408)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from controlpanel.policy.exec_policy import AUDIT_DEFAULT_SECURITY

from ..catalogue import check
from ..facts import RUNTIME_TOOLS, Facts, as_list, as_map, per_audit, sub
from ..schema import Finding, Severity

W, C = Severity.WARN, Severity.CRITICAL


@check(
    "tools.exec.host_sandbox_no_sandbox_defaults",
    severity=W,
    title="Exec host is sandbox but sandbox mode is off",
    remediation=(
        'Enable sandbox mode (`agents.defaults.sandbox.mode="non-main"` or `"all"`) or set '
        'tools.exec.host to "gateway" with approvals.'
    ),
    paths=("tools.exec.host", "agents.defaults.sandbox.mode"),
    order=401,
    needs=("tools",),
)
def host_sandbox_defaults(f: Facts) -> Iterator[Finding]:
    """tools.exec.host=sandbox while the default sandbox mode is off (exec fails closed)."""
    if f.exec_host(None)[0] == "sandbox" and f.sandbox(None)[0] == "off":
        yield host_sandbox_defaults.finding(
            "tools.exec.host is explicitly set to sandbox while agents.defaults.sandbox.mode=off. "
            "In this mode, exec fails closed because no sandbox runtime is available."
        )


@check(
    "tools.exec.host_sandbox_no_sandbox_agents",
    severity=W,
    title="Agent exec host uses sandbox while sandbox mode is off",
    remediation=(
        "Enable sandbox mode for these agents (`agents.entries.*.sandbox.mode`) or set their "
        'tools.exec.host to "gateway".'
    ),
    paths=("agents.entries.*.tools.exec.host", "agents.entries.*.sandbox.mode"),
    order=402,
    needs=("agents",),
)
def host_sandbox_agents(f: Facts) -> Iterator[Finding]:
    """An agent's own exec host is sandbox while its sandbox mode is off (first 5 listed; an inherited
    `tools.exec.host` is the check above)."""
    risky = [
        a["id"]
        for a in f.agents
        if f.exec_host(a["id"]) == ("sandbox", f"agents.entries.{a['id']}.tools.exec.host")
        and f.sandbox(a["id"])[0] == "off"
    ][:5]
    if risky:
        yield host_sandbox_agents.finding(
            f"agents.entries.*.tools.exec.host is set to sandbox for: {', '.join(risky)}. With "
            "sandbox mode off, exec fails closed for those agents."
        )


@per_audit
def exec_scopes(f: Facts) -> list[tuple[str, str, str]]:
    """Return (scope id, requested exec security, host) for the global scope and each agent.

    As the CLI's audit: an unset security counts as "deny" here (not the runtime's "full"), and the
    global scope is filed under the audit's default agent, else "global".
    """
    g_sec = f.requested_exec(None, AUDIT_DEFAULT_SECURITY).security
    scope_id = f.default_agent_id or "global"
    scopes: dict[str, tuple[str, str, str]] = {scope_id: (scope_id, g_sec, f.exec_host(None)[0])}
    for agent in f.agents:
        sec = f.requested_exec(agent["id"], AUDIT_DEFAULT_SECURITY).security
        scopes[agent["id"]] = (agent["id"], sec, f.exec_host(agent["id"])[0])
    return list(scopes.values())


@check(
    "tools.exec.security_full_configured",
    severity=W,
    title="Exec security=full is configured",
    remediation=(
        'Prefer tools.exec.mode="ask" or "allowlist", and reserve "full" for tightly scoped '
        "break-glass agents only."
    ),
    paths=("tools.exec.security", "tools.exec.mode", "agents.entries.*.tools.exec", "channels"),
    order=403,
    needs=("tools", "agents"),
)
def security_full(f: Facts) -> Iterator[Finding]:
    """Some scope runs exec with security=full (critical when an open channel exists)."""
    full = [s[0] for s in exec_scopes(f) if s[1] == "full"]
    if not full:
        return
    opened = f.open_exec_surface_paths
    detail = f"Full exec trust is enabled for: {', '.join(full)}."
    if opened:
        detail += " Open channel access was also detected at:\n" + "\n".join(f"- {p}" for p in opened)
    yield security_full.finding(detail, severity=C if opened else W)


@check(
    "security.exposure.open_channels_with_exec",
    severity=W,
    title="Open channels can reach exec-enabled agents",
    remediation=(
        "Tighten dmPolicy/groupPolicy to pairing or allowlist, or disable exec for agents "
        "reachable from shared/public channels."
    ),
    paths=("channels", "tools.exec", "agents.entries.*.tools.exec"),
    order=404,
    needs=("channels",),
)
def open_channels_with_exec(f: Facts) -> Iterator[Finding]:
    """An open DM/group policy and some scope with exec not denied (critical if full)."""
    opened = f.open_exec_surface_paths
    scopes = exec_scopes(f)
    enabled = [s for s in scopes if s[1] != "deny"]
    if not opened or not enabled:
        return
    yield open_channels_with_exec.finding(
        "Open DM/group access detected at:\n"
        + "\n".join(f"- {p}" for p in opened)
        + "\nExec-enabled scopes:\n"
        + "\n".join(f"- {i}: security={s}, host={h}" for i, s, h in enabled),
        severity=C if any(s[1] == "full" for s in scopes) else W,
    )


MUTATING_FS_TOOLS = ("write", "edit", "apply_patch")


@check(
    "tools.exec.fs_tools_disabled_but_exec_enabled",
    severity=W,
    title="Filesystem tool policy does not make exec read-only",
    remediation=(
        "For read-only agents, deny exec and process too. If shell access is intentional, "
        'constrain the filesystem boundary with sandbox mode "all" and workspaceAccess "ro" or '
        '"none".'
    ),
    paths=("tools.allow", "tools.deny", "tools.profile", "agents.entries.*.tools"),
    order=405,
    needs=("tools", "agents"),
)
def fs_disabled_exec_enabled(f: Facts) -> Iterator[Finding]:
    """write/edit/apply_patch are denied but exec stays available outside a ro sandbox."""
    lines = []
    # The global "tools" scope is evaluated like agents.defaults (agent id None).
    scopes: list[tuple[str, str | None]] = [("tools", None)]
    scopes += [(f"agents.entries.{a['id']}.tools", a["id"]) for a in f.agents]
    for label, agent_id in scopes:
        mode, access = f.sandbox(agent_id)
        host = f.exec_host(agent_id)[0]
        if mode == "all" and host not in ("gateway", "node") and access != "rw":
            continue
        runtime = f.allowed_tools(agent_id, RUNTIME_TOOLS)
        if "exec" not in runtime:
            continue
        if f.allowed_tools(agent_id, MUTATING_FS_TOOLS):
            continue
        lines.append(
            f"- {label}: runtime=[{', '.join(runtime)}], "
            f"disabledFs=[{', '.join(MUTATING_FS_TOOLS)}], "
            f"exec.host={host}, sandbox={mode}, workspaceAccess={access}"
        )
    if lines:
        yield fs_disabled_exec_enabled.finding(
            "Found scopes where write/edit/apply_patch are unavailable but exec remains "
            "available:\n" + "\n".join(lines) + "\nThe exec tool is a shell and can still write "
            "files wherever the selected host or sandbox filesystem permits it."
        )


_INTERPRETER_PREFIXES = ("python", "node", "ruby", "perl", "php", "lua", "pwsh")
_INTERPRETERS = frozenset(
    ("awk", "bash", "bun", "busybox", "cmd", "dash", "deno", "fish", "gawk", "gsed", "ksh", "lua",
     "mawk", "nawk", "node", "nodejs", "perl", "php", "powershell", "pwsh", "python", "ruby", "sed",
     "sh", "zsh", "osascript", "tclsh")
)  # fmt: skip
_RISKY_BINS = {
    "jq": "jq can read environment data and load jq code from modules or startup files, so "
    "prefer explicit allowlist entries or approval-gated runs instead of safeBins.",
    "sed": "sed scripts can execute commands and write files, so prefer explicit allowlist "
    "entries or approval-gated runs instead of safeBins.",
}
_RISKY_BINS["gsed"] = _RISKY_BINS["sed"]
for _awk in ("awk", "gawk", "mawk", "nawk"):
    _RISKY_BINS[_awk] = (
        "awk-family interpreters can execute commands, access ENVIRON, and write files, so "
        "prefer explicit allowlist entries or approval-gated runs instead of safeBins."
    )


def _safe_bins(exec_cfg: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for value in as_list(exec_cfg.get("safeBins")):
        if isinstance(value, str) and value.strip():
            seen[value.strip().lower()] = None
    return list(seen)


def _is_interpreter(name: str) -> bool:
    if name in _INTERPRETERS:
        return True
    return any(
        name.startswith(p) and name[len(p) :].replace(".", "").isdigit() for p in _INTERPRETER_PREFIXES
    )


@per_audit
def _safe_bin_scopes(f: Facts) -> list[tuple[str, list[str], set[str]]]:
    """(scope path, safeBins, profiled bins) for the global exec and each agent's."""
    g = as_map(sub(f.tools, "exec"))
    g_prof = set(as_map(g.get("safeBinProfiles")))
    out = [("tools.exec", _safe_bins(g), g_prof)]
    for agent in f.agents:
        a = as_map(sub(agent, "tools", "exec"))
        out.append(
            (
                f"agents.entries.{agent['id']}.tools.exec",
                _safe_bins(a),
                g_prof | set(as_map(a.get("safeBinProfiles"))),
            )
        )
    return out


@check(
    "tools.exec.safe_bins_interpreter_unprofiled",
    severity=W,
    title="safeBins includes interpreter/runtime binaries without explicit profiles",
    remediation=(
        "Remove interpreter/runtime bins from safeBins (prefer allowlist entries) or define "
        "hardened tools.exec.safeBinProfiles.<bin> rules."
    ),
    paths=("tools.exec.safeBins", "tools.exec.safeBinProfiles"),
    order=406,
    needs=("tools", "agents"),
)
def safe_bins_interpreter(f: Facts) -> Iterator[Finding]:
    """safeBins lists an interpreter without a safeBinProfiles entry."""
    hits = []
    for scope, bins, profiled in _safe_bin_scopes(f):
        interp = sorted(b for b in bins if _is_interpreter(b) and b not in profiled)
        if interp:
            hits.append(f"- {scope}.safeBins: {', '.join(interp)}")
    if hits:
        yield safe_bins_interpreter.finding(
            "Detected interpreter-like safeBins entries missing explicit profiles:\n"
            + "\n".join(hits)
            + "\nThese entries can turn safeBins into a broad execution surface when used with "
            "permissive argv profiles."
        )


@check(
    "tools.exec.safe_bins_broad_behavior",
    severity=W,
    title="safeBins includes binaries with broader semantics than low-risk stream filters",
    remediation=(
        "Remove these binaries from safeBins and prefer explicit allowlist entries or "
        "approval-gated execution."
    ),
    paths=("tools.exec.safeBins",),
    order=407,
    needs=("tools", "agents"),
)
def safe_bins_broad(f: Facts) -> Iterator[Finding]:
    """safeBins lists jq, sed or an awk (they can run code or read the environment)."""
    hits = [
        f"- {scope}.safeBins: {b} ({_RISKY_BINS[b]})"
        for scope, bins, _ in _safe_bin_scopes(f)
        for b in sorted(bins)
        if b in _RISKY_BINS
    ]
    if hits:
        yield safe_bins_broad.finding(
            "Detected risky safeBins entries:\n"
            + "\n".join(hits)
            + "\nThese tools expose semantics that do not fit the low-risk stdin-filter fast path."
        )


def risky_trusted_dir(entry: str) -> str | None:
    """Return why a safeBinTrustedDirs entry is risky, or None."""
    raw = entry.strip()
    if not raw:
        return None
    if not raw.startswith("/"):
        return "relative path (trust boundary depends on process cwd)"
    norm = posixpath.normpath(raw).lower()
    for tmp in ("/tmp", "/var/tmp", "/private/tmp"):  # noqa: S108  (data: paths we flag)
        if norm == tmp or norm.startswith(tmp + "/"):
            return "temporary directory is mutable and easy to poison"
    if norm in ("/usr/local/bin", "/opt/homebrew/bin", "/opt/local/bin", "/home/linuxbrew/.linuxbrew/bin"):
        return "package-manager bin directory (often user-writable)"
    if norm.startswith(("/users/", "/home/")) or "/.local/bin" in norm:
        return "home-scoped bin directory (typically user-writable)"
    return None


@check(
    "tools.exec.safe_bin_trusted_dirs_risky",
    severity=W,
    title="safeBinTrustedDirs includes risky mutable directories",
    remediation=(
        "Prefer root-owned immutable bins, keep default trust dirs (/bin, /usr/bin), and avoid "
        "trusting temporary/home/package-manager paths unless tightly controlled."
    ),
    paths=("tools.exec.safeBinTrustedDirs", "agents.entries.*.tools.exec.safeBinTrustedDirs"),
    order=408,
    needs=("tools", "agents"),
)
def safe_bin_trusted_dirs(f: Facts) -> Iterator[Finding]:
    """A trusted safe-bin dir is relative, temporary, home-scoped or a package-manager bin."""
    hits = []
    scopes = [("tools.exec", sub(f.tools, "exec"))]
    scopes += [(f"agents.entries.{a['id']}.tools.exec", sub(a, "tools", "exec")) for a in f.agents]
    for scope, exec_cfg in scopes:
        seen: dict[str, None] = {}
        for d in as_list(sub(exec_cfg, "safeBinTrustedDirs")):
            if isinstance(d, str) and d.strip():
                seen[d.strip()] = None
        for d in seen:
            reason = risky_trusted_dir(d)
            if reason:
                hits.append(f"- {scope}.safeBinTrustedDirs: {d} ({reason})")
    if hits:
        more = f"\n- +{len(hits) - 10} more entries." if len(hits) > 10 else ""
        yield safe_bin_trusted_dirs.finding(
            "Detected risky safeBinTrustedDirs entries:\n" + "\n".join(hits[:10]) + more
        )
