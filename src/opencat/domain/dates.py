"""Time values as udata handles them: UTC, millisecond precision, ISO 8601 with ``+00:00``."""

import re
from datetime import UTC, date, datetime


def truncate_ms(value: datetime) -> datetime:
    """Drop sub-millisecond digits, as MongoDB does to every stored udata date."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def utc_now() -> datetime:
    return truncate_ms(datetime.now(UTC))


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are UTC in udata (udata-behaviour §3.10)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_datetime(text: str) -> datetime:
    """Parse the common date and datetime spellings; raise ValueError otherwise."""
    try:
        return _parse_datetime(text)
    except OverflowError:
        # e.g. 9999-12-31T23:00-05:00 is past year 9999 once in UTC
        raise ValueError(f"Date out of range {text!r}") from None


def _parse_datetime(text: str) -> datetime:
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return as_utc(datetime.fromisoformat(cleaned))
    except ValueError:
        pass
    match = _SLASHED.match(cleaned)
    if match:
        return _slashed(*(int(part) for part in match.groups()))
    if re.fullmatch(r"\d{4}", cleaned):
        return datetime(int(cleaned), 1, 1, tzinfo=UTC)
    if re.fullmatch(r"\d{4}-\d{1,2}", cleaned):
        year, month = (int(part) for part in cleaned.split("-"))
        return datetime(year, month, 1, tzinfo=UTC)
    raise ValueError(f"Unable to parse date {text!r}")


def _slashed(first: int, second: int, year: int) -> datetime:
    """Month first, as dateutil reads it, unless only day first makes a date (31/12/2024)."""
    for month, day in ((first, second), (second, first)):
        try:
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"Unable to parse date {first}/{second}/{year}")


def parse_date(text: str) -> date:
    return parse_datetime(text).date()
