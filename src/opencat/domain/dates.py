"""Time values as udata handles them: UTC, millisecond precision, ISO 8601 with ``+00:00``."""

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from dateutil import parser


def truncate_ms(value: datetime) -> datetime:
    """Drop sub-millisecond digits, as MongoDB does to every stored udata date."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def utc_now() -> datetime:
    return truncate_ms(datetime.now(UTC))


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are UTC in udata (udata: udata/mongo/datetime_fields.py)."""
    if value.tzinfo is UTC:  # every stored date: no conversion (a third of formatting one)
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# A dataset's answer formats some thirty dates, a list page some 600, and ``isoformat`` is a tenth
# of a list page's CPU. The same datasets are answered again and again, so each process keeps the
# text of the dates it formatted lately (equal datetimes are the same instant, hence the same
# text; naive ones never equal aware ones). Emptied when full: ~5.5 MB at most.
FORMATTED_KEPT = 32_768
_formatted: dict[datetime, str] = {}


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = _formatted.get(value)
    if text is None:
        if len(_formatted) >= FORMATTED_KEPT:
            _formatted.clear()
        text = _formatted[value] = as_utc(value).isoformat()
    return text


def iso_as_stored(value: datetime) -> str:
    """A date kept inside a free-form field (a resource's ``check:date``) as udata's JSON says it
    once MongoDB gave it back: UTC, naive, to the millisecond (``2021-07-05T02:22:58.827000``)."""
    return truncate_ms(as_utc(value)).replace(tzinfo=None).isoformat()


def key_expiry(text: str) -> datetime:
    """When an API key given this expiry ends, in UTC: a date (``2030-05-01``) is the end of that
    day, an ISO date-time that instant (UTC when it names no offset). The API, the command line
    and the keys page read it alike. ``ValueError`` when it is neither, or past 9999-12-31."""
    try:
        try:  # a date alone, extended (2030-05-01) or basic (20300501)
            return datetime.combine(date.fromisoformat(text), time.max, UTC)
        except ValueError:
            pass
        moment = datetime.fromisoformat(text)
        return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last day a date may hold
        raise ValueError(f"{text!r} is past the last day a date may hold") from None


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# Defaults for the parts a text leaves out: the first day, the first month. The years differ so
# that a text without a year (``12:00``, ``24``: dateutil would take today's) is told apart.
_DEFAULTS = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2001, 1, 1, tzinfo=UTC))


def _zone(_name: str | None, offset: int | None) -> tzinfo | None:
    """A numeric offset, or a UTC name (``Z``, ``GMT``); other names (``CET``) are ambiguous and
    read as UTC, as dateutil does for udata, whatever this machine's own zone is."""
    return None if offset is None else timezone(timedelta(seconds=offset))


def parse_datetime(text: str) -> datetime:
    """The one date parser of every input (udata: udata/mongo/datetime_fields.py): any common spelling, read by
    dateutil as udata reads it (ambiguous numbers year first, then month first unless only day
    first makes a date: ``31/12/2024``); a missing time is midnight, a missing day or month the
    first, a naive datetime UTC. ValueError when the text names no date, or no year (dateutil
    would fill it in from today)."""
    try:
        return as_utc(_as_written(text))
    except OverflowError:
        # e.g. 9999-12-31T23:00-05:00 is past year 9999 once in UTC
        raise ValueError(f"Date out of range {text!r}") from None


def parse_date(text: str) -> date:
    """The day a text names, as written: ``2020-01-01T00:00:00+01:00`` is the first of January
    (udata's date fields take the parsed value's date, not the UTC one's)."""
    return _as_written(text).date()


def _as_written(text: str) -> datetime:
    """``parse_datetime``'s reading, in the offset the text gives (naive without one)."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        try:  # ISO 8601, what every stored date and most inputs are: the fast path
            return datetime.fromisoformat(cleaned)
        except ValueError:
            pass
        first, second = (
            parser.parse(cleaned, default=default, yearfirst=True, tzinfos=_zone) for default in _DEFAULTS
        )
        if first.year != second.year:
            raise ValueError("no year")
        parsed: datetime = first
        return parsed
    except OverflowError:
        raise ValueError(f"Date out of range {text!r}") from None
    except ValueError:
        raise ValueError(f"Unable to parse date {text!r}") from None
