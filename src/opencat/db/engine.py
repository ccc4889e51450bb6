"""Engines and transactions: read and write paths on SQLite and PostgreSQL."""

import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from opencat.db import outbox
from opencat.db.commit_marks import CommitMarks, commit_marks_of
from opencat.db.quick_reads import QuickReads, quick_reads_of, sqlite_file
from opencat.db.write_turns import TurnFileRefused, TurnNotFree, WriteTurns, write_turns_of
from opencat.domain.errors import InsufficientStorage, Reason, Unavailable

logger = logging.getLogger("opencat.db")

__all__ = [
    "Connection",
    "Database",
    "failing_cleanly",
    "locked_in_writes",
    "locks_rows",
    "make_engine",
    "normalize_url",
]

_WRITE_OPTION = "opencat_write"
# Seconds to establish a PostgreSQL connection (libpq's minimum is 2): a server that is down or
# unreachable must fail a request quickly, not hold it for the kernel's TCP timeout.
CONNECT_TIMEOUT_SECONDS = 2


Query = TypeVar("Query", bound=sa.Select[Any])


def locked_in_writes(conn: Connection, query: Query) -> Query:
    """Rows a write transaction reads are locked until it ends (``FOR UPDATE`` on PostgreSQL), so
    that read-modify-write sequences (an If-Match check, a revision bump) never interleave. SQLite
    needs nothing: ``BEGIN IMMEDIATE`` already makes writers take turns."""
    return query.with_for_update() if locks_rows(conn) else query


def locks_rows(conn: Connection) -> bool:
    """Whether the rows ``conn`` reads must be locked (a write transaction on PostgreSQL)."""
    return bool(conn.get_execution_options().get(_WRITE_OPTION)) and conn.dialect.name == "postgresql"


def normalize_url(url: str) -> str:
    """Plain ``postgresql://`` URLs select the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


DEFAULT_POOL_SIZE = 10
# How long a PostgreSQL statement waits for a lock (a row another transaction writes, a table an
# operator or a migration locked) before it gives up: the request is then a 503 with Retry-After,
# instead of a wait as long as the lock, with the abandoned requests piling up behind it.
DEFAULT_LOCK_TIMEOUT_SECONDS = 15.0


def _with_lock_timeout(url: str, seconds: float) -> dict[str, Any]:
    """psycopg's ``options`` with the lock bound added; the URL's own ``lock_timeout`` wins, and
    without options of its own, those of ``PGOPTIONS`` (which libpq reads only when no options
    are given) are kept."""
    given = sa.engine.make_url(url).query.get("options") or os.environ.get("PGOPTIONS", "")
    options = given if isinstance(given, str) else " ".join(given)
    if seconds <= 0 or re.search(r"lock[_-]timeout", options):
        return {"options": options} if options else {}
    return {"options": f"{options} -c lock_timeout={round(seconds * 1000)}".strip()}


def make_engine(
    url: str,
    pool_size: int = DEFAULT_POOL_SIZE,
    overflow: int | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
) -> Engine:
    """The engine of ``url``: ``pool_size`` connections kept open, and as many again opened only
    for a nested read (``overflow``), so that a request never opens one of its own; on
    PostgreSQL, a statement waits ``lock_timeout`` seconds at most for a lock (0: no bound)."""
    url = normalize_url(url)
    sizes: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": pool_size if overflow is None else overflow,
    }
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False}, **sizes)
        _configure_sqlite(engine)
        return engine
    arguments: dict[str, Any] = (
        {}
        if "connect_timeout" in sa.engine.make_url(url).query
        else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    )
    arguments.update(_with_lock_timeout(url, lock_timeout))
    engine = sa.create_engine(url, connect_args=arguments, **sizes)
    _ping_idle_connections(engine)
    return engine


# PostgreSQL states that mean "not now" rather than "never": admin or crash shutdown, starting up,
# too many connections; a statement cancelled (its ``statement_timeout``, an operator's
# ``pg_cancel_backend``), a lock not had within ``lock_timeout``, a session ended idle in its
# transaction; the whole 08 class is connection failures.
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03", "53300", "57014", "55P03", "25P03"}
# PostgreSQL ended the transaction to let another go (a deadlock between two writers, say a harvest
# batch and a fixtures load taking the same datasets in other orders): nothing was written, and
# the same request sent again succeeds (a 503 with Retry-After that says so, not a 500).
_RETRY_STATES = {"40P01", "40001"}


# SQLite's result codes (sqlite3 exposes them as ``sqlite_errorcode``): the database is locked by
# another writer past the busy timeout; the disk holding it is full.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_FULL = 5, 6, 10, 13
_DISK_FULL_STATE = "53100"  # PostgreSQL's disk_full


def _unavailable(error: sa.exc.DBAPIError) -> bool:
    """Whether the database failed the request for want of a connection, not because of it."""
    if error.connection_invalidated:
        return True  # the pool has dropped that connection: the next checkout opens a new one
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return True  # another process held the write lock longer than the busy timeout
    if code is not None and code & 0xFF == _SQLITE_IOERR:
        # The file system failed it: a full disk where a new connection must create its shared
        # memory file (``-shm``), a disk gone; a 500 said the server was wrong.
        return True
    # psycopg's errors carry the server's SQLSTATE; sqlite3's carry none (``""`` here).
    state = getattr(error.orig, "sqlstate", "")
    if state is None:
        return isinstance(error, sa.exc.OperationalError)  # psycopg: no answer from the server
    return state.startswith("08") or state in _UNAVAILABLE_STATES


def _disk_full(error: sa.exc.DBAPIError) -> bool:
    return (
        getattr(error.orig, "sqlite_errorcode", None) == _SQLITE_FULL
        or getattr(error.orig, "sqlstate", None) == _DISK_FULL_STATE
    )


@contextmanager
def failing_cleanly() -> Iterator[None]:
    """Connection failures become ``Unavailable`` (a 503), so that the API layer never needs to
    know SQLAlchemy; anything else (a bug, a constraint) goes on as it was."""
    try:
        yield
    except sa.exc.TimeoutError as error:  # no pooled connection came free in time
        raise Unavailable(Reason.DATABASE_UNAVAILABLE) from error
    except sa.exc.DBAPIError as error:
        if _disk_full(error):
            raise InsufficientStorage(Reason.DATABASE_FULL) from error
        if getattr(error.orig, "sqlstate", None) in _RETRY_STATES:
            raise Unavailable(Reason.WRITES_CROSSED) from error
        if not _unavailable(error):
            raise
        raise Unavailable(Reason.DATABASE_UNAVAILABLE) from error


# Seconds a pooled connection may rest before it is checked at its next checkout.
IDLE_PING_SECONDS = 10.0


def _ping_idle_connections(engine: Engine) -> None:
    """``pool_pre_ping`` costs a round trip on every checkout, a tenth of a fast listing. A
    connection in steady use is alive; one that rested (a server restart may have dropped it) is
    pinged first, and replaced if dead: the pool retries the checkout on DisconnectionError."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DisconnectionError("the connection was dropped while idle") from error


