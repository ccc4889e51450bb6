"""Connections: dropped ones are replaced, not handed out; a database that is down or busy is
``Unavailable`` (a 503), quickly."""

import contextlib
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from opencat.db import engine as engine_module
from opencat.db.engine import CONNECT_TIMEOUT_SECONDS, IDLE_PING_SECONDS, Database
from opencat.db.migrate import current_revision, newest_revision, upgrade
from opencat.domain.errors import InsufficientStorage, Reason, Unavailable
from tests.system.harness import small_filesystem


def test_an_idle_connection_killed_by_the_server_is_replaced(database_url: str, dialect: str) -> None:
    if dialect != "postgresql":
        pytest.skip("only a server can drop a connection")
    database = Database(database_url)
    try:
        with database.read() as conn:
            victim = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            record = conn.connection._connection_record
        killer = sa.create_engine(database.url, poolclass=sa.pool.NullPool)
        with killer.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
        killer.dispose()
        assert record is not None
        record.info["idle_since"] -= IDLE_PING_SECONDS + 1  # as if it had rested
        with database.read() as conn:
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != victim
    finally:
        database.dispose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_server_that_is_down_makes_the_database_unavailable_at_once() -> None:
    database = Database(f"postgresql://postgres@127.0.0.1:{_closed_port()}/opencat")
    started = time.monotonic()
    with pytest.raises(Unavailable), database.read():
        pass
    with pytest.raises(Unavailable), database.write():
        pass
    assert time.monotonic() - started < 2
    database.dispose()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung or firewalled server)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_server_that_does_not_answer_fails_within_the_connect_timeout(silent_server: int) -> None:
    database = Database(f"postgresql://postgres@127.0.0.1:{silent_server}/opencat")
    outcome: list[BaseException] = []

    def connect() -> None:
        try:
            with database.read():
                pass
        except BaseException as error:
            outcome.append(error)

    started = time.monotonic()
    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT_SECONDS + 5)
    assert not thread.is_alive(), "still waiting for the server"
    assert [type(error) for error in outcome] == [Unavailable]
    assert time.monotonic() - started < CONNECT_TIMEOUT_SECONDS + 2
    database.dispose()


def test_no_free_connection_in_time_is_unavailable(database_url: str, migrated: Database) -> None:
    database = Database(database_url)
    database.engine.pool._timeout = 0.2  # type: ignore[attr-defined]  # instead of 30 s
    held = [
        database.engine.connect()
        for _ in range(database.engine.pool.size() + database.engine.pool._max_overflow)
    ]  # type: ignore[attr-defined]
    try:
        with pytest.raises(Unavailable), database.read():
            pass
    finally:
        for connection in held:
            connection.close()
        database.dispose()


def test_a_connection_the_server_dropped_fails_once_then_the_pool_recovers(
    database_url: str, dialect: str, migrated: Database
) -> None:
    """A restarted server drops every pooled connection: the request that meets a dead one is a
    503 (not a 500), and the pool opens fresh connections from then on."""
    if dialect != "postgresql":
        pytest.skip("only a server can drop a connection")
    database = Database(database_url)
    try:
        with database.write() as conn:
            victim = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        killer = sa.create_engine(database.url, poolclass=sa.pool.NullPool)
        with killer.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
        killer.dispose()
        with pytest.raises(Unavailable), database.write() as conn:
            conn.execute(sa.text("SELECT 1"))
        with database.write() as conn:
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != victim
    finally:
        database.dispose()


def _probe_table(database: Database, name: str, rows: int) -> None:
    """A table of its own (``id``, ``n``), ``rows`` rows at 0, for a test to lock and write."""
    with database.write() as conn:
        conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {name} (id int PRIMARY KEY, n int)"))
        conn.execute(sa.text(f"DELETE FROM {name}"))
        for number in range(1, rows + 1):
            conn.execute(sa.text(f"INSERT INTO {name} VALUES (:id, 0)"), {"id": number})


