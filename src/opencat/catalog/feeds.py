"""The feed of recent datasets (udata: udata/core/dataset/api.py, RecentDatasetsAtomFeed)."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from opencat.catalog import listing
from opencat.catalog.access import check_visibility_filters
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView, assemble
from opencat.domain.accounts import Actor
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import Visibility

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
    newest_first = replace(query, sort="-last_update" if by_update else "-created", page=1, page_size=BATCH)
    with catalog.db.read() as conn:
        first = listing.search_request(conn, newest_first, Visibility(), public=True)
    now = catalog.clock()
    entries: list[FeedEntry] = []
    for offset in range(0, MAX_CANDIDATES, BATCH):
        with catalog.db.read() as conn:
            datasets, total = listing.found(catalog, conn, replace(first, offset=offset))
            views = assemble(conn, datasets)
        oldest = None
        for view in views:
            # The order the candidates are read in (udata's ``created_at_internal``): a harvested
            # dataset's remote creation date, which its ``created_at`` shows, is not when it came.
            oldest = view.last_update(now) if by_update else view.dataset.created_at_internal
            certified = view.organization is not None and CERTIFIED in view.organization.badges
            appears = oldest if certified else _later(oldest, catalog.feed_delay)
            if appears <= now:
                entries.append(FeedEntry(view, appears))
        entries.sort(key=lambda entry: entry.appears_at, reverse=True)
        del entries[FEED_SIZE:]
        if offset + BATCH >= total or oldest is None:
            break
        # Later candidates are older: the latest any of them can appear is its date plus the delay.
        if len(entries) == FEED_SIZE and _later(oldest, catalog.feed_delay) <= entries[-1].appears_at:
            break
    return entries


def _later(moment: datetime, delay: timedelta) -> datetime:
    """``moment`` plus ``delay``, or the last moment there is: a date in year 9999 (a remote
    catalog's) overflowed, and the feed was a 500 for everyone while that dataset was public."""
    try:
        return moment + delay
    except OverflowError:
        return datetime.max.replace(tzinfo=moment.tzinfo)
