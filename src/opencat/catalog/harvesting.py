"""A harvest run: one job that reads a source through its backend and applies what it finds.

The job holds the source's lease (``harvest_lease``) while it runs. Entries stream from the backend
and are written in batches, one transaction each: an entry whose fingerprint equals the one the
source's record keeps is counted unchanged and not written; a new one creates a dataset, a
changed one updates it, through the same domain rules, history and search outbox as the API's
writes. Once the whole source was read, the datasets it no longer holds are archived
(``harvest.archived = "not-on-remote"``) or, with ``delete_gone``, deleted; a source that fails
half-way archives nothing.

A run's memory does not grow with the source: the records are read batch by batch, and what the
run saw (records and pages) is written to the database with each batch (``seen_by``), not kept.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from opencat.catalog import harvest_lease, history
from opencat.catalog.context import Catalog
from opencat.catalog.harvest_backends import BACKENDS
from opencat.catalog.harvest_contacts import ContactPoints
from opencat.catalog.harvest_mapping import (
    References,
    checked_fingerprint,
    dataset_fields,
    excerpt_of,
    mapping_context,
    new_dataset,
    resources_of,
    zone_ids,
)
from opencat.db import datasets as db_datasets
from opencat.db import harvest as db_harvest
from opencat.db import outbox as db_outbox
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.db.references import fetch_licenses
from opencat.domain.accounts import ANONYMOUS
from opencat.domain.datasets import Dataset, Resource, apply_changes
from opencat.domain.dates import iso
from opencat.domain.errors import CatalogError, NotFound, Reason
from opencat.domain.harvest import (
    DELAY_CONFIG,
    Backend,
    ConfirmsGone,
    HarvestSourceError,
    ItemFailure,
    KnownPage,
    PagedEntry,
    PageEnd,
    RemembersPages,
    RemoteDataset,
    SourceUnchanged,
)
from opencat.domain.harvest_jobs import (
    ARCHIVED_NOT_ON_REMOTE,
    Counts,
    HarvestJob,
    HarvestSource,
    ItemStatus,
    JobItem,
    JobStatus,
    Lease,
    Record,
    StoredPage,
)
from opencat.domain.history import DATASET_FIELDS, Activity, Key, created, dataset_diff
from opencat.domain.slugs import PAGE_WORDS, slug_candidates, slugify, unique_slug
from opencat.links.harvest_fetch import GuardedFetcher, HarvestPolicy, Validators

_log = logging.getLogger(__name__)

LISTED_TWICE = "the source lists this remote id more than once; the first entry was kept"

# The fingerprint a record keeps once its dataset was archived: whatever the source gives again
# differs from it, so a dataset back on the source is updated (and unarchived).
_GONE = "gone"


@dataclass(frozen=True)
class RunOptions:
    policy: HarvestPolicy = field(default_factory=HarvestPolicy)
    delete_gone: bool = False  # OPENCAT_HARVEST_DELETE_GONE: delete, not archive, what left the source
    batch_size: int = 500  # entries per transaction
    # OPENCAT_HARVEST_MAX_ITEMS (udata's HARVEST_MAX_ITEMS): a run reads no more entries than this.
    max_items: int | None = None
    heartbeat_every: float = 10.0  # seconds between two refreshes of the lease
    stale_after: timedelta = timedelta(seconds=60)  # a lease not refreshed for this long is taken over
    node: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    # Told each job's counts when it ends (the metrics).
    observe: Callable[[HarvestSource, HarvestJob], None] | None = None


def run_source(
    catalog: Catalog,
    source_id: str,
    options: RunOptions,
    backends: Mapping[str, Backend] = BACKENDS,
    scheduled_at: datetime | None = None,
) -> HarvestJob:
    """Run one job of the source now and return it ended (done, done-errors or failed).
    ``NotFound`` for an unknown source, ``Conflict`` when a live process runs one of its jobs."""
    source, job = start_job(catalog, source_id, options, scheduled_at)
    return run_job(catalog, source, job, options, backends)


def run_in_background(
    catalog: Catalog,
    source_id: str,
    options: RunOptions,
    backends: Mapping[str, Backend] = BACKENDS,
) -> HarvestJob:
    """Start a job now (``Conflict`` if one runs) and run it in a thread of this process; its
    lease keeps it single, and a takeover ends it if this process dies."""
    source, job = start_job(catalog, source_id, options)
    thread = threading.Thread(
        target=_run_logged,
        args=(catalog, source, job, options, backends),
        name=f"harvest {source.id}",
        daemon=True,
    )
    thread.start()
    return job


def _run_logged(
    catalog: Catalog,
    source: HarvestSource,
    job: HarvestJob,
    options: RunOptions,
    backends: Mapping[str, Backend],
) -> None:
    try:
        run_job(catalog, source, job, options, backends)
    except Exception:  # the job is recorded failed already; the thread has no one else to tell
        _log.exception("harvest job %s of source %s failed", job.id, source.id)


class AlreadyRun(Exception):
    """A scheduled run found a job started since its scheduled time (another node ran it)."""


def start_job(
    catalog: Catalog, source_id: str, options: RunOptions, scheduled_at: datetime | None = None
) -> tuple[HarvestSource, HarvestJob]:
    """Take the source's lease and record a new job. ``scheduled_at``: the schedule's time this
    run is for; when a job of the source started since, ``AlreadyRun`` (and nothing is written)."""
    now = catalog.clock()
    with catalog.db.write() as conn:
        source = db_harvest.find_source(conn, source_id)
        if source is None or source.deleted is not None:
            raise NotFound(Reason.HARVEST_SOURCE_MISSING)
        job = HarvestJob(catalog.new_object_id(), source.id, JobStatus.INITIALIZING, now, started_at=now)
        lease = Lease(source.id, job.id, options.node, options.pid, now, now)
        harvest_lease.take(conn, lease, options.stale_after, now)
        if scheduled_at is not None:
            # Checked holding the lease: a node that ran this schedule's job has committed it.
            last = db_harvest.last_jobs(conn, [source.id]).get(source.id)
            if last is not None and last.created_at >= scheduled_at:
                raise AlreadyRun()  # rolls the lease back
        harvest_lease.end_orphans(conn, source.id, now)
        db_harvest.insert_job(conn, job)
    return source, job


def run_job(
    catalog: Catalog,
    source: HarvestSource,
    job: HarvestJob,
    options: RunOptions,
    backends: Mapping[str, Backend] = BACKENDS,
) -> HarvestJob:
    """Read the source and apply it; the job ends whatever happens, and its lease is released."""
    run = _Run(catalog, source, job, options)
    with catalog.db.read() as conn:
        kept = {url: Validators(*pair) for url, pair in db_harvest.page_validators(conn, source.id).items()}
    # A whole source's validators stand for what it held when mapped under the same context: once
    # the licenses, the mapping or the source's settings change, it is read and mapped again.
    kept.update(
        {
            url: Validators(v.get("etag"), v.get("last_modified"))
            for url, v in source.validators.items()
            if v.get("context") == run.context
        }
    )
    fetcher = GuardedFetcher(policy_of(source, options.policy), kept)
    try:
        with harvest_lease.Heartbeat(catalog, job, options.heartbeat_every, run.note_error) as beat:
            fetcher.cancelled = beat.lost  # no further request once the lease or the source is gone
            run.apply(_entries(backends, source, fetcher, run), beat)
            if run.source_unchanged:
                run.unchanged_source()
            elif run.cut_short:
                # What was not read is not known to be gone, and the pages read say nothing whole.
                run.note_error(f"stopped after {run.read} entries: OPENCAT_HARVEST_MAX_ITEMS")
            else:
                run.refuse_emptied()
                run.retire_gone(_confirmation(backends, source, fetcher))
                run.remember_pages()
        run.finish(JobStatus.DONE_ERRORS if run.counts.failed or run.errors else JobStatus.DONE, fetcher)
    except HarvestSourceError as error:
        run.finish(JobStatus.FAILED, None, str(error))
    except _LeaseLost:
        run.finish(JobStatus.FAILED, None, run.lost_message())
    except Exception as error:  # a backend's bug or a database failure: the job must still end
        run.finish(JobStatus.FAILED, None, f"{type(error).__name__}: {error}")
        raise
    finally:
        with catalog.db.write() as conn:
            db_harvest.release_lease(conn, job.source_id, job.id)
    if options.observe is not None:
        options.observe(source, run.job)
    return run.job


def _confirmation(
    backends: Mapping[str, Backend], source: HarvestSource, fetcher: GuardedFetcher
) -> Callable[[str], bool] | None:
    """How to ask the source whether a dataset its listing did not give is gone, if its backend
    can ask about one dataset (``ConfirmsGone``)."""
    backend = backends.get(source.backend)
    if not isinstance(backend, ConfirmsGone):
        return None
    return lambda remote_id: backend.gone(source.url, fetcher, source.config, remote_id)


def policy_of(source: HarvestSource, policy: HarvestPolicy) -> HarvestPolicy:
    """The source's own delay between requests (``config.delay``, seconds), if it sets one."""
    delay = source.config.get(DELAY_CONFIG.key)
    if isinstance(delay, int | float) and not isinstance(delay, bool) and 0 <= delay <= 3600:
        return replace(policy, delay=float(delay))
    return policy


