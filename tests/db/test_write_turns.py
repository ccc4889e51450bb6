"""SQLite's writers take turns (db/write_turns.py): the turn is a lock on a file beside the
database, held for exactly the write; writers of several processes never reach SQLite's busy
handler; a turn kept too long is a 503, and the turn is free again afterwards."""

import contextlib
import fcntl
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from opencat.db import engine as engine_module
from opencat.db.engine import Database
from opencat.db.write_turns import SUFFIX, write_turns_of
from opencat.domain.errors import Unavailable


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with database.write() as conn:
        conn.execute(sa.text("CREATE TABLE probe (writer TEXT, n INTEGER)"))
    yield database
    database.dispose()


@contextmanager
def _outside_holder(lock_path: Path) -> Iterator[int]:
    """The turn file as another process sees it: its own open file description."""
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def _free(lock_path: Path) -> bool:
    with _outside_holder(lock_path) as descriptor:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return True


def test_the_turn_is_held_for_the_write_and_only_for_it(database: Database, tmp_path: Path) -> None:
    lock_path = tmp_path / f"turns.db{SUFFIX}"
    with database.write() as conn:
        conn.execute(sa.text("INSERT INTO probe VALUES ('a', 1)"))
        assert not _free(lock_path)
    assert _free(lock_path)
    with database.read() as conn:  # reads take no turn
        assert _free(lock_path)
        assert conn.execute(sa.text("SELECT count(*) FROM probe")).scalar_one() == 1
    with pytest.raises(RuntimeError), database.write() as conn:  # a failed write gives it back
        raise RuntimeError("the use case failed")
    assert _free(lock_path)


def _hammer(database: Database, writer: str, writes: int, errors: list[BaseException]) -> None:
    try:
        for n in range(writes):
            with database.write() as conn:
                conn.execute(sa.text("INSERT INTO probe VALUES (:w, :n)"), {"w": writer, "n": n})
    except BaseException as error:  # reported by the test, in the main thread
        errors.append(error)


def test_writers_of_two_databases_on_one_file_never_meet_in_sqlite(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no busy timeout at all, SQLite refuses a second writer at once; two Database objects
    (each its own descriptor of the turn file, as two processes have) and eight threads each still
    write without one refusal, because their turns keep them out of SQLite's way."""
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 0)
    database.engine.dispose()  # its next connections wait for nothing either
    other = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_hammer, args=(db, f"{name}{i}", 25, errors))
        for name, db in (("a", database), ("b", other))
        for i in range(8)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.dispose()
    assert errors == []
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM probe")).scalar_one() == 16 * 25


def test_a_turn_kept_past_the_timeout_is_unavailable_then_free_again(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "WRITE_TURN_TIMEOUT_SECONDS", 0.2)
    lock_path = tmp_path / f"turns.db{SUFFIX}"
    with _outside_holder(lock_path) as descriptor:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(Unavailable), database.write() as conn:
            conn.execute(sa.text("INSERT INTO probe VALUES ('late', 1)"))
        assert 0.15 < time.monotonic() - started < 5
        fcntl.flock(descriptor, fcntl.LOCK_UN)
    with database.write() as conn:  # the given-up wait left nothing held
        conn.execute(sa.text("INSERT INTO probe VALUES ('next', 1)"))
    deadline = time.monotonic() + 5
    while not _free(lock_path):  # the abandoned waiter lets go of what it got, then ends
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT writer FROM probe")).scalars().all() == ["next"]


def test_a_waiting_writer_goes_as_soon_as_the_turn_is_free(database: Database, tmp_path: Path) -> None:
    """SQLite's busy handler would sleep up to 100 ms between tries after a long wait; a turn's
    waiter is woken by the kernel when the holder lets go."""
    lock_path = tmp_path / f"turns.db{SUFFIX}"
    gaps = []
    for _ in range(5):
        with _outside_holder(lock_path) as descriptor:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            entered: list[float] = []
            writer = threading.Thread(target=_timed_write, args=(database, entered))
            writer.start()
            time.sleep(0.5)
            assert entered == []
            released = time.monotonic()
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            writer.join()
        gaps.append(entered[0] - released)
    assert sorted(gaps)[2] < 0.05, gaps  # a loaded CI machine schedules late; SQLite sleeps 100 ms


