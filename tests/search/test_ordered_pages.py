"""A page ordered by a number (newest, last updated…) is looked for from where the same page ended
last time, the total counted apart: still exact after creations, updates and deletions; on both
databases."""

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from opencat.catalog import faceted_search
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset, update_dataset
from opencat.domain.changes import Submitted
from opencat.domain.dates import utc_now
from opencat.domain.queries import DatasetQuery
from opencat.search import index as index_module
from opencat.search import schema
from tests.factories import Account, dataset_changes, make_dataset, make_user


@pytest.fixture
def catalog(catalog: Catalog) -> Catalog:
    """A clock a millisecond further at each reading: the index orders by the millisecond, and
    datasets made within one (a fast machine) would tie, in the order they were indexed."""
    start, steps = utc_now(), itertools.count()
    return replace(catalog, clock=lambda: start + timedelta(milliseconds=next(steps)))


def _page(catalog: Catalog, sort: str | None = None, page: int = 1) -> tuple[list[str], int]:
    found = faceted_search.search(catalog, DatasetQuery(page=page, page_size=2, sort=sort)).page
    return [view.dataset.title for view in found.items], found.total


@pytest.fixture
def bounded(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each search was answered from a remembered bound."""
    answered: list[bool] = []
    original: Callable[..., list[Any] | None] = catalog.search._hits_past

    def spy(*args: Any) -> list[Any] | None:
        found = original(*args)
        answered.append(found is not None)
        return found

    monkeypatch.setattr(catalog.search, "_hits_past", spy)
    return answered


def _six(catalog: Catalog) -> tuple[Account, list[str]]:
    account = make_user(catalog)
    return account, [make_dataset(catalog, account, title=f"D{n}").dataset.id for n in range(1, 7)]


def test_the_newest_page_after_writes(catalog: Catalog, bounded: list[bool]) -> None:
    account, ids = _six(catalog)
    assert _page(catalog) == (["D6", "D5"], 6)
    assert _page(catalog, page=2) == (["D4", "D3"], 6)
    make_dataset(catalog, account, title="D7")
    assert _page(catalog) == (["D7", "D6"], 7)  # from the bound: D7, D6 and D5 are past it
    assert _page(catalog, page=2) == (["D5", "D4"], 7)
    assert bounded[-2:] == [True, True]
    actor = account.actor(catalog)
    for dataset_id in ids[3:]:  # D4, D5, D6
        delete_dataset(catalog, actor, dataset_id)
    # Page 1's bound (D6) now holds D7 alone: searched in full; page 2's (D4) holds nothing.
    assert _page(catalog) == (["D7", "D3"], 4)
    assert _page(catalog, page=2) == (["D2", "D1"], 4)
    assert bounded[-2:] == [False, False]
    assert _page(catalog) == (["D7", "D3"], 4)  # remembered as is until the next change


def test_the_last_updated_page_after_an_update(catalog: Catalog, bounded: list[bool]) -> None:
    account, ids = _six(catalog)
    assert _page(catalog, "-last_update") == (["D6", "D5"], 6)
    update_dataset(catalog, account.actor(catalog), ids[0], Submitted.of(dataset_changes(title="D1 again")))
    assert _page(catalog, "-last_update") == (["D1 again", "D6"], 6)
    assert bounded[-1] is True
    assert _page(catalog, "last_update") == (["D2", "D3"], 6)  # ascending: the bound from below
    actor = account.actor(catalog)
    update_dataset(catalog, actor, ids[4], Submitted.of(dataset_changes(title="D5 again")))
    assert _page(catalog, "last_update") == (["D2", "D3"], 6)
    assert bounded[-1] is True
    # D2 moves past the bound: the range holds D3 alone, the page is searched in full.
    update_dataset(catalog, actor, ids[1], Submitted.of(dataset_changes(title="D2 again")))
    assert _page(catalog, "last_update") == (["D3", "D4"], 6)
    assert bounded[-1] is False


def test_a_first_search_starts_from_a_bound_its_sample_gives(
    catalog: Catalog, bounded: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every bucket as the sample: page 1's bound is the 8th newest (three page ends and two more),
    # page 2's the 14th.
    monkeypatch.setattr(index_module, "BOUND_BUCKETS", schema.SAMPLE_BUCKETS)
    monkeypatch.setattr(index_module, "SAMPLE_ABOVE", 10)  # 16 matches: a large result set
    account = make_user(catalog)
    for n in range(1, 17):
        make_dataset(catalog, account, title=f"D{n}")
    assert _page(catalog) == (["D16", "D15"], 16)
    assert _page(catalog, page=2) == (["D14", "D13"], 16)
    assert bounded == [True, True]
    # Page 5 would need the 32nd: more than there are, searched in full (no range tried).
    assert _page(catalog, page=5) == (["D8", "D7"], 16)
    assert bounded == [True, True]
