"""The quality criteria and score of a dataset (udata: udata/core/dataset/models.py, quality)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from opencat.domain.datasets import Dataset, Resource, Spatial, TemporalCoverage
from opencat.domain.quality import clock_stamp, clock_stamp_until, quality

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
LONG_DESCRIPTION = "A description long enough to count as a good one. " * 3


def make_dataset(**fields: Any) -> Dataset:
    values: dict[str, Any] = {
        "id": "5f2a6b3c4d5e6f7a8b9c0d1e",
        "slug": "horaires",
        "title": "Horaires",
        "description": "Short",
        "created_at_internal": NOW,
        "last_modified_internal": NOW,
    }
    values.update(fields)
    return Dataset(**values)


def make_resource(**fields: Any) -> Resource:
    values: dict[str, Any] = {
        "id": "0b6a9d4c-2c5e-4f57-9d8a-4a4b1c2d3e4f",
        "title": "Lignes",
        "url": "https://example.org/lignes.csv",
        "created_at_internal": NOW,
        "last_modified_internal": NOW,
    }
    values.update(fields)
    return Resource(**values)


def complete_dataset(**fields: Any) -> Dataset:
    values: dict[str, Any] = {
        "license": "lov2",
        "temporal_coverage": TemporalCoverage(start=date(2020, 1, 1)),
        "spatial": Spatial(zones=("fr:departement:13",), granularity="fr:departement"),
        "frequency": "monthly",
        "description": LONG_DESCRIPTION,
    }
    values.update(fields)
    return make_dataset(**values)


def test_empty_dataset_matches_udata_example() -> None:
    assert quality(make_dataset(), [], NOW, NOW) == {
        "license": False,
        "temporal_coverage": False,
        "spatial": False,
        "update_frequency": False,
        "dataset_description_quality": False,
        "score": 0,
    }


def test_unknown_frequency_counts_as_no_frequency() -> None:
    result = quality(make_dataset(frequency="unknown"), [], NOW, NOW)
    assert result["update_frequency"] is False
    assert "update_fulfilled_in_time" not in result


def test_any_license_counts_even_notspecified() -> None:
    assert quality(make_dataset(license="notspecified"), [], NOW, NOW)["license"] is True


def test_spatial_with_only_a_granularity_counts() -> None:
    assert quality(make_dataset(spatial=Spatial(granularity="other")), [], NOW, NOW)["spatial"] is True


def test_description_must_be_longer_than_100_characters() -> None:
    assert quality(make_dataset(description="x" * 100), [], NOW, NOW)["dataset_description_quality"] is False
    assert quality(make_dataset(description="x" * 101), [], NOW, NOW)["dataset_description_quality"] is True


def test_monthly_dataset_updated_recently_is_in_time() -> None:
    result = quality(make_dataset(frequency="monthly"), [], NOW - timedelta(days=10), NOW)
    assert result["update_frequency"] is True
    assert result["update_fulfilled_in_time"] is True


def test_monthly_dataset_40_days_old_is_late() -> None:
    result = quality(make_dataset(frequency="monthly"), [], NOW - timedelta(days=40), NOW)
    assert result["update_frequency"] is True
    assert result["update_fulfilled_in_time"] is False


def test_one_day_of_delay_is_tolerated() -> None:
    promised = timedelta(days=31)
    one_day_late = NOW - promised - timedelta(days=1)
    assert (
        quality(make_dataset(frequency="monthly"), [], one_day_late, NOW)["update_fulfilled_in_time"] is True
    )
    just_over = one_day_late - timedelta(seconds=1)
    assert quality(make_dataset(frequency="monthly"), [], just_over, NOW)["update_fulfilled_in_time"] is False


@pytest.mark.parametrize(
    ("frequency", "age", "fulfilled"),
    [
        ("daily", timedelta(days=2), True),
        ("daily", timedelta(days=3), False),
        ("hourly", timedelta(hours=20), True),
        ("hourly", timedelta(hours=26), False),
        ("weekly", timedelta(days=8), True),
        ("weekly", timedelta(days=9), False),
        ("annual", timedelta(days=300), True),
        ("annual", timedelta(days=400), False),
    ],
)
def test_update_in_time_depends_on_the_period(frequency: str, age: timedelta, fulfilled: bool) -> None:
    result = quality(make_dataset(frequency=frequency), [], NOW - age, NOW)
    assert result["update_fulfilled_in_time"] is fulfilled


@pytest.mark.parametrize("frequency", ["continuous", "punctual", "irregular", "never", "notPlanned", "other"])
def test_frequency_without_period_is_always_in_time(frequency: str) -> None:
    result = quality(make_dataset(frequency=frequency), [], NOW - timedelta(days=3650), NOW)
    assert result["update_frequency"] is True
    assert result["update_fulfilled_in_time"] is True


def test_resource_criteria_are_absent_without_resources() -> None:
    result = quality(complete_dataset(), [], NOW, NOW)
    for key in ("has_resources", "has_open_format", "all_resources_available", "resources_documentation"):
        assert key not in result


@pytest.mark.parametrize(
    ("formats", "open_format"),
    [
        (["csv"], True),
        (["pdf", "csv"], True),
        (["pdf"], False),
        (["pdf", "xls", "docx", "doc", "word", "excel", "xlsx"], False),
        (["PDF", "XLSX"], False),
        ([None], False),
        ([""], False),
        ([None, "geojson"], True),
    ],
)
def test_open_format_needs_one_resource_with_an_open_format(
    formats: list[str | None], open_format: bool
) -> None:
    resources = [make_resource(id=f"r{index}", format=value) for index, value in enumerate(formats)]
    result = quality(make_dataset(), resources, NOW, NOW)
    assert result["has_resources"] is True
    assert result["has_open_format"] is open_format


def test_remote_resource_checked_unavailable_makes_resources_unavailable() -> None:
    down = make_resource(filetype="remote", extras={"check:available": False})
    up = make_resource(id="r2", filetype="remote", extras={"check:available": True})
    assert quality(make_dataset(), [up, down], NOW, NOW)["all_resources_available"] is False
    assert quality(make_dataset(), [up], NOW, NOW)["all_resources_available"] is True


def test_unchecked_remote_resources_and_files_count_as_available() -> None:
    unchecked = make_resource(filetype="remote")
    file_marked_down = make_resource(id="r2", filetype="file", extras={"check:available": False})
    assert quality(make_dataset(), [unchecked], NOW, NOW)["all_resources_available"] is True
    assert quality(make_dataset(), [file_marked_down], NOW, NOW)["all_resources_available"] is True


@pytest.mark.parametrize(
    ("resource_fields", "documented"),
    [
        ({"type": "documentation"}, True),
        ({"type": "main", "description": "Column definitions"}, True),
        ({"type": "main"}, False),
        ({"type": "main", "description": ""}, False),
    ],
)
def test_resources_documentation(resource_fields: dict[str, Any], documented: bool) -> None:
    resources = [make_resource(id="r1", type="main"), make_resource(id="r2", **resource_fields)]
    assert quality(make_dataset(), resources, NOW, NOW)["resources_documentation"] is documented


def test_score_four_ninths_without_resources() -> None:
    dataset = make_dataset(license="lov2", frequency="monthly", description=LONG_DESCRIPTION)
    result = quality(dataset, [], NOW - timedelta(days=1), NOW)
    assert result["score"] == pytest.approx(4 / 9)


def test_score_seven_ninths_with_an_unavailable_undocumented_resource() -> None:
    resource = make_resource(format="csv", filetype="remote", extras={"check:available": False})
    result = quality(complete_dataset(), [resource], NOW - timedelta(days=1), NOW)
    assert result == {
        "license": True,
        "temporal_coverage": True,
        "spatial": True,
        "update_frequency": True,
        "update_fulfilled_in_time": True,
        "dataset_description_quality": True,
        "has_resources": True,
        "has_open_format": True,
        "all_resources_available": False,
        "resources_documentation": False,
        "score": pytest.approx(7 / 9),
    }


def test_late_update_lowers_the_score() -> None:
    on_time = quality(complete_dataset(), [], NOW - timedelta(days=1), NOW)["score"]
    late = quality(complete_dataset(), [], NOW - timedelta(days=60), NOW)["score"]
    assert on_time == pytest.approx(6 / 9)
    assert late == pytest.approx(5 / 9)


def test_full_score_is_one() -> None:
    resource = make_resource(format="csv", type="documentation")
    result = quality(complete_dataset(), [resource], NOW, NOW)
    assert result["score"] == pytest.approx(1.0)
    assert 0 <= result["score"] <= 1


def test_the_clock_stamp_moves_with_the_month_and_with_an_update_falling_due() -> None:
    written = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    # daily: in time until a day past the promised update (udata's one day of grace)
    assert clock_stamp("daily", written, written) == "202611y"
    assert clock_stamp("daily", written, written + timedelta(days=2)) == "202611y"
    assert clock_stamp("daily", written, written + timedelta(days=2, seconds=1)) == "202611n"
    # the month alone, for a dataset promising nothing (the *_by_months series end with it)
    assert clock_stamp(None, written, written) == "202611"
    assert clock_stamp("unknown", written, datetime(2026, 12, 1, tzinfo=UTC)) == "202612"
    assert clock_stamp("irregular", written, written) == "202611y"


def test_the_clock_stamp_holds_until_the_month_ends_or_an_update_falls_due() -> None:
    written = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    due = written + timedelta(days=2)  # daily, and udata's day of grace
    assert clock_stamp_until("daily", written, written) == due
    assert clock_stamp("daily", written, due) == clock_stamp("daily", written, written)
    # late already, or promising nothing, or monthly: the month's end
    month_end = datetime(2026, 12, 1, tzinfo=UTC)
    assert clock_stamp_until("daily", written, due + timedelta(seconds=1)) == month_end
    assert clock_stamp_until(None, written, written) == month_end
    assert clock_stamp_until("irregular", written, written) == month_end
    assert clock_stamp_until("monthly", written, written) == month_end
    assert clock_stamp_until(None, written, datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    far = datetime(9999, 12, 1, tzinfo=UTC)
    assert clock_stamp_until("annual", far, datetime(2026, 12, 3, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
