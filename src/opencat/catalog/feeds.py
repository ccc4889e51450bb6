"""The feed of recent datasets (udata-behaviour §1.7)."""

from dataclasses import dataclass
from datetime import datetime

from opencat.catalog import search as catalog_search
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import check_visibility_filters, search_filters
from opencat.catalog.views import DatasetView, assemble
from opencat.db import datasets as db_datasets
from opencat.domain.accounts import Actor
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchRequest, Visibility, words_of

FEED_SIZE = 20
BATCH = 100  # candidates read at a time, newest first
# A burst of young datasets from uncertified publishers is skipped batch by batch, up to this many.
MAX_CANDIDATES = 5_000
CERTIFIED = "certified"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    view: DatasetView
    appears_at: datetime


def recent(catalog: Catalog, actor: Actor, query: DatasetQuery) -> list[FeedEntry]:
    """Public datasets only; those not published by a certified organization wait ``feed_delay``.
    The visibility filters are checked as the list checks them, then ignored."""
    check_visibility_filters(actor, query)
    by_update = (query.sort or "").lstrip("-") == "last_update"
    with catalog.db.read() as conn:
        filters = search_filters(conn, query, public=True)
    now = catalog.clock()
    entries: list[FeedEntry] = []
    for offset in range(0, MAX_CANDIDATES, BATCH):
        request = SearchRequest(
            words=words_of(query.q),
            filters=filters,
            visibility=Visibility(),
            sort="-last_update" if by_update else "-created",
            offset=offset,
            limit=BATCH,
        )
        hits = catalog_search.search(catalog, request)
        with catalog.db.read() as conn:
            found = db_datasets.fetch_by_ids(conn, hits.ids)
            views = assemble(conn, [found[i] for i in hits.ids if i in found])
        oldest = None
        for view in views:
            oldest = view.last_update(now) if by_update else view.dataset.created_at
            certified = view.organization is not None and CERTIFIED in view.organization.badges
            appears = oldest if certified else oldest + catalog.feed_delay
            if appears <= now:
                entries.append(FeedEntry(view, appears))
        entries.sort(key=lambda entry: entry.appears_at, reverse=True)
        del entries[FEED_SIZE:]
        if len(hits.ids) < BATCH or oldest is None:
            break
        # Later candidates are older: the latest any of them can appear is its date plus the delay.
        if len(entries) == FEED_SIZE and oldest + catalog.feed_delay <= entries[-1].appears_at:
            break
    return entries