def _timed_write(database: Database, entered: list[float]) -> None:
    with database.write() as conn:
        entered.append(time.monotonic())
        conn.execute(sa.text("INSERT INTO probe VALUES ('w', 1)"))


def test_a_forked_process_takes_turns_of_its_own(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker forked from a process that already wrote must not share its parent's descriptor
    (a lock on it would be both processes' at once)."""
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 0)
    database.engine.dispose()
    child = multiprocessing.get_context("fork").Process(target=_hammer_in_child, args=(database,))
    child.start()
    errors: list[BaseException] = []
    _hammer(database, "parent", 100, errors)
    child.join(30)
    assert child.exitcode == 0
    assert errors == []
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM probe")).scalar_one() == 200


def _hammer_in_child(database: Database) -> None:
    database.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    errors: list[BaseException] = []
    _hammer(database, "child", 100, errors)
    os._exit(1 if errors else 0)


def _hold_the_turn(url: str, holding: Any) -> None:
    database = Database(url)
    with database.write() as conn:
        conn.execute(sa.text("INSERT INTO probe VALUES ('killed', 1)"))
        holding.set()
        time.sleep(60)  # killed long before


def test_a_writer_killed_holding_the_turn_holds_nobody_up(database: Database, tmp_path: Path) -> None:
    """``kill -9`` of a process in the middle of its write: the kernel lets its turn and SQLite's
    lock go with it, its transaction is rolled back, and the next writer goes at once."""
    context = multiprocessing.get_context("spawn")  # a process of its own, as a worker is
    holding = context.Event()
    holder = context.Process(target=_hold_the_turn, args=(f"sqlite:///{tmp_path / 'turns.db'}", holding))
    holder.start()
    try:
        assert holding.wait(30)
        assert not _free(tmp_path / f"turns.db{SUFFIX}")
        os.kill(holder.pid or 0, signal.SIGKILL)
        holder.join(10)
        started = time.monotonic()
        with database.write() as conn:
            conn.execute(sa.text("INSERT INTO probe VALUES ('next', 1)"))
        assert time.monotonic() - started < 2  # the timeout is 10 s
    finally:
        if holder.is_alive():
            holder.kill()
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT writer FROM probe")).scalars().all() == ["next"]


def _turn_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "opencat-write-turns")


def _descriptors_of(path: Path) -> int:
    """How many of this process's descriptors are open on ``path``."""
    count = 0
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # listdir's own, closed since
            count += os.readlink(f"/proc/self/fd/{name}") == str(path)
    return count


def test_a_disposed_database_lets_go_of_its_lock_file_and_its_waiter(tmp_path: Path) -> None:
    """A process that makes and disposes of many databases (a test run, a CLI in a loop) keeps
    no descriptor and no thread of theirs."""
    lock_path = tmp_path / f"turns.db{SUFFIX}"
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    with Database(url).write() as conn:  # the table, from a database never disposed of
        conn.execute(sa.text("CREATE TABLE probe (writer TEXT, n INTEGER)"))
    threads = _turn_threads()
    for _ in range(5):
        database = Database(url)
        with _outside_holder(lock_path) as held:  # so that each one's writer waits, on its waiter
            fcntl.flock(held, fcntl.LOCK_EX)
            writer = threading.Thread(target=_hammer, args=(database, "w", 1, []))
            writer.start()
            time.sleep(0.05)
            fcntl.flock(held, fcntl.LOCK_UN)
            writer.join()
        assert _turn_threads() == threads + 1
        database.dispose()
    deadline = time.monotonic() + 5
    while _turn_threads() > threads:  # each waiter ends once told, as it waits for no one
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert _descriptors_of(lock_path) == 1  # the first database's, never disposed of


def test_only_a_sqlite_file_has_turns(tmp_path: Path) -> None:
    assert write_turns_of("sqlite://") is None
    assert write_turns_of("sqlite:///:memory:") is None
    assert write_turns_of("postgresql+psycopg://postgres@127.0.0.1/x") is None
    turns = write_turns_of(f"sqlite:///{tmp_path / 'x.db'}?timeout=5")
    assert turns is not None
    assert turns.lock_path == tmp_path / f"x.db{SUFFIX}"
