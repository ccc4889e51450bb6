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
from opencat.domain.search import Aspect

_OUTBOX_LOCK = 0x0C47  # an arbitrary, fixed advisory lock key


# One dataset's append on PostgreSQL, the lock and the row in one round trip: the row's sequence
# number is drawn as it is inserted, after the ``SELECT`` it comes from has taken the lock.
_LOCKED_APPEND = sa.text(
    "WITH locked AS (SELECT pg_advisory_xact_lock(:key)) "
    f"INSERT INTO {search_changes.name} (dataset_id, aspect) SELECT :dataset_id, :aspect FROM locked"
)


def mark_changed(conn: Connection, dataset_ids: Iterable[str], aspect: Aspect | None = None) -> None:
    """Append the datasets to the log; ``aspect``: all the write changed of them for search
    (None: anything)."""
    named = None if aspect is None else aspect.value
    rows = [{"dataset_id": dataset_id, "aspect": named} for dataset_id in dataset_ids]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        if len(rows) == 1:  # every single write: one statement instead of two
            conn.execute(_LOCKED_APPEND, {"key": _OUTBOX_LOCK, **rows[0]})
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


def aspects_between(conn: Connection, after: int, head: int) -> list[Aspect | None]:
    """What the log's entries after ``after`` up to ``head`` changed (None: anything)."""
    rows = conn.execute(
        sa.select(search_changes.c.aspect).where(search_changes.c.seq > after, search_changes.c.seq <= head)
    )
    return [_aspect(named) for named in rows.scalars()]


def _aspect(named: str | None) -> Aspect | None:
    """An aspect this release does not know (a newer node wrote it) may be any change."""
    try:
        return None if named is None else Aspect(named)
    except ValueError:
        return None


def dataset_at(conn: Connection, seq: int) -> str | None:
    """The dataset of the log's entry ``seq``; None when the log holds no such entry."""
    found = conn.execute(sa.select(search_changes.c.dataset_id).where(search_changes.c.seq == seq)).scalar()
    return None if found is None else str(found)
