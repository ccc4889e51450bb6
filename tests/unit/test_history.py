"""The pure rules of the history: which fields changed, from what to what."""

from dataclasses import replace
from datetime import UTC, date, datetime

from opencat.domain.datasets import Checksum, Dataset, Resource, TemporalCoverage
from opencat.domain.history import (
    DATASET_FIELDS,
    RESOURCE_FIELDS,
    FieldChange,
    created,
    dataset_diff,
    jsonable,
    resource_diff,
    resource_list_changes,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 4, 8, 30, tzinfo=UTC)
DATASET = Dataset("a" * 24, "bus", "Bus", "Lignes", NOW, NOW)


def _resource(rid: str, title: str = "r") -> Resource:
    return Resource(rid, title, f"https://example.org/{rid}", NOW, NOW)


def test_values_become_json() -> None:
    assert jsonable(TemporalCoverage(date(2020, 1, 1))) == {"start": "2020-01-01", "end": None}
    assert jsonable((Checksum("sha1", "ab"),)) == [{"type": "sha1", "value": "ab"}]
    assert jsonable({"k": NOW}) == {"k": "2026-12-03T12:00:00+00:00"}


def test_dataset_diff_names_the_changed_fields_only() -> None:
    after = replace(
        DATASET, title="Cars", tags=("bus",), last_modified_internal=LATER, revision=2, metrics={"views": 3}
    )
    assert dataset_diff(DATASET, after) == (
        FieldChange("title", "Bus", "Cars"),
        FieldChange("tags", [], ["bus"]),
    )
    assert dataset_diff(DATASET, DATASET) == ()
    assert "revision" not in DATASET_FIELDS
    assert "title" in DATASET_FIELDS


def test_resource_diff_leaves_out_what_the_server_keeps() -> None:
    before = _resource("1")
    after = replace(before, title="t", fs_filename="x/y.csv", downloads=4, last_modified_internal=LATER)
    assert resource_diff(before, after) == (FieldChange("title", "r", "t"),)
    assert "fs_filename" not in RESOURCE_FIELDS


def test_created_lists_the_fields_that_hold_something() -> None:
    fields = [change.field for change in created(DATASET, DATASET_FIELDS)]
    assert fields[:4] == ["id", "slug", "title", "description"]
    assert "acronym" not in fields
    assert "tags" not in fields
    assert all(change.old is None for change in created(DATASET, DATASET_FIELDS))


def test_resource_list_changes() -> None:
    one, two, three = _resource("1"), _resource("2"), _resource("3")
    moved = resource_list_changes([one, two, three], [replace(three, title="new"), one, _resource("4")])
    assert [r.id for r in moved.added] == ["4"]
    assert [r.id for r in moved.removed] == ["2"]
    assert [(r.id, c) for r, c in moved.changed] == [("3", (FieldChange("title", "r", "new"),))]
    assert moved.order == (["1", "3"], ["3", "1"])
    unchanged = resource_list_changes([one, two], [one, two])
    assert (unchanged.added, unchanged.removed, unchanged.changed, unchanged.order) == ((), (), (), None)
