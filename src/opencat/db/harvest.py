"""Harvest rows: sources, jobs and their items, the per-source records of incremental runs, and
the lease of the one running job per source."""

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db import slugs as db_slugs
from opencat.db.bulk import insert_rows
from opencat.db.outbox import mark_changed
from opencat.db.tables import (
    dataset_tags,
    datasets,
    harvest_items,
    harvest_jobs,
    harvest_leases,
    harvest_pages,
    harvest_records,
    harvest_sources,
    resources,
)
from opencat.db.text import lowered
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.errors import Conflict, Reason
from opencat.domain.harvest_jobs import (
    Counts,
    HarvestJob,
    HarvestSource,
    ItemStatus,
    ItemTally,
    JobItem,
    JobStatus,
    Lease,
    Record,
    StoredPage,
)
from opencat.domain.ids import is_object_id
from opencat.domain.slugs import slugify

# --- sources -----------------------------------------------------------------------------------


def _source_columns(source: HarvestSource) -> dict[str, Any]:
    values = asdict(source)
    values["config"] = dict(source.config)
    values["validation"] = dict(source.validation)
    values["validators"] = {url: dict(kept) for url, kept in source.validators.items()}
    return values


def _source(row: Any) -> HarvestSource:
    return HarvestSource(**row._mapping)


def insert_source(conn: Connection, source: HarvestSource) -> None:
    try:
        with conn.begin_nested():
            conn.execute(harvest_sources.insert().values(**_source_columns(source)))
    except sa.exc.IntegrityError as error:  # a slug taken meanwhile (its choice is locked: rare)
        raise Conflict(Reason.HARVEST_SLUG_TAKEN) from error


def update_source(conn: Connection, source: HarvestSource) -> None:
    values = _source_columns(source)
    del values["id"]
    try:
        with conn.begin_nested():
            conn.execute(harvest_sources.update().where(harvest_sources.c.id == source.id).values(**values))
    except sa.exc.IntegrityError as error:
        raise Conflict(Reason.HARVEST_SLUG_TAKEN) from error


def find_source(conn: Connection, ident: str) -> HarvestSource | None:
    """The source of this id (any case), else of this slug, or of the slug it spells once
    slugified (udata's route converter: the id first, then the slug)."""
    candidates = [(harvest_sources.c.id, ident.lower() if is_object_id(ident) else ident)]
    candidates.append((harvest_sources.c.slug, ident))
    if slugify(ident) != ident:
        candidates.append((harvest_sources.c.slug, slugify(ident)))
    for column, value in candidates:
        row = conn.execute(sa.select(harvest_sources).where(column == value)).first()
        if row is not None:
            return _source(row)
    return None


def source_slugs_taken(conn: Connection, base: str) -> set[str]:
    """What ``unique_slug`` needs to know to choose a source's slug (``db/slugs.py``)."""
    return db_slugs.slugs_taken(conn, harvest_sources.c.slug, base)


def list_sources(
    conn: Connection,
    *,
    owner_id: str | None = None,
    organization_id: str | None = None,
    with_deleted: bool = False,
    text: str | None = None,
) -> list[HarvestSource]:
    """Sources oldest first; ``text``: those whose name or description holds it, any case."""
    query = sa.select(harvest_sources).order_by(harvest_sources.c.created_at, harvest_sources.c.id)
    if text:
        wanted = text.lower()
        query = query.where(
            sa.or_(
                lowered(conn, harvest_sources.c.name, text).contains(wanted, autoescape=True),
                lowered(conn, sa.func.coalesce(harvest_sources.c.description, ""), text).contains(
                    wanted, autoescape=True
                ),
            )
        )
    if owner_id is not None:
        query = query.where(harvest_sources.c.owner_id == owner_id)
    if organization_id is not None:
        query = query.where(harvest_sources.c.organization_id == organization_id)
    if not with_deleted:
        query = query.where(harvest_sources.c.deleted.is_(None))
    return [_source(row) for row in conn.execute(query)]


def set_validators(conn: Connection, source_id: str, validators: dict[str, dict[str, str | None]]) -> None:
    conn.execute(
        harvest_sources.update().where(harvest_sources.c.id == source_id).values(validators=validators)
    )


