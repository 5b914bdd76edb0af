"""The attack-surface summary the CLI always emits first (order 100)."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalogue import check
from ..facts import Facts, as_map, sub
from ..schema import Finding, Severity
from .models import browser_enabled


def _internal_hooks(f: Facts) -> bool:
    internal = as_map(sub(f.cfg, "hooks", "internal"))
    if internal.get("enabled") is False:
        return False
    entries = as_map(internal.get("entries")).values()
    extra_dirs = sub(internal, "load", "extraDirs")
    return (
        internal.get("enabled") is True
        or any(sub(e, "enabled") is not False for e in entries)
        or any(isinstance(d, str) and d.strip() for d in (extra_dirs or []))
    )


@check(
    "summary.attack_surface",
    severity=Severity.INFO,
    title="Attack surface summary",
    paths=("channels.*.groupPolicy", "tools.elevated.enabled", "hooks", "browser.enabled"),
    order=100,
)
def attack_surface(f: Facts) -> Iterator[Finding]:
    """Always emitted: counts of open/allowlist groups and which big surfaces are on."""
    open_ = allowlist = 0
    for section in f.channels.values():
        if isinstance(section, dict):
            policy = section.get("groupPolicy")
            open_ += policy == "open"
            allowlist += policy == "allowlist"

    def on(flag: bool) -> str:
        return "enabled" if flag else "disabled"

    yield attack_surface.finding(
        f"groups: open={open_}, allowlist={allowlist}\n"
        f"tools.elevated: {on(sub(f.tools, 'elevated', 'enabled') is not False)}\n"
        f"hooks.webhooks: {on(sub(f.cfg, 'hooks', 'enabled') is True)}\n"
        f"hooks.internal: {on(_internal_hooks(f))}\n"
        f"browser control: {on(browser_enabled(f))}\n"
        "trust model: personal assistant (one trusted operator boundary), not hostile "
        "multi-tenant on one shared gateway. For multiple users or organizations, run one "
        "isolated Gateway cell per tenant: https://docs.openclaw.ai/gateway/multi-tenant-hosting"
    )
