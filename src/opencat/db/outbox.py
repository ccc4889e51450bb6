"""The search outbox: every dataset write appends its id; indexes replay the log in order.

It is also the log the kept answers read (api/current_copies.py): a write transaction that
changed what an anonymous reader is shown besides the datasets it logs (an organization, a user,
reference data; a dataset's table written without logging it) appends an entry of no dataset
(``ELSEWHERE``) when it ends (``log_unlogged``), so that an answer is known to be unchanged
when the log since holds only other datasets' entries.

This module holds the codebase's one dialect switch for search: on PostgreSQL, appends are
serialized by a transaction-level advisory lock so that sequence order is commit order (otherwise a
replica could read seq 11 committed while seq 10 is still in flight, and skip 10 forever).
"""

import re
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.bulk import insert_rows
from opencat.db.tables import search_changes
from opencat.domain.search import Aspect, aspect_named

_OUTBOX_LOCK = 0x0C47  # an arbitrary, fixed advisory lock key
# The dataset id of an entry about no dataset (``Aspect.ELSEWHERE``).
ELSEWHERE = ""
# What a write transaction wrote and logged, on its connection (``note_statement``, ``mark_changed``).
_WRITTEN = "opencat.written"
_LOGGED = "opencat.logged"
# Tables no anonymous answer shows (keys, sessions, history, uploads under way, harvesting's
# bookkeeping, members and their roles): writing them changes none of the kept answers.
UNSHOWN_TABLES = frozenset(
    {
        "api_keys", "sessions", "password_resets", "sign_in_failures", "activities", "organization_members",
        "upload_sessions", "upload_parts", "pending_files", "harvest_sources", "harvest_jobs",
        "harvest_items", "harvest_records", "harvest_pages", "harvest_leases", "alembic_version", "form_submissions",
        search_changes.name,  # the log itself
    }
)  # fmt: skip
# Tables of a dataset's own state: written by a transaction that logs the dataset, they are what
# its entry says changed (every dataset write logs its datasets).
DATASET_TABLES = frozenset({"datasets", "dataset_tags", "dataset_slugs", "resources", "follows"})
# Tables of what anonymous answers show besides the datasets: an organization's name and logo, a
# user's, contact points, proposals of resources, link checks' results, reference data. Every
# table is in one of these three sets (tests/db/test_change_log.py).
SHOWN_TABLES = frozenset(
    {
        "users", "organizations", "contact_points", "community_resources", "link_checks", "licenses",
        "frequencies", "geozones", "geo_levels",
    }
)  # fmt: skip
# The tables a statement writes: INSERT INTO, UPDATE, DELETE FROM (a CTE's too); the words that
# follow UPDATE elsewhere (``DO UPDATE SET``, ``FOR UPDATE OF``) are no table.
_TARGETS = re.compile(r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
_NOT_TABLES = frozenset({"set", "of", "skip", "nowait"})


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
    conn.info[_LOGGED] = True
    if conn.dialect.name == "postgresql":
        if len(rows) == 1:  # every single write: one statement instead of two
            conn.execute(_LOCKED_APPEND, {"key": _OUTBOX_LOCK, **rows[0]})
            return
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OUTBOX_LOCK})
    insert_rows(conn, search_changes, rows)


def begin_write(conn: Connection) -> None:
    """A write transaction begins on ``conn``: nothing written or logged yet."""
    conn.info[_WRITTEN] = set()
    conn.info[_LOGGED] = False


def note_statement(conn: Connection, statement: str) -> None:
    """Remember the tables a statement of a write transaction writes."""
    written: set[str] | None = conn.info.get(_WRITTEN)
    if written is None:
        return
    for found in _TARGETS.finditer(statement):
        name = found.group(1).lower()
        if name not in _NOT_TABLES:
            written.add(name)


def log_unlogged(conn: Connection) -> None:
    """At the end of a write transaction, before its commit: an entry of no dataset when it
    wrote what an anonymous reader is shown and its entries do not say (a table shown besides
    the datasets, or a dataset's table without logging any dataset)."""
    written: set[str] = conn.info.pop(_WRITTEN, None) or set()
    logged = conn.info.pop(_LOGGED, False)
    if not written.isdisjoint(SHOWN_TABLES) or (not logged and not written.isdisjoint(DATASET_TABLES)):
        mark_changed(conn, [ELSEWHERE], Aspect.ELSEWHERE)


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
    return [aspect_named(named) for named in rows.scalars()]


# Each bound a subquery of its own: SQLite reads one min() or max() from the key's end, but both in
# one select scan the table (68 ms at a million entries).
_BOUNDS = sa.select(
    sa.func.coalesce(sa.select(sa.func.max(search_changes.c.seq)).scalar_subquery(), 0),
    sa.select(sa.func.min(search_changes.c.seq)).scalar_subquery(),
)


def bounds(conn: Connection) -> tuple[int, int | None]:
    """The log's head (0 when empty) and its oldest entry (None when empty), in one statement."""
    head_seq, oldest_seq = conn.execute(_BOUNDS).one()
    return int(head_seq), None if oldest_seq is None else int(oldest_seq)


def prune(conn: Connection, keep: int, limit: int) -> int:
    """Delete the oldest entries, at most ``limit`` of them, so that the last ``keep`` entries'
    range is what the log holds; returns how many went. The head always stays (``keep`` >= 1):
    on SQLite, an emptied table would number its next entry 1 again, behind every index."""
    cut = head(conn) - max(keep, 1)
    if cut <= 0:
        return 0
    oldest_ones = (
        sa.select(search_changes.c.seq)
        .where(search_changes.c.seq <= cut)
        .order_by(search_changes.c.seq)
        .limit(limit)
    )
    return conn.execute(sa.delete(search_changes).where(search_changes.c.seq.in_(oldest_ones))).rowcount


def dataset_at(conn: Connection, seq: int) -> str | None:
    """The dataset of the log's entry ``seq``; None when the log holds no such entry."""
    found = conn.execute(sa.select(search_changes.c.dataset_id).where(search_changes.c.seq == seq)).scalar()
    return None if found is None else str(found)