def _entries(
    backends: Mapping[str, Backend], source: HarvestSource, fetcher: GuardedFetcher, run: "_Run"
) -> Iterator[PagedEntry]:
    backend = backends.get(source.backend)
    if backend is None:
        raise HarvestSourceError(f"unknown backend {source.backend!r}")
    if isinstance(backend, RemembersPages):
        run.remembering = True
        return _until_unchanged(backend.remembering(source.url, fetcher, source.config, run), run)
    return _until_unchanged(backend.items(source.url, fetcher, source.config), run)


def _until_unchanged(entries: Iterator[PagedEntry], run: "_Run") -> Iterator[PagedEntry]:
    """The backend's entries, none when the source answered 304 to what it was asked first (a
    backend that remembers pages recalls a page that answered 304 instead)."""
    try:
        yield from entries
    except SourceUnchanged:
        run.source_unchanged = True


class _LeaseLost(Exception):
    """The job was ended by another process (its lease taken over, or dropped as stale): this
    process stops and writes nothing more of it."""


class _Run:
    """The state of one job: what the source's records said, what this run saw and counted."""

    def __init__(self, catalog: Catalog, source: HarvestSource, job: HarvestJob, options: RunOptions) -> None:
        self.catalog = catalog
        self.source = source
        self.job = job
        self.options = options
        self.counts = Counts()
        self.errors: list[dict[str, str]] = []
        with catalog.db.read() as conn:
            self.licenses = fetch_licenses(conn)
        # Part of every fingerprint and page digest (``PageMemory``): a change to the licenses,
        # the mapping or the source's settings maps every entry again.
        self.context = mapping_context(source, self.licenses)
        # The entries of the page being read (only for a backend that says where pages end:
        # ``remembering``), and whether all of them could be read.
        self.remembering = False
        self.source_unchanged = False  # it answered 304: what the records say is what it holds
        self.read = 0  # entries read, a skipped page's counted in
        self.cut_short = False  # options.max_items reached before the source's end
        self.unconfirmed = 0  # datasets not listed and kept, the source unable to say they are gone
        self.page_entries: list[tuple[str, str]] = []
        self.page_whole = True
        self.zones: dict[str, str | None] = {}
        # slug base -> the slugs known taken under it, and how many of its first forms are known;
        # learnt afresh by each batch (the earlier ones are committed)
        self.slugs: dict[str, set[str]] = {}
        self.known: dict[str, int] = {}
        # Records this run wrote, and how many of them when the database last learnt their table.
        self.written = 0
        self.written_when_analyzed = 0

    def note_error(self, message: str) -> None:
        self.errors.append({"message": message, "details": ""})

    def recall(self, digest: str) -> KnownPage | None:
        """The page of this digest as a run read it, if every one of its entries is still
        recorded with the fingerprint it had then (a run since may have written others, or the
        catalog refused one); called from the backend's read-ahead thread."""
        with self.catalog.db.read() as conn:
            page = db_harvest.find_page(conn, self.source.id, digest)
            if page is None or not _recorded_as_read(conn, self.source.id, page):
                return None
        return KnownPage(digest, tuple(remote_id for remote_id, _ in page.entries), page.next_url)

    def recall_unchanged(self, url: str, context: str) -> KnownPage | None:
        """The page last read from ``url``, which answered 304 to its validators, if it was read
        under the same context and its entries are still recorded as read; called from the
        backend's read-ahead thread."""
        with self.catalog.db.read() as conn:
            found = db_harvest.find_page_at(conn, self.source.id, url)
            if found is None:
                return None
            digest, page = found
            if page.context != context or not _recorded_as_read(conn, self.source.id, page):
                return None
        return KnownPage(digest, tuple(remote_id for remote_id, _ in page.entries), page.next_url)

    def apply(self, entries: Iterator[PagedEntry], beat: harvest_lease.Heartbeat) -> None:
        batch: list[PagedEntry] = []
        size = 0  # the batch's entries, a skipped page's counted in (so a batch stays bounded)
        self._save_job(JobStatus.PROCESSING)
        limit = self.options.max_items
        try:
            for entry in entries:
                counted = not isinstance(entry, PageEnd)  # a page's end is no entry of the source
                if counted and limit is not None and self.read >= limit:
                    self.cut_short = True
                    break
                batch.append(entry)
                count = len(entry.remote_ids) if isinstance(entry, KnownPage) else 1
                size += count
                if counted:
                    self.read += count
                if size >= self.options.batch_size:
                    self._write(batch, beat)
                    batch, size = [], 0
        except HarvestSourceError:
            # The entries read before the source failed are applied, as the batches before them.
            if batch:
                self._write(batch, beat)
            raise
        if batch:
            self._write(batch, beat)
        if self.written > self.written_when_analyzed:
            self._analyze()

    def _analyze(self) -> None:
        with self.catalog.db.write() as conn:
            db_harvest.refresh_record_statistics(conn)
        self.written_when_analyzed = self.written

    def _write(self, batch: list[PagedEntry], beat: harvest_lease.Heartbeat) -> None:
        if beat.lost.is_set():
            raise _LeaseLost()
        now = self.catalog.clock()
        self.slugs.clear()
        self.known.clear()
        with self.catalog.db.write(patient=True) as conn:
            self._update_job(conn)  # first: still this process's job, and locked until the commit
            records, seen = db_harvest.records_for(conn, self.source.id, _remote_ids(batch), self.job.id)
            sorting = _Sorting(records, seen)
            todo, items, unchanged = self._sort(batch, sorting, now)
            writer = _Writer(self, conn, now, records)
            writer.entries(todo)
            items += writer.items
            written = {record.remote_id for record in writer.records}
            replacing = [remote_id for remote_id in written if remote_id in records]
            db_harvest.put_records(conn, self.source.id, writer.records, self.job.id, replacing=replacing)
            db_harvest.mark_seen(
                conn, self.source.id, (sorting.seen_now & records.keys()) - written, self.job.id
            )
            self._keep_pages(conn, sorting)
            history.record(conn, writer.activities)
            db_harvest.insert_items(conn, self.job.id, items)
            self.counts = _add(self.counts, items, unchanged + writer.kept_deleted)
            self.job = replace(self.job, counts=self.counts, status=JobStatus.PROCESSING)
            self._update_job(conn)
        self.written += len(writer.records)
        if self.written >= 2 * max(self.written_when_analyzed, _ANALYZE_FROM):
            self._analyze()  # each time the run doubled what it wrote: a few times in a run

    def _keep_pages(self, conn: Connection, sorting: "_Sorting") -> None:
        """Keep the pages this batch ended whose every entry is now recorded with the fingerprint
        read (not one with an entry the catalog refused), and mark those it skipped as seen."""
        if not self.remembering:
            return
        for digest, page in sorting.pages_read:
            if _recorded_as_read(conn, self.source.id, page):
                db_harvest.put_page(conn, self.source.id, digest, page, self.job.id)
        for known in sorting.pages_skipped:
            end = known.refreshed
            fetched = None if end is None else (end.url, end.context, end.etag, end.last_modified)
            db_harvest.mark_page_seen(conn, self.source.id, known.digest, self.job.id, fetched)

    def _sort(
        self, batch: list[PagedEntry], sorting: "_Sorting", now: datetime
    ) -> tuple[list[tuple[RemoteDataset, str]], list[JobItem], int]:
        """What to write (with its fingerprint), the failures the backend reported, and how many
        entries are unchanged."""
        todo: list[tuple[RemoteDataset, str]] = []
        items: list[JobItem] = []
        unchanged = 0
        for entry in batch:
            if isinstance(entry, PageEnd):
                if self.page_whole:
                    page = StoredPage(
                        entry.next_url,
                        tuple(self.page_entries),
                        entry.url,
                        entry.context,
                        entry.etag,
                        entry.last_modified,
                    )
                    sorting.pages_read.append((entry.digest, page))
                self.page_entries, self.page_whole = [], True
                continue
            if isinstance(entry, KnownPage):
                unchanged += self._known(entry, sorting, items, now)
                continue
            if isinstance(entry, ItemFailure):
                self.page_whole = False
                items.append(
                    JobItem(entry.remote_id, ItemStatus.FAILED, now, None, entry.error, entry.excerpt)
                )
                if entry.remote_id:
                    sorting.seen_now.add(entry.remote_id)  # unreadable this time is not gone
                continue
            if sorting.saw(entry.remote_id):
                self.page_whole = False
                items.append(
                    JobItem(entry.remote_id, ItemStatus.FAILED, now, None, LISTED_TWICE, excerpt_of(entry))
                )
                continue
            sorting.seen_now.add(entry.remote_id)
            record = sorting.records.get(entry.remote_id)
            fingerprint, problem = checked_fingerprint(entry, self.context)
            if fingerprint is None:
                self.page_whole = False
                error = f"cannot be stored: {problem}"
                items.append(JobItem(entry.remote_id, ItemStatus.FAILED, now, None, error, _excerpt(entry)))
                continue
            if self.remembering:
                self.page_entries.append((entry.remote_id, fingerprint))
            if record is not None and record.fingerprint == fingerprint:
                unchanged += 1
            else:
                todo.append((entry, fingerprint))
        return todo, items, unchanged

    def _known(self, page: KnownPage, sorting: "_Sorting", items: list[JobItem], now: datetime) -> int:
        """Count a page not read again as unchanged (and seen), but for the remote ids an earlier
        page of this run listed already; only a page without those is remembered again."""
        fresh = [remote_id for remote_id in page.remote_ids if not sorting.saw(remote_id)]
        for remote_id in page.remote_ids:
            if sorting.saw(remote_id):
                items.append(JobItem(remote_id, ItemStatus.FAILED, now, None, LISTED_TWICE, ""))
        sorting.seen_now.update(fresh)
        if len(fresh) == len(page.remote_ids):
            sorting.pages_skipped.append(page)
        return len(fresh)

    def remember_pages(self) -> None:
        """After a complete run, forget the pages it neither read nor skipped: the next run skips
        those it kept if their bytes and the mapping context are the same."""
        if not self.remembering:
            return
        with self.catalog.db.write() as conn:
            self._update_job(conn)  # the pages are this source's only while its job runs here
            db_harvest.forget_unseen_pages(conn, self.source.id, self.job.id)

    def zone_ids(self, conn: Connection, remotes: list[RemoteDataset]) -> Mapping[str, str | None]:
        wanted = {zone for remote in remotes for zone in remote.zones if zone not in self.zones}
        self.zones.update(zone_ids(conn, wanted))
        return self.zones

    def unchanged_source(self) -> None:
        """The source answered 304: what it holds is what the records say; nothing is archived."""
        if self.counts == Counts():
            with self.catalog.db.read() as conn:
                live = db_harvest.count_records(conn, self.source.id, _GONE)
            self.counts = replace(self.counts, unchanged=live)

    def refuse_emptied(self) -> None:
        """A listing of nothing from a source whose datasets are here is no catalog (a CKAN whose
        search index is being rebuilt answers so): read as one, it would archive them all."""
        if self.read:
            return
        with self.catalog.db.read() as conn:
            live = db_harvest.count_records(conn, self.source.id, _GONE)
        if live:
            raise HarvestSourceError(
                f"the source listed no dataset, where {live} of its datasets are here: nothing was "
                "archived (an empty answer is no catalog)"
            )

    def retire_gone(self, confirm: Callable[[str], bool] | None = None) -> None:
        """Archive (or delete) the datasets of records the source no longer lists; a source with
        ``autoarchive`` off keeps them as they are. With ``confirm`` (the backend can ask about
        one dataset), a dataset is retired only once the source says it is gone: a listing paged
        by offset misses one when another is deleted while it is read. One the source still
        holds is counted unchanged; one it cannot say anything about is kept, with an error."""
        if not self.source.autoarchive:
            return
        # A source that cannot be asked about one dataset (DCAT, data.json) and pages by offset
        # misses one still there when another is deleted while it is read: deleting it for good
        # on one miss lost it. With ``delete_gone``, such a source's missing dataset is archived
        # first (unarchived if a later run lists it), and deleted when a later whole read misses
        # it too.
        twice = self.options.delete_gone and confirm is None
        if twice:
            self._delete_missed_twice()
        after = ""  # remote ids are never empty (a backend reports an entry without one as failed)
        while True:
            with self.catalog.db.read() as conn:
                chunk = db_harvest.unseen_records(
                    conn, self.source.id, self.job.id, _GONE, after, self.options.batch_size
                )
            if not chunk:
                return
            after = chunk[-1].remote_id
            gone = [record for record in chunk if confirm is None or self._confirmed_gone(confirm, record)]
            self._retire(gone, kept=len(chunk) - len(gone), archive_only=twice)

    def _retire(self, records: list[Record], kept: int, archive_only: bool = False) -> None:
        """Archive (or delete) the datasets of ``records`` in one transaction, counting ``kept``
        more unchanged."""
        with self.catalog.db.write(patient=True) as conn:
            self._update_job(conn)
            writer = _Writer(self, conn, self.catalog.clock(), {})
            for record in records:
                writer.retire(record, archive_only=archive_only)
            db_harvest.put_records(conn, self.source.id, writer.records, self.job.id)
            history.record(conn, writer.activities)
            db_harvest.insert_items(conn, self.job.id, writer.items)
            self.counts = _add(self.counts, writer.items, kept)
            self.job = replace(self.job, counts=self.counts)
            self._update_job(conn)

    def _delete_missed_twice(self) -> None:
        """Delete the datasets an earlier run archived as gone from the source, which this run
        did not list either (runs between that read nothing whole, failed or unchanged, do not
        count: this one read the source whole)."""
        until = self.job.created_at
        after = ""
        while True:
            with self.catalog.db.read() as conn:
                chunk = db_harvest.unseen_records(
                    conn, self.source.id, self.job.id, _GONE, after, self.options.batch_size, retired=True
                )
                found = db_datasets.fetch_by_ids(conn, {record.dataset_id for record in chunk})
            if not chunk:
                return
            after = chunk[-1].remote_id
            missed = [
                record
                for record in chunk
                if (dataset := found.get(record.dataset_id)) is not None
                and dataset.deleted is None
                and dataset.archived is not None
                and dataset.archived < until
                and (dataset.harvest or {}).get("archived") == ARCHIVED_NOT_ON_REMOTE
            ]
            if missed:
                self._retire(missed, kept=0)

    def _confirmed_gone(self, confirm: Callable[[str], bool], record: Record) -> bool:
        """After the source first fails to answer about one, the others are kept unasked (a
        source gone down would otherwise cost a timeout each)."""
        if self.unconfirmed:
            self.unconfirmed += 1
            return False
        try:
            return confirm(record.remote_id)
        except HarvestSourceError as error:
            self.unconfirmed = 1
            self.note_error(
                f"datasets the listing did not give were kept: the source could not say whether "
                f"{record.remote_id} is gone ({error})"
            )
            return False

    def _save_job(self, status: JobStatus) -> None:
        self.job = replace(self.job, status=status, counts=self.counts)
        with self.catalog.db.write() as conn:
            self._update_job(conn)

    def _update_job(self, conn: Connection) -> None:
        """Write the job, unless another process ended it meanwhile: then roll back what this
        transaction wrote and stop. Done first in a transaction, it also holds the job's row (on
        PostgreSQL) so that no other process ends the job while the batch is written."""
        if not db_harvest.update_running_job(conn, self.job):
            raise _LeaseLost()

    def lost_message(self) -> str:
        return (
            f"the process running this job (node {self.options.node}, pid {self.options.pid}) found "
            "its lease taken over, or its source deleted, and stopped"
        )

    def finish(self, status: JobStatus, fetcher: GuardedFetcher | None, error: str | None = None) -> None:
        if error is not None:
            self.note_error(error)
        self.job = replace(
            self.job,
            status=status,
            ended_at=self.catalog.clock(),
            counts=self.counts,
            errors=tuple(self.errors),
        )
        with self.catalog.db.write() as conn:
            if not db_harvest.update_running_job(conn, self.job):
                self._ended_elsewhere(conn, error or self.lost_message())
                return
            if fetcher is not None:
                validators = {
                    url: {"etag": kept.etag, "last_modified": kept.last_modified, "context": self.context}
                    for url, kept in fetcher.validators.items()
                    if url in self._first_urls(fetcher)
                }
                db_harvest.set_validators(conn, self.source.id, validators)

    def _ended_elsewhere(self, conn: Connection, note: str) -> None:
        """The job was ended by another process (failed, saying why): it stays so, with this
        process's own note after that reason."""
        stored = db_harvest.find_job(conn, self.job.id)
        if stored is None:
            return
        self.job = replace(stored, errors=(*stored.errors, {"message": note, "details": ""}))
        db_harvest.update_job(conn, self.job)

    def _first_urls(self, fetcher: GuardedFetcher) -> set[str]:
        """Only the first URL's validators are kept: a page further on cannot be skipped (the next
        page's link is in it), while an unchanged first document means an unchanged source only
        when it is the whole source (a dump); a paged source then sends no validators."""
        return {fetcher.first_url} if fetcher.first_url and fetcher.requests == 1 else set()


