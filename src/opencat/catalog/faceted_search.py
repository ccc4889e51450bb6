"""API v2 search: public datasets with facets computed over the whole filtered result set."""

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from opencat.catalog import indexing, listing
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView
from opencat.db import accounts as db_accounts
from opencat.db import geozones as db_geozones
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.domain import ids
from opencat.domain.accounts import Organization
from opencat.domain.periods import Period, cuts
from opencat.domain.queries import DatasetQuery, Page
from opencat.domain.search import SearchFilters, Visibility, updated_since
from opencat.domain.spatial import referential_zone_id
from opencat.search.index import Counts

Result = TypeVar("Result")

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
    # The periods asked for and how many matches each one's temporal coverage overlaps.
    periods: tuple[tuple[Period, int], ...] = ()
    # The facet and period counts are estimated on a sample of the matches (``sampled_counts``).
    estimated: bool = False


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
        zone = db_geozones.find_zone(conn, referential_zone_id(filters.zone))
        if zone is not None:
            filters = replace(filters, zone_ancestors=zone.ancestors)
    return filters


def _beside(work: Callable[[], Result]) -> "Future[Result]":
    """``work`` run in a thread of its own: the index counts without holding the GIL, so that the
    facet counts and the page's search (and its rows) take two cores instead of one after the other."""
    done: Future[Result] = Future()

    def run() -> None:
        try:
            done.set_result(work())
        except BaseException as error:  # handed to whoever waits for the result
            done.set_exception(error)

    threading.Thread(target=run, name="facet-counts", daemon=True).start()
    return done


def search(
    catalog: Catalog,
    query: DatasetQuery,
    last_update_range: str | None = None,
    include_geozone_ancestors: bool = False,
    more_facets: Mapping[str, str] | None = None,
    periods: Sequence[Period] = (),
    fresh_counts: bool = True,
    visibility: Visibility | None = None,
    sampled_counts: bool = False,
    empty_past_end: bool = False,
    identifiers: bool = False,
) -> SearchResult:
    """Public datasets matching the query, a page of them, and the facets of all of them.

    ``last_update_range`` (one of ``LAST_UPDATE_RANGES``) counts back from the catalog's clock;
    ``include_geozone_ancestors`` adds the datasets covering a zone that encloses ``geozone``;
    ``more_facets`` (name -> index field) adds facets the API does not show (the pages' zones);
    ``periods``, the periods to count overlapping coverages in (the pages' temporal facet);
    ``fresh_counts=False`` (the pages) accepts facet counts made just before the last change while
    they are counted again (``SearchIndex.counts``); the page and its total are always current;
    ``visibility`` adds the hidden datasets a signed-in visitor of the pages may see (never the
    deleted ones: the pages' search is not a recycle bin); ``sampled_counts`` (the pages) lets the
    counts of a very large result set be estimated on a sample of it (``SearchIndex.counts``), the
    total staying exact. ``empty_past_end`` (API v2) answers a page past the last one empty, as
    udata's search service does, rather than ``NotFound``. ``identifiers`` (API v2): a ``q`` that is
    a dataset's id, or one of its resources' ids, finds that dataset (the search service matches
    both fields)."""
    wanted = {**FACETS, **(more_facets or {})}
    with catalog.db.read() as conn:  # one connection for the outbox check, the zone and the rows
        if identifiers:
            query = _by_identifier(conn, query)
        # The v2 search serves the public catalog only.
        request = listing.search_request(conn, query, visibility or Visibility(), public=True)
        filters = _resolved(
            conn, request.filters, catalog.clock(), last_update_range, include_geozone_ancestors
        )
        if visibility is not None:
            filters = replace(filters, deleted=False)
        request = replace(request, filters=filters)
        period_cuts = cuts(periods)
        chosen = request.filters.period is not None
        indexing.sync(catalog, conn)  # once, for the counts and the page's search alike
        total: Future[int] = Future()
        counting = _beside(
            lambda: catalog.search.counts(
                request,
                list(set(wanted.values())),
                coverage_cuts=() if chosen else period_cuts,
                fresh=fresh_counts,
                sample=sampled_counts,
                matches=total,
            )
        )
        try:
            hits = catalog.search.search(request)  # the index was caught up just above
        except BaseException as error:
            total.set_exception(error)  # the counts waiting for the total end too
            raise
        total.set_result(hits.total)  # before the rows are read: counts waiting for it go on
        page = listing.views_of(catalog, conn, query, request, hits, True, empty_past_end)
        counts: Counts = counting.result().scaled_to(page.total)
        estimated = counts.estimated
        named = {name: counts.terms[field] for name, field in wanted.items()}
        covered = counts.coverage
        if chosen and periods:
            # A period link replaces the chosen one: periods count as if none were chosen, so that
            # each link finds as many datasets as it shows.
            unchosen = replace(request, filters=replace(request.filters, period=None))
            counted = catalog.search.counts(
                unchosen,
                [],
                coverage_cuts=period_cuts,
                fresh=fresh_counts,
                sample=sampled_counts,
            )
            covered, estimated = counted.coverage, estimated or counted.estimated
        # The organization chosen too: a search matching nothing has no bucket to name it by.
        asked = [query.filters.organization] if query.filters.organization else []
        organizations = db_accounts.fetch_organizations(
            conn, [*(key for key, _ in named["organization"]), *asked]
        )
    overlapping = tuple((p, covered.overlapping(p)) for p in periods) if covered is not None else ()
    return SearchResult(page, named, organizations, overlapping, estimated)


def _by_identifier(conn: Connection, query: DatasetQuery) -> DatasetQuery:
    """The query for the dataset a ``q`` names by its id or a resource's; the query as it was
    for any other ``q``."""
    text = query.q.strip().lower()
    if ids.is_object_id(text):
        dataset_id: str | None = text
    elif (resource_id := ids.parse_uuid(text)) is not None:
        found = db_resources.find_anywhere(conn, resource_id)
        dataset_id = None if found is None else found[0]
    else:
        return query
    return replace(query, q="", filters=replace(query.filters, ids=(dataset_id,) if dataset_id else ()))
