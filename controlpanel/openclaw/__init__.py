"""openclaw.json in and out: parse, substitute, migrate, validate, redact, export. Pure Python, no Django.

The real OpenClaw 2026.9.6 validator is the reference; tests compare against its recorded output.
"""

from .dump import dump_config
from .envsubst import EnvRef
from .issues import ConfigIssue
from .loader import LoadResult, Migration, load_config
from .redaction import SECRET_MARKER, is_secret_path, redact, redact_text
from .specs import AgentSpec, ChannelSpec, agents_of, channels_of
from .syntax import ConfigSyntaxError, parse_json5

__all__ = [
    "SECRET_MARKER",
    "AgentSpec",
    "ChannelSpec",
    "ConfigIssue",
    "ConfigSyntaxError",
    "EnvRef",
    "LoadResult",
    "Migration",
    "agents_of",
    "channels_of",
    "dump_config",
    "is_secret_path",
    "load_config",
    "parse_json5",
    "redact",
    "redact_text",
]