# Records written before a run first has the database learn their table again.
_ANALYZE_FROM = 1000

# How many first forms of a slug (``base``, ``base-1``...) one exact lookup asks about; and the
# mark of a base whose every taken slug was read.
_WINDOW = 50
_EVERY = 1 << 30


class _Sorting:
    """What one batch learnt while its entries were sorted: the records of its remote ids, which
    of them this job saw in an earlier batch, the ones it sees now, and the pages it ended."""

    def __init__(self, records: dict[str, Record], seen_before: set[str]) -> None:
        self.records = records
        self.seen_before = seen_before
        self.seen_now: set[str] = set()
        self.pages_read: list[tuple[str, StoredPage]] = []
        self.pages_skipped: list[KnownPage] = []

    def saw(self, remote_id: str) -> bool:
        return remote_id in self.seen_now or remote_id in self.seen_before


def _remote_ids(batch: list[PagedEntry]) -> set[str]:
    found: set[str] = set()
    for entry in batch:
        if isinstance(entry, KnownPage):
            found.update(entry.remote_ids)
        elif isinstance(entry, ItemFailure | RemoteDataset) and entry.remote_id:
            found.add(entry.remote_id)
    return found


def _recorded_as_read(conn: Connection, source_id: str, page: StoredPage) -> bool:
    """Whether every entry of the page is recorded with the fingerprint it was read with."""
    records, _ = db_harvest.records_for(conn, source_id, [remote_id for remote_id, _ in page.entries])
    return all(
        (record := records.get(remote_id)) is not None and record.fingerprint == fingerprint
        for remote_id, fingerprint in page.entries
    )


