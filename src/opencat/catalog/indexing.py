"""Keeping this machine's search index in step with the database, and asking it questions."""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db import geozones as db_geozones
from opencat.db import outbox
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.domain.accounts import Organization
from opencat.domain.datasets import Dataset, IndexedResource, Resource
from opencat.domain.errors import Reason, Unavailable
from opencat.domain.format_families import format_families
from opencat.domain.references import NOT_SPECIFIED
from opencat.domain.search import SearchDocument, SearchHits, SearchRequest, changes_matter, producer_types
from opencat.domain.spatial import referential_zone_id, with_ancestors
from opencat.search.index import Batch, SearchIndex

logger = logging.getLogger("opencat.search")
BATCH = 2000
# A listing that finds another process holding the index writer, or that knows an index keeper
# runs (opencat.index_keeper), waits this long for it to apply the changes the listing must see,
# polling, before queueing to take the writer over.
WAIT_FOR_HOLDER_SECONDS = 1.0
HOLDER_POLL_SECONDS = 0.003
RESOURCE_TITLES_LIMIT = 10_000
# A listing reads what the index's unapplied changes were for up to this many of them (more: it
# waits for the index, as it would have to read more than the keeper's batch costs).
UNSEEN_LIMIT = 64
# The change log is pruned this many entries per write transaction (SQLite's writers wait meanwhile).
PRUNE_BATCH = 20_000


def sync(catalog: Catalog, conn: Connection | None = None) -> None:
    """Replay the outbox past what the index has applied (a no-op in the common case).

    ``conn`` is the caller's connection (or one of its own): it reads where the outbox's head is.
    One thread per machine replays at a time, on a connection outside the request pool, so a
    burst of listings right after writes never drains the pool waiting for a connection to catch
    up with; the other threads wait for it, then find the index caught up."""
    if conn is None:
        with catalog.db.read() as own:
            _catch_up(catalog, own)
    else:
        _catch_up(catalog, conn)


def keep_up(catalog: Catalog) -> None:
    """What opencat.index_keeper does in a loop (it keeps the writer: ``SearchIndex.keep_writer``):
    apply what other processes wrote, so that their listings find it applied. Reads on the side
    connection: never one of the request pool's."""
    with catalog.db.side_read() as side:
        head = outbox.head(side)
    if not rebuilt_if_ahead(catalog, head):
        _replay(catalog, head)


def rebuilt_if_ahead(catalog: Catalog, head: int | None = None) -> bool:
    """Rebuild this machine's index when it applied changes the database's log does not hold:
    the database was restored from a dump (``pg_restore``) or replaced under it. Its new writes
    would take sequence numbers the index counts as applied, and never be indexed; the datasets
    of the dump's future would stay listed. ``head``: the log's head as the caller last read it
    (the index not past it: nothing more is read); the head that decides is read on a fresh
    connection after the index's mark (a request's older snapshot, or a commit of the index
    between two reads, may look behind the index without anything being wrong)."""
    applied = catalog.search.current_seq()
    if applied <= (head if head is not None else -1):
        return False
    # Read after the index's mark (the head only grows): a commit in between is not "ahead".
    with catalog.db.side_read() as side:
        head = outbox.head(side)
        if applied <= head and not _another_history(catalog, side, applied):
            return False
    logger.warning(
        "the search index applied change %d but the database's log ends at %d, or holds another "
        "change there (a restored database?): rebuilding the index",
        applied,
        head,
    )
    rebuild(catalog)
    return True


def _another_history(catalog: Catalog, conn: Connection, applied: int) -> bool:
    """Whether the log's entry at the index's mark is another change than the one the index
    applied: the database was restored while this node was stopped, and another node's writes
    took the log back past the mark (its length alone looked caught up)."""
    recorded = catalog.search.applied_id()
    if applied <= 0 or recorded is None:
        return False
    found = outbox.dataset_at(conn, applied)
    if found is None:
        oldest = outbox.bounds(conn)[1]
        if oldest is not None and oldest > applied:
            return False  # pruned, not another history: the catch-up refills the index, saying so
    return found != recorded


def _catch_up(catalog: Catalog, conn: Connection, request: SearchRequest | None = None) -> None:
    """``request``: the search to answer, which need not wait for changes it cannot see."""
    head = outbox.head(conn)
    _replay(catalog, head, None if request is None else lambda: _unseen(catalog, conn, request, head))


def _unseen(catalog: Catalog, conn: Connection, request: SearchRequest, head: int) -> bool:
    """Whether the log's entries this process's index has not loaded (a few, at most
    ``UNSEEN_LIMIT``) all name what they changed, and the request reads none of it: the index
    as loaded gives the same datasets, order and total as it would once caught up (the rows
    rendered are read from the database). A follow, a resource added or changed, the most
    frequent writes, then do not make every listing wait for an index commit."""
    loaded = catalog.search.loaded_seq
    if not 0 <= loaded < head or head - loaded > UNSEEN_LIMIT:
        return False
    return not changes_matter(request, outbox.aspects_between(conn, loaded, head))


