"""The change log's entries of no dataset (db/outbox.py): a write transaction that changed what
an anonymous answer shows, besides the datasets it logs, says so before it commits; the kept
answers (api/current_copies.py) are served across the others."""

import sqlalchemy as sa
from sqlalchemy import text

from opencat.db import outbox
from opencat.db.engine import Database
from opencat.db.tables import metadata, search_changes


def _entries(db: Database) -> list[tuple[str, str | None]]:
    with db.read() as conn:
        rows = conn.execute(
            sa.select(search_changes.c.dataset_id, search_changes.c.aspect).order_by(search_changes.c.seq)
        )
        return [(row.dataset_id, row.aspect) for row in rows]


def test_every_table_is_said_to_be_shown_a_datasets_own_or_unshown() -> None:
    """A new table must be placed: unplaced, its writes would not end the answers showing it."""
    sets = (outbox.UNSHOWN_TABLES, outbox.DATASET_TABLES, outbox.SHOWN_TABLES)
    for name in metadata.tables:
        assert sum(name in placed for placed in sets) == 1, name
    assert set().union(*sets) == set(metadata.tables) | {"alembic_version"}


def test_what_a_write_logs_besides_its_datasets(db: Database) -> None:
    dataset = "a" * 24
    with db.write() as conn:  # a table no answer shows: nothing
        conn.execute(text("DELETE FROM sessions"))
        conn.execute(text("DELETE FROM password_resets"))
    assert _entries(db) == []
    with db.write() as conn:  # a dataset's tables, logged: its entry says it all
        conn.execute(text("UPDATE datasets SET views = 1 WHERE id = :id"), {"id": dataset})
        outbox.mark_changed(conn, [dataset])
    assert _entries(db) == [(dataset, None)]
    with db.write() as conn:  # a dataset's table written without logging any dataset
        conn.execute(text("UPDATE resources SET position = 0 WHERE dataset_id = :id"), {"id": dataset})
    with db.write() as conn:  # what is shown besides the datasets, even beside a logged dataset
        conn.execute(text("UPDATE organizations SET name = 'x' WHERE id = :id"), {"id": dataset})
        outbox.mark_changed(conn, [dataset])
    elsewhere = (outbox.ELSEWHERE, "elsewhere")
    assert _entries(db)[1:] == [elsewhere, (dataset, None), elsewhere]
    try:
        with db.write() as conn:  # rolled back: nothing
            conn.execute(text("UPDATE users SET first_name = 'x'"))
            raise RuntimeError
    except RuntimeError:
        pass
    assert len(_entries(db)) == 4
