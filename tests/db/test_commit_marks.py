"""PostgreSQL's commit marks (db/commit_marks.py), on the real server: what kept answers rely on."""

import asyncio
import time

import pytest
import sqlalchemy as sa

from opencat.catalog.context import Catalog
from opencat.db import commit_marks
from opencat.db.commit_marks import CommitMarks, commit_marks_of
from opencat.db.engine import Database
from opencat.db.quick_reads import LogMark
from opencat.db.tables import search_changes
from tests.factories import make_org

pytestmark = pytest.mark.postgresql_only


def _rename(db: Database, org_id: str, name: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE organizations SET name = :name WHERE id = :id"), {"name": name, "id": org_id}
        )


def test_a_commit_by_another_connection_moves_the_mark(db: Database, catalog: Catalog) -> None:
    org = make_org(catalog, name="Before")
    marks = CommitMarks(db.url)
    try:
        before = asyncio.run(marks.current())
        assert before is not None
        _rename(db, org.id, "After")
        renamed = asyncio.run(marks.current())
        assert renamed not in (None, before)
        # A transaction rolled back moves it too (never served wrong, only rendered again).
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_current_xact_id()"))  # gives it a transaction id
            conn.rollback()
        assert asyncio.run(marks.current()) not in (None, renamed)
    finally:
        marks.close()


def test_reads_alone_leave_the_mark_as_it_is(db: Database) -> None:
    """Other tests' databases on the same server commit meanwhile: two equal marks in a row must
    still come up within a few tries when this database is only read."""
    marks = CommitMarks(db.url)
    try:

        async def read_twice() -> bool:
            first = await marks.current()
            with db.engine.connect() as conn:
                conn.execute(sa.text("SELECT count(*) FROM datasets"))
            return first is not None and first == await marks.current()

        assert any(asyncio.run(read_twice()) for _ in range(40))
    finally:
        marks.close()


def test_waiting_requests_share_round_trips(db: Database) -> None:
    marks = CommitMarks(db.url)

    async def many() -> list[str | None]:
        return await asyncio.gather(*(marks.current() for _ in range(200)))

    try:
        found = asyncio.run(many())
        assert all(mark is not None for mark in found)
        assert marks.round_trips < 50, marks.round_trips
    finally:
        marks.close()


def test_a_mark_is_never_one_read_before_it_was_asked(db: Database, catalog: Catalog) -> None:
    """A commit made while marks are being read is seen by every request that asked after it."""
    org = make_org(catalog, name="Before")
    marks = CommitMarks(db.url)

    async def scenario(name: str) -> None:
        readers = [asyncio.ensure_future(marks.current()) for _ in range(20)]
        await asyncio.sleep(0)
        before = await readers[0]
        _rename(db, org.id, name)
        after = await asyncio.gather(*(marks.current() for _ in range(20)))
        await asyncio.gather(*readers)
        assert before not in after

    try:
        for round_ in range(5):
            asyncio.run(scenario(f"Name {round_}"))
    finally:
        marks.close()


def test_an_unreachable_server_gives_no_mark_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commit_marks, "WAIT_SECONDS", 0.5)
    marks = CommitMarks("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    try:
        started = time.monotonic()
        assert asyncio.run(marks.current()) is None
        assert time.monotonic() - started < 3
    finally:
        marks.close()


def test_closed_marks_start_again_when_asked(db: Database) -> None:
    marks = CommitMarks(db.url)
    assert asyncio.run(marks.current()) is not None
    marks.close()
    assert asyncio.run(marks.current()) is not None
    marks.close()
    assert commit_marks_of("sqlite:///x.db") is None


def test_a_connection_the_server_ended_gives_no_mark_then_a_new_one(db: Database) -> None:
    """The round trip goes through libpq directly: an error in its answer (here the server ended
    the marks' connection) is no mark, never a stale one, and the next ask connects again."""
    marks = CommitMarks(db.url)
    try:
        assert asyncio.run(marks.current()) is not None
        with db.engine.begin() as conn:
            ended = (
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE query LIKE 'SELECT pg_current_snapshot()%' AND pid <> pg_backend_pid()"
                        " AND datname = current_database()"
                    )
                )
                .scalars()
                .all()
            )
        assert ended
        assert all(ended)
        assert asyncio.run(marks.current()) is None
        trips = marks.round_trips
        assert asyncio.run(marks.current()) is not None
        assert marks.round_trips == trips + 1
    finally:
        marks.close()


def test_each_mark_comes_with_the_change_logs_head_and_its_new_entries(db: Database) -> None:
    """What kept answers are renewed on (api/current_copies.py): the log as of the mark, in the
    same snapshot, and its entries since the tail began."""
    from opencat.db import outbox
    from opencat.domain.search import Aspect

    marks = CommitMarks(db.url)
    try:
        first = asyncio.run(marks.current())
        assert first is not None
        start = marks.head_of(first)
        assert start is not None
        with db.write() as conn:
            outbox.mark_changed(conn, ["a" * 24], Aspect.FOLLOWERS)
        with db.write() as conn:
            conn.execute(sa.text("UPDATE organizations SET name = 'x' WHERE false"))
            outbox.mark_changed(conn, ["b" * 24])
        later = asyncio.run(marks.current())
        assert later is not None
        head = marks.head_of(later)
        assert head is not None
        assert head.seq > start.seq
        entries = marks.entries_between(start, head)
        assert entries is not None
        assert [(entry.dataset_id, entry.aspect) for entry in entries] == [
            ("a" * 24, "followers"),
            ("b" * 24, None),
            (outbox.ELSEWHERE, "elsewhere"),  # an organization's table written
        ]
        assert entries[-1].mark == head
        earlier = LogMark(start.seq - 1, start.identity)
        assert marks.entries_between(earlier, head) is None  # before the tail began: not known
        assert marks.entries_between(start, LogMark(head.seq + 1, "")) is None  # past what was read
        # The database restored under the server: the log taken back, then written to as far
        # again by other changes. Nothing read of the other history is taken for this one.
        with db.engine.begin() as conn:
            conn.execute(sa.delete(search_changes).where(search_changes.c.seq > start.seq))
            # pg_restore sets the sequence back too: the next changes take the same numbers.
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('search_changes', 'seq'), :seq, :called)"),
                {"seq": max(entries[0].seq - 1, 1), "called": entries[0].seq > 1},
            )
        with db.write() as conn:
            for _ in range(len(entries)):
                outbox.mark_changed(conn, ["c" * 24])
        restored = asyncio.run(marks.current())
        assert restored is not None
        again = marks.head_of(restored)
        assert again is not None
        assert again.seq == head.seq  # the same number, another change
        assert marks.entries_between(head, again) is None
    finally:
        marks.close()