@pytest.mark.postgresql_only
def test_a_deadlock_victim_is_told_to_retry_and_the_other_writer_commits(migrated: Database) -> None:
    """Two writers taking two rows in opposite orders: PostgreSQL ends one (40P01), which was a
    500; it is a retry (503), and the other's write is kept."""
    _probe_table(migrated, "deadlock_probe", 2)
    both_hold_one = threading.Barrier(2, timeout=10)
    outcomes: dict[int, str] = {}

    def writer(first: int, second: int) -> None:
        try:
            with migrated.write() as conn:
                take = "UPDATE deadlock_probe SET n = n + 1 WHERE id = :id"
                conn.execute(sa.text(take), {"id": first})
                both_hold_one.wait()
                conn.execute(sa.text(take), {"id": second})
            outcomes[first] = "committed"
        except Unavailable as error:
            outcomes[first] = "retry" if error.reason is Reason.WRITES_CROSSED else str(error.reason)

    try:
        threads = [threading.Thread(target=writer, args=pair) for pair in ((1, 2), (2, 1))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes.values()) == ["committed", "retry"]
        with migrated.read() as conn:
            counts = conn.execute(sa.text("SELECT n FROM deadlock_probe ORDER BY id")).scalars().all()
        assert counts == [1, 1]  # the committed writer's two updates, none of the victim's
    finally:
        with migrated.write() as conn:
            conn.execute(sa.text("DROP TABLE deadlock_probe"))


@pytest.mark.postgresql_only
def test_a_lock_held_past_the_bound_is_unavailable_not_a_wait_as_long_as_the_lock(
    migrated: Database, database_url: str
) -> None:
    """A table or row an operator (or a migration, or a long write) held made requests wait as
    long as it was held, abandoned ones piling up: a statement now waits ``lock_timeout`` at most,
    and its request is a 503 (a lock not had, 55P03, was a 500 with a traceback)."""
    bounded = Database(database_url, lock_timeout=0.3)
    _probe_table(migrated, "lock_probe", 1)
    holder = migrated.engine.connect()
    try:
        holding = holder.begin()
        holder.execute(sa.text("SELECT * FROM lock_probe WHERE id = 1 FOR UPDATE"))
        started = time.monotonic()
        with pytest.raises(Unavailable) as refused, bounded.write() as conn:
            conn.execute(sa.text("UPDATE lock_probe SET n = n + 1 WHERE id = 1"))
        assert refused.value.reason is Reason.DATABASE_UNAVAILABLE
        assert time.monotonic() - started < 5
        holding.rollback()
        with bounded.write() as conn:  # the lock let go: the same write goes through
            conn.execute(sa.text("UPDATE lock_probe SET n = n + 1 WHERE id = 1"))
        with bounded.read() as conn:
            assert conn.execute(sa.text("SHOW lock_timeout")).scalar() == "300ms"
    finally:
        holder.close()
        bounded.dispose()
        with migrated.write() as conn:
            conn.execute(sa.text("DROP TABLE lock_probe"))


@pytest.mark.postgresql_only
def test_harvest_batches_imports_and_migrations_wait_for_their_locks(
    migrated: Database, database_url: str
) -> None:
    """The bound is the requests': a migration waiting for another node's (its advisory lock) or
    a batch waiting behind another failed after it."""
    from opencat.db.migrate import MIGRATION_LOCK

    bounded = Database(database_url, lock_timeout=0.2)
    holder = migrated.engine.connect()
    try:
        holding = holder.begin()
        holder.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        release = threading.Timer(1.0, holding.rollback)
        release.start()
        started = time.monotonic()
        upgrade(bounded, newest_revision())  # named: past the quick return, it waits for the lock
        assert time.monotonic() - started >= 0.9
        release.join()
        holding = holder.begin()
        holder.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        release = threading.Timer(1.0, holding.rollback)
        release.start()
        with bounded.write(patient=True) as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        release.join()
        with bounded.write() as conn:  # a request's transaction keeps the bound
            assert conn.execute(sa.text("SHOW lock_timeout")).scalar() == "200ms"
    finally:
        holder.close()
        bounded.dispose()


