"""Cron schedules, five fields (minute hour day-of-month month day-of-week) as crontab(5) reads
them: ``*``, numbers, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, lists ``a,b``, month and day
names, ``@hourly``/``@daily``/``@weekly``/``@monthly``/``@yearly``. As in cron, when both day fields
are restricted a day matches either of them."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from opencat.domain.numerals import is_digits

_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DAYS = {name: number for number, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (lowest, highest, names) of each field, in order
_FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, _MONTHS),
    (0, 7, _DAYS),
)
# A due time is looked for this far back at most (a schedule that matches nothing in a year is
# one of Feb 30th's: never due).
_HORIZON = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class Cron:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 is Sunday (7 is read as 0)
    any_day: bool  # day-of-month is "*"
    any_weekday: bool  # day-of-week is "*"

    def matches(self, moment: datetime) -> bool:
        if (
            moment.minute not in self.minutes
            or moment.hour not in self.hours
            or moment.month not in self.months
        ):
            return False
        in_month = moment.day in self.days
        in_week = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def latest(self, now: datetime) -> datetime | None:
        """The last minute at or before ``now`` the schedule names, within a year."""
        moment = now.replace(second=0, microsecond=0)
        earliest = moment - _HORIZON
        while moment >= earliest:
            if moment.month not in self.months:
                moment = moment.replace(day=1, hour=0, minute=0) - timedelta(minutes=1)
                continue
            if not self._day_matches(moment):
                moment = moment.replace(hour=0, minute=0) - timedelta(minutes=1)
                continue
            if moment.hour not in self.hours:
                moment = moment.replace(minute=0) - timedelta(minutes=1)
                continue
            if moment.minute in self.minutes:
                return moment
            moment -= timedelta(minutes=1)
        return None

    def _day_matches(self, moment: datetime) -> bool:
        in_month = moment.day in self.days
        in_week = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def due(self, last_run: datetime | None, now: datetime) -> bool:
        """Whether a run is due: the schedule named a minute after ``last_run`` (never run: any
        minute within the last year) and up to ``now``."""
        latest = self.latest(now)
        return latest is not None and (last_run is None or latest > last_run)


def parse_cron(expression: str) -> Cron:
    """The schedule, or ValueError saying what is wrong with it."""
    text = _ALIASES.get(expression.strip().lower(), expression.strip().lower())
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(f"a cron expression has 5 fields (minute hour day month weekday), got {len(parts)}")
    values = [_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(0 if day == 7 else day for day in values[4])
    return Cron(
        expression.strip(),
        values[0],
        values[1],
        values[2],
        values[3],
        weekdays,
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
    )


def _field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    found: set[int] = set()
    for item in text.split(","):
        span, _, step_text = item.partition("/")
        step = _number(step_text, names={}) if step_text else 1
        if step < 1:
            raise ValueError(f"step must be at least 1 in {item!r}")
        if span == "*":
            start, end = low, high
        elif "-" in span:
            first, _, last = span.partition("-")
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(span, names)
            end = high if step_text else start
        if not low <= start <= high or not low <= end <= high or start > end:
            raise ValueError(f"{item!r} is out of {low}-{high}")
        found.update(range(start, end + 1, step))
    return frozenset(found)


def _number(text: str, names: dict[str, int]) -> int:
    if text in names:
        return names[text]
    if not is_digits(text):
        raise ValueError(f"{text!r} is not a number")
    return int(text)
