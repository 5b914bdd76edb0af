"""The check registry: ids, documentation, parity with the real id list, coverage."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from controlpanel.audit import CHECKS, get_check
from controlpanel.audit.schema import CheckClass

from .fixtures import CONFIG_DIR, fixture_names, recorded

REAL = json.loads((CONFIG_DIR.parent / "catalogue_ids.json").read_text())
CLI_DECIDABLE = {i for i, cls in REAL.items() if cls in ("config", "config+env")}
# Dotted lowercase segments; the real ids keep a few camelCase keys (allowFrom) and
# dynamic parts are written <name>.
ID_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\.([a-z][a-z0-9_]*|[a-z]+[A-Z][A-Za-z]*|<[a-z]+>))+$")
PANEL_PREFIXES = ("memory.", "workload.", "approvals.", "audit.")
# Always emitted by the CLI (it is the report's header), so it has no "does not fire" case.
ALWAYS_EMITTED = {"summary.attack_surface"}


def test_ids_are_unique() -> None:
    counts = Counter(spec.id for spec in CHECKS)
    assert [i for i, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("spec", CHECKS, ids=lambda s: s.id)
def test_each_check_is_well_formed_and_documented(spec) -> None:
    assert ID_SHAPE.match(spec.id), spec.id
    assert spec.doc and spec.title
    assert spec.fn.__doc__


def test_every_config_decidable_cli_id_is_implemented() -> None:
    ours = {spec.id for spec in CHECKS}
    assert sorted(CLI_DECIDABLE - ours) == []


def test_every_cli_compatible_id_is_a_real_cli_id() -> None:
    cli = [s.id for s in CHECKS if s.cls is not CheckClass.PANEL]
    assert sorted(set(cli) - set(REAL)) == []
    panel = [s.id for s in CHECKS if s.cls is CheckClass.PANEL]
    assert all(i.startswith(PANEL_PREFIXES) for i in panel)
    assert not set(panel) & set(REAL)


def test_the_registry_is_in_emission_order() -> None:
    orders = [spec.order for spec in CHECKS]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert CHECKS[-1].id == "security.audit.suppressions.active"


def test_dynamic_ids_resolve_to_their_pattern() -> None:
    assert get_check("tools.elevated.allowFrom.whatsapp.wildcard").id == (
        "tools.elevated.allowFrom.<provider>.wildcard"
    )
    assert get_check("no.such.check") is None


def _fired() -> tuple[set[str], set[str]]:
    fired_somewhere: set[str] = set()
    silent_somewhere: set[str] = set()
    for name in fixture_names():
        ids = {get_check(f["checkId"]).id for f in recorded(name)["findings"]}
        fired_somewhere |= ids
        silent_somewhere |= CLI_DECIDABLE - ids
    return fired_somewhere, silent_somewhere


def test_every_config_decidable_id_fires_in_a_fixture_and_not_in_another() -> None:
    fired, silent = _fired()
    assert sorted(CLI_DECIDABLE - fired) == []
    assert sorted(CLI_DECIDABLE - silent - ALWAYS_EMITTED) == []


def test_every_registered_check_has_fire_and_silent_coverage() -> None:
    from .test_beyond import CASES as PANEL_CASES
    from .test_validation_blocked import VALIDATION_BLOCKED

    covered = CLI_DECIDABLE | VALIDATION_BLOCKED | {c[0] for c in PANEL_CASES}
    engine_only = {"audit.check_error"}  # covered by test_engine
    assert sorted({s.id for s in CHECKS} - covered - engine_only) == []
