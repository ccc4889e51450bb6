"""The periods of the search page's temporal coverage facet: decades, and the years of a decade once
one is chosen. A dataset counts in every period its coverage overlaps; a coverage without an end
runs on (as its JSON-LD says, ``2021-03-01/..``)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

# The first decade offered; the last is today's (a coverage without an end would count in every
# decade to come). A coverage entirely outside them is still found by the date fields.
FIRST_DECADE = 1800


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date

    @property
    def is_decade(self) -> bool:
        return (
            self.first == date(self.first.year, 1, 1)
            and self.first.year % 10 == 0
            and self.last == date(self.first.year + 9, 12, 31)
        )

    @property
    def is_year(self) -> bool:
        return self.first == date(self.first.year, 1, 1) and self.last == date(self.first.year, 12, 31)


def decade(year: int) -> Period:
    start = year - year % 10
    return Period(date(start, 1, 1), date(start + 9, 12, 31))


def year(number: int) -> Period:
    return Period(date(number, 1, 1), date(number, 12, 31))


def offered(chosen: tuple[date, date] | None, today: date) -> tuple[Period, ...]:
    """Every decade up to today's, then the years of the decade chosen up to this one (the chosen
    period is a decade, or a year of one: the visitor narrows from a decade to a year and back)."""
    decades = tuple(decade(start) for start in range(FIRST_DECADE, today.year + 1, 10))
    if chosen is None:
        return decades
    picked = Period(*chosen)
    if not (picked.is_decade or picked.is_year) or not FIRST_DECADE <= picked.first.year <= today.year:
        return decades
    start = decade(picked.first.year).first.year
    return decades + tuple(year(number) for number in range(start, min(start + 10, today.year + 1)))


def cuts(periods: Sequence[Period]) -> tuple[int, ...]:
    """The day numbers (``date.toordinal``) to count coverages before: each period's first day and
    the day after its last."""
    return tuple(sorted({p.first.toordinal() for p in periods} | {p.last.toordinal() + 1 for p in periods}))


@dataclass(frozen=True, slots=True)
class CoverageCounts:
    """Among the matching datasets, how many have a coverage starting before each cut, and how many
    a coverage ending before it (an open end never does)."""

    cuts: tuple[int, ...]
    starting_before: tuple[int, ...]
    ending_before: tuple[int, ...]

    def overlapping(self, period: Period) -> int:
        """Those whose coverage overlaps ``period``: started by its last day, not ended before its
        first (a coverage that ended before it also started before it, so a difference counts
        them)."""
        position = {cut: n for n, cut in enumerate(self.cuts)}
        started = self.starting_before[position[period.last.toordinal() + 1]]
        ended = self.ending_before[position[period.first.toordinal()]]
        return started - ended
