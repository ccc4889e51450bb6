"""The API v2 search's pure rules: last-update ranges, format families, producer types."""

from datetime import UTC, datetime

import pytest

from opencat.domain.format_families import family_of, format_families
from opencat.domain.search import LAST_UPDATE_RANGES, PRODUCER_TYPES, producer_types, updated_since


@pytest.mark.parametrize(
    ("now", "last_update_range", "since"),
    [
        # Elasticsearch's now-30d/d, now-12M/d, now-3y/d: back, then to the start of the UTC day
        (datetime(2024, 3, 31, 15, 30, tzinfo=UTC), "last_30_days", datetime(2024, 3, 1, tzinfo=UTC)),
        (datetime(2024, 3, 31, 15, 30, tzinfo=UTC), "last_12_months", datetime(2023, 3, 31, tzinfo=UTC)),
        (datetime(2024, 3, 31, 15, 30, tzinfo=UTC), "last_3_years", datetime(2021, 3, 31, tzinfo=UTC)),
        # a day the target month lacks becomes its last day
        (datetime(2024, 2, 29, 0, 0, tzinfo=UTC), "last_12_months", datetime(2023, 2, 28, tzinfo=UTC)),
        (datetime(2024, 2, 29, 23, 59, tzinfo=UTC), "last_3_years", datetime(2021, 2, 28, tzinfo=UTC)),
        (datetime(2024, 1, 15, 8, 0, tzinfo=UTC), "last_30_days", datetime(2023, 12, 16, tzinfo=UTC)),
    ],
)
def test_last_update_ranges_start_at_midnight(now: datetime, last_update_range: str, since: datetime) -> None:
    assert updated_since(last_update_range, now) == since


def test_the_ranges_are_the_swagger_enum() -> None:
    assert set(LAST_UPDATE_RANGES) == {"last_30_days", "last_12_months", "last_3_years"}


def test_format_families() -> None:
    assert family_of(" CSV ") == "tabular"
    assert family_of("GeoJSON") == "geographical"
    assert family_of("json") == "machine_readable"
    assert family_of("pdf") == "documents"
    assert family_of("exe") == "other"
    assert format_families(["csv", "xlsx", "shp", None, ""]) == ("geographical", "tabular")
    assert format_families([]) == ("other",)
    assert format_families([None, " "]) == ("other",)


def test_producer_types() -> None:
    assert set(PRODUCER_TYPES) == {
        "company",
        "association",
        "not-specified",
        "local-authority",
        "user",
        "public-service",
    }
    assert producer_types(("certified", "public-service", "company"), owned_by_user=True) == (
        "public-service",
        "company",
    )
    assert producer_types(("certified",), owned_by_user=False) == ("not-specified",)
    assert producer_types((), owned_by_user=False) == ("not-specified",)
    assert producer_types(None, owned_by_user=True) == ("user",)
    assert producer_types(None, owned_by_user=False) == ()
