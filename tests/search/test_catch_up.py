"""Catching the index up with the outbox: one connection per request, no pool drained, fresh reads."""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import list_datasets
from opencat.config import Settings
from opencat.db.engine import Database
from opencat.domain.accounts import Actor
from opencat.domain.queries import DatasetQuery
from opencat.wiring import build_catalog
from tests.factories import make_dataset, make_user


@pytest.fixture
def checkouts(catalog: Catalog) -> Iterator[Counter[int]]:
    """The most connections each thread held at once, while the test runs."""
    held: Counter[int] = Counter()
    most: Counter[int] = Counter()

    def on_checkout(*_args: Any) -> None:
        thread = threading.get_ident()
        held[thread] += 1
        most[thread] = max(most[thread], held[thread])

    def on_checkin(*_args: Any) -> None:
        held[threading.get_ident()] -= 1

    event.listen(catalog.db.engine, "checkout", on_checkout)
    event.listen(catalog.db.engine, "checkin", on_checkin)
    yield most
    event.remove(catalog.db.engine, "checkout", on_checkout)
    event.remove(catalog.db.engine, "checkin", on_checkin)


def test_a_listing_that_catches_up_holds_one_connection(catalog: Catalog, checkouts: Counter[int]) -> None:
    owner = make_user(catalog)
    for number in range(3):
        make_dataset(catalog, owner, title=f"Fresh {number}")
    checkouts.clear()
    page = list_datasets(catalog, Actor(), DatasetQuery(q="fresh"))
    assert page.total == 3
    assert checkouts
    assert max(checkouts.values()) == 1


def test_concurrent_listings_right_after_writes_neither_hang_nor_fail(catalog: Catalog) -> None:
    owner = make_user(catalog)
    for number in range(30):
        make_dataset(catalog, owner, title=f"Burst {number}")
    readers = 24  # more than the pool holds (5 + 10 on SQLite)
    barrier = threading.Barrier(readers)

    def read(_: int) -> tuple[int, float]:
        barrier.wait()
        started = time.monotonic()
        total = list_datasets(catalog, Actor(), DatasetQuery(q="burst", page_size=20)).total
        return total, time.monotonic() - started

    with ThreadPoolExecutor(readers) as pool:
        results = list(pool.map(read, range(readers)))
    assert [total for total, _ in results] == [30] * readers
    assert max(seconds for _, seconds in results) < 10


def test_a_write_through_another_process_is_found_at_once(
    catalog: Catalog, db: Database, settings: Settings
) -> None:
    """Two catalogs on one data directory stand for two workers of one machine."""
    other = build_catalog(settings, database=db)
    owner = make_user(catalog)
    list_datasets(other, Actor(), DatasetQuery())  # the other worker's reader is open and current
    for word in ("piscines", "musees", "jardins", "ecoles", "marches"):
        make_dataset(catalog, owner, title=f"Liste des {word}")
        list_datasets(catalog, Actor(), DatasetQuery())  # this worker catches the index up
        found = list_datasets(other, Actor(), DatasetQuery(q=word))
        assert found.total == 1, word


def test_a_page_holds_what_its_total_counts_when_the_index_is_newer_than_the_read(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a listing's read sees the database as at its first statement; another process
    may catch the index up to datasets committed later. The page dropped them and kept the
    index's total (13 counted, 1 listed, in a review's write burst). Read again in a new
    snapshot, a dataset made private meanwhile stays out of an anonymous page."""
    from opencat.catalog import indexing
    from opencat.catalog.datasets import update_dataset
    from opencat.db import datasets as db_datasets
    from opencat.domain.accounts import ANONYMOUS
    from opencat.domain.changes import DatasetChanges, Submitted
    from opencat.domain.search import SearchFilters

    owner = make_user(catalog)
    make_dataset(catalog, owner, title="First", tags=("t",))
    real_search = indexing.search
    later: dict[str, str] = {}

    def search_after_writes_elsewhere(catalog_: Catalog, request: Any, conn: Any = None) -> Any:
        indexing.sync(catalog_, conn)  # this read's snapshot begins, the index caught up to it
        for title in ("Later", "Hidden later"):
            later[title] = make_dataset(catalog, owner, title=title, tags=("t",)).dataset.id
        indexing.sync(catalog)  # as another process's listing would: the index is now newer
        hits = real_search(catalog_, request, conn)
        answered.append(True)
        return hits

    def fetch_after_a_dataset_is_hidden(conn: Any, ids: Any) -> Any:
        if answered and not hidden:  # once the index answered, before the page's rows are read
            changes = DatasetChanges(private=True)
            update_dataset(catalog, owner.actor(catalog), later["Hidden later"], Submitted.of(changes))
            hidden.append(True)
            catalog.db.renew_snapshot(conn)  # PostgreSQL's statement sees it; SQLite's read, renewed
        return real_fetch(conn, ids)

    hidden: list[bool] = []
    answered: list[bool] = []
    real_fetch = db_datasets.fetch_by_ids
    monkeypatch.setattr(indexing, "search", search_after_writes_elsewhere)
    monkeypatch.setattr(db_datasets, "fetch_by_ids", fetch_after_a_dataset_is_hidden)
    page = list_datasets(catalog, ANONYMOUS, DatasetQuery(filters=SearchFilters(tags=("t",)), page_size=50))
    titles = [view.dataset.title for view in page.items]
    assert "Later" in titles
    assert "Hidden later" not in titles
    # The index counted 3 when it answered; the one hidden since is not counted either.
    assert page.total == len(page.items) == 2


def test_a_new_index_is_filled_from_the_datasets_not_from_the_whole_log(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log grows by an entry per write and follow: a new node replayed it whole (as many
    documents built as entries). It reads every dataset once, then what was logged since."""
    from opencat.catalog import indexing
    from opencat.catalog.curation import follow, unfollow
    from opencat.catalog.datasets import delete_dataset
    from opencat.search.index import SearchIndex

    owner = make_user(catalog)
    made = [make_dataset(catalog, owner, title=f"Filled {number}").dataset.id for number in range(5)]
    for _ in range(20):
        follow(catalog, owner.actor(catalog), made[0])
        unfollow(catalog, owner.actor(catalog), made[0])
    delete_dataset(catalog, owner.actor(catalog), made[4])
    built: list[str] = []
    real = indexing.documents

    def counted(conn: Any, dataset_ids: Any, cat: Catalog) -> Any:
        built.extend(dataset_ids)
        return real(conn, dataset_ids, cat)

    monkeypatch.setattr(indexing, "documents", counted)
    monkeypatch.setattr(indexing, "BATCH", 4)  # the log read 4 entries at a time: a dozen reads
    fresh = replace(catalog, search=SearchIndex(catalog.search.directory.parent / "fresh"))
    page = list_datasets(fresh, Actor(), DatasetQuery(q="filled"))
    assert sorted(view.dataset.id for view in page.items) == sorted(made[:4])
    assert len(built) <= 5  # every dataset row once (the deleted one's row too), no entry replayed