# --- jobs and items ----------------------------------------------------------------------------


def _job_columns(job: HarvestJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "source_id": job.source_id,
        "status": str(job.status),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "ended_at": job.ended_at,
        "errors": [dict(error) for error in job.errors],
        **{f"items_{name}": value for name, value in asdict(job.counts).items()},
    }


def _job(row: Any) -> HarvestJob:
    return HarvestJob(
        id=row.id,
        source_id=row.source_id,
        status=JobStatus(row.status),
        created_at=row.created_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        errors=tuple(row.errors),
        counts=Counts(
            row.items_created, row.items_updated, row.items_unchanged, row.items_archived, row.items_failed
        ),
    )


def insert_job(conn: Connection, job: HarvestJob) -> None:
    conn.execute(harvest_jobs.insert().values(**_job_columns(job)))


def update_job(conn: Connection, job: HarvestJob) -> None:
    values = _job_columns(job)
    del values["id"]
    conn.execute(harvest_jobs.update().where(harvest_jobs.c.id == job.id).values(**values))


def find_job(conn: Connection, job_id: str) -> HarvestJob | None:
    row = conn.execute(sa.select(harvest_jobs).where(harvest_jobs.c.id == job_id)).first()
    return None if row is None else _job(row)


def jobs_of(conn: Connection, source_id: str, offset: int, limit: int) -> tuple[list[HarvestJob], int]:
    """A page of the source's jobs, newest first, and how many it has."""
    where = harvest_jobs.c.source_id == source_id
    total = conn.execute(sa.select(sa.func.count()).select_from(harvest_jobs).where(where)).scalar_one()
    query = (
        sa.select(harvest_jobs)
        .where(where)
        .order_by(harvest_jobs.c.created_at.desc(), harvest_jobs.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [_job(row) for row in conn.execute(query)], int(total)


def last_jobs(conn: Connection, source_ids: Sequence[str]) -> dict[str, HarvestJob]:
    """The newest job of each source that has one."""
    if not source_ids:
        return {}
    newest = (
        sa.select(harvest_jobs.c.source_id, sa.func.max(harvest_jobs.c.created_at).label("created_at"))
        .where(harvest_jobs.c.source_id.in_(list(source_ids)))
        .group_by(harvest_jobs.c.source_id)
        .subquery()
    )
    query = sa.select(harvest_jobs).join(
        newest,
        sa.and_(
            harvest_jobs.c.source_id == newest.c.source_id, harvest_jobs.c.created_at == newest.c.created_at
        ),
    )
    return {row.source_id: _job(row) for row in conn.execute(query)}


def _running() -> sa.ColumnElement[bool]:
    ended = [str(JobStatus.DONE), str(JobStatus.DONE_ERRORS), str(JobStatus.FAILED)]
    return harvest_jobs.c.status.not_in(ended)


def running_jobs(conn: Connection, source_id: str) -> list[HarvestJob]:
    query = sa.select(harvest_jobs).where(harvest_jobs.c.source_id == source_id, _running())
    return [_job(row) for row in conn.execute(query)]


def _unleased(job_id: sa.ColumnElement[str] | str) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(harvest_leases.c.job_id == job_id)


def unleased_jobs(conn: Connection) -> list[HarvestJob]:
    """Jobs of any source still marked running that hold no lease: their process lost it (taken
    over, or released after its last write failed) and will write nothing more. A job's lease is
    written with it, in the same transaction, and never given back to it once gone."""
    query = sa.select(harvest_jobs).where(_running(), _unleased(harvest_jobs.c.id))
    return [_job(row) for row in conn.execute(query)]


def update_running_job(conn: Connection, job: HarvestJob, *, unleased: bool = False) -> bool:
    """Write the job only while it is still running (``unleased``: and holds no lease); False when
    it ended meanwhile (another process ended it): nothing is written. Two processes ending the
    same job at once: one of them does."""
    values = _job_columns(job)
    del values["id"]
    condition = sa.and_(harvest_jobs.c.id == job.id, _running())
    if unleased:
        condition = sa.and_(condition, _unleased(job.id))
    return conn.execute(harvest_jobs.update().where(condition).values(**values)).rowcount == 1


def insert_items(conn: Connection, job_id: str, items: Sequence[JobItem]) -> None:
    if items:
        insert_rows(
            conn,
            harvest_items,
            [
                {
                    "job_id": job_id,
                    "remote_id": item.remote_id,
                    "dataset_id": item.dataset_id,
                    "status": str(item.status),
                    "created_at": item.created_at,
                    "error": item.error,
                    "excerpt": item.excerpt,
                }
                for item in items
            ],
        )


def items_of(
    conn: Connection,
    job_id: str,
    limit: int | None = None,
    offset: int = 0,
    statuses: Sequence[ItemStatus] | None = None,
) -> list[JobItem]:
    query = sa.select(harvest_items).where(_items_where(job_id, statuses)).order_by(harvest_items.c.seq)
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [
        JobItem(row.remote_id, ItemStatus(row.status), row.created_at, row.dataset_id, row.error, row.excerpt)
        for row in conn.execute(query)
    ]


def count_items(conn: Connection, job_id: str, statuses: Sequence[ItemStatus] | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(harvest_items).where(_items_where(job_id, statuses))
    return int(conn.execute(query).scalar_one())


def tally_items_of_jobs(conn: Connection, job_ids: Sequence[str]) -> dict[str, ItemTally]:
    """What items each of these jobs holds, in one statement (a job without items: absent)."""
    if not job_ids:
        return {}
    query = (
        sa.select(
            harvest_items.c.job_id,
            harvest_items.c.status,
            sa.func.count(),
            sa.func.count(harvest_items.c.dataset_id),
        )
        .where(harvest_items.c.job_id.in_(list(job_ids)))
        .group_by(harvest_items.c.job_id, harvest_items.c.status)
    )
    by_status: dict[str, dict[ItemStatus, int]] = {}
    with_dataset: dict[str, int] = {}
    for job_id, status, count, naming in conn.execute(query):
        by_status.setdefault(str(job_id), {})[ItemStatus(status)] = int(count)
        with_dataset[str(job_id)] = with_dataset.get(str(job_id), 0) + int(naming)
    return {job_id: ItemTally(counts, with_dataset[job_id]) for job_id, counts in by_status.items()}


def _items_where(job_id: str, statuses: Sequence[ItemStatus] | None) -> sa.ColumnElement[bool]:
    condition = harvest_items.c.job_id == job_id
    if statuses is not None:
        condition = sa.and_(condition, harvest_items.c.status.in_([str(status) for status in statuses]))
    return condition


def totals_by_source(conn: Connection) -> tuple[dict[str, Counts], dict[tuple[str, str], int]]:
    """What every source's jobs did, summed (items by result), and its jobs by status: the metrics."""
    columns = [
        harvest_jobs.c[f"items_{name}"] for name in ("created", "updated", "unchanged", "archived", "failed")
    ]
    items = conn.execute(
        sa.select(harvest_jobs.c.source_id, *(sa.func.sum(column) for column in columns)).group_by(
            harvest_jobs.c.source_id
        )
    )
    jobs = conn.execute(
        sa.select(harvest_jobs.c.source_id, harvest_jobs.c.status, sa.func.count()).group_by(
            harvest_jobs.c.source_id, harvest_jobs.c.status
        )
    )
    return (
        {row[0]: Counts(*(int(value or 0) for value in row[1:])) for row in items},
        {(row[0], row[1]): int(row[2]) for row in jobs},
    )


def insert_datasets(
    conn: Connection, entries: Sequence[tuple[Dataset, datetime, Sequence[Resource]]], now: datetime
) -> bool:
    """New datasets with their tags and resources, a few statements for a whole batch (what
    ``datasets.insert`` and ``resources.replace_all`` write one by one), and their search outbox
    entries. False, and nothing written, when a slug or id was taken meanwhile: the caller then
    writes them one by one."""
    if not entries:
        return True
    try:
        with conn.begin_nested():
            _insert_datasets(conn, entries, now)
    except sa.exc.IntegrityError:
        return False
    return True


def _insert_datasets(
    conn: Connection, entries: Sequence[tuple[Dataset, datetime, Sequence[Resource]]], now: datetime
) -> None:
    insert_rows(
        conn, datasets, [db_datasets.new_row(dataset, last_update) for dataset, last_update, _ in entries]
    )
    tags = [{"dataset_id": dataset.id, "tag": tag} for dataset, _, _ in entries for tag in dataset.tags]
    insert_rows(conn, dataset_tags, tags)
    rows = [
        db_resources.new_row(dataset.id, position, resource, now)
        for dataset, _, found in entries
        for position, resource in enumerate(found)
    ]
    insert_rows(conn, resources, rows)
    mark_changed(conn, [dataset.id for dataset, _, _ in entries])


# --- records of incremental runs ----------------------------------------------------------------

# SQLite's bound-parameter limit, with room for the other parameters of a statement.
_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def records_of(conn: Connection, source_id: str) -> dict[str, Record]:
    """Every record of the source (the preview's; a run reads its records batch by batch)."""
    query = sa.select(
        harvest_records.c.remote_id, harvest_records.c.dataset_id, harvest_records.c.fingerprint
    )
    rows = conn.execute(query.where(harvest_records.c.source_id == source_id))
    return {row.remote_id: Record(*row) for row in rows}


def records_for(
    conn: Connection, source_id: str, remote_ids: Iterable[str], job_id: str | None = None
) -> tuple[dict[str, Record], set[str]]:
    """The source's records of these remote ids, and those of them the job ``job_id`` saw."""
    found: dict[str, Record] = {}
    seen: set[str] = set()
    columns = (
        harvest_records.c.remote_id,
        harvest_records.c.dataset_id,
        harvest_records.c.fingerprint,
        harvest_records.c.seen_by,
    )
    for chunk in _chunks(sorted(set(remote_ids))):
        rows = conn.execute(
            sa.select(*columns).where(
                harvest_records.c.source_id == source_id, harvest_records.c.remote_id.in_(chunk)
            )
        )
        for remote_id, dataset_id, fingerprint, seen_by in rows:
            found[remote_id] = Record(remote_id, dataset_id, fingerprint)
            if job_id is not None and seen_by == job_id:
                seen.add(remote_id)
    return found, seen


def put_records(
    conn: Connection,
    source_id: str,
    records: Sequence[Record],
    seen_by: str,
    replacing: Iterable[str] | None = None,
) -> None:
    """Store ``records`` as seen by the job ``seen_by``, replacing what the source had for their
    remote ids (only for those of ``replacing`` when given: the caller knows the others have none)."""
    if not records:
        return
    forget_records(conn, source_id, [r.remote_id for r in records] if replacing is None else replacing)
    insert_rows(
        conn,
        harvest_records,
        [
            {
                "source_id": source_id,
                "remote_id": record.remote_id,
                "dataset_id": record.dataset_id,
                "fingerprint": record.fingerprint,
                "seen_by": seen_by,
            }
            for record in records
        ],
    )


def mark_seen(conn: Connection, source_id: str, remote_ids: Iterable[str], job_id: str) -> None:
    """The job saw these remote ids (unchanged, or unreadable this time): not gone."""
    for chunk in _chunks(sorted(set(remote_ids))):
        conn.execute(
            harvest_records.update()
            .where(harvest_records.c.source_id == source_id, harvest_records.c.remote_id.in_(chunk))
            .values(seen_by=job_id)
        )


def unseen_records(
    conn: Connection, source_id: str, job_id: str, gone: str, after: str, limit: int, retired: bool = False
) -> list[Record]:
    """The next ``limit`` records past ``after`` (by remote id) that the job did not see and that
    are not ``gone`` already (``retired``: that are)."""
    fingerprint = harvest_records.c.fingerprint
    query = (
        sa.select(harvest_records.c.remote_id, harvest_records.c.dataset_id, harvest_records.c.fingerprint)
        .where(
            harvest_records.c.source_id == source_id,
            harvest_records.c.remote_id > after,
            fingerprint == gone if retired else fingerprint != gone,
            sa.or_(harvest_records.c.seen_by.is_(None), harvest_records.c.seen_by != job_id),
        )
        .order_by(harvest_records.c.remote_id)
        .limit(limit)
    )
    return [Record(*row) for row in conn.execute(query)]


def count_records(conn: Connection, source_id: str, gone: str) -> int:
    """How many of the source's records are not ``gone``."""
    query = sa.select(sa.func.count()).where(
        harvest_records.c.source_id == source_id, harvest_records.c.fingerprint != gone
    )
    return int(conn.execute(query).scalar_one())


def refresh_record_statistics(conn: Connection) -> None:
    """Have PostgreSQL's planner learn the records' table again: a run grows it by orders of
    magnitude, and with stale statistics (autovacuum off or behind) the planner scans all of a
    source's records for each batch's lookup instead of probing the key (1.4 s a lookup at
    95,000 records, measured). SQLite's planner probes the key whatever it knows."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE harvest_records"))


def forget_records(conn: Connection, source_id: str, remote_ids: Iterable[str]) -> None:
    for chunk in _chunks(list(remote_ids)):
        conn.execute(
            harvest_records.delete().where(
                harvest_records.c.source_id == source_id, harvest_records.c.remote_id.in_(chunk)
            )
        )


# --- pages runs read ------------------------------------------------------------------------------


_PAGE_COLUMNS = (
    harvest_pages.c.digest,
    harvest_pages.c.next_url,
    harvest_pages.c.entries,
    harvest_pages.c.url,
    harvest_pages.c.context,
    harvest_pages.c.etag,
    harvest_pages.c.last_modified,
)


def _page(row: Any) -> StoredPage:
    entries = tuple((str(rid), str(fp)) for rid, fp in row.entries)
    return StoredPage(row.next_url, entries, row.url, row.context, row.etag, row.last_modified)


def pages_of(conn: Connection, source_id: str) -> dict[str, StoredPage]:
    """The pages kept for the source, by digest."""
    rows = conn.execute(sa.select(*_PAGE_COLUMNS).where(harvest_pages.c.source_id == source_id))
    return {row.digest: _page(row) for row in rows}


def find_page(conn: Connection, source_id: str, digest: str) -> StoredPage | None:
    row = conn.execute(
        sa.select(*_PAGE_COLUMNS).where(
            harvest_pages.c.source_id == source_id, harvest_pages.c.digest == digest
        )
    ).first()
    return None if row is None else _page(row)


def find_page_at(conn: Connection, source_id: str, url: str) -> tuple[str, StoredPage] | None:
    """The page last read from ``url``, with its digest."""
    row = conn.execute(
        sa.select(*_PAGE_COLUMNS).where(harvest_pages.c.source_id == source_id, harvest_pages.c.url == url)
    ).first()
    return None if row is None else (row.digest, _page(row))


def page_validators(conn: Connection, source_id: str) -> dict[str, tuple[str | None, str | None]]:
    """Address -> (ETag, Last-Modified) of the source's kept pages whose answer carried either."""
    rows = conn.execute(
        sa.select(harvest_pages.c.url, harvest_pages.c.etag, harvest_pages.c.last_modified).where(
            harvest_pages.c.source_id == source_id,
            harvest_pages.c.url.is_not(None),
            sa.or_(harvest_pages.c.etag.is_not(None), harvest_pages.c.last_modified.is_not(None)),
        )
    )
    return {row.url: (row.etag, row.last_modified) for row in rows}


def put_page(conn: Connection, source_id: str, digest: str, page: StoredPage, seen_by: str) -> None:
    """Keep the page a job read, in place of any page of the same digest or address."""
    same = harvest_pages.c.digest == digest
    if page.url is not None:
        same = sa.or_(same, harvest_pages.c.url == page.url)
    conn.execute(harvest_pages.delete().where(harvest_pages.c.source_id == source_id, same))
    conn.execute(
        harvest_pages.insert().values(
            source_id=source_id,
            digest=digest,
            next_url=page.next_url,
            entries=[list(entry) for entry in page.entries],
            seen_by=seen_by,
            url=page.url,
            context=page.context,
            etag=page.etag,
            last_modified=page.last_modified,
        )
    )


def mark_page_seen(
    conn: Connection,
    source_id: str,
    digest: str,
    job_id: str,
    fetched: tuple[str | None, str | None, str | None, str | None] | None = None,
) -> None:
    """The job skipped this page; ``fetched``: its address, context and validators as the job
    fetched it whole (kept in place of any other page of that address)."""
    values: dict[str, Any] = {"seen_by": job_id}
    if fetched is not None:
        url, context, etag, last_modified = fetched
        values.update(url=url, context=context, etag=etag, last_modified=last_modified)
        if url is not None:
            conn.execute(
                harvest_pages.delete().where(
                    harvest_pages.c.source_id == source_id,
                    harvest_pages.c.url == url,
                    harvest_pages.c.digest != digest,
                )
            )
    conn.execute(
        harvest_pages.update()
        .where(harvest_pages.c.source_id == source_id, harvest_pages.c.digest == digest)
        .values(**values)
    )


def forget_unseen_pages(conn: Connection, source_id: str, job_id: str) -> None:
    """Forget the source's pages the job neither read nor skipped (after its complete run)."""
    conn.execute(
        harvest_pages.delete().where(
            harvest_pages.c.source_id == source_id,
            sa.or_(harvest_pages.c.seen_by.is_(None), harvest_pages.c.seen_by != job_id),
        )
    )


# --- the lease of the running job ---------------------------------------------------------------


def find_lease(conn: Connection, source_id: str) -> Lease | None:
    row = conn.execute(sa.select(harvest_leases).where(harvest_leases.c.source_id == source_id)).first()
    return None if row is None else Lease(**row._mapping)


def take_lease(conn: Connection, lease: Lease, stale_before: datetime) -> tuple[bool, Lease | None]:
    """Take the source's lease for ``lease``'s job: ``(True, None)`` when it was free, ``(True,
    previous)`` when its holder stopped heartbeating before ``stale_before`` (the caller ends that
    holder's job), ``(False, holder)`` when a live holder keeps it. Concurrent takers queue on the
    row lock; one wins."""
    values = asdict(lease)
    for _ in range(2):  # a second time when the row went (released, or dropped as stale) meanwhile
        try:
            with conn.begin_nested():
                conn.execute(harvest_leases.insert().values(**values))
            return True, None
        except sa.exc.IntegrityError:
            pass
        previous = find_lease(conn, lease.source_id)
        taken = conn.execute(
            harvest_leases.update()
            .where(
                harvest_leases.c.source_id == lease.source_id, harvest_leases.c.heartbeat_at < stale_before
            )
            .values(**{key: value for key, value in values.items() if key != "source_id"})
        )
        if taken.rowcount == 1:
            return True, previous
        holder = find_lease(conn, lease.source_id)
        if holder is not None:
            return False, holder
    return False, None


def stale_leases(conn: Connection, stale_before: datetime) -> list[Lease]:
    """Every source's lease whose holder stopped heartbeating before ``stale_before``."""
    query = sa.select(harvest_leases).where(harvest_leases.c.heartbeat_at < stale_before)
    return [Lease(**row._mapping) for row in conn.execute(query)]


def drop_stale_lease(conn: Connection, lease: Lease, stale_before: datetime) -> bool:
    """Delete this lease if it is still that job's and still stale; False when it was refreshed,
    taken over or dropped meanwhile (by another node: one of them drops it)."""
    dropped = conn.execute(
        harvest_leases.delete().where(
            harvest_leases.c.source_id == lease.source_id,
            harvest_leases.c.job_id == lease.job_id,
            harvest_leases.c.heartbeat_at < stale_before,
        )
    )
    return dropped.rowcount == 1


def heartbeat(conn: Connection, source_id: str, job_id: str, now: datetime) -> bool:
    """Refresh the lease; False when it is no longer this job's (taken over), or when its source
    was deleted meanwhile (the run stops: a deleted source's job went on fetching)."""
    live = sa.select(harvest_sources.c.id).where(
        harvest_sources.c.id == source_id, harvest_sources.c.deleted.is_(None)
    )
    beat = conn.execute(
        harvest_leases.update()
        .where(harvest_leases.c.source_id == source_id, harvest_leases.c.job_id == job_id, sa.exists(live))
        .values(heartbeat_at=now)
    )
    return beat.rowcount == 1


def release_lease(conn: Connection, source_id: str, job_id: str) -> None:
    conn.execute(
        harvest_leases.delete().where(
            harvest_leases.c.source_id == source_id, harvest_leases.c.job_id == job_id
        )
    )
