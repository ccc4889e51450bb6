"""A loop retrying every second while the database is down logs its failure once with the
traceback, then a line a minute at most, then once when it works again (it wrote a traceback a try)."""

import logging

import pytest

from opencat.repeated_failures import RepeatedFailures


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_minute_of_failures_is_three_lines(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    failures = RepeatedFailures(logging.getLogger("opencat.test"), "the keeper could not catch up", clock)
    with caplog.at_level(logging.WARNING, logger="opencat.test"):
        for _ in range(61):  # one try a second for a minute
            failures.failed(ConnectionError("server closed the connection"))
            clock.now += 1
        failures.worked()
        failures.worked()  # working on says nothing more
    lines = [(record.getMessage(), record.exc_info is not None) for record in caplog.records]
    assert lines == [
        ("the keeper could not catch up; retrying", True),
        (
            "the keeper could not catch up: 60 more failures (ConnectionError: server closed the connection);"
            " retrying",
            False,
        ),
        ("the keeper could not catch up 61 times; it works again", False),
    ]


def test_a_failure_after_recovery_is_told_whole_again(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    failures = RepeatedFailures(logging.getLogger("opencat.test"), "the scheduler could not read", clock)
    with caplog.at_level(logging.WARNING, logger="opencat.test"):
        failures.failed(OSError("down"))
        failures.worked()
        failures.failed(OSError("down again"))
    assert [record.exc_info is not None for record in caplog.records] == [True, False, True]


def test_another_cause_is_told_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    failures = RepeatedFailures(logging.getLogger("opencat.test"), "the keeper could not catch up", clock)
    with caplog.at_level(logging.WARNING, logger="opencat.test"):
        failures.failed(ConnectionError("down"))
        clock.now += 1
        failures.failed(ConnectionError("down"))  # the same cause, within the minute: silent
        clock.now += 1
        failures.failed(PermissionError("the index directory"))  # another: said whole at once
    assert [(record.exc_info is not None) for record in caplog.records] == [True, True]


def test_an_expected_cause_is_told_in_a_line(caplog: pytest.LogCaptureFixture) -> None:
    """The database unavailable says its cause in its own words: connections killed every second,
    the loop working in between, wrote a sixty-line traceback each time."""
    clock = Clock()
    failures = RepeatedFailures(
        logging.getLogger("opencat.test"), "the keeper could not catch up", clock, expected=(ConnectionError,)
    )
    with caplog.at_level(logging.WARNING, logger="opencat.test"):
        for _ in range(3):
            failures.failed(ConnectionError("database_unavailable"))
            failures.worked()
        failures.failed(PermissionError("the index directory"))  # not expected: its traceback
    lines = [(record.getMessage(), record.exc_info is not None) for record in caplog.records]
    assert lines[0] == (
        "the keeper could not catch up (ConnectionError: database_unavailable); retrying",
        False,
    )
    assert [told for _, told in lines] == [False, False, False, False, False, False, True]
