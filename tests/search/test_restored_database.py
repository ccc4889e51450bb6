"""A database restored from a dump (``pg_restore``) under a node's search index: the outbox's log
goes back to the dump's end, while the index counts every later change as applied. New writes
then took sequence numbers the index counted as applied, and were never indexed; listings kept
the datasets of the dump's future (a review found empty pages of 5 for 1,157 counted)."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from opencat.catalog import health, indexing
from opencat.catalog.context import Catalog
from opencat.db import outbox
from opencat.domain.search import SearchRequest
from opencat.search import index as index_module
from opencat.search.index import SearchIndex
from tests.factories import make_dataset, make_user


def _restore_log_to(catalog: Catalog, seq: int) -> None:
    """The outbox as a dump taken at ``seq`` gives it back (its rows and its sequence)."""
    with catalog.db.write() as conn:
        conn.execute(sa.text("DELETE FROM search_changes WHERE seq > :seq"), {"seq": seq})
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('search_changes', 'seq'), :seq)"), {"seq": seq}
            )


def _found(catalog: Catalog, title: str) -> bool:
    ids = catalog.search.search(SearchRequest(words=(title.lower(),))).ids
    return len(ids) == 1


def test_the_keeper_rebuilds_an_index_ahead_of_its_database(catalog: Catalog) -> None:
    alice = make_user(catalog)
    for number in range(4):
        make_dataset(catalog, alice, title=f"Before {number}")
    with catalog.db.read() as conn:
        dumped = outbox.head(conn)
    for number in range(6):
        make_dataset(catalog, alice, title=f"After {number}")
    indexing.sync(catalog)
    _restore_log_to(catalog, dumped)
    fresh = make_dataset(catalog, alice, title="Freshone").dataset

    ready = {check.name: check for check in health.readiness(catalog, 10_000)}["search_index"]
    assert not ready.ok
    assert "restored database" in ready.details["error"]
    indexing.sync(catalog)
    assert not _found(catalog, "Freshone")  # what a listing found before: its change counted as applied

    indexing.keep_up(catalog)

    assert _found(catalog, "Freshone")
    with catalog.db.read() as conn:
        assert catalog.search.current_seq() == outbox.head(conn)
    assert fresh.id in catalog.search.search(SearchRequest(limit=100)).ids
    ready = {check.name: check for check in health.readiness(catalog, 10_000)}["search_index"]
    assert ready.ok


def test_another_process_sees_the_rebuild_back_to_an_earlier_change(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``opencat reindex`` on a running node: its workers' own mark stayed at the old sequence and
    counted every later change as applied (found: the reindexed dataset; not: the next one)."""
    monkeypatch.setattr(index_module, "REBUILT_CHECK_SECONDS", 0.0)
    alice = make_user(catalog)
    for number in range(5):
        make_dataset(catalog, alice, title=f"Before {number}")
        if number == 1:
            with catalog.db.read() as conn:
                dumped = outbox.head(conn)
    indexing.sync(catalog)
    worker = SearchIndex(catalog.search.directory)  # another process's view of the same index
    with catalog.db.read() as conn:
        head = outbox.head(conn)
    assert worker.reached(head)
    _restore_log_to(catalog, dumped)
    assert indexing.rebuilt_if_ahead(catalog)
    with catalog.db.read() as conn:
        restored_head = outbox.head(conn)
    assert restored_head == dumped

    assert worker.reached(restored_head)
    assert worker.loaded_seq == restored_head
    assert not worker.reached(restored_head + 1)  # the next change is not counted as applied


def test_a_node_stopped_through_a_restore_rebuilds_even_once_the_log_is_as_long_again(
    catalog: Catalog,
) -> None:
    """Node A applied change N+1, was stopped; the database was restored to N and another node
    wrote change N+1 again (another dataset). The log was as long as A's index: A started,
    counted the new change as applied, and never indexed it (nor forgot what the dump lost)."""
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Before")
    indexing.sync(catalog)
    with catalog.db.read() as conn:
        dumped = outbox.head(conn)
    make_dataset(catalog, alice, title="Lostone")  # A applies N+1
    indexing.sync(catalog)
    assert _found(catalog, "Lostone")
    _restore_log_to(catalog, dumped)
    with catalog.db.engine.begin() as conn:  # the restored database no longer holds that dataset
        conn.execute(sa.text("DELETE FROM datasets WHERE title = 'Lostone'"))
    make_dataset(catalog, alice, title="Otherone")  # another node's write: N+1 again
    with catalog.db.read() as conn:
        assert outbox.head(conn) == catalog.search.current_seq()

    assert indexing.rebuilt_if_ahead(catalog)  # what ``opencat serve`` asks at its start

    assert _found(catalog, "Otherone")
    assert not _found(catalog, "Lostone")
    assert not indexing.rebuilt_if_ahead(catalog)  # once rebuilt, the same history
