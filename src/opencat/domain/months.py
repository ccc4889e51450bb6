"""udata's ``*_by_months`` metrics: a count for each of the last 13 months, keyed ``YYYY-MM``."""

from collections.abc import Mapping
from datetime import UTC, datetime

MONTHS = 13


def _shift(year: int, month: int, step: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + step
    return index // 12, index % 12 + 1


def last_months(now: datetime) -> list[tuple[str, datetime]]:
    """The 13 months ending with ``now``'s, oldest first, each with the instant it ends."""
    months = []
    for step in range(-(MONTHS - 1), 1):
        year, month = _shift(now.year, now.month, step)
        end_year, end_month = _shift(year, month, 1)
        months.append((f"{year:04d}-{month:02d}", datetime(end_year, end_month, 1, tzinfo=UTC)))
    return months


def stock_as_of(series: Mapping[str, int], now: datetime) -> dict[str, int]:
    """Re-window a stock series recorded at an earlier event: a stock only changes at events,
    so months after the last recorded one carry its value forward."""
    result: dict[str, int] = {}
    carried = 0
    recorded = sorted(series)
    for label, _ in last_months(now):
        while recorded and recorded[0] <= label:
            carried = int(series[recorded.pop(0)])
        result[label] = carried
    return result