def test_the_lock_bound_keeps_the_operators_own_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """libpq reads PGOPTIONS only when no options are given: the bound's options dropped an
    operator's ``statement_timeout`` set there; a ``--lock-timeout`` spelling is theirs too."""
    bounded = engine_module._with_lock_timeout
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=7000")
    assert bounded("postgresql://h/db", 15) == {"options": "-c statement_timeout=7000 -c lock_timeout=15000"}
    assert bounded("postgresql://h/db?options=-c%20work_mem%3D8MB", 15) == {
        "options": "-c work_mem=8MB -c lock_timeout=15000"
    }
    assert bounded("postgresql://h/db?options=--lock-timeout%3D3000", 15) == {
        "options": "--lock-timeout=3000"
    }
    monkeypatch.delenv("PGOPTIONS")
    assert bounded("postgresql://h/db", 0) == {}


@pytest.mark.postgresql_only
def test_a_statement_the_server_cancels_is_unavailable(database_url: str) -> None:
    """An operator's ``statement_timeout`` (57014) was a 500 with a traceback on every request it
    cancelled; a ``lock_timeout`` of the URL's own options wins over opencat's bound."""
    probe = Database(database_url)  # its connection keeps the setting: not the shared pool's
    try:
        with probe.read() as conn:
            conn.execute(sa.text("SET statement_timeout = '10ms'"))
        with pytest.raises(Unavailable), probe.read() as conn:
            conn.execute(sa.text("SELECT pg_sleep(1)"))
    finally:
        probe.dispose()
    own = Database(database_url + ("&" if "?" in database_url else "?") + "options=-c%20lock_timeout%3D2s")
    try:
        with own.read() as conn:
            assert conn.execute(sa.text("SHOW lock_timeout")).scalar() == "2s"
    finally:
        own.dispose()


def test_errors_that_are_the_requests_own_are_not_unavailability(migrated: Database) -> None:
    with pytest.raises(sa.exc.DBAPIError), migrated.read() as conn:
        conn.execute(sa.text("SELECT * FROM no_such_table"))


def test_a_sqlite_database_locked_past_the_busy_timeout_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 100)
    database = Database(f"sqlite:///{tmp_path / 'locked.db'}")
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    try:
        with database.write() as conn:
            conn.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
        holder.execute("BEGIN IMMEDIATE")  # another process's writer, holding the lock
        started = time.monotonic()
        with pytest.raises(Unavailable), database.write() as conn:
            conn.execute(sa.text("INSERT INTO probe VALUES (1)"))
        assert time.monotonic() - started < 5
        holder.execute("ROLLBACK")
        with database.write() as conn:
            conn.execute(sa.text("INSERT INTO probe VALUES (1)"))
    finally:
        holder.close()
        database.dispose()


def _write_megabytes(database: Database, megabytes: int) -> None:
    with database.write() as conn:
        for _ in range(megabytes * 10):
            conn.execute(sa.text("INSERT INTO probe VALUES (:x)"), {"x": "x" * 100_000})