# How long a writer waits for its turn among opencat's writers (db/write_turns.py), then for a
# write lock held outside them (SQLite's busy handler), before the request answers 503.
WRITE_TURN_TIMEOUT_SECONDS = 10.0
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's implicit transactions break savepoints; we issue BEGIN ourselves
    # (house style §7.2), BEGIN IMMEDIATE on the write path so writers queue up front.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A WAL file reset by a checkpoint is cut back to this size (-1, the default: never).
        cursor.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")
        cursor.close()
        # SQLite's own lower() folds ASCII letters only: ``ÉLODIE@…`` would be another address.
        dbapi_connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)

    # The dialect's own hook rather than a "begin" event: any connection event makes SQLAlchemy
    # dispatch events around every statement of every connection (~7 % of a dataset read).
    engine.dialect.do_begin = _sqlite_begin  # type: ignore[method-assign]


_writing = threading.local()


def _sqlite_begin(dbapi_connection: Any) -> None:
    dbapi_connection.execute("BEGIN IMMEDIATE" if getattr(_writing, "now", False) else "BEGIN")


@contextmanager
def _beginning_a_write() -> Iterator[None]:
    """Tells the SQLite hook above that the transaction this thread begins now is a write."""
    _writing.now = True
    try:
        yield
    finally:
        _writing.now = False


