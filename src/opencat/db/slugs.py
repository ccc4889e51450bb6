"""Which of the slugs ``unique_slug`` would try are taken: exact lookups on a unique index."""

import hashlib
import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.domain.slugs import MAX_SLUG_LENGTH, slug_candidates

# Candidates looked up at once after the base (a base taken this many times over is rare).
SLUG_BATCH = 50
# Values bound in one lookup at most (well under either database's limit on parameters).
LOOKUP_CHUNK = 500
_NUMBERED = re.compile(r"(-\d+)+$")  # every trailing number: "w-5-1" is a candidate of "w-5"
# Room left for a candidate's number: any two candidates below the 10**15th are told apart there.
_LOCKED_PREFIX = MAX_SLUG_LENGTH - 16


def _choice_lock(column: "sa.Column[Any]", base: str) -> int:
    """The advisory lock of choosing a slug of ``base`` in ``column``'s table: a signed 64-bit
    digest, the same for ``base``, ``base-2`` and ``base-2-1`` (whose candidates meet), and for two long bases
    alike in their first ``_LOCKED_PREFIX`` characters (a numbered candidate cuts its base short
    to fit: two such bases meet in ``…-1``)."""
    root = _NUMBERED.sub("", base)[:_LOCKED_PREFIX]
    digest = hashlib.blake2b(f"slug:{column.table.name}:{root}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def held(conn: Connection, column: "sa.Column[Any]", values: Iterable[str]) -> set[str]:
    """Which of these values rows hold in ``column`` (unique): exact lookups on its index, at
    most ``LOOKUP_CHUNK`` values bound per query."""
    wanted = list(set(values))
    found: set[str] = set()
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        found.update(conn.execute(sa.select(column).where(column.in_(chunk))).scalars())
    return found


def slugs_taken(
    conn: Connection, column: "sa.Column[Any]", base: str, reserved: frozenset[str] = frozenset()
) -> set[str]:
    """The slugs ``unique_slug`` tries for ``base`` that rows hold in ``column`` (unique), up to
    the first one free: all it needs to choose. Looked up by exact values, a batch at a time, on
    the column's unique index (a prefix ``LIKE`` reads every slug on both databases: 3-8 ms at
    12,000 datasets).

    On PostgreSQL the writers choosing a slug of the same base take turns, until their commit
    (SQLite's writers take turns anyway): two creates of one title at once read the same free
    slug, and the second insert failed on the unique index (a 409 for 32 of 40 such creates)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _choice_lock(column, base)})
    taken: set[str] = set()
    # The base alone first: it is mostly free, and a table without statistics yet (a first import
    # into PostgreSQL) is scanned, once per value asked.
    start, size = 0, 1
    while True:
        batch = slug_candidates(base, start, size)
        found = held(conn, column, batch) | (reserved & set(batch))  # ``reserved``: taken anyway
        taken |= found
        if len(found) < len(batch):
            return taken
        start, size = start + size, SLUG_BATCH
