"""The whole openclaw.json: modeled sections typed, every other real top-level key kept verbatim."""

from __future__ import annotations

from typing import Any

from pydantic import Field, create_model

from .agents import AgentsConfig
from .base import TYPED_KEYS, Section, pad
from .channels import ChannelConfig
from .gateway import GatewayConfig
from .known_keys import STRICT_SECTIONS
from .misc import (
    BrowserConfig,
    CommandsConfig,
    DiscoveryConfig,
    EnvConfig,
    HooksConfig,
    LoggingConfig,
    PluginsConfig,
    SessionConfig,
    SkillsConfig,
)
from .tools import ToolsConfig


class _Root(Section):
    gateway: GatewayConfig = None  # type: ignore[valid-type]
    tools: ToolsConfig = None  # type: ignore[valid-type]
    agents: AgentsConfig = None  # type: ignore[valid-type]
    # Per-channel validation is channel_issues(); here channels are read leniently.
    channels: dict[str, ChannelConfig | Any] | None = Field(default=None)
    session: SessionConfig = None  # type: ignore[valid-type]
    discovery: DiscoveryConfig = None  # type: ignore[valid-type]
    logging: LoggingConfig = None  # type: ignore[valid-type]
    plugins: PluginsConfig = None  # type: ignore[valid-type]
    commands: CommandsConfig = None  # type: ignore[valid-type]
    skills: SkillsConfig = None  # type: ignore[valid-type]
    browser: BrowserConfig = None  # type: ignore[valid-type]
    hooks: HooksConfig = None  # type: ignore[valid-type]
    env: EnvConfig = None  # type: ignore[valid-type]


MODELED_SECTIONS = frozenset(_Root.model_fields)


def _checked_section(name: str) -> Any:
    """An untyped top-level section whose keys (and their JSON types) are still checked."""
    empty = create_model(f"_{name.title()}", __base__=Section, __module__=__name__)
    return pad(empty, name)


# Strict sections we do not type get their key sets checked; the other real top-level keys are
# accepted as Any. All of them are kept verbatim and listed as "unmodeled".
_CHECKED = {
    f"k_{name}": (_checked_section(name), Field(default=None, alias=name)) for name in STRICT_SECTIONS
}
OpenClawConfig = pad(create_model("_Root", __base__=_Root, __module__=__name__, **_CHECKED), "")
TYPED_KEYS[""] = MODELED_SECTIONS  # the checked sections are still kept verbatim: list them as unmodeled
