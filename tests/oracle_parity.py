"""Every config the test suite feeds the panel gets the real validator's verdict (pytest plugin).

During the run, every call the panel makes to ``load_config`` (imports, API, commands, pages, audits)
is recorded with its environment. At the end, each (text, env) must have a verdict recorded from the
real ``openclaw config validate --json`` in tests/fixtures/panel_verdicts.json, and the panel's verdict
must equal it; otherwise the run fails. One deliberate difference is not recorded: text no database
can store (NUL, lone surrogates), which the real validator accepts and the panel refuses naming the
path (``openclaw.loader.UNSTORABLE``). New configs: run the suite once (it writes
test-artifacts/seen_configs.json), then ``.venv/bin/python tools/oracle/record_panel_verdicts.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "tests" / "fixtures" / "panel_verdicts.json"
SEEN_FILE = ROOT / "test-artifacts" / "seen_configs.json"
SEEN: dict[str, dict] = {}
PAUSED = False  # set by tests that feed generated garbage (schemathesis): nothing to ask an oracle about


def config_key(text: str, env: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps([text, sorted(env.items())]).encode()).hexdigest()[:32]


def _recording(original):
    from controlpanel.openclaw.loader import UNSTORABLE

    def load_config(text, *, env=None):
        result = original(text, env=env)
        if any(issue.message.startswith(UNSTORABLE) for issue in result.issues):
            return result  # refused on purpose: the panel's database cannot hold it
        # env=None would read os.environ (not reproducible); NUL bytes cannot reach a real process env.
        if not PAUSED and env is not None and not any("\x00" in str(k) + str(v) for k, v in env.items()):
            env = {str(k): str(v) for k, v in env.items()}
            SEEN.setdefault(config_key(text, env), {"text": text, "env": env, "valid": result.valid})
        return result

    return load_config


@pytest.fixture(autouse=True, scope="session")
def _record_panel_configs():
    import controlpanel.openclaw as package

    original = package.load_config
    wrapper = _recording(original)
    patched = []
    for name, module in list(sys.modules.items()):
        # The panel's own modules only: the openclaw package's tests fuzz load_config with random
        # text (hypothesis), which no oracle can be asked about in advance.
        ours = name.startswith("controlpanel.") and not name.startswith("controlpanel.openclaw")
        if ours and getattr(module, "load_config", None) is original:
            module.load_config = wrapper
            patched.append(module)
    yield
    for module in patched:
        module.load_config = original


@pytest.fixture
def oracle_parity_paused():
    """For tests that generate random configs: they are not recorded for the oracle comparison."""
    global PAUSED
    PAUSED = True
    yield
    PAUSED = False


def _worker_files() -> list[Path]:
    return sorted(SEEN_FILE.parent.glob("seen_configs.gw*.json"))


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the run's main process: no worker's file of an earlier run
        for stale in _worker_files():
            stale.unlink()


def pytest_sessionfinish(session, exitstatus):
    worker = getattr(session.config, "workerinput", None)
    if worker is not None:  # a pytest-xdist worker: the main process checks what every worker saw
        SEEN_FILE.parent.mkdir(exist_ok=True)
        SEEN_FILE.with_name(f"seen_configs.{worker['workerid']}.json").write_text(json.dumps(SEEN))
        return
    for part in _worker_files():
        for key, value in json.loads(part.read_text()).items():
            SEEN.setdefault(key, value)
        part.unlink()
    if not SEEN:
        return
    SEEN_FILE.parent.mkdir(exist_ok=True)
    SEEN_FILE.write_text(json.dumps(SEEN, indent=1, sort_keys=True))
    registry = json.loads(REGISTRY.read_text()) if REGISTRY.exists() else {}
    missing = [k for k in SEEN if k not in registry]
    wrong = [k for k in SEEN if k in registry and registry[k]["valid"] != SEEN[k]["valid"]]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [
        f"panel vs real validator: {len(SEEN)} configs, {len(missing)} unrecorded, {len(wrong)} disagree"
    ]
    for key in wrong:
        lines.append(
            f"  DISAGREE {key}: real valid={registry[key]['valid']}, panel valid={SEEN[key]['valid']}: "
            f"{SEEN[key]['text'][:120]!r}"
        )
    if missing:
        lines.append(
            f"  record the unrecorded ones: .venv/bin/python tools/oracle/record_panel_verdicts.py "
            f"(reads {SEEN_FILE.relative_to(ROOT)})"
        )
    if reporter is not None:
        reporter.write_line("\n".join(lines))
    if wrong or missing:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
