"""The search outbox's order is its commit order: an index that replays it past a sequence number
never misses a change committed later under a smaller one."""

import threading
import time

import pytest

from opencat.db.engine import Database
from opencat.db.outbox import changes_since, head, mark_changed

DATASET = "5e1a0000000000000000000{}"


def test_appends_wait_for_the_transaction_that_appended_before_them(migrated: Database, dialect: str) -> None:
    """Two writers on PostgreSQL: the second one's append waits until the first commits, so its
    sequence number comes after the first's and is never visible before it."""
    if dialect != "postgresql":
        pytest.skip("SQLite's writers take the database's one write lock whole")
    with migrated.read() as conn:
        start = head(conn)
    first_appended, second_done = threading.Event(), threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with migrated.write() as conn:
            mark_changed(conn, [DATASET.format(1)])
            first_appended.set()
            release_first.wait(10)

    def second() -> None:
        first_appended.wait(10)
        with migrated.write() as conn:
            mark_changed(conn, [DATASET.format(2)])
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        assert first_appended.wait(10)
        time.sleep(0.3)
        assert not second_done.is_set()  # held by the first transaction's lock
    finally:
        release_first.set()
        for thread in threads:
            thread.join(10)
    assert second_done.is_set()
    with migrated.read() as conn:
        assert [dataset_id for _, dataset_id in changes_since(conn, start, 10)] == [
            DATASET.format(1),
            DATASET.format(2),
        ]


def test_many_appends_at_once_keep_their_order(migrated: Database) -> None:
    with migrated.read() as conn:
        start = head(conn)
    with migrated.write() as conn:
        mark_changed(conn, [DATASET.format(3), DATASET.format(4)])
        mark_changed(conn, [DATASET.format(5)])
    with migrated.read() as conn:
        found = changes_since(conn, start, 10)
    assert [dataset_id for _, dataset_id in found] == [DATASET.format(n) for n in (3, 4, 5)]


def test_the_logs_bounds_are_read_from_the_keys_ends(migrated: Database, dialect: str) -> None:
    """Every catch-up reads them: both aggregates in one select made SQLite scan the whole log
    (68 ms at a million entries); each is a subquery that reads one end of the key."""
    from opencat.db.outbox import _BOUNDS, bounds

    with migrated.read() as conn:
        assert bounds(conn)[0] == head(conn)
        if dialect == "sqlite":
            compiled = _BOUNDS.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
            assert "SCAN search_changes" not in plan, plan
