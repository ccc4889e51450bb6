"""PostgreSQL's counterpart of SQLite's ``data_version`` for the event loop: a mark that changes
whenever a transaction that wrote anything ends, read with one round trip shared by every request
waiting for it.

The mark is ``pg_current_snapshot()``: the oldest transaction still running, one past the newest
ended, and those in between still running. A writing transaction has a transaction id; when it
commits (or rolls back) it either moves the upper bound or leaves the list of running ones, so two
equal marks mean that nothing was committed in between, by any connection. Reading it costs no write
and needs no trigger; the price of its scope (the whole server, not only this database) is that a
write to another database of the same server also makes kept answers stale: they are rendered
again, never served wrong.

One thread per process holds the connection and makes the round trips; a request waiting for a
mark gets the first one read *after* it asked (a read already under way may predate the write
the request's client just made), so many requests share a round trip without ever being answered
from an older one.

The same statement (one snapshot) reads the change log's head and its entries since the last
round trip (db/outbox.py): the thread keeps the log's recent tail, so that a kept answer is known
unchanged across writes that do not touch it (``entries_between``), as SQLite's quick reads do.
"""

import asyncio
import bisect
import collections
import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from opencat.db.quick_reads import EMPTY_LOG, LogEntry, LogMark

if TYPE_CHECKING:
    import psycopg

# A mark that takes longer is not worth waiting for: the request takes the full path instead.
WAIT_SECONDS = 1.0
_CONNECT_TIMEOUT_SECONDS = 2
# Sent through libpq itself (``PGconn.exec_``): a cursor's execute and fetch cost three times the
# CPU for this one value (16.6 against 5.2 µs here), and this runs about once per request.
_MARK = b"SELECT pg_current_snapshot()::text"
# The mark with, in the same snapshot, the change log's last entry, its entry $1 (the end of the
# tail kept: the same one, or the log is another history) and its entries after $1 (a few at a time).
_ENTRY = b"seq || ' ' || coalesce(aspect, '-') || ' ' || dataset_id"
_MARK_AND_LOG = (
    b"SELECT pg_current_snapshot()::text,"
    b" (SELECT " + _ENTRY + b" FROM search_changes ORDER BY seq DESC LIMIT 1),"
    b" (SELECT " + _ENTRY + b" FROM search_changes WHERE seq = $1::bigint),"
    b" (SELECT coalesce(string_agg(" + _ENTRY + b", E'\\n' ORDER BY seq), '') FROM (SELECT seq, dataset_id,"
    b" aspect FROM search_changes WHERE seq > $1::bigint ORDER BY seq LIMIT 256) AS entries)"
)
# The log's entries read at most by one round trip (the query's LIMIT), kept in memory, and the
# marks whose heads are remembered.
_ENTRIES_READ = 256
TAIL_ENTRIES = 8192
_HEADS_KEPT = 64

Mark = str
_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Mark | None]"]


