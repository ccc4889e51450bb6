"""Listing datasets, the one way every listing does it: the index gives the ids in order and the
count, the database the documents. The list, the v2 search, the feed, the catalog pages and the
filtered exports all go through here."""

from dataclasses import replace

from opencat.catalog import indexing
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView, assemble
from opencat.db import datasets as db_datasets
from opencat.db import followers as db_followers
from opencat.db.engine import Connection
from opencat.domain.datasets import Dataset
from opencat.domain.errors import NotFound
from opencat.domain.queries import DatasetQuery, Page
from opencat.domain.search import SearchFilters, SearchHits, SearchRequest, Visibility, may_see, words_of


def search_filters(conn: Connection, query: DatasetQuery, *, public: bool = False) -> SearchFilters:
    """The query's filters as the index takes them. ``followed_by`` becomes the followed ids; a
    ``q`` of punctuation or symbols only has no word to look for and finds nothing (a blank ``q``
    is ignored). ``public`` drops the visibility filters, for the listings that serve public data."""
    filters = query.filters
    if public:
        filters = replace(filters, private=None, archived=None, deleted=None)
    if query.followed_by is not None:
        filters = replace(filters, ids=tuple(db_followers.followed_datasets(conn, query.followed_by)))
    if query.q and not words_of(query.q):
        filters = replace(filters, ids=())
    return filters


def search_request(
    conn: Connection, query: DatasetQuery, visibility: Visibility, *, public: bool = False
) -> SearchRequest:
    """The index's request for the query's page."""
    return SearchRequest(
        words=words_of(query.q),
        filters=search_filters(conn, query, public=public),
        visibility=visibility,
        sort=query.sort,
        offset=(query.page - 1) * query.page_size,
        limit=query.page_size,
    )


def public_request(conn: Connection, query: DatasetQuery) -> SearchRequest:
    """The index's request for a page of the public catalog, whoever asks. A public dataset is
    neither private, archived nor deleted: asking for those (``=true``) finds nothing, as
    ``=false`` changes nothing."""
    request = search_request(conn, query, Visibility(), public=True)
    hidden = (query.filters.private, query.filters.archived, query.filters.deleted)
    if any(flag is True for flag in hidden):
        return replace(request, filters=replace(request.filters, ids=()))
    return request


def archive_request(conn: Connection, query: DatasetQuery) -> SearchRequest:
    """The index's request for datasets neither private nor deleted, archived ones among them (the
    query's visibility filters are not read: udata's exports do not)."""
    request = search_request(conn, query, Visibility(everything=True))
    return replace(request, filters=replace(request.filters, private=False, deleted=False, archived=None))


def in_order(conn: Connection, dataset_ids: tuple[str, ...] | list[str]) -> list[Dataset]:
    """The datasets of these ids, in the same order; one gone meanwhile is left out."""
    found = db_datasets.fetch_by_ids(conn, dataset_ids)
    return [found[dataset_id] for dataset_id in dataset_ids if dataset_id in found]


def found(catalog: Catalog, conn: Connection, request: SearchRequest) -> tuple[list[Dataset], int]:
    """The datasets the request finds, in the index's order, and how many there are in all; one
    hidden since the index answered (its row read afresh) is left out, as a page leaves it out."""
    hits = indexing.search(catalog, request, conn)
    return [d for d in in_order(conn, hits.ids) if may_see(request.visibility, d)], hits.total


def _page_rows(
    catalog: Catalog, conn: Connection, request: SearchRequest, hits: SearchHits, empty_past_end: bool = False
) -> list[Dataset]:
    """The datasets of the index's page, in its order; past the last page (but the first) is
    ``NotFound``, or an empty page with ``empty_past_end`` (udata's search service).

    On SQLite the index may be newer than this read (another process caught it up to datasets
    committed after the read began): their rows are read again in a new snapshot, so that the
    page holds what its total counts."""
    found = db_datasets.fetch_by_ids(conn, hits.ids)
    if len(found) < len(hits.ids):
        catalog.db.renew_snapshot(conn)
        found |= db_datasets.fetch_by_ids(conn, [i for i in hits.ids if i not in found])
    # The rows may be newer than the index's answer (PostgreSQL reads each statement afresh):
    # one hidden since is left out rather than shown to a caller who may no longer see it.
    datasets = [
        found[dataset_id]
        for dataset_id in hits.ids
        if dataset_id in found and may_see(request.visibility, found[dataset_id])
    ]
    if not datasets and request.offset > 0 and not empty_past_end:
        raise NotFound()
    return datasets


def datasets_page(catalog: Catalog, conn: Connection, request: SearchRequest) -> tuple[list[Dataset], int]:
    """One page of datasets and the total; past the last page (but the first) is ``NotFound``."""
    datasets, hits = settled_page(catalog, conn, request, indexing.search(catalog, request, conn))
    return datasets, _total(hits, datasets)


# How many times a page is asked again when some of its datasets were deleted or hidden between
# the index's answer and the read of their rows (PostgreSQL reads each statement afresh).
SETTLE_ATTEMPTS = 2


def settled_page(
    catalog: Catalog, conn: Connection, request: SearchRequest, hits: SearchHits, empty_past_end: bool = False
) -> tuple[list[Dataset], SearchHits]:
    """The page's datasets and the hits they come from. A page short of datasets that changed
    since the index answered is asked again of the index, caught up past that change, unless it
    is the last one: a short page in the middle (its total saying more follow) looked like the
    end to clients that stop at the first page shorter than the page size."""
    datasets = _page_rows(catalog, conn, request, hits, empty_past_end)
    for _ in range(SETTLE_ATTEMPTS):
        if len(datasets) == len(hits.ids) or hits.total <= request.offset + len(hits.ids):
            break
        hits = indexing.search(catalog, request, conn)
        datasets = _page_rows(catalog, conn, request, hits, empty_past_end)
    return datasets, hits


def _total(hits: SearchHits, shown: list[Dataset]) -> int:
    """The index's total, less the page's datasets deleted or hidden since it answered: a page
    never shows fewer datasets than its total counts (a single page of 4 counted with 1 shown,
    under concurrent deletes)."""
    return hits.total - (len(hits.ids) - len(shown))


def views_page(
    catalog: Catalog, conn: Connection, query: DatasetQuery, request: SearchRequest, with_community: bool
) -> Page[DatasetView]:
    datasets, hits = settled_page(catalog, conn, request, indexing.search(catalog, request, conn))
    return Page(assemble(conn, datasets, with_community), _total(hits, datasets), query.page, query.page_size)


def views_of(
    catalog: Catalog,
    conn: Connection,
    query: DatasetQuery,
    request: SearchRequest,
    hits: SearchHits,
    with_community: bool,
    empty_past_end: bool = False,
) -> Page[DatasetView]:
    """The page of ``hits``, the index's answer to ``request`` (for a caller that searched the
    index itself: the v2 search and the pages' with their facets), settled as ``views_page``'s,
    with what each dataset's view needs."""
    datasets, hits = settled_page(catalog, conn, request, hits, empty_past_end)
    return Page(assemble(conn, datasets, with_community), _total(hits, datasets), query.page, query.page_size)


def all_ids(catalog: Catalog, conn: Connection, request: SearchRequest) -> tuple[str, ...]:
    """Every id the request matches, in its order (about 80 bytes each): for streamed exports."""
    total = indexing.search(catalog, replace(request, offset=0, limit=1), conn).total
    return indexing.search(catalog, replace(request, offset=0, limit=max(total, 1)), conn).ids
