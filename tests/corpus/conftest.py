"""Print the corpus figures (panel vs the real CLI) at the end of a run that computed them."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter) -> None:
    from .test_fidelity import RESULT

    if RESULT:
        terminalreporter.write_line("corpus fidelity (tests/corpus): " + "; ".join(RESULT))
