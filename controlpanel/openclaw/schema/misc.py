"""Smaller sections: session, discovery, logging, plugins, commands, skills, browser, hooks, env."""

from __future__ import annotations

from typing import Any

from .base import Section, any_of, one_of, pad, union

LOG_LEVELS = ("silent", "fatal", "error", "warn", "info", "debug", "trace")


class _Session(Section):
    scope: any_of("per-sender", "global") = None
    dmScope: one_of("main", "per-peer", "per-channel-peer", "per-account-channel-peer") = None
    groupScope: one_of("main", "per-group") = None
    mainKey: str = None


SessionConfig = pad(_Session, "session")


class _Mdns(Section):
    mode: one_of("off", "minimal", "full") = None


MdnsConfig = pad(_Mdns, "discovery.mdns")


class _Discovery(Section):
    mdns: MdnsConfig = None  # type: ignore[valid-type]
    wideArea: dict[str, Any] = None


DiscoveryConfig = pad(_Discovery, "discovery")


class _Logging(Section):
    level: any_of(*LOG_LEVELS) = None
    consoleLevel: any_of(*LOG_LEVELS) = None
    consoleStyle: any_of("pretty", "json") = None
    file: str = None
    redactPatterns: list[str] = None


LoggingConfig = pad(_Logging, "logging")


class _Plugins(Section):
    enabled: bool = None
    allow: list[str] = None
    deny: list[str] = None
    entries: dict[str, dict[str, Any]] = None


PluginsConfig = pad(_Plugins, "plugins")


class _Commands(Section):
    native: union(bool, str) = None
    text: bool = None
    bash: bool = None
    config: bool = None
    debug: bool = None
    restart: bool = None
    ownerAllowFrom: list[union(str, int)] = None


CommandsConfig = pad(_Commands, "commands")


class _Skills(Section):
    allowBundled: list[str] = None
    entries: dict[str, dict[str, Any]] = None


SkillsConfig = pad(_Skills, "skills")


class _BrowserProfile(Section):
    cdpPort: int = None
    cdpUrl: str = None
    headless: bool = None
    driver: any_of("openclaw", "clawd", "existing-session", "extension") = None


BrowserProfile = pad(_BrowserProfile, "browser.profiles.*")


class _Browser(Section):
    enabled: bool = None
    evaluateEnabled: bool = None
    headless: bool = None
    noSandbox: bool = None
    cdpUrl: str = None
    profiles: dict[str, BrowserProfile] = None  # type: ignore[valid-type]


BrowserConfig = pad(_Browser, "browser")


class _Hooks(Section):
    enabled: bool = None
    path: str = None
    token: str = None
    allowRequestSessionKey: bool = None
    allowedAgentIds: list[str] = None


HooksConfig = pad(_Hooks, "hooks")


class _Env(Section):
    vars: dict[str, str] = None
    shellEnv: dict[str, Any] = None


EnvConfig = pad(_Env, "env")
