"""Catching the index up with the outbox: one connection per request, no pool drained, fresh reads."""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