def test_a_full_disk_under_the_database_is_insufficient_storage(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", 2) as disk:
        if disk.prefix:
            pytest.skip("no small filesystem this process can write to")
        database = Database(f"sqlite:///{disk.path / 'full.db'}")
        try:
            with database.write() as conn:
                conn.execute(sa.text("CREATE TABLE probe (x TEXT)"))
            with pytest.raises(InsufficientStorage):
                _write_megabytes(database, 6)
            with database.read() as conn:  # nothing of the refused transaction was kept
                assert conn.execute(sa.text("SELECT count(*) FROM probe")).scalar_one() == 0
        finally:
            database.dispose()


def test_migrating_on_a_full_disk_is_insufficient_storage_and_keeps_nothing(tmp_path: Path) -> None:
    """``opencat db upgrade`` on a full disk printed SQLAlchemy's 40-line traceback (the seeded
    geozones do not fit in 2 MB); every other write said one line."""
    with small_filesystem(tmp_path / "disk", 2) as disk:
        if disk.prefix:
            pytest.skip("no small filesystem this process can write to")
        database = Database(f"sqlite:///{disk.path / 'full.db'}")
        try:
            with pytest.raises(InsufficientStorage):
                upgrade(database)
            assert current_revision(database) is None  # nothing half-migrated
        finally:
            database.dispose()


def test_a_read_the_full_disk_fails_is_unavailable_not_an_error(tmp_path: Path) -> None:
    """A new connection creates its shared-memory file (``-shm``): on a full disk SQLite says
    ``disk I/O error``, which answered 500 (found by filling a server's data directory)."""
    with small_filesystem(tmp_path / "disk", 2) as disk:
        if disk.prefix:
            pytest.skip("no small filesystem this process can write to")
        path = disk.path / "full.db"
        database = Database(f"sqlite:///{path}")
        with database.write() as conn:
            conn.execute(sa.text("CREATE TABLE probe (x TEXT)"))
        database.dispose()  # the last connection removes the -shm file
        filler = disk.path / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as out:
            while True:
                out.write(b"x" * 65536)
        again = Database(f"sqlite:///{path}")
        try:
            with pytest.raises(Unavailable), again.read() as conn:
                conn.execute(sa.text("SELECT count(*) FROM probe"))
            filler.unlink()  # space again: it answers
            with again.read() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM probe")).scalar_one() == 0
        finally:
            again.dispose()


def test_sqlite_writes_take_the_write_lock_up_front_and_reads_do_not(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE for writes (writers queue before reading), plain BEGIN for reads: another
    writer is shut out during the first and not during the second."""
    database = Database(f"sqlite:///{tmp_path / 'lock.db'}")
    other = sqlite3.connect(tmp_path / "lock.db", timeout=0, isolation_level=None)
    try:
        with database.write() as conn:
            assert conn.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        with database.read() as conn:
            conn.execute(sa.text("SELECT 1"))
            assert conn.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        with database.engine.connect() as conn:  # any other path begins a read transaction
            conn.execute(sa.text("SELECT 1"))
            assert conn.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
    finally:
        other.close()
        database.dispose()


def test_a_large_wal_file_is_truncated_once_its_readers_let_it(tmp_path: Path) -> None:
    """Under steady traffic SQLite never started its WAL file over: it grew to gigabytes."""
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    wal = tmp_path / "wal.db-wal"
    with db.write() as conn:
        conn.execute(sa.text("CREATE TABLE filler (body TEXT)"))
    for _ in range(20):
        with db.write() as conn:
            conn.execute(sa.text("INSERT INTO filler VALUES (:body)"), {"body": "x" * 100_000})
    assert wal.stat().st_size > 1_000_000
    assert db.truncate_wal(above_bytes=wal.stat().st_size) is None  # not large enough: untouched
    with db.read() as reading:
        reading.execute(sa.text("SELECT count(*) FROM filler")).scalar()  # a reader on the WAL
        with db.write() as conn:
            conn.execute(sa.text("INSERT INTO filler VALUES ('one more')"))
        assert db.truncate_wal(above_bytes=0) is False  # busy: tried again later
    assert db.truncate_wal(above_bytes=0) is True
    assert wal.stat().st_size == 0
    with db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM filler")).scalar() == 21
    db.dispose()


@pytest.mark.postgresql_only
def test_serve_warns_when_postgresql_allows_fewer_connections_than_the_node_may_open(
    migrated: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A role or database limit under the pools' size: listings and searches were refused (503)
    once the pools grew, the server having started without a word."""
    from opencat.cli import _warn_of_the_connection_budget
    from opencat.db.checks import connection_budget, connections_needed

    with migrated.read() as conn:
        slots = int(conn.execute(sa.text("SHOW max_connections")).scalar_one())
    assert connection_budget(migrated) == slots  # a superuser: the server's slots, every one
    role = f"opencat_budget_{uuid.uuid4().hex[:8]}"
    with migrated.write() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 3"))
    limited = Database(
        sa.engine.make_url(database_url).set(username=role).render_as_string(hide_password=False)
    )
    try:
        assert connection_budget(limited) == 3
        catalog = type("Catalog", (), {"db": limited})()
        _warn_of_the_connection_budget(catalog, workers=2, pool_size=10)  # type: ignore[arg-type]
        said = capsys.readouterr().err
        assert "lets opencat open 3 connections" in said
        assert f"may need {connections_needed(2, 10)}" in said
    finally:
        limited.dispose()
        with migrated.write() as conn:
            conn.execute(sa.text(f"DROP ROLE {role}"))
