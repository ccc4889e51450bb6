"""Cron schedules: what each field form names, and when a run is due."""

from datetime import UTC, datetime

import pytest

from opencat.domain.cron import parse_cron


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_fields_read_as_crontab_reads_them() -> None:
    cron = parse_cron("*/15 8-10,22 * jan-mar mon-fri")

    assert cron.minutes == {0, 15, 30, 45}
    assert cron.hours == {8, 9, 10, 22}
    assert cron.months == {1, 2, 3}
    assert cron.weekdays == {1, 2, 3, 4, 5}
    assert parse_cron("0 0 * * 7").weekdays == {0}
    assert parse_cron("5/20 * * * *").minutes == {5, 25, 45}
    assert parse_cron("@daily").minutes == {0}
    assert parse_cron("@daily").hours == {0}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "* * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 13 *",
        "*/0 * * * *",
        "5-1 * * * *",
        "a * * * *",
    ],
)
def test_bad_expressions_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"fields|out of|not a number|step"):
        parse_cron(text)


def test_matching_moments() -> None:
    cron = parse_cron("30 2 * * *")

    assert cron.matches(at(2026, 5, 1, 2, 30))
    assert not cron.matches(at(2026, 5, 1, 2, 31))
    # both day fields restricted: either one matches (the 13th, or any Friday)
    either = parse_cron("0 0 13 * 5")
    assert either.matches(at(2026, 2, 13, 0, 0))
    assert either.matches(at(2026, 2, 6, 0, 0))
    assert not either.matches(at(2026, 2, 7, 0, 0))


def test_a_run_is_due_once_the_schedule_named_a_minute_since_the_last() -> None:
    cron = parse_cron("0 3 * * *")

    assert cron.latest(at(2026, 5, 2, 10, 0, 59)) == at(2026, 5, 2, 3, 0)
    assert cron.latest(at(2026, 5, 2, 2, 59)) == at(2026, 5, 1, 3, 0)
    assert cron.due(None, at(2026, 5, 2, 10, 0))
    assert cron.due(at(2026, 5, 1, 3, 0, 5), at(2026, 5, 2, 3, 0))
    assert not cron.due(at(2026, 5, 2, 3, 0, 5), at(2026, 5, 2, 23, 59))
    assert parse_cron("0 0 30 2 *").latest(at(2026, 5, 2, 3, 0)) is None  # February 30th never comes
