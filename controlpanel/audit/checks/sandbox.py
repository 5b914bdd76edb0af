"""Sandbox docker checks (CLI order 620-639)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from ...openclaw.schema.refinements import bind_source, host_path_absolute
from ..catalogue import check
from ..facts import Facts, as_list, as_map, per_audit
from ..schema import Finding, Severity

W, C = Severity.WARN, Severity.CRITICAL

# Host paths a sandbox bind must never cover or target (HOME-relative ones use env HOME).
_BLOCKED = ("/etc", "/proc", "/sys", "/dev", "/root", "/boot", "/run", "/var/run")
_HOME_BLOCKED = (".ssh", ".aws", ".config", ".docker", ".gnupg", ".netrc", ".npm", ".cargo")


@per_audit
def _docker_sources(f: Facts) -> list[tuple[str, Mapping[str, Any]]]:
    out = []
    docker = f.defaults_sandbox.get("docker")
    if isinstance(docker, dict):
        out.append(("agents.defaults.sandbox.docker", docker))
    for agent in f.agents:
        docker = as_map(agent.get("sandbox")).get("docker")
        if isinstance(docker, dict):
            out.append((f"agents.entries.{agent['id']}.sandbox.docker", docker))
    return out


def _has_docker(docker: Any) -> bool:
    return isinstance(docker, dict) and any(v is not None for v in docker.values())


@check(
    "sandbox.docker_config_mode_off",
    severity=W,
    title="Sandbox docker settings configured while sandbox mode is off",
    remediation=(
        'Enable sandbox mode (`agents.defaults.sandbox.mode="non-main"` or `"all"`) where '
        "needed, or remove unused docker settings."
    ),
    paths=("agents.defaults.sandbox", "agents.entries.*.sandbox"),
    order=620,
    needs=("agents",),
)
def docker_mode_off(f: Facts) -> Iterator[Finding]:
    """Docker settings exist where the effective sandbox mode is off (they do nothing)."""
    paths = []
    default_mode = f.defaults_sandbox.get("mode") or "off"
    any_agent_on = any(f.sandbox(a["id"])[0] != "off" for a in f.agents)
    if _has_docker(f.defaults_sandbox.get("docker")) and default_mode == "off" and not any_agent_on:
        paths.append("agents.defaults.sandbox.docker")
    for agent in f.agents:
        if _has_docker(as_map(agent.get("sandbox")).get("docker")) and f.sandbox(agent["id"])[0] == "off":
            paths.append(f"agents.entries.{agent['id']}.sandbox.docker")
    if paths:
        yield docker_mode_off.finding(
            "These docker settings will not take effect until sandbox mode is enabled:\n"
            + "\n".join(f"- {p}" for p in paths)
        )


def blocked_bind(bind: str, home: str | None) -> tuple[str, str] | None:
    """Return ("covers"|"targets"|"non_absolute", path) when a bind spec is unsafe (the source read as
    OpenClaw's validator reads it: "C:\\data:/data" is an absolute Windows path, not a POSIX one)."""
    source = bind_source(bind).strip()
    if not host_path_absolute(source):
        return ("non_absolute", source)
    if not source.startswith("/"):
        return None
    norm = posixpath.normpath(source)
    if norm == "/":
        return ("covers", "/")
    blocked = list(_BLOCKED)
    if home:
        blocked += [posixpath.join(home, h) for h in _HOME_BLOCKED]
    if norm.endswith("/docker.sock"):
        return ("targets", posixpath.dirname(norm))
    for path in blocked:
        if norm == path or norm.startswith(path + "/"):
            return ("targets", path)
        if path.startswith(norm + "/"):
            return ("covers", path)
    return None


@check(
    "sandbox.dangerous_bind_mount",
    severity=C,
    title="Dangerous bind mount in sandbox config",
    paths=("agents.defaults.sandbox.docker.binds", "agents.entries.*.sandbox.docker.binds"),
    order=631,
    needs=("agents",),
)
def dangerous_bind(f: Facts) -> Iterator[Finding]:
    """A docker bind source covers or targets a system path or the Docker socket."""
    home = f.env.get("HOME")
    for source, docker in _docker_sources(f):
        for bind in as_list(docker.get("binds")):
            if not isinstance(bind, str):
                continue
            hit = blocked_bind(bind, home)
            if hit and hit[0] != "non_absolute":
                yield dangerous_bind.finding(
                    f'{source}.binds contains "{bind}" which {hit[0]} blocked path "{hit[1]}". '
                    "This can expose host system directories or the Docker socket to sandbox "
                    "containers.",
                    remediation=f'Remove "{bind}" from {source}.binds. Use project-specific paths instead.',
                )


@check(
    "sandbox.bind_mount_non_absolute",
    severity=W,
    title="Sandbox bind mount uses a non-absolute source path",
    paths=("agents.defaults.sandbox.docker.binds",),
    order=632,
    needs=("agents",),
)
def bind_non_absolute(f: Facts) -> Iterator[Finding]:
    """A bind source is relative (validation-blocked in 2026.9.6, kept for older configs)."""
    for source, docker in _docker_sources(f):
        for bind in as_list(docker.get("binds")):
            if isinstance(bind, str):
                hit = blocked_bind(bind, None)
                if hit and hit[0] == "non_absolute":
                    yield bind_non_absolute.finding(
                        f'{source}.binds contains "{bind}" which uses source path "{hit[1]}". '
                        "Non-absolute bind sources are hard to validate safely and may resolve "
                        "unexpectedly.",
                        remediation=f'Rewrite "{bind}" to use an absolute host path (for example: '
                        "/home/user/project:/project:ro).",
                    )


@check(
    "sandbox.dangerous_network_mode",
    severity=C,
    title="Dangerous network mode in sandbox config",
    paths=("agents.defaults.sandbox.docker.network",),
    order=633,
    needs=("agents",),
)
def dangerous_network(f: Facts) -> Iterator[Finding]:
    """docker.network is host or joins another container's namespace."""
    for source, docker in _docker_sources(f):
        network = docker.get("network")
        if not isinstance(network, str):
            continue
        norm = network.strip().lower()
        if norm == "host":
            detail = f'{source}.network is "host" which bypasses container network isolation entirely.'
        elif norm.startswith("container:"):
            detail = (
                f'{source}.network is "{network}" which joins another container namespace and can '
                "bypass sandbox network isolation."
            )
        else:
            continue
        yield dangerous_network.finding(
            detail,
            remediation=f'Set {source}.network to "bridge", "none", or a custom bridge network '
            f"name. Use {source}.dangerouslyAllowContainerNamespaceJoin=true only as a break-glass "
            "override when you fully trust this runtime.",
        )


@check(
    "sandbox.dangerous_seccomp_profile",
    severity=C,
    title="Seccomp unconfined in sandbox config",
    paths=("agents.defaults.sandbox.docker.seccompProfile",),
    order=634,
    needs=("agents",),
)
def seccomp(f: Facts) -> Iterator[Finding]:
    """seccompProfile is unconfined (validation-blocked in 2026.9.6)."""
    for source, docker in _docker_sources(f):
        value = docker.get("seccompProfile")
        if isinstance(value, str) and value.strip().lower() == "unconfined":
            yield seccomp.finding(
                f'{source}.seccompProfile is "unconfined" which disables syscall filtering.',
                remediation=f"Remove {source}.seccompProfile or use a custom seccomp profile file.",
            )


@check(
    "sandbox.dangerous_apparmor_profile",
    severity=C,
    title="AppArmor unconfined in sandbox config",
    paths=("agents.defaults.sandbox.docker.apparmorProfile",),
    order=635,
    needs=("agents",),
)
def apparmor(f: Facts) -> Iterator[Finding]:
    """apparmorProfile is unconfined (validation-blocked in 2026.9.6)."""
    for source, docker in _docker_sources(f):
        value = docker.get("apparmorProfile")
        if isinstance(value, str) and value.strip().lower() == "unconfined":
            yield apparmor.finding(
                f'{source}.apparmorProfile is "unconfined" which disables AppArmor enforcement.',
                remediation=f"Remove {source}.apparmorProfile or use a named AppArmor profile.",
            )
