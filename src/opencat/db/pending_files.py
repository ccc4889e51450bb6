"""Stored files whose resource is not committed yet (``pending_files``): reserved before the file
is put, released with the resource's commit, swept when a killed process left them."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from opencat.db.tables import pending_files

# A key taken by another upload is skipped by the database itself; the row returned says which
# (not the row count: -1 for an INSERT from Python 3.11's sqlite3 under a Turkish locale).
_RESERVE = {
    "postgresql": postgresql.insert(pending_files).on_conflict_do_nothing().returning(pending_files.c.key),
    "sqlite": sqlite.insert(pending_files).on_conflict_do_nothing().returning(pending_files.c.key),
}


def reserve(conn: Connection, key: str, now: datetime) -> bool:
    """Take ``key`` for an upload; False when another upload holds it."""
    return conn.execute(_RESERVE[conn.dialect.name], {"key": key, "created_at": now}).first() is not None


_RELEASE = pending_files.delete().where(pending_files.c.key == sa.bindparam("b_key"))


def release(conn: Connection, key: str) -> bool:
    """Whether the key was still reserved (False: the sweep took it, and its file)."""
    statement = _RELEASE.execution_options(preserve_rowcount=True)
    return conn.execute(statement, {"b_key": key}).rowcount == 1


def older_than(conn: Connection, before: datetime, limit: int) -> list[str]:
    query = (
        sa.select(pending_files.c.key)
        .where(pending_files.c.created_at < before)
        .order_by(pending_files.c.created_at)
        .limit(limit)
    )
    return [str(key) for key in conn.execute(query).scalars()]