def _replay(catalog: Catalog, wanted: int, unseen: Callable[[], bool] | None = None) -> None:
    index = catalog.search
    try:
        if index.reached(wanted) or (unseen is not None and unseen()):
            return
        if (index.keeper_expected or index.held_elsewhere()) and _applied_elsewhere(index, wanted):
            return
        _apply(catalog, index)
    except OSError as error:  # a 503 that says what is wrong, not a 500 with a traceback
        logger.error("the search index cannot be written: %s", error)
        raise Unavailable(Reason.SEARCH_INDEX_UNAVAILABLE) from error


def _apply(catalog: Catalog, index: SearchIndex) -> None:
    # The replay reads on a connection of its own: the requests queued behind this one hold theirs.
    with index.writing() as batch, catalog.db.side_read() as side:
        # Up to the outbox's head now, not as this request's snapshot saw it: the writes that
        # landed while it waited go into the same commit, which answers every listing queued.
        head, oldest = outbox.bounds(side)  # one statement: a round trip on PostgreSQL
        if batch.reached < 0 or _pruned_past(oldest, batch.reached):
            # A new or reset index, or one whose next entries were pruned from the log (its node
            # was stopped longer than the log is kept): filled from the datasets' rows, read after
            # the head (replaying the whole log cost a new node as many documents as it holds
            # entries, not datasets).
            batch.clear()
            _put_every_dataset(catalog, side, batch)
            batch.reached, batch.reached_id = head, outbox.dataset_at(side, head)
        while batch.reached < head:
            changes = outbox.changes_since(side, batch.reached, BATCH)
            if not changes:
                break
            # Entries of no dataset (``outbox.ELSEWHERE``) are for the kept answers: none here.
            ids = sorted({dataset_id for _, dataset_id in changes if dataset_id != outbox.ELSEWHERE})
            found = {doc.id: doc for doc in documents(side, ids, catalog)}
            for dataset_id in ids:
                if dataset_id in found:
                    batch.put(found[dataset_id])
                else:
                    batch.remove(dataset_id)
            batch.reach(*changes[-1])


def _pruned_past(oldest: int | None, reached: int) -> bool:
    """Whether entries after the one an index reached are gone from the log (pruned:
    ``prune_change_log``): replaying what is left would miss them. An index that reached 0 (built
    on an empty log) counts too; a sequence gap right after its mark (PostgreSQL's numbers of a
    transaction rolled back) may make it refill once for nothing."""
    if reached < 0 or oldest is None or oldest <= reached + 1:
        return False
    logger.warning(
        "the search index reached change %d, but the log now starts at %d (pruned): refilling it",
        reached,
        oldest,
    )
    return True


def prune_change_log(catalog: Catalog) -> int:
    """Forget the log's entries older than its last ``catalog.change_log_keep``, a batch per
    write transaction (a long one would hold the writers up); returns how many went. An index
    behind what is left is refilled from the datasets' rows when it next catches up
    (``_pruned_past``), and a kept answer made before them is made again."""
    pruned = 0
    while True:
        with catalog.db.write() as conn:
            count = outbox.prune(conn, catalog.change_log_keep, PRUNE_BATCH)
        pruned += count
        if count < PRUNE_BATCH:
            return pruned


def _applied_elsewhere(index: SearchIndex, wanted: int) -> bool:
    """Whether the process holding the writer (it keeps the index up) applies ``wanted`` soon:
    waiting for that costs less than taking the writer over from it."""
    index.ask_for_changes()
    deadline = time.monotonic() + WAIT_FOR_HOLDER_SECONDS
    while time.monotonic() < deadline:
        time.sleep(HOLDER_POLL_SECONDS)
        if index.reached(wanted):
            return True
    return False


def index_state(catalog: Catalog) -> tuple[int, int, int]:
    """Where this machine's index is: the outbox change it reached (-1: never built), the
    outbox's head, and how many documents it holds."""
    with catalog.db.read() as conn:
        head = outbox.head(conn)
    return catalog.search.current_seq(), head, catalog.search.count()


def rebuild(catalog: Catalog, progress: Callable[[int, int], None] | None = None) -> int:
    """Empty this machine's index and fill it again from every dataset row; returns how many.

    The outbox's head is read first: a write landing during the rebuild is replayed after it
    (putting a document twice is harmless), so the index ends caught up either way."""
    with catalog.search.writing() as batch, catalog.db.side_read() as conn:
        head = outbox.head(conn)
        batch.clear()
        count = _put_every_dataset(catalog, conn, batch, progress)
        # Set, not reached: after a restore the log's head may be behind what the index held.
        batch.reached, batch.reached_id = head, outbox.dataset_at(conn, head)
    if progress is not None and count == 0:
        progress(0, 0)
    sync(catalog)
    return count


