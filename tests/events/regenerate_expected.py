"""Rewrite tests/fixtures/events/*.expected.json from the current parsers (golden files).

Run after an intentional parser change, then READ the diff before committing: the expected files
are the reviewed record of what each seed example must parse to. Not collected by pytest.

    .venv/bin/python -m tests.events.regenerate_expected
"""

from __future__ import annotations

import json
from pathlib import Path

from controlpanel.events.parse import parse_json_event, parse_lines

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"


def expected_for_log(path: Path) -> list[dict]:
    """Return the golden form of parsing one .log fixture."""
    return [item.model_dump(mode="json", exclude_none=True) for item in parse_lines(path.read_text("utf-8"))]


def expected_for_jsonl(path: Path) -> list[dict]:
    """Return the golden form of parsing each JSON line of a .jsonl fixture."""
    lines = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [parse_json_event(json.loads(line)).model_dump(mode="json", exclude_none=True) for line in lines]


def main() -> None:
    """Write one ``<name>.expected.json`` next to every .log and .jsonl fixture."""
    for path in sorted(FIXTURES.glob("*.log")) + sorted(FIXTURES.glob("*.jsonl")):
        data = expected_for_log(path) if path.suffix == ".log" else expected_for_jsonl(path)
        out = path.with_name(path.stem + ".expected.json")
        out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"wrote {out.name}: {len(data)} events")


if __name__ == "__main__":
    main()
