"""Storage-level behaviour on both databases: time zones, documents, resource rows."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db.codec import dataset_from_doc, dataset_to_doc
from opencat.db.engine import Database
from opencat.db.tables import metadata
from opencat.db.types import UTCDateTime
from opencat.domain.datasets import Badge, Checksum, Dataset, Resource, Spatial, TemporalCoverage

NOW = datetime(2024, 5, 2, 10, 0, 0, 123000, tzinfo=UTC)


def _dataset(**fields: object) -> Dataset:
    values: dict[str, object] = {
        "id": "0123456789abcdef01234567",
        "slug": "a-dataset",
        "title": "A dataset",
        "description": "d",
        "created_at_internal": NOW,
        "last_modified_internal": NOW,
    }
    values.update(fields)
    return Dataset(**values)  # type: ignore[arg-type]


def _resource(number: int) -> Resource:
    return Resource(
        id=f"00000000-0000-4000-8000-{number:012d}",
        title=f"r{number}",
        url=f"https://example.org/{number}",
        created_at_internal=NOW,
        last_modified_internal=NOW,
        checksum=Checksum("sha1", "ab" * 20),
    )


def test_utc_datetime_keeps_the_instant_on_both_dialects(db: Database) -> None:
    table = sa.Table("probe_times", sa.MetaData(), sa.Column("at", UTCDateTime))
    with db.engine.begin() as conn:
        table.create(conn)
    try:
        paris = datetime(2024, 5, 2, 12, 0, tzinfo=timezone(timedelta(hours=2)))
        with db.write() as conn:
            conn.execute(table.insert().values(at=paris))
        with db.read() as conn:
            stored = conn.execute(sa.select(table.c.at)).scalar_one()
        assert stored == paris
        assert stored.utcoffset() == timedelta(0)
        assert stored.isoformat() == "2024-05-02T10:00:00+00:00"
        with pytest.raises(sa.exc.StatementError), db.write() as conn:
            conn.execute(table.insert().values(at=datetime(2024, 1, 1)))  # noqa: DTZ001 - the point
    finally:
        with db.engine.begin() as conn:
            table.drop(conn)


def test_dataset_document_round_trips_every_field(db: Database) -> None:
    dataset = _dataset(
        tags=("a-tag", "b-tag"),
        temporal_coverage=TemporalCoverage(NOW.date(), None),
        spatial=Spatial(("fr:region:11",), "fr:region", None),
        badges=(Badge("spd", NOW, "someone"),),
        extras={"nested": {"list": [1, 2.5, None, "é"]}},
        harvest={"modified_at": "2024-01-01T00:00:00"},
        deleted=NOW,
        access_audiences=({"role": "private", "condition": "yes"},),
    )
    assert dataset_from_doc(dataset_to_doc(dataset), dataset.revision) == dataset
    with db.write() as conn:
        db_datasets.insert(conn, dataset, NOW)
    with db.read() as conn:
        assert db_datasets.find_by_id(conn, dataset.id) == dataset
        assert db_datasets.find_by_slug(conn, "a-dataset") == dataset


def test_replacing_resources_only_writes_the_rows_that_changed(db: Database) -> None:
    dataset = _dataset()
    before = [_resource(number) for number in range(50)]
    with db.write() as conn:
        db_datasets.insert(conn, dataset, NOW)
        db_resources.replace_all(conn, dataset.id, [], before, NOW)
    changed = list(before)
    changed[10] = replace(before[10], title="renamed")
    after = [*changed[:20], _resource(99), *changed[21:]]  # one removed, one added, one edited
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "search_changes" not in statement:  # the change log's entry (db/outbox.py)
            statements.append(statement.split()[0].upper())

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.write() as conn:
            db_resources.replace_all(conn, dataset.id, before, after, NOW)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    writes = [kind for kind in statements if kind in ("INSERT", "UPDATE", "DELETE")]
    assert sorted(writes) == ["DELETE", "INSERT", "UPDATE"]
    with db.read() as conn:
        stored = db_resources.fetch_for_dataset(conn, dataset.id)
    assert [r.id for r in stored] == [r.id for r in after]
    assert stored[10].title == "renamed"


def test_deleting_a_dataset_row_cascades_to_its_rows(db: Database) -> None:
    dataset = _dataset(tags=("a-tag",))
    with db.write() as conn:
        db_datasets.insert(conn, dataset, NOW)
        db_resources.replace_all(conn, dataset.id, [], [_resource(1)], NOW)
        conn.execute(metadata.tables["datasets"].delete())
    with db.read() as conn:
        for name in ("resources", "dataset_tags"):
            assert conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[name])).scalar() == 0
