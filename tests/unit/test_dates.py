"""Dates as udata reads and writes them: UTC, milliseconds, ISO 8601 with +00:00 (udata: udata/mongo/datetime_fields.py)."""

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from opencat.domain import dates
from opencat.domain.dates import as_utc, iso, iso_date, parse_date, parse_datetime, truncate_ms, utc_now

PARIS_SUMMER = timezone(timedelta(hours=2))


def naive(*parts: int) -> datetime:
    """A datetime without timezone, as udata stores them."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-12-31T10:00:00+02:00", datetime(2024, 12, 31, 8, 0, tzinfo=UTC)),
        ("2024-12-31T10:00:00-05:00", datetime(2024, 12, 31, 15, 0, tzinfo=UTC)),
        ("2024-12-31T10:00:00Z", datetime(2024, 12, 31, 10, 0, tzinfo=UTC)),
        ("2024-12-31T10:00:00z", datetime(2024, 12, 31, 10, 0, tzinfo=UTC)),
        ("2024-12-31T10:00:00.123456Z", datetime(2024, 12, 31, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-12-31T10:00:00", datetime(2024, 12, 31, 10, 0, tzinfo=UTC)),
        ("2024-12-31 10:00", datetime(2024, 12, 31, 10, 0, tzinfo=UTC)),
        ("2024-12-31", datetime(2024, 12, 31, tzinfo=UTC)),
        ("  2024-12-31  ", datetime(2024, 12, 31, tzinfo=UTC)),
        ("31/12/2024", datetime(2024, 12, 31, tzinfo=UTC)),
        ("31.12.2024", datetime(2024, 12, 31, tzinfo=UTC)),
        ("31-12-2024", datetime(2024, 12, 31, tzinfo=UTC)),
        ("2024-03", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_datetime_common_spellings(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["", "nope", "2024-13-01", "24", "12:00", "2024/12/31/1"])
def test_parse_datetime_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(ValueError, match=f"^Unable to parse date {re.escape(repr(text))}$"):
        parse_datetime(text)


@pytest.mark.parametrize("text", ["31/02/2024", "0/1/2024", "13/13/2024"])
def test_parse_datetime_refuses_impossible_slashed_dates(text: str) -> None:
    with pytest.raises(ValueError, match=r"^Unable to parse date"):
        parse_datetime(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1/2/2024", (2024, 1, 2)), ("12/31/2024", (2024, 12, 31)), ("31/12/2024", (2024, 12, 31))],
)
def test_slashed_dates_are_month_first_like_dateutil_unless_impossible(
    text: str, expected: tuple[int, int, int]
) -> None:
    parsed = parse_datetime(text)
    assert (parsed.year, parsed.month, parsed.day) == expected


def test_parse_date_keeps_the_day() -> None:
    assert parse_date("31/12/2024") == date(2024, 12, 31)
    assert parse_date("2024-12-31T23:30:00+00:00") == date(2024, 12, 31)
    assert parse_date("2024") == date(2024, 1, 1)
    # The day as written, whatever its offset (udata's date fields take the parsed value's date).
    assert parse_date("2020-01-01T00:00:00+01:00") == date(2020, 1, 1)
    assert parse_date("2020-01-01T10:00:00+14:00") == date(2020, 1, 1)
    assert parse_date("2020-01-01T23:00:00-05:00") == date(2020, 1, 1)
    assert parse_date("Jan 1 2020 23:00 -0500") == date(2020, 1, 1)
    assert parse_date("9999-12-31T23:00-05:00") == date(9999, 12, 31)


def test_naive_datetimes_are_utc() -> None:
    assert as_utc(naive(2022, 2, 22)) == datetime(2022, 2, 22, tzinfo=UTC)
    assert as_utc(datetime(2022, 2, 22, 2, tzinfo=PARIS_SUMMER)) == datetime(2022, 2, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (naive(2022, 2, 22), "2022-02-22T00:00:00+00:00"),
        (datetime(2022, 2, 22, tzinfo=UTC), "2022-02-22T00:00:00+00:00"),
        (datetime(2022, 2, 22, 1, 30, tzinfo=PARIS_SUMMER), "2022-02-21T23:30:00+00:00"),
        (datetime(2022, 2, 22, 10, 0, 0, 123000, tzinfo=UTC), "2022-02-22T10:00:00.123000+00:00"),
    ],
)
def test_iso_writes_utc_with_offset(value: datetime, text: str) -> None:
    assert iso(value) == text


def test_iso_formats_each_value_as_itself_when_it_was_formatted_before() -> None:
    """Formatted texts are kept per value: the same instant in another zone, or another time of the
    same day, formatted after it, is written as itself."""
    utc = datetime(2023, 6, 1, 10, 0, tzinfo=UTC)
    assert iso(utc) == iso(utc) == "2023-06-01T10:00:00+00:00"
    assert iso(datetime(2023, 6, 1, 12, 0, tzinfo=PARIS_SUMMER)) == "2023-06-01T10:00:00+00:00"
    assert iso(naive(2023, 6, 1, 10, 0)) == "2023-06-01T10:00:00+00:00"
    assert iso(datetime(2023, 6, 1, 10, 0, 0, 5000, tzinfo=UTC)) == "2023-06-01T10:00:00.005000+00:00"
    assert iso(datetime(2023, 6, 1, 11, 0, tzinfo=UTC)) == "2023-06-01T11:00:00+00:00"


def test_the_formatted_texts_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "FORMATTED_KEPT", 100)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    values = [start + timedelta(minutes=minute) for minute in range(250)]
    assert [iso(value) for value in values] == [value.isoformat() for value in values]
    assert len(dates._formatted) <= 100
    assert iso(values[0]) == "2020-01-01T00:00:00+00:00"


def test_iso_of_nothing_is_none() -> None:
    assert iso(None) is None
    assert iso_date(None) is None


def test_iso_date_has_no_time() -> None:
    assert iso_date(date(2024, 1, 2)) == "2024-01-02"


def test_truncate_ms_drops_sub_millisecond_digits() -> None:
    assert truncate_ms(datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)) == datetime(
        2024, 1, 1, 0, 0, 0, 123000, tzinfo=UTC
    )
    assert truncate_ms(naive(2024, 1, 1, 0, 0, 0, 999999)) == naive(2024, 1, 1, 0, 0, 0, 999000)
    assert truncate_ms(naive(2024, 1, 1, 0, 0, 0, 999)) == naive(2024, 1, 1)


def test_utc_now_is_aware_and_millisecond_precise() -> None:
    now = utc_now()
    assert now.tzinfo is UTC
    assert now.microsecond % 1000 == 0
    assert abs(datetime.now(UTC) - now) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan 5 2025", datetime(2025, 1, 5, tzinfo=UTC)),
        ("5 January 2025 10:30", datetime(2025, 1, 5, 10, 30, tzinfo=UTC)),
        ("Tue, 31 Dec 2024 10:00:00 GMT", datetime(2024, 12, 31, 10, 0, tzinfo=UTC)),
        ("2024-12-31T10:00:00 +0200", datetime(2024, 12, 31, 8, 0, tzinfo=UTC)),
        ("2024/12/31", datetime(2024, 12, 31, tzinfo=UTC)),
        ("20241231", datetime(2024, 12, 31, tzinfo=UTC)),
        ("December 2024", datetime(2024, 12, 1, tzinfo=UTC)),
        # A zone name other than UTC's is ambiguous (CET, EST): read as UTC, on any machine.
        ("2024-12-31 10:00 CET", datetime(2024, 12, 31, 10, 0, tzinfo=UTC)),
    ],
)
def test_parse_datetime_reads_any_common_spelling_like_dateutil(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_parse_datetime_refuses_dates_past_the_calendar() -> None:
    with pytest.raises(ValueError, match=r"^Date out of range '9999-12-31T23:00:00-05:00'$"):
        parse_datetime("9999-12-31T23:00:00-05:00")