def _note_write(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    """What a write transaction's statements write (db/outbox.py says what it means)."""
    outbox.note_statement(conn, statement)


# The WAL file's size past which the index keeper truncates it, and how long that waits for readers.
WAL_KEPT_BYTES = 64 * 1024 * 1024
WAL_TRUNCATE_WAIT_MS = 200


class Database:
    """One engine and its two transaction paths; every use case states which one it takes."""

    def __init__(
        self, url: str, pool_size: int = DEFAULT_POOL_SIZE, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS
    ) -> None:
        self.url = normalize_url(url)
        self.pool_size = pool_size
        self.lock_timeout = lock_timeout
        self.engine = make_engine(url, pool_size, lock_timeout=lock_timeout)
        self._side: Engine | None = None
        self._side_lock = threading.Lock()
        # SQLite only: a dataset's revision read on the event loop (db/quick_reads.py).
        self.quick_reads: QuickReads | None = quick_reads_of(self.url)
        # PostgreSQL only: a mark of the commits, read on the event loop (db/commit_marks.py).
        self.commit_marks: CommitMarks | None = commit_marks_of(self.url)
        # SQLite only: its writers take turns, woken when the turn is free (db/write_turns.py).
        self.write_turns: WriteTurns | None = write_turns_of(self.url)
        # PostgreSQL reads run in autocommit: under READ COMMITTED a transaction gives every
        # statement its own snapshot anyway, and BEGIN and COMMIT would cost two round trips.
        # SQLite keeps its read transaction: there it is one consistent snapshot.
        self._reader = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else None
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def side_read(self) -> Iterator[Connection]:
        """A read on a connection of its own, outside the request pool: for work one thread does
        on behalf of many requests (the index catch-up) while they wait holding their own
        connections. Only one thread may use it at a time (its caller's lock says which)."""
        with self._side_lock:
            if self._side is None:
                self._side = make_engine(self.url, pool_size=1, overflow=0, lock_timeout=self.lock_timeout)
            side = self._side
        reader = (
            side.execution_options(isolation_level="AUTOCOMMIT") if self.dialect == "postgresql" else side
        )
        with failing_cleanly(), reader.connect() as connection:
            if self.dialect == "postgresql":
                yield connection
                return
            with connection.begin():
                yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with failing_cleanly():
            if self._reader is not None:
                with self._reader.connect() as connection:
                    yield connection
                return
            with self.engine.connect() as connection, connection.begin():
                yield connection

    def renew_snapshot(self, conn: Connection) -> None:
        """Let a read (``read``) see what was committed since it began. A SQLite read sees the
        database as it was at its first statement; the search index, caught up by another
        process meanwhile, may hold datasets committed later. PostgreSQL's reads see each
        statement's own snapshot already. The read transaction is ended and begun again under
        SQLAlchemy, which keeps it as one: it wrote nothing, and ends as before."""
        if self.dialect != "sqlite" or conn.get_execution_options().get(_WRITE_OPTION):
            return  # a write's snapshot is the latest already, and must not be committed here
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.execute("COMMIT")
        driver.execute("BEGIN")

    @contextmanager
    def write(self, patient: bool = False) -> Iterator[Connection]:
        """A write transaction; ``patient``: on PostgreSQL, it waits for locks without the
        connections' ``lock_timeout`` (a harvest batch or an import, which must not fail for
        waiting behind another; requests keep the bound)."""
        if self.write_turns is None:
            with self._write(patient) as connection:
                yield connection
            return
        try:
            with self.write_turns.turn(WRITE_TURN_TIMEOUT_SECONDS), self._write(patient) as connection:
                yield connection
        except TurnNotFree as error:  # another writer kept the turn as long as SQLite would wait
            raise Unavailable(Reason.DATABASE_UNAVAILABLE) from error
        except TurnFileRefused as error:  # as a database file that refuses writes: a 503
            logger.error("the database cannot be written: %s", error)
            raise Unavailable(Reason.DATABASE_UNAVAILABLE) from error

    @contextmanager
    def _write(self, patient: bool = False) -> Iterator[Connection]:
        with failing_cleanly(), self.engine.connect() as connection:
            connection = connection.execution_options(**{_WRITE_OPTION: True})
            with _beginning_a_write():
                transaction = connection.begin()
            with transaction:
                if patient and self.dialect == "postgresql":
                    connection.execute(sa.text("SET LOCAL lock_timeout = 0"))
                outbox.begin_write(connection)
                # On this connection only: an engine's listener would make SQLAlchemy dispatch
                # events around every statement of every read too (~7 % of a dataset's read).
                sa.event.listen(connection, "before_cursor_execute", _note_write)
                yield connection
                outbox.log_unlogged(connection)  # before the commit, in the same transaction

    def truncate_wal(self, above_bytes: int = WAL_KEPT_BYTES) -> bool | None:
        """SQLite: checkpoint the WAL file and truncate it, when it is larger than ``above_bytes``.
        Under steady traffic some reader always uses the WAL, so SQLite's own checkpoints never
        get to start it over: it grew to gigabytes (14 times the database) and stayed so. This
        waits for the readers a moment at most (new writers wait meanwhile): True when done,
        False when busy (the next call tries again), None when there is nothing to do."""
        path = sqlite_file(self.url)
        wal = None if path is None else path.with_name(path.name + "-wal")
        try:
            if wal is None or wal.stat().st_size <= above_bytes:
                return None
        except OSError:
            return None
        connection = sqlite3.connect(str(path), isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout={WAL_TRUNCATE_WAIT_MS}")
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return not busy
        except sqlite3.Error:
            return False
        finally:
            connection.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_turns is not None:
            self.write_turns.close()
        if self.commit_marks is not None:
            self.commit_marks.close()
        if self._side is not None:
            self._side.dispose()
