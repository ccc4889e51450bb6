"""Listings and facet counts are remembered until the index changes: the same search counts once, a write
(here or in another process) is counted at the next search; on both databases."""

import time

import pytest

from opencat.catalog import faceted_search
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import update_dataset
from opencat.config import Settings
from opencat.domain.changes import Submitted
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters
from opencat.search import index as index_module
from opencat.wiring import build_catalog
from tests.factories import dataset_changes, make_dataset, make_user


def _tags(catalog: Catalog, page: int = 1) -> faceted_search.SearchResult:
    query = DatasetQuery(page=page, page_size=1, filters=SearchFilters(tags=("air",)))
    return faceted_search.search(catalog, query)


def test_the_same_search_counts_once_and_a_write_counts_again(catalog: Catalog, settings: Settings) -> None:
    account = make_user(catalog)
    make_dataset(catalog, account, title="Air Lyon", tags=["air", "lyon"])
    make_dataset(catalog, account, title="Air Paris", tags=["air", "paris"])
    first = _tags(catalog)
    assert dict(first.facets["tag"]) == {"air": 2, "lyon": 1, "paris": 1}
    # Another page of the same search: the same counts, not counted again.
    assert _tags(catalog, page=2).facets["tag"] is first.facets["tag"]
    make_dataset(catalog, account, title="Air Lille", tags=["air", "lille"])
    assert dict(_tags(catalog).facets["tag"]) == {"air": 3, "lyon": 1, "paris": 1, "lille": 1}
    # A write made by another process (its own catalog and index reader, the same index on disk).
    other = build_catalog(settings)
    try:
        make_dataset(other, account, title="Air Nice", tags=["air", "nice"])
    finally:
        other.db.dispose()
    assert dict(_tags(catalog).facets["tag"])["air"] == 4


def test_counts_differ_by_request(catalog: Catalog) -> None:
    account = make_user(catalog)
    make_dataset(catalog, account, title="Air Lyon", tags=["air"])
    make_dataset(catalog, account, title="Eau Lyon", tags=["eau"])
    everything = faceted_search.search(catalog, DatasetQuery())
    assert dict(everything.facets["tag"]) == {"air": 1, "eau": 1}
    assert dict(_tags(catalog).facets["tag"]) == {"air": 1}


def test_a_listing_is_remembered_and_a_write_is_listed_at_once(catalog: Catalog) -> None:
    account = make_user(catalog)
    make_dataset(catalog, account, title="Air Lyon", tags=["air"])
    query = DatasetQuery(page_size=5, filters=SearchFilters(tags=("air",)))
    first = faceted_search.search(catalog, query).page
    again = faceted_search.search(catalog, query).page
    assert [view.dataset.title for view in again.items] == ["Air Lyon"]
    assert again.total == first.total == 1
    make_dataset(catalog, account, title="Air Paris", tags=["air"])
    after = faceted_search.search(catalog, query).page
    assert after.total == 2
    assert {view.dataset.title for view in after.items} == {"Air Lyon", "Air Paris"}


def _pages_tags(catalog: Catalog) -> faceted_search.SearchResult:
    query = DatasetQuery(page_size=1, filters=SearchFilters(tags=("air",)))
    return faceted_search.search(catalog, query, fresh_counts=False)


def _wait_for_counts(catalog: Catalog, air: int) -> None:
    deadline = time.monotonic() + 10
    while dict(_pages_tags(catalog).facets["tag"])["air"] != air:
        assert time.monotonic() < deadline, "the recount never landed"
        time.sleep(0.02)


def test_the_pages_take_the_counts_made_before_a_write_while_a_thread_counts_again(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = make_user(catalog)
    make_dataset(catalog, account, title="Air Lyon", tags=["air", "lyon"])
    assert dict(_pages_tags(catalog).facets["tag"]) == {"air": 1, "lyon": 1}
    counted = []
    original = catalog.search._count
    monkeypatch.setattr(catalog.search, "_count", lambda *args: counted.append(1) or original(*args))
    made = make_dataset(catalog, account, title="Air Paris", tags=["air", "paris"])
    after = _pages_tags(catalog)
    assert after.page.total == 2  # the results and their total are current
    assert dict(after.facets["tag"]) == {"air": 1, "lyon": 1}  # the counts made before the write
    assert made.dataset.id in {view.dataset.id for view in _pages_tags(catalog).page.items} | {
        view.dataset.id
        for view in faceted_search.search(
            catalog,
            DatasetQuery(page=2, page_size=1, filters=SearchFilters(tags=("air",))),
            fresh_counts=False,
        ).page.items
    }
    _wait_for_counts(catalog, air=2)  # the counts follow once recounted in the background
    assert counted  # by a recount, not by this page
    assert dict(_pages_tags(catalog).facets["tag"]) == {"air": 2, "lyon": 1, "paris": 1}
    # The API's v2 search never takes stale counts: a write, then its counts at once.
    make_dataset(catalog, account, title="Air Nice", tags=["air", "nice"])
    assert dict(_tags(catalog).facets["tag"])["air"] == 3


def test_counts_older_than_the_bound_are_not_taken(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "STALE_COUNTS_SECONDS", 0.0)
    account = make_user(catalog)
    make_dataset(catalog, account, title="Air Lyon", tags=["air"])
    assert dict(_pages_tags(catalog).facets["tag"])["air"] == 1
    make_dataset(catalog, account, title="Air Paris", tags=["air"])
    assert dict(_pages_tags(catalog).facets["tag"])["air"] == 2  # counted again, at once


def test_counts_made_before_a_dataset_left_the_listings_are_not_taken(catalog: Catalog) -> None:
    """Made private (or deleted) since: the counts made before would still name its tags and
    formats on the pages (a hidden dataset's words, for a page view a worker)."""
    account = make_user(catalog)
    make_dataset(catalog, account, title="Air Lyon", tags=["air", "lyon"])
    hidden = make_dataset(catalog, account, title="Air secret", tags=["air", "secret-merger"])
    assert dict(_pages_tags(catalog).facets["tag"]) == {"air": 2, "lyon": 1, "secret-merger": 1}
    update_dataset(
        catalog, account.actor(catalog), hidden.dataset.id, Submitted.of(dataset_changes(private=True))
    )
    assert dict(_pages_tags(catalog).facets["tag"]) == {"air": 1, "lyon": 1}  # counted again, at once
    # A public dataset's change still takes the counts made before it, recounted in the background.
    make_dataset(catalog, account, title="Air Paris", tags=["air", "paris"])
    assert dict(_pages_tags(catalog).facets["tag"]) == {"air": 1, "lyon": 1}
