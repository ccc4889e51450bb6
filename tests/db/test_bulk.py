"""Bulk inserts on both databases: rows written by COPY (PostgreSQL, from ``COPY_FROM`` rows) read
back as an ``INSERT`` writes them, and a violated constraint is SQLAlchemy's IntegrityError."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from opencat.db import bulk
from opencat.db.engine import Database
from opencat.db.tables import activities, search_changes

NOW = datetime(2026, 12, 3, 18, 0, 0, 123456, tzinfo=UTC)


def _activity(number: int) -> dict[str, object]:
    return {
        "id": f"{number:024x}",
        "key": "dataset:created",
        "created_at": NOW + timedelta(seconds=number),
        "actor_id": None,
        "organization_id": None,
        "related_to_kind": "Dataset",
        "related_to_id": f"{number:024x}",
        "related_to_name": f"Jeu «{number}» \\ tab\there\nnew line, NUL-free",
        "changes": [{"field": "title", "old": None, "new": {"nested": [number, "é", None, True, 1.5]}}],
        "extras": {},
    }


@pytest.mark.parametrize("count", [3, bulk.COPY_FROM, 250])
def test_rows_read_back_as_written(db: Database, count: int) -> None:
    rows = [_activity(number) for number in range(count)]
    with db.write() as conn:
        bulk.insert_rows(conn, activities, rows)
        bulk.insert_rows(conn, search_changes, [{"dataset_id": f"{n:024x}"} for n in range(count)])
    with db.read() as conn:
        stored = conn.execute(sa.select(activities).order_by(activities.c.seq)).all()
        changes = conn.execute(sa.select(search_changes.c.seq, search_changes.c.dataset_id)).all()
    assert [{key: value for key, value in row._mapping.items() if key != "seq"} for row in stored] == rows
    assert [row.seq for row in stored] == sorted({row.seq for row in stored})  # the sequence still counts
    assert sorted(row.dataset_id for row in changes) == [f"{n:024x}" for n in range(count)]


def test_a_violated_constraint_is_an_integrity_error_and_rolls_back(db: Database) -> None:
    rows = [_activity(number) for number in range(bulk.COPY_FROM + 5)]
    rows[-1] = {**rows[-1], "id": rows[0]["id"]}  # the primary key twice
    with db.write() as conn:
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            bulk.insert_rows(conn, activities, rows)
        bulk.insert_rows(conn, activities, rows[:3])  # the transaction goes on after its savepoint
    with db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(activities)).scalar_one() == 3
