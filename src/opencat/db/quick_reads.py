"""Reads cheap enough to make on the event loop itself, for SQLite: one indexed lookup on a plain
sqlite3 connection of the calling thread, with no SQLAlchemy, no pool and no thread hop.

Why: through HTTP, a server that reads one row per request on its loop reaches 72-94 % of the
floor, where opencat's full path (thread hop, pool, transaction, middleware) reaches 9-18 %
(docs/performance.md, "The ceiling"). Each statement runs in autocommit, so it sees every
transaction committed before it, by any process: nothing here can be older than the database.
"""

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

# A reader waits for a lock only in rare moments (a WAL file being recovered); on the event loop it
# waits briefly, then lets the full path answer.
_BUSY_TIMEOUT_MS = 50
# With what the answer's ETag derives from the clock: its stored last update and its frequency.
_REVISION = "SELECT id, revision, last_update, json_extract(doc, '$.frequency') FROM datasets"
_BY_ID = _REVISION + " WHERE id = ? AND NOT private AND deleted IS NULL"
_BY_SLUG = _REVISION + " WHERE slug = ? AND NOT private AND deleted IS NULL"
_LOG_HEAD = "SELECT seq, dataset_id, aspect FROM search_changes ORDER BY seq DESC LIMIT 1"
_LOG_FROM = "SELECT seq, dataset_id, aspect FROM search_changes WHERE seq >= ? ORDER BY seq LIMIT ?"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """An entry of the change log (db/outbox.py): its dataset ("" for none) and what changed."""

    seq: int
    dataset_id: str
    aspect: str | None

    @property
    def mark(self) -> "LogMark":
        return LogMark(self.seq, entry_identity(self.dataset_id, self.aspect))


@dataclass(frozen=True, slots=True)
class LogMark:
    """A place in the change log: an entry's number and what it said, so that a log given
    another history (a database restored, then written to) is not taken for the same one."""

    seq: int
    identity: str


EMPTY_LOG = LogMark(0, "")


def entry_identity(dataset_id: str, aspect: str | None) -> str:
    return f"{aspect or '-'} {dataset_id}"


@dataclass(frozen=True, slots=True)
class Revision:
    dataset_id: str
    revision: int
    last_update: datetime
    frequency: str | None


class QuickReads:
    """One connection per thread (sqlite3 connections must not be shared across threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # mode=rw: never create the file (a database not there yet is the full path's to report).
            target = f"file:{quote(str(self.path))}?mode=rw"
            connection = sqlite3.connect(target, uri=True, isolation_level=None)
            connection.execute("PRAGMA query_only=ON")
            connection.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            self._local.connection = connection
        return connection

    def data_version(self) -> int | None:
        """SQLite's ``data_version``: it changes when any other connection commits to the
        database, so two equal values read on this thread mean nothing was written in between.
        Values of different threads are not comparable (one connection each). None: unreadable."""
        try:
            row = self._connection().execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else int(row[0])

    def log_head(self) -> LogMark | None:
        """The change log's last entry (``EMPTY_LOG``: none). None: unreadable."""
        try:
            row = self._connection().execute(_LOG_HEAD).fetchone()
        except sqlite3.Error:
            return None
        return EMPTY_LOG if row is None else LogEntry(int(row[0]), str(row[1]), row[2]).mark

    def log_from(self, seq: int, limit: int) -> list[LogEntry] | None:
        """The change log's entries from ``seq`` on, at most ``limit``. None: unreadable."""
        try:
            rows = self._connection().execute(_LOG_FROM, (seq, limit)).fetchall()
        except sqlite3.Error:
            return None
        return [LogEntry(int(row[0]), str(row[1]), row[2]) for row in rows]

    def public_revision(self, ident: str, by_id: bool) -> Revision | None:
        """The id and revision of the public, undeleted dataset this id (or current slug) names.
        None when there is none, or when the read failed: the caller then takes the full path,
        which knows every other case (old slugs, private datasets, errors)."""
        try:
            row = self._connection().execute(_BY_ID if by_id else _BY_SLUG, (ident,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        try:  # written by SQLAlchemy's DateTime as UTC without an offset (db/types.py)
            last_update = datetime.fromisoformat(row[2]).replace(tzinfo=UTC)
        except (TypeError, ValueError):
            return None
        return Revision(row[0], int(row[1]), last_update, row[3] if isinstance(row[3], str) else None)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for PostgreSQL or an in-memory database."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :].partition("?")[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def quick_reads_of(url: str) -> QuickReads | None:
    """Quick reads of a SQLite database file; None for PostgreSQL or an in-memory database."""
    path = sqlite_file(url)
    return None if path is None else QuickReads(path)