def _candidates(base: str, count: int) -> list[str]:
    """The first ``count`` slugs ``unique_slug`` would try for ``base``, in its order."""
    return slug_candidates(base, 0, min(count, _WINDOW))


def _excerpt(remote: RemoteDataset) -> str:
    """The excerpt of an entry that cannot be stored; its extras left out if too deep to encode."""
    try:
        return excerpt_of(remote)
    except RecursionError:
        return excerpt_of(replace(remote, extras={"...": "(nested too deep to show)"}))


def _add(counts: Counts, items: list[JobItem], unchanged: int) -> Counts:
    def number(status: ItemStatus) -> int:
        return sum(1 for item in items if item.status == status)

    return Counts(
        created=counts.created + number(ItemStatus.CREATED),
        updated=counts.updated + number(ItemStatus.UPDATED),
        unchanged=counts.unchanged + unchanged,
        archived=counts.archived + number(ItemStatus.ARCHIVED) + number(ItemStatus.DELETED),
        failed=counts.failed + number(ItemStatus.FAILED),
    )


class _Writer:
    """Applies entries in one transaction: new datasets in a few bulk statements, changed ones
    each in a savepoint; a refused entry is a failed item, the others are kept."""

    def __init__(self, run: _Run, conn: Connection, now: datetime, records: Mapping[str, Record]) -> None:
        self.run = run
        self.conn = conn
        self.now = now
        self.known_records = records  # the source's records of the batch's remote ids
        self.resources_before: dict[str, list[Resource]] = {}
        self.items: list[JobItem] = []
        self.records: list[Record] = []
        self.activities: list[Activity] = []
        self.kept_deleted = 0  # entries of datasets deleted here, left as they are
        # Remote id -> the contact points its entry names (made before any savepoint: an entry's
        # refusal must not roll back a point another entry of the batch uses).
        self.contact_ids: dict[str, tuple[str, ...]] = {}

    def entries(self, todo: list[tuple[RemoteDataset, str]]) -> None:
        records = {remote.remote_id: self.known_records.get(remote.remote_id) for remote, _ in todo}
        stored = db_datasets.fetch_by_ids(
            self.conn, [r.dataset_id for r in records.values() if r is not None]
        )
        references = References(
            self.run.licenses, self.run.zone_ids(self.conn, [remote for remote, _ in todo])
        )
        self._resolve_contacts([remote for remote, _ in todo])
        creates: list[tuple[RemoteDataset, str]] = []
        updates: list[tuple[RemoteDataset, str, Dataset]] = []
        for remote, fingerprint in todo:
            record = records[remote.remote_id]
            current = stored.get(record.dataset_id) if record is not None else None
            if current is None:
                creates.append((remote, fingerprint))
            elif current.deleted is not None:
                # Deleted here (a moderator, or the source's gone entries removed): it stays so,
                # and no second dataset is made for its remote id (udata finds the deleted one by
                # its remote id too). Counted unchanged; its record keeps the old fingerprint.
                self.kept_deleted += 1
            else:
                updates.append((remote, fingerprint, current))
        # The resources of every dataset to update, in one query (taken once each: see _update).
        self.resources_before = db_resources.fetch_for_datasets(
            self.conn, [current.id for _, _, current in updates]
        )
        for remote, fingerprint, current in updates:
            self._one(remote, fingerprint, partial(self._update, remote, current, references))
        # For search, the datasets updated (the records so far are theirs), in one statement:
        # each update's own would be two round trips on PostgreSQL (the outbox's lock, its row).
        db_outbox.mark_changed(self.conn, [record.dataset_id for record in self.records])
        self._create_all(creates, references)

    def _resolve_contacts(self, remotes: list[RemoteDataset]) -> None:
        source = self.run.source
        points = ContactPoints(
            self.conn, source.owner_id, source.organization_id, self.run.catalog.new_object_id
        )
        for remote in remotes:
            if remote.contacts:
                self.contact_ids[remote.remote_id] = points.ids(remote.contacts)

    def _fields(self, remote: RemoteDataset, references: References) -> dict[str, Any]:
        """The harvested fields, with the entry's contact points when it names any (udata keeps
        a dataset's own when the source names none)."""
        fields = dataset_fields(self.run.source, remote, references, self.now)
        contacts = self.contact_ids.get(remote.remote_id)
        return {**fields, "contact_point_ids": contacts} if contacts else fields

    def _create_all(self, creates: list[tuple[RemoteDataset, str]], references: References) -> None:
        catalog = self.run.catalog
        self._prepare_slugs([remote.title for remote, _ in creates])
        built = []
        for remote, _ in creates:
            fields = self._fields(remote, references)
            dataset = new_dataset(catalog.new_object_id(), self._slug(remote.title), fields, self.now)
            resources = resources_of(remote, [], self.now, catalog.new_resource_id)
            built.append((dataset, dataset.last_update(resources, self.now), resources))
        if not db_harvest.insert_datasets(self.conn, built, self.now):
            self.run.slugs.clear()  # one was taken meanwhile: ask the database again, one by one
            self.run.known.clear()
            for remote, fingerprint in creates:
                self._one(remote, fingerprint, partial(self._create, remote, references))
            return
        for (remote, fingerprint), (dataset, _, _) in zip(creates, built, strict=True):
            self._created(remote, fingerprint, dataset)

    def _one(
        self, remote: RemoteDataset, fingerprint: str, apply: Callable[[], tuple[str, ItemStatus]]
    ) -> None:
        try:
            with self.conn.begin_nested():
                dataset_id, status = apply()
        except CatalogError as error:
            message = f"refused by the catalog: {error.reason or error}"
            self.items.append(
                JobItem(remote.remote_id, ItemStatus.FAILED, self.now, None, message, excerpt_of(remote))
            )
            return
        self.records.append(Record(remote.remote_id, dataset_id, fingerprint))
        if status == ItemStatus.UPDATED:
            self.items.append(JobItem(remote.remote_id, status, self.now, dataset_id))

    def _created(self, remote: RemoteDataset, fingerprint: str, dataset: Dataset) -> None:
        self.records.append(Record(remote.remote_id, dataset.id, fingerprint))
        self.items.append(JobItem(remote.remote_id, ItemStatus.CREATED, self.now, dataset.id))
        self.activities.append(
            history.on_dataset(
                self.run.catalog,
                ANONYMOUS,
                Key.DATASET_CREATED,
                dataset,
                self.now,
                created(dataset, DATASET_FIELDS),
            )
        )

    def _create(self, remote: RemoteDataset, references: References) -> tuple[str, ItemStatus]:
        """One new dataset, as the API's create writes it (the fallback of the bulk path)."""
        catalog = self.run.catalog
        fields = self._fields(remote, references)
        dataset = new_dataset(catalog.new_object_id(), self._slug(remote.title), fields, self.now)
        resources = resources_of(remote, [], self.now, catalog.new_resource_id)
        db_datasets.insert(self.conn, dataset, dataset.last_update(resources, self.now))
        db_resources.replace_all(self.conn, dataset.id, [], resources, self.now)
        self.activities.append(
            history.on_dataset(
                catalog, ANONYMOUS, Key.DATASET_CREATED, dataset, self.now, created(dataset, DATASET_FIELDS)
            )
        )
        self.items.append(JobItem(remote.remote_id, ItemStatus.CREATED, self.now, dataset.id))
        return dataset.id, ItemStatus.CREATED

    def _update(
        self, remote: RemoteDataset, current: Dataset, references: References
    ) -> tuple[str, ItemStatus]:
        catalog = self.run.catalog
        fields = self._fields(remote, references)
        if current.archived is not None and (current.harvest or {}).get("archived"):
            fields = {**fields, "archived": None}  # back on the source
        if fields["title"] != current.title:
            fields = {**fields, "slug": self._slug(remote.title, current.slug)}
        dataset = apply_changes(current, fields, self.now)
        before = self.resources_before.pop(current.id, None)
        if before is None:  # a dataset updated twice in a batch: its resources as the first left them
            before = db_resources.fetch_for_dataset(self.conn, current.id)
        after = resources_of(remote, before, self.now, catalog.new_resource_id)
        db_datasets.update(
            self.conn,
            dataset,
            dataset.last_update(after, self.now),
            old_slug=current.slug,
            old_tags=current.tags,
            mark=False,  # marked with the batch's others (``entries``)
            in_savepoint=True,  # ``_one``'s
        )
        db_resources.replace_all(self.conn, dataset.id, before, after, self.now)
        self._record_update(current, dataset, before, after)
        return dataset.id, ItemStatus.UPDATED

    def _record_update(
        self, current: Dataset, dataset: Dataset, before: list[Resource], after: list[Resource]
    ) -> None:
        """As an API update records it; the harvester is no user (no actor)."""
        catalog = self.run.catalog
        changes = dataset_diff(current, dataset)
        if changes:
            self.activities.append(
                history.on_dataset(catalog, ANONYMOUS, Key.DATASET_UPDATED, dataset, self.now, changes)
            )
        self.activities += history.resource_list(catalog, ANONYMOUS, dataset, before, after, self.now)

    def _prepare_slugs(self, titles: list[str]) -> None:
        """Learn in one indexed query whether each new title's first slug is free: most are."""
        bases = {slugify(title) or "dataset" for title in titles} - self.run.slugs.keys()
        firsts = {base: _candidates(base, 1)[0] for base in bases}
        taken = db_datasets.slugs_held(self.conn, firsts.values())
        for base, first in firsts.items():
            self.run.slugs[base] = {first} & taken
            self.run.known[base] = 1

    def _slug(self, title: str, current: str | None = None) -> str:
        """A free slug for ``title``. What is taken under its base is learnt as needed: its first
        forms by exact (indexed) lookups, and only past ``_WINDOW`` of them every slug it
        prefixes (``slugs_like``, a scan)."""
        base = slugify(title) or "dataset"
        taken = self.run.slugs.setdefault(base, set())
        taken |= PAGE_WORDS & {base}  # the pages' own words are never given
        others = taken - ({current} if current else set())
        if self.run.known.get(base) == _EVERY:
            slug = unique_slug(base, others)
            taken.add(slug)
            return slug
        for window in (self.run.known.get(base, 0), _WINDOW):
            candidates = _candidates(base, window)
            slug = unique_slug(base, taken - ({current} if current else set()))
            if window and slug in candidates:
                break
            if window < _WINDOW:  # learn the next forms in one query
                taken |= db_datasets.slugs_held(self.conn, _candidates(base, _WINDOW))
                self.run.known[base] = _WINDOW
        else:
            taken |= db_datasets.slugs_like(self.conn, base)
            self.run.known[base] = _EVERY
            slug = unique_slug(base, taken - ({current} if current else set()))
        taken.add(slug)
        return slug

    def retire(self, record: Record, archive_only: bool = False) -> None:
        current = db_datasets.find_by_id(self.conn, record.dataset_id)
        self.records.append(replace(record, fingerprint=_GONE))
        if current is None or current.deleted is not None:
            return
        if self.run.options.delete_gone and not archive_only:
            changes: dict[str, object] = {"deleted": self.now}
            key, status = Key.DATASET_DELETED, ItemStatus.DELETED
        else:
            harvest = {
                **(current.harvest or {}),
                "archived": ARCHIVED_NOT_ON_REMOTE,
                "archived_at": iso(self.now),
            }
            changes = {"archived": self.now, "harvest": harvest}
            key, status = Key.DATASET_UPDATED, ItemStatus.ARCHIVED
        dataset = apply_changes(current, changes, self.now)
        resources = db_resources.fetch_for_dataset(self.conn, dataset.id)
        db_datasets.update(
            self.conn, dataset, dataset.last_update(resources, self.now), old_slug=current.slug
        )
        diff = dataset_diff(current, dataset)
        self.activities.append(history.on_dataset(self.run.catalog, ANONYMOUS, key, dataset, self.now, diff))
        self.items.append(JobItem(record.remote_id, status, self.now, dataset.id))
