"""API v2 search: public datasets with facets computed over the whole filtered result set."""

from dataclasses import dataclass

from opencat.catalog import search as catalog_search
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView, assemble
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.domain.accounts import Organization
from opencat.domain.errors import NotFound
from opencat.domain.queries import DatasetQuery, Page
from opencat.domain.search import SearchRequest, Visibility, words_of

# Facet name in the response -> field of the index.
FACETS = {
    "organization": "organization",
    "tag": "tags",
    "license": "license",
    "format": "formats",
    "schema": "schemas",
    "granularity": "granularity",
    "badge": "badges",
}


@dataclass(frozen=True, slots=True)
class SearchResult:
    page: Page[DatasetView]
    facets: dict[str, list[tuple[str, int]]]
    organizations: dict[str, Organization]


def search(catalog: Catalog, query: DatasetQuery) -> SearchResult:
    request = SearchRequest(
        words=words_of(query.q),
        filters=query.filters,
        visibility=Visibility(),  # the v2 search serves the public catalog only
        sort=query.sort,
        offset=(query.page - 1) * query.page_size,
        limit=query.page_size,
    )
    hits = catalog_search.search(catalog, request)
    facets = catalog.search.facets(request, list(FACETS.values()))
    named = {name: facets[field] for name, field in FACETS.items()}
    with catalog.db.read() as conn:
        found = db_datasets.fetch_by_ids(conn, hits.ids)
        ordered = [found[i] for i in hits.ids if i in found]
        if not ordered and query.page > 1:
            raise NotFound()
        views = assemble(conn, ordered, with_community=True)
        organizations = db_accounts.fetch_organizations(conn, (key for key, _ in named["organization"]))
    return SearchResult(Page(views, hits.total, query.page, query.page_size), named, organizations)
