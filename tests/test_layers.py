"""The layering docs/architecture.md describes, checked on the source: selectors import no service, and
every hand-written SQL statement lives in services/rawsql.py (where each has a direct test)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "controlpanel"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_selectors_import_no_service_anywhere_in_the_module():
    modules = imported_modules(PACKAGE / "selectors.py")
    assert not {m for m in modules if m.startswith("controlpanel.services")}


def test_reads_the_live_socket_and_its_hub_make_go_through_selectors():
    for name in ("consumer.py", "hub.py", "frames.py"):
        modules = imported_modules(PACKAGE / "live" / name)
        assert not {m for m in modules if m.startswith("controlpanel.services")}, name
        assert "controlpanel.models.AlertEvent" not in modules or name == "frames.py", name


SQL = re.compile(r"\.cursor\(|\.raw\(|\bcursor\.execute")


def test_hand_written_sql_lives_only_in_rawsql():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts and path.name != "rawsql.py" and SQL.search(path.read_text())
    ]
    assert offenders == []
