"""A pytest plugin for acceptance runs under CPU load (not used by CI).

REPEAT=N runs every selected test N times (as pytest-repeat does); STRESS=K starts K busy loops
(``python -c 'while 1: pass'``) at the first test's call phase, i.e. after session fixtures such as
the real gateway are up (under that load the gateway itself may fail to start), and kills them at
the end of the session. The restart acceptance of issue #17 item 7 was run as:

    REPEAT=20 STRESS=2 PYTHONPATH=tools/stress .venv/bin/pytest -p repeat_plugin -p no:randomly -v -x \\
        tests/gateway/test_live_gateway.py::test_the_worker_rides_out_an_in_process_restart
"""

import os
import subprocess
import sys

_stress: list[subprocess.Popen] = []


def pytest_generate_tests(metafunc):
    count = int(os.environ.get("REPEAT", "1"))
    if count > 1:
        metafunc.fixturenames.append("_repeat")
        metafunc.parametrize("_repeat", range(count))


def pytest_runtest_call(item):
    if not _stress:
        for _ in range(int(os.environ.get("STRESS", "0"))):
            _stress.append(subprocess.Popen([sys.executable, "-c", "while 1: pass"]))


def pytest_sessionfinish(session, exitstatus):
    for process in _stress:
        process.kill()
        process.wait()
