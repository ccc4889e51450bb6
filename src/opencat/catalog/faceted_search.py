"""API v2 search: public datasets with facets computed over the whole filtered result set."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from opencat.catalog import listing
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView
from opencat.db import accounts as db_accounts
from opencat.db import geozones as db_geozones
from opencat.db.engine import Connection
from opencat.domain.accounts import Organization
from opencat.domain.queries import DatasetQuery, Page
from opencat.domain.search import SearchFilters, Visibility, updated_since
from opencat.domain.spatial import normalize_zone

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


def _resolved(
    conn: Connection,
    filters: SearchFilters,
    now: datetime,
    last_update_range: str | None,
    include_geozone_ancestors: bool,
) -> SearchFilters:
    """The relative arguments made absolute: the range's first instant, the zone's ancestors (an
    unknown zone is kept alone, as udata does)."""
    if last_update_range is not None:
        filters = replace(filters, updated_since=updated_since(last_update_range, now))
    if include_geozone_ancestors and filters.zone is not None:
        zone = db_geozones.find_zone(conn, normalize_zone(filters.zone))
        if zone is not None:
            filters = replace(filters, zone_ancestors=zone.ancestors)
    return filters


def search(
    catalog: Catalog,
    query: DatasetQuery,
    last_update_range: str | None = None,
    include_geozone_ancestors: bool = False,
    more_facets: Mapping[str, str] | None = None,
    visibility: Visibility | None = None,
) -> SearchResult:
    """Public datasets matching the query, a page of them, and the facets of all of them.

    ``last_update_range`` (one of ``LAST_UPDATE_RANGES``) counts back from the catalog's clock;
    ``include_geozone_ancestors`` adds the datasets covering a zone that encloses ``geozone``;
    ``more_facets`` (name -> index field) adds facets the API does not show (the pages' zones);
    ``visibility`` adds the hidden datasets a signed-in visitor of the pages may see (never the
    deleted ones: the pages' search is not a recycle bin)."""
    wanted = {**FACETS, **(more_facets or {})}
    with catalog.db.read() as conn:  # one connection for the outbox check, the zone and the rows
        # The v2 search serves the public catalog only.
        request = listing.search_request(conn, query, visibility or Visibility(), public=True)
        filters = _resolved(
            conn, request.filters, catalog.clock(), last_update_range, include_geozone_ancestors
        )
        if visibility is not None:
            filters = replace(filters, deleted=False)
        request = replace(request, filters=filters)
        page = listing.views_page(catalog, conn, query, request, with_community=True)
        facets = catalog.search.facets(request, list(set(wanted.values())))
        named = {name: facets[field] for name, field in wanted.items()}
        organizations = db_accounts.fetch_organizations(conn, (key for key, _ in named["organization"]))
    return SearchResult(page, named, organizations)