def _put_every_dataset(
    catalog: Catalog, conn: Connection, batch: Batch, progress: Callable[[int, int], None] | None = None
) -> int:
    """Put every dataset row's document into the batch, ``BATCH`` at a time; returns how many."""
    count = 0
    total = db_datasets.count_all(conn)
    after = ""
    while ids := db_datasets.ids_after(conn, after, BATCH):
        for doc in documents(conn, ids, catalog):
            batch.put(doc)
        count += len(ids)
        after = ids[-1]
        if progress is not None:
            progress(count, max(total, count))
    return count


def documents(conn: Connection, dataset_ids: Sequence[str], catalog: Catalog) -> list[SearchDocument]:
    """Search documents for these datasets, in a bounded number of queries."""
    datasets = db_datasets.fetch_by_ids(conn, dataset_ids)
    resources = db_resources.fetch_indexed_for_datasets(conn, list(datasets))
    organizations = db_accounts.fetch_organizations(
        conn, (d.organization_id for d in datasets.values() if d.organization_id)
    )
    # A dataset also answers for the ancestors of its zones: a département filter finds its communes.
    stored = {
        zone: referential_zone_id(zone) for d in datasets.values() if d.spatial for zone in d.spatial.zones
    }
    found = db_geozones.fetch_zones_ignoring_case(conn, set(stored.values()))
    known = {zone: found[name] for zone, name in stored.items() if name in found}
    # Its own zones, in both spellings, without ancestors: for ``include_geozone_ancestors`` (API v2).
    alone = {zone: replace(referential, ancestors=()) for zone, referential in known.items()}
    now = catalog.clock()
    found_documents = []
    for dataset in datasets.values():
        try:
            document = search_document(
                dataset, resources[dataset.id], organizations.get(dataset.organization_id or ""), now
            )
        except Exception:  # one broken record must not stop every listing: it stays out of search
            logger.exception("Dataset %s could not be indexed", dataset.id)
            continue
        found_documents.append(
            replace(
                document,
                zones=with_ancestors(document.zones, known),
                own_zones=with_ancestors(document.zones, alone),
            )
        )
    return found_documents


def search_document(
    dataset: Dataset,
    resources: Sequence[Resource] | Sequence[IndexedResource],
    org: Organization | None,
    now: datetime,
) -> SearchDocument:
    """One dataset's search document, its zones as stored (``documents`` adds their ancestors)."""
    schemas = [r.schema for r in resources if isinstance(r.schema, dict) and r.schema.get("name")]
    coverage = dataset.temporal_coverage
    spatial = dataset.spatial
    metrics = dataset.metrics
    # None: no organization publishes it (an organization gone missing counts as one without badges)
    publisher_badges = (org.badges if org else ()) if dataset.organization_id else None
    return SearchDocument(
        id=dataset.id,
        title=dataset.title,
        acronym=dataset.acronym or "",
        description=dataset.description,
        resource_titles=" ".join(resource.title or "" for resource in resources)[:RESOURCE_TITLES_LIMIT],
        tags=dataset.tags,
        organization_name=" ".join(filter(None, [org.name, org.acronym])) if org else "",
        owner=dataset.owner_id,
        organization=dataset.organization_id,
        private=dataset.private,
        deleted=dataset.deleted is not None,
        archived=dataset.archived is not None,
        featured=dataset.featured,
        license=dataset.license or NOT_SPECIFIED,  # as the API shows it: its filter finds it
        badges=tuple(badge.kind for badge in dataset.badges),
        organization_badges=org.badges if org else (),
        organization_title=org.name if org else None,
        producer_types=producer_types(publisher_badges, dataset.owner_id is not None),
        formats=tuple(sorted({r.format for r in resources if r.format})),
        format_families=format_families(r.format for r in resources),
        schemas=tuple(sorted({str(s["name"]) for s in schemas})),
        schema_versions=tuple(sorted({str(s["version"]) for s in schemas if s.get("version")})),
        zones=tuple(spatial.zones) if spatial else (),
        own_zones=tuple(spatial.zones) if spatial else (),
        granularity=spatial.granularity if spatial else None,
        access_type=dataset.access_type,
        temporal_start=coverage.start if coverage else None,
        temporal_end=coverage.end if coverage else None,
        created=dataset.created_at_internal,
        last_update=dataset.last_update(resources, now),
        reuses=int(metrics.get("reuses") or 0),
        followers=dataset.followers,
        views=int(metrics.get("views") or 0),
    )


def search(catalog: Catalog, request: SearchRequest, conn: Connection | None = None) -> SearchHits:
    """The request's page, the index caught up with the changes the request can see."""
    if conn is None:
        with catalog.db.read() as own:
            _catch_up(catalog, own, request)
    else:
        _catch_up(catalog, conn, request)
    return catalog.search.search(request)
