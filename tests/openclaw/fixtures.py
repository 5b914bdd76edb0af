"""Access to the configs recorded against the real OpenClaw 2026.9.6 CLI (tests/fixtures/openclaw)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "openclaw" / "configs"


def config_names() -> list[str]:
    """Return the stem of every recorded config, sorted."""
    return sorted(p.name.removesuffix(".json5") for p in CONFIGS.glob("*.json5") if ".doctor" not in p.name)


def config_text(name: str) -> str:
    """Return the JSON5 text of a fixture config."""
    return (CONFIGS / f"{name}.json5").read_text()


def config_env(name: str) -> dict[str, str]:
    """Return the environment the config was recorded with (its .env sidecar, else empty)."""
    sidecar = CONFIGS / f"{name}.env"
    if not sidecar.exists():
        return {}
    pairs = (line.split("=", 1) for line in sidecar.read_text().splitlines() if "=" in line)
    return {key.strip(): value for key, value in pairs}


def recorded(name: str, kind: str = "validate") -> Any:
    """Return the CLI's recorded JSON output for a config (kind: validate or agents)."""
    return json.loads((CONFIGS / f"{name}.{kind}.json").read_text())


def has_recording(name: str, kind: str) -> bool:
    """Return True when the config has a recorded output of that kind."""
    return (CONFIGS / f"{name}.{kind}.json").exists()