class CommitMarks:
    def __init__(self, url: str) -> None:
        self.conninfo = _conninfo(url)
        self._lock = threading.Lock()
        self._asked = threading.Condition(self._lock)
        self._waiting: list[_Waiter] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self.round_trips = 0  # how many marks were read: fewer than the requests that asked
        # The log's tail (under ``_lock``): every entry after ``_start`` up to ``_end`` (None:
        # not read yet, or no log here), and the log's head as each recent mark read it.
        self._tail: list[LogEntry] = []
        self._start: LogMark | None = None
        self._end = EMPTY_LOG
        self._heads: collections.OrderedDict[Mark, LogMark] = collections.OrderedDict()
        self._with_log = True

    def head_of(self, mark: Mark) -> LogMark | None:
        """The change log's last entry as the round trip that read ``mark`` saw it."""
        with self._lock:
            return self._heads.get(mark)

    def entries_between(self, since: LogMark, upto: LogMark) -> list[LogEntry] | None:
        """The log's entries after ``since`` up to ``upto``; None when the kept tail does not
        hold them all (older than it, or not read yet), or holds another entry at either end
        (the log was given another history since: a database restored)."""
        with self._lock:
            if self._start is None or not self._start.seq <= since.seq <= upto.seq <= self._end.seq:
                return None
            if self._mark_at(since.seq) != since or self._mark_at(upto.seq) != upto:
                return None
            first = bisect.bisect_right(self._tail, since.seq, key=_seq)
            last = bisect.bisect_right(self._tail, upto.seq, key=_seq)
            return self._tail[first:last]

    def _mark_at(self, seq: int) -> LogMark | None:
        """Under ``_lock``: the tail's mark at ``seq`` (its start included)."""
        if self._start is not None and seq == self._start.seq:
            return self._start
        found = bisect.bisect_left(self._tail, seq, key=_seq)
        return self._tail[found].mark if found < len(self._tail) and self._tail[found].seq == seq else None

    async def current(self) -> Mark | None:
        """The mark read by a round trip that started after this call. None: no mark now (the
        server is unreachable, slow, or this reader is closed); the caller takes the full path."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Mark | None] = loop.create_future()
        with self._lock:
            if self._closed:
                return None
            self._waiting.append((loop, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="opencat-commit-marks", daemon=True)
                self._thread.start()
            self._asked.notify()
        try:
            return await asyncio.wait_for(future, WAIT_SECONDS)
        except TimeoutError:
            return None

    def close(self) -> None:
        """Ends the thread and its connection; the next ``current`` starts them again."""
        with self._lock:
            self._closed = True
            self._asked.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=WAIT_SECONDS + _CONNECT_TIMEOUT_SECONDS)
        with self._lock:
            self._closed = False
            self._thread = None

    def _serve(self) -> None:
        import psycopg  # here: a SQLite deployment never pays for importing it (~0.2 s)

        connection: psycopg.Connection[Any] | None = None
        try:
            while True:
                with self._lock:
                    while not self._waiting and not self._closed:
                        self._asked.wait()
                    if self._closed:
                        waiting, self._waiting = self._waiting, []
                        _settle(waiting, None)
                        return
                    # Everyone waiting now asked before the round trip below begins.
                    waiting, self._waiting = self._waiting, []
                mark: Mark | None = None
                try:
                    if connection is None or connection.closed:
                        connection = psycopg.connect(
                            self.conninfo, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_SECONDS
                        )
                        self._with_log = True  # a log missing once (a restore under way) may be back
                    self.round_trips += 1
                    mark = self._read(connection)
                except psycopg.Error:
                    _closed(connection)
                    connection = None  # opened again for the next waiters
                _settle(waiting, mark)
        finally:
            _closed(connection)

    def _read(self, connection: "psycopg.Connection[Any]") -> Mark:
        """A mark, and with it the log's head and new entries (the plain mark where the
        database holds no log yet)."""
        if not self._with_log:
            return _read_mark(connection)
        import psycopg

        after = self._end if self._start is not None else None
        result = connection.pgconn.exec_params(
            _MARK_AND_LOG, [str(0 if after is None else after.seq).encode()]
        )
        if result.status != psycopg.pq.ExecStatus.TUPLES_OK:
            if (result.error_field(psycopg.pq.DiagnosticField.SQLSTATE) or b"") == b"42P01":
                self._with_log = False  # no such table: a database without the log (until reconnected)
                return _read_mark(connection)
            raise psycopg.OperationalError(result.get_error_message() or "no commit mark")
        mark, head, at_after, listed = (result.get_value(0, column) or b"" for column in range(4))
        decoded = mark.decode()
        head_mark = _entry(head.decode()).mark if head else EMPTY_LOG
        with self._lock:
            same = after is not None and (
                after == EMPTY_LOG or (bool(at_after) and _entry(at_after.decode()).mark == after)
            )
            if not same or head_mark.seq < self._end.seq:
                # The first read, or a log of another history (a database restored): the tail
                # starts again at the head, and what was read of the other history is forgotten.
                self._tail, self._heads = [], collections.OrderedDict()
                self._start = self._end = head_mark
            else:
                lines = listed.decode().splitlines()
                self._tail.extend(_entry(line) for line in lines)
                if len(lines) < _ENTRIES_READ:  # all of them: the tail reaches the head
                    self._end = head_mark
                elif lines:
                    self._end = self._tail[-1].mark
                if len(self._tail) > 2 * TAIL_ENTRIES:
                    self._start = self._tail[-TAIL_ENTRIES - 1].mark
                    self._tail = self._tail[-TAIL_ENTRIES:]
            self._heads[decoded] = head_mark
            while len(self._heads) > _HEADS_KEPT:
                self._heads.popitem(last=False)
        return decoded


def _entry(line: str) -> LogEntry:
    """An entry as the query writes it: ``seq aspect dataset_id`` (``-`` for no aspect)."""
    seq, aspect, dataset_id = line.split(" ", 2)
    return LogEntry(int(seq), dataset_id, None if aspect == "-" else aspect)


def _seq(entry: LogEntry) -> int:
    return entry.seq


def _read_mark(connection: "psycopg.Connection[Any]") -> Mark:
    import psycopg

    result = connection.pgconn.exec_(_MARK)
    value = result.get_value(0, 0) if result.status == psycopg.pq.ExecStatus.TUPLES_OK else None
    if value is None:  # the server's error, or a lost connection: the caller connects again
        raise psycopg.OperationalError(result.get_error_message() or "no commit mark")
    return value.decode()


def _settle(waiting: list[_Waiter], mark: Mark | None) -> None:
    """Hands the mark to each waiter on its own loop: one wake-up per loop, not per request."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[Mark | None]]] = {}
    for loop, future in waiting:
        by_loop.setdefault(loop, []).append(future)
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits there any more
            loop.call_soon_threadsafe(_resolve(futures, mark))


def _resolve(futures: list["asyncio.Future[Mark | None]"], mark: Mark | None) -> Callable[[], None]:
    def resolve() -> None:
        for future in futures:
            if not future.done():  # a waiter past its timeout has gone
                future.set_result(mark)

    return resolve


def _closed(connection: "psycopg.Connection[Any] | None") -> None:
    if connection is not None:
        connection.close()


def _conninfo(url: str) -> str:
    """libpq's connection string of a SQLAlchemy URL."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def commit_marks_of(url: str) -> CommitMarks | None:
    """Commit marks of a PostgreSQL database; None for SQLite (``PRAGMA data_version`` does it)."""
    return CommitMarks(url) if url.startswith("postgresql") else None
