"""Listings and facet counts are remembered until the index changes: the same search counts once, a write
(here or in another process) is counted at the next search; on both databases."""

from opencat.app import build_catalog
from opencat.catalog import faceted_search
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters
from tests.factories import make_dataset, make_user


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
