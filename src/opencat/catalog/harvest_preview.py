"""A harvest previewed (udata's ``preview``): the source read through its backend and mapped as a
run would, nothing written. At most ``PREVIEW_ITEMS`` entries are read (udata's default of
``HARVEST_PREVIEW_MAX_ITEMS``); each says what a run would do with it."""

import contextlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from opencat.catalog.context import Catalog
from opencat.catalog.harvest_backends import BACKENDS
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
from opencat.catalog.harvesting import LISTED_TWICE, RunOptions, policy_of
from opencat.db import harvest as db_harvest
from opencat.db.references import fetch_licenses
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.errors import CatalogError, Reason, TooManyRequests
from opencat.domain.harvest import Backend, HarvestSourceError, ItemFailure, RemoteDataset
from opencat.domain.harvest_jobs import HarvestSource, JobStatus
from opencat.domain.slugs import slugify
from opencat.links.harvest_fetch import GuardedFetcher

PREVIEW_ITEMS = 20
# What one preview may ask of the source, and for how long: any signed-in user may preview a source
# of their choosing, and pages that never end (empty ones) held a request handler for ever.
PREVIEW_REQUESTS = 50
PREVIEW_SECONDS = 30.0
PREVIEWS_AT_ONCE = 2
_running = threading.BoundedSemaphore(PREVIEWS_AT_ONCE)


class Action(StrEnum):
    """What a run would do with an entry."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class PreviewItem:
    remote_id: str | None
    action: Action
    dataset: Dataset | None = None  # as a run would store it (a new one: no id)
    resources: tuple[Resource, ...] = ()
    error: str | None = None
    excerpt: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    source: HarvestSource
    saved: bool  # a stored source's, or one previewed from a form
    status: JobStatus
    started_at: datetime
    ended_at: datetime
    errors: tuple[str, ...]
    items: tuple[PreviewItem, ...]


def preview(
    catalog: Catalog,
    source: HarvestSource,
    saved: bool,
    options: RunOptions,
    backends: Mapping[str, Backend] = BACKENDS,
    limit: int = PREVIEW_ITEMS,
) -> Preview:
    """Read up to ``limit`` entries of ``source`` and map them; a source that fails is a failed
    preview with its error (what was read before it is kept). ``PREVIEWS_AT_ONCE`` run at once
    in a process, the others are told to retry (each may hold a request handler 30 s)."""
    if not _running.acquire(blocking=False):
        raise TooManyRequests(Reason.PREVIEWS_BUSY, retry_after=5)
    try:
        return _preview(catalog, source, saved, options, backends, limit)
    finally:
        _running.release()


def _preview(
    catalog: Catalog,
    source: HarvestSource,
    saved: bool,
    options: RunOptions,
    backends: Mapping[str, Backend],
    limit: int,
) -> Preview:
    started = catalog.clock()
    with catalog.db.read() as conn:
        records = db_harvest.records_of(conn, source.id) if saved else {}
        licenses = fetch_licenses(conn)
    context = mapping_context(source, licenses)
    entries: list[RemoteDataset | ItemFailure] = []
    errors: list[str] = []
    backend = backends.get(source.backend)
    try:
        if backend is None:
            raise HarvestSourceError(f"unknown backend {source.backend!r}")
        fetcher = GuardedFetcher(
            policy_of(source, options.policy),
            {},
            max_requests=PREVIEW_REQUESTS,
            deadline=time.monotonic() + PREVIEW_SECONDS,
        )
        reading = backend.items(source.url, fetcher, source.config)
        try:
            for entry in reading:
                entries.append(entry)
                if len(entries) >= limit:
                    break
        finally:
            with contextlib.suppress(AttributeError):
                reading.close()  # type: ignore[attr-defined]  # a generator: its read-ahead stops
    except HarvestSourceError as error:
        errors.append(str(error))
    now = catalog.clock()
    with catalog.db.read() as conn:
        zones = zone_ids(
            conn, [zone for entry in entries if isinstance(entry, RemoteDataset) for zone in entry.zones]
        )
    references = References(licenses, zones)
    items = []
    listed: set[str] = set()
    for entry in entries:
        if isinstance(entry, ItemFailure):
            items.append(PreviewItem(entry.remote_id, Action.FAIL, error=entry.error, excerpt=entry.excerpt))
            continue
        if entry.remote_id in listed:  # as the run fails it
            items.append(PreviewItem(entry.remote_id, Action.FAIL, error=LISTED_TWICE))
            continue
        listed.add(entry.remote_id)
        record = records.get(entry.remote_id)
        fingerprint, problem = checked_fingerprint(entry, context)
        if fingerprint is None:
            items.append(PreviewItem(entry.remote_id, Action.FAIL, error=f"cannot be stored: {problem}"))
            continue
        action = Action.CREATE if record is None else Action.UNCHANGED
        if record is not None and record.fingerprint != fingerprint:
            action = Action.UPDATE
        try:
            fields = dataset_fields(source, entry, references, now)
            dataset = new_dataset("", slugify(entry.title) or "dataset", fields, now)
        except CatalogError as error:
            message = f"refused by the catalog: {error.reason or error}"
            items.append(PreviewItem(entry.remote_id, Action.FAIL, error=message, excerpt=excerpt_of(entry)))
            continue
        resources = tuple(resources_of(entry, [], now, lambda: ""))
        items.append(PreviewItem(entry.remote_id, action, dataset, resources))
    failed = any(item.action == Action.FAIL for item in items)
    status = JobStatus.FAILED if errors else JobStatus.DONE_ERRORS if failed else JobStatus.DONE
    return Preview(source, saved, status, started, catalog.clock(), tuple(errors), tuple(items))
