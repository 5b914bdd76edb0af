"""openclaw.json out: canonical pretty JSON."""

from __future__ import annotations

import json
from typing import Any


def dump_config(data: dict[str, Any]) -> str:
    """Return data as pretty JSON (2-space indent, keys in the given order, trailing newline).

    Non-ASCII text is written as-is (OpenClaw writes UTF-8); JSON is valid JSON5, so it loads back.
    """
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
