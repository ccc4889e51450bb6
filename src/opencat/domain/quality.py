"""The quality criteria udata computes for a dataset (udata: udata/core/dataset/models.py, quality)."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from opencat.domain.datasets import Dataset, Resource
from opencat.domain.frequencies import PERIODS, UNKNOWN

DESCRIPTION_MIN_LENGTH = 100
CLOSED_FORMATS = frozenset({"pdf", "doc", "docx", "word", "xls", "excel", "xlsx"})
SCORED = (
    "license",
    "temporal_coverage",
    "spatial",
    "update_frequency",
    "update_fulfilled_in_time",
    "dataset_description_quality",
    "has_open_format",
    "all_resources_available",
    "resources_documentation",
)


def quality(
    dataset: Dataset, resources: Sequence[Resource], last_update: datetime, now: datetime
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "license": dataset.license is not None,
        "temporal_coverage": dataset.temporal_coverage is not None,
        "spatial": dataset.spatial is not None,
        "update_frequency": dataset.frequency not in (None, UNKNOWN),
        "dataset_description_quality": len(dataset.description or "") > DESCRIPTION_MIN_LENGTH,
    }
    if resources:
        result["has_resources"] = True
        result["has_open_format"] = any(
            r.format and r.format.lower() not in CLOSED_FORMATS for r in resources
        )
        result["all_resources_available"] = all(
            r.extras.get("check:available") is not False for r in resources if r.filetype == "remote"
        )
        result["resources_documentation"] = any(
            r.type == "documentation" or bool(r.description) for r in resources
        )
    fulfilled = update_fulfilled_in_time(dataset.frequency, last_update, now)
    if fulfilled is not None:
        result["update_fulfilled_in_time"] = fulfilled
    result["score"] = sum(1 for key in SCORED if result.get(key) is True) / len(SCORED)
    return result


def update_fulfilled_in_time(frequency: str | None, last_update: datetime, now: datetime) -> bool | None:
    """None when no frequency is known; True when the promised update is at most a day late."""
    if frequency in (None, UNKNOWN):
        return None
    period = PERIODS.get(frequency or "")
    if period is None:
        return True
    try:
        expected = last_update + period
    except OverflowError:  # past year 9999 (a "no end" sentinel some catalogs write): not late
        return True
    return (expected - now).days >= -1


def clock_stamp(frequency: str | None, last_update: datetime, now: datetime) -> str:
    """What of a dataset's answer moves with the clock alone, for its ETag: the month (the
    ``*_by_months`` series end with it) and whether its promised update is in time (``quality``'s
    ``update_fulfilled_in_time`` and ``score``), so that a copy holding another is not confirmed."""
    fulfilled = update_fulfilled_in_time(frequency, last_update, now)
    flag = "" if fulfilled is None else ("y" if fulfilled else "n")
    return f"{now:%Y%m}{flag}"


def clock_stamp_until(frequency: str | None, last_update: datetime, now: datetime) -> datetime:
    """Until when ``clock_stamp`` stays what it is at ``now``: the next month's start, or sooner
    the instant an update in time falls due (``update_fulfilled_in_time`` turns false past it)."""
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    until = datetime(year, month, 1, tzinfo=UTC)
    period = PERIODS.get(frequency or "")
    if period is None or not update_fulfilled_in_time(frequency, last_update, now):
        return until
    try:
        due = last_update + period + timedelta(days=1)
    except OverflowError:  # never due (see update_fulfilled_in_time)
        return until
    return min(until, due)
