"""The search outbox: every dataset write appends its id; indexes replay the log in order.

This module holds the codebase's one dialect switch for search: on PostgreSQL, appends are
serialized by a transaction-level advisory lock so that sequence order is commit order (otherwise a
replica could read seq 11 committed while seq 10 is still in flight, and skip 10 forever).
"""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.bulk import insert_rows
from opencat.db.tables import search_changes

_OUTBOX_LOCK = 0x0C47  # an arbitrary, fixed advisory lock key


# One dataset's append on PostgreSQL, the lock and the row in one round trip: the row's sequence
# number is drawn as it is inserted, after the ``SELECT`` it comes from has taken the lock.
_LOCKED_APPEND = sa.text(
    "WITH locked AS (SELECT pg_advisory_xact_lock(:key)) "
    f"INSERT INTO {search_changes.name} (dataset_id) SELECT :dataset_id FROM locked"
)


def mark_changed(conn: Connection, dataset_ids: Iterable[str]) -> None:
    rows = [{"dataset_id": dataset_id} for dataset_id in dataset_ids]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        if len(rows) == 1:  # every single write: one statement instead of two
            conn.execute(_LOCKED_APPEND, {"key": _OUTBOX_LOCK, "dataset_id": rows[0]["dataset_id"]})
            return
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OUTBOX_LOCK})
    insert_rows(conn, search_changes, rows)


_HEAD = sa.select(sa.func.coalesce(sa.func.max(search_changes.c.seq), 0))  # built once: every listing asks


def head(conn: Connection) -> int:
    return int(conn.execute(_HEAD).scalar_one())


def changes_since(conn: Connection, seq: int, limit: int) -> list[tuple[int, str]]:
    rows = conn.execute(
        sa.select(search_changes.c.seq, search_changes.c.dataset_id)
        .where(search_changes.c.seq > seq)
        .order_by(search_changes.c.seq)
        .limit(limit)
    )
    return [(int(row.seq), str(row.dataset_id)) for row in rows]


def dataset_at(conn: Connection, seq: int) -> str | None:
    """The dataset of the log's entry ``seq``; None when the log holds no such entry."""
    found = conn.execute(sa.select(search_changes.c.dataset_id).where(search_changes.c.seq == seq)).scalar()
    return None if found is None else str(found)
