"""The search documents are built from a few fields of each stored resource (not the whole
resource decoded): they must be the documents the whole resources give, whatever the clock."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from opencat.catalog.context import Catalog
from opencat.catalog.indexing import documents, search_document
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.domain.datasets import Resource
from tests.conftest import utc
from tests.factories import make_dataset, make_user

WRITTEN = utc(2026, 6, 1, 12)


def _fixed(now: datetime) -> Callable[[], datetime]:
    return lambda: now


def _resource(number: int, **fields: object) -> Resource:
    base = Resource(
        id=f"00000000-0000-4000-8000-00000000000{number}",
        title=f"File {number}",
        url=f"https://example.org/{number}.csv",
        created_at_internal=WRITTEN - timedelta(days=30),
        last_modified_internal=WRITTEN - timedelta(days=number),
        filetype="remote",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


RESOURCES = [
    _resource(1, format="csv", schema={"name": "etalab/irve", "version": "2.3.0"}),
    # An analysed date later than ours (a remote file).
    _resource(2, format="json", extras={"analysis:last-modified-at": "2026-06-20T08:00:00+00:00"}),
    # A harvested date in the past at the write: it is the resource's date.
    _resource(3, harvest={"modified_at": "2026-05-01T00:00:00+00:00"}),
    # A harvested date in the future at the write (ignored then), past later on.
    _resource(4, format="zip", harvest={"modified_at": "2026-09-01T00:00:00+00:00"}),
    # Both: an analysed date and a future harvested one.
    _resource(
        5,
        extras={"analysis:last-modified-at": "2026-10-01T00:00:00+00:00"},
        harvest={"modified_at": "2026-08-01"},
    ),
    _resource(6, title="", format="CSV", schema={"version": "1"}),
]


def test_search_documents_from_stored_fields_are_those_of_whole_resources(catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner, title="Indexed").dataset.id
    with catalog.db.write() as conn:
        db_resources.replace_all(conn, dataset_id, [], RESOURCES, WRITTEN)
    with catalog.db.read() as conn:
        dataset = db_datasets.fetch_by_ids(conn, [dataset_id])[dataset_id]
        whole = db_resources.fetch_for_dataset(conn, dataset_id)
        assert whole == RESOURCES
        last_updates = set()
        # A clock behind the write (another node's, a reindex with a skewed clock), then before the
        # future harvested dates, between them, and after both.
        for now in (utc(2026, 4, 1), WRITTEN + timedelta(days=1), utc(2026, 8, 15), utc(2026, 12, 1)):
            indexed = documents(conn, [dataset_id], replace(catalog, clock=_fixed(now)))[0]
            expected = search_document(dataset, whole, None, now)
            assert replace(indexed, zones=(), own_zones=()) == expected
            last_updates.add(indexed.last_update)
            # Each resource's date too, not only the newest (which one resource can hide).
            read = db_resources.fetch_indexed_for_datasets(conn, [dataset_id])[dataset_id]
            assert [r.last_modified(now) for r in read] == [r.last_modified(now) for r in whole], now
    assert indexed.formats == ("CSV", "csv", "json", "zip")
    assert indexed.schemas == ("etalab/irve",)
    assert indexed.resource_titles.startswith("File 1 File 2")
    # The clock moved the dataset's last update: the cases a date stored at the write misses.
    assert len(last_updates) == 3
