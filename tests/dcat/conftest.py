"""Shows, at the end of a run, the DCAT-AP recommended properties our output leaves out (issue 5)."""

import pytest

RECOMMENDED = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(RECOMMENDED, [])
    if lines:
        terminalreporter.section("DCAT-AP 3.0.0 recommended properties left out (shapes_recommended.ttl)")
        for line in lines:
            terminalreporter.write_line(line)
