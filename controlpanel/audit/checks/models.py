"""Model hygiene checks (CLI order 670-680)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from controlpanel.policy.tools import allowed_subset

from ..catalogue import check
from ..facts import Facts, as_list, as_map, sub
from ..schema import Finding, Severity

W = Severity.WARN
_LEGACY = (
    (re.compile(r"\bgpt-3\.5\b", re.I), "GPT-3.5 family"),
    (re.compile(r"\bclaude-(instant|2)\b", re.I), "Claude 2/Instant family"),
    (re.compile(r"\bgpt-4-(0314|0613)\b", re.I), "Legacy GPT-4 snapshots"),
)
_HAIKU = re.compile(r"\bhaiku\b", re.I)
_GPT = re.compile(r"\bgpt-", re.I)
_GPT5 = re.compile(r"\bgpt-5(?:\b|[.-])", re.I)
_CLAUDE = re.compile(r"\bclaude-", re.I)
_CLAUDE45 = re.compile(
    r"\bclaude-[^\s/]*?(?:-4-?(?:[5-9]|[1-9]\d)\b|4\.(?:[5-9]|[1-9]\d)\b|-[5-9](?:\b|[.-]))", re.I
)
_PARAM_B = re.compile(r"(?:^|[^a-z0-9])[a-z]?(\d+(?:\.\d+)?)b(?=[^a-z0-9]|$)")
SMALL_MODEL_MAX_B = 300


@check(
    "models.legacy",
    severity=W,
    title="Some configured models look legacy",
    remediation="Prefer modern, instruction-hardened models for any bot that can run tools.",
    paths=("agents.defaults.model", "agents.defaults.imageModel", "agents.entries.*.model"),
    order=670,
    needs=("agents",),
)
def legacy(f: Facts) -> Iterator[Finding]:
    """A configured model is GPT-3.5, Claude 2/Instant or a legacy GPT-4 snapshot."""
    lines = []
    for model, source in f.model_refs:
        for pattern, label in _LEGACY:
            if pattern.search(model):
                lines.append(f"- {model} ({label}) @ {source}")
                break
    if lines:
        more = f"\n…{len(lines) - 12} more" if len(lines) > 12 else ""
        yield legacy.finding(
            "Older/legacy models can be less robust against prompt injection and tool misuse.\n"
            + "\n".join(lines[:12])
            + more
        )


@check(
    "models.weak_tier",
    severity=W,
    title="Some configured models are below recommended tiers",
    remediation=(
        "Use the latest, top-tier model for any bot with tools or untrusted inboxes. Avoid Haiku "
        "tiers; prefer GPT-5+ and Claude 4.5+."
    ),
    paths=("agents.defaults.model", "agents.entries.*.model"),
    order=671,
    needs=("agents",),
)
def weak_tier(f: Facts) -> Iterator[Finding]:
    """A configured model is a Haiku tier, below GPT-5 or below Claude 4.5."""
    matches: dict[tuple[str, str], list[str]] = {}
    for model, source in f.model_refs:
        reasons = matches.setdefault((model, source), [])
        if _HAIKU.search(model):
            reasons.append("Haiku tier (smaller model)")
        if _GPT.search(model) and not _GPT5.search(model):
            reasons.append("Below GPT-5 family")
        if _CLAUDE.search(model) and not _CLAUDE45.search(model):
            reasons.append("Below Claude 4.5")
    hits = [(m, s, r) for (m, s), r in matches.items() if r]
    if hits:
        lines = [f"- {m} ({'; '.join(dict.fromkeys(r))}) @ {s}" for m, s, r in hits[:12]]
        more = f"\n…{len(hits) - 12} more" if len(hits) > 12 else ""
        yield weak_tier.finding(
            "Smaller/older models are generally more susceptible to prompt injection and tool "
            "misuse.\n" + "\n".join(lines) + more
        )


def param_b(model: str) -> float | None:
    """Return the largest `<N>b` parameter size in a model id, or None."""
    best = None
    for m in _PARAM_B.finditer(model.lower()):
        value = float(m.group(1))
        if value > 0 and (best is None or value > best):
            best = value
    return best


def browser_enabled(f: Facts) -> bool:
    """Browser control is on unless disabled or blocked by the plugins policy."""
    if sub(f.cfg, "browser", "enabled") is False:
        return False
    plugins = as_map(f.cfg.get("plugins"))
    if plugins.get("enabled") is False:
        return False
    deny = [str(x).strip().lower() for x in as_list(plugins.get("deny"))]
    allow = [str(x).strip().lower() for x in as_list(plugins.get("allow"))]
    if "browser" in deny or sub(plugins, "entries", "browser", "enabled") is False:
        return False
    return not allow or "browser" in allow


def _web_search_enabled(f: Facts) -> bool:
    search = as_map(sub(f.tools, "web", "search"))
    if search.get("enabled") is False:
        return False
    if search.get("enabled") is True:
        return True
    # A credential-like key next to `enabled` turns web search on implicitly.
    if any(k != "enabled" and v not in (None, "") for k, v in search.items()):
        return True
    return any(
        as_map(sub(entry, "config", "webSearch"))
        and any(
            k != "enabled" and v not in (None, "")
            for k, v in as_map(sub(entry, "config", "webSearch")).items()
        )
        for entry in as_map(sub(f.cfg, "plugins", "entries")).values()
    )


def _fmt_b(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


@check(
    "models.small_params",
    severity=Severity.INFO,
    title="Small models require sandboxing and web tools disabled",
    remediation=(
        "If you must use small models, disable web_search/web_fetch/browser globally or for "
        'each small model with tools.byProvider["provider/model"].deny=["group:web","browser"]; '
        'use agents.defaults.sandbox.mode="all" for defense in depth.'
    ),
    paths=("agents.defaults.model", "tools.web", "browser.enabled", "tools.byProvider"),
    order=680,
    needs=("agents",),
)
def small_params(f: Facts) -> Iterator[Finding]:
    """A <=300B model is configured; critical when web/browser tools reach it."""
    lines = []
    exposure: dict[str, None] = {}
    unsafe = False
    for model, source in f.model_refs:
        if "imageModel" in source:
            continue
        size = param_b(model)
        if not size or size > SMALL_MODEL_MAX_B:
            continue
        agent_id = source.split(".")[2] if source.startswith("agents.entries.") else None
        mode, _ = f.sandbox(agent_id)
        candidates = []
        if _web_search_enabled(f):
            candidates.append("web_search")
        if sub(f.tools, "web", "fetch", "enabled") is not False:
            candidates.append("web_fetch")
        if browser_enabled(f):
            candidates.append("browser")
        exposed = list(allowed_subset(tuple(candidates), f.provider_layers(agent_id, model), "audit"))
        exposure.update(dict.fromkeys(exposed))
        unsafe = unsafe or bool(exposed)
        web = f" web=[{', '.join(exposed)}]" if exposed else " web=[off]"
        lines.append(
            f"- {model} ({_fmt_b(size)}B) @ {source} ({'unsafe' if exposed else 'ok'}; sandbox={mode};{web})"
        )
    if not lines:
        return
    tail = (
        f"Uncontrolled input tools allowed: {', '.join(exposure)}."
        if exposure
        else "No web/browser tools detected for these models."
    )
    yield small_params.finding(
        f"Small models (<={SMALL_MODEL_MAX_B}B params) detected:\n"
        + "\n".join(lines)
        + f"\n{tail}\nSmall models are not recommended for untrusted inputs.",
        severity=Severity.CRITICAL if unsafe else Severity.INFO,
    )
