"""The first rows of a CSV or TSV resource, for its dataset's page: files of our own store read
directly, remote ones through the link checker's guard, each preview cached on disk."""

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from opencat.catalog.access import readable_dataset
from opencat.catalog.context import Catalog
from opencat.db import resources as db_resources
from opencat.domain import ids
from opencat.domain.accounts import Actor
from opencat.domain.datasets import Resource
from opencat.domain.dates import iso, parse_datetime
from opencat.domain.errors import NotFound, Reason
from opencat.domain.previews import NotText, Preview, is_tab_separated, is_tabular, read_table
from opencat.links.download import DownloadError, download_start

__all__ = ["MAX_ROWS", "Preview", "PreviewUnavailable", "Why", "preview"]

# The most bytes of a file ever read: enough for the first rows of any sane table.
MAX_BYTES = 512 * 1024
# Rows kept in the cache; a preview shows at most this many.
MAX_ROWS = 100
# A remote file may change behind the same URL: its preview is fetched again after a day, and a
# failure is remembered for a while so that a dead server does not slow every page view down.
REMOTE_MAX_AGE = timedelta(days=1)
FAILURE_MAX_AGE = timedelta(minutes=10)


class Why(StrEnum):
    NOT_TABULAR = "not_tabular"  # neither CSV nor TSV
    FILE_MISSING = "file_missing"  # our own store could not give the file
    UNREACHABLE = "unreachable"  # the remote file could not be had (refused, failed, timed out)
    NOT_TEXT = "not_text"  # the bytes are not a text table


class PreviewUnavailable(Exception):
    """The resource exists and may be seen, but it has no preview to show (``why``, ``detail``)."""

    def __init__(self, why: Why, detail: str = "") -> None:
        super().__init__(f"{why}: {detail}" if detail else why)
        self.why = why
        self.detail = detail


def preview(catalog: Catalog, actor: Actor, dataset_ident: str, resource_id: str, limit: int = 20) -> Preview:
    """The header and first ``limit`` rows (at most ``MAX_ROWS``) of a resource the caller may see:
    ``NotFound``/``Gone``/``Moved`` as for the dataset itself, ``PreviewUnavailable`` when there is
    nothing to show. No transaction stays open while a file is read."""
    resource = _readable_resource(catalog, actor, dataset_ident, resource_id)
    if not is_tabular(resource):
        raise PreviewUnavailable(Why.NOT_TABULAR)
    shown = max(1, min(limit, MAX_ROWS))
    cache = _Cache(catalog.preview_cache, resource, catalog.clock())
    found = cache.read()
    if found is None and catalog.preview_cache is None:  # nothing to share: each makes its own
        found = _make(catalog, resource)
    elif found is None:
        with _one_at_a_time(resource.id):
            # Made meanwhile by the request this one waited for? Read as of now (the clock read
            # before the wait is older than that preview: it would look expired).
            cache = _Cache(catalog.preview_cache, resource, catalog.clock())
            found = cache.read()
            if found is None:
                found = _make(catalog, resource)
                cache.write(found)
    if isinstance(found, PreviewUnavailable):
        raise found
    return Preview(found.columns, found.rows[:shown], found.truncated or len(found.rows) > shown)


# The resources whose preview a request of this process is making, and how many requests want
# it: the others wait for it and read its cache, rather than download the same file again (a
# page viewed by many at once made as many downloads of a publisher's file).
_making: dict[str, tuple[threading.Lock, int]] = {}
_making_guard = threading.Lock()


@contextlib.contextmanager
def _one_at_a_time(resource_id: str) -> Iterator[None]:
    with _making_guard:
        lock, waiting = _making.get(resource_id, (threading.Lock(), 0))
        _making[resource_id] = (lock, waiting + 1)
    try:
        with lock:
            yield
    finally:
        with _making_guard:
            lock, waiting = _making[resource_id]
            if waiting == 1:
                del _making[resource_id]
            else:
                _making[resource_id] = (lock, waiting - 1)


def _readable_resource(catalog: Catalog, actor: Actor, dataset_ident: str, resource_id: str) -> Resource:
    canonical = ids.parse_uuid(resource_id)
    with catalog.db.read() as conn:
        dataset = readable_dataset(conn, actor, dataset_ident)
        found = None if canonical is None else db_resources.find(conn, dataset.id, canonical)
    if found is None:
        raise NotFound(Reason.RESOURCE_MISSING)
    return found


def _make(catalog: Catalog, resource: Resource) -> Preview | PreviewUnavailable:
    try:
        data, complete = _beginning(catalog, resource)
        return read_table(data, complete, MAX_ROWS, is_tab_separated(resource))
    except PreviewUnavailable as unavailable:
        return unavailable
    except NotText as error:
        return PreviewUnavailable(Why.NOT_TEXT, str(error))


def _beginning(catalog: Catalog, resource: Resource) -> tuple[bytes, bool]:
    """The file's first MAX_BYTES, and whether that is all of it."""
    if resource.fs_filename:
        try:
            stream = catalog.files.open(resource.fs_filename)
            try:
                data = stream.read(MAX_BYTES + 1)
            finally:
                stream.close()
        except Exception as error:  # whatever the store raises (OSError, boto's ClientError...)
            raise PreviewUnavailable(Why.FILE_MISSING, type(error).__name__) from None
        return data[:MAX_BYTES], len(data) <= MAX_BYTES
    policy = replace(catalog.link_policy, max_bytes=MAX_BYTES)
    try:
        download = download_start(resource.url, policy)
    except DownloadError as error:
        raise PreviewUnavailable(Why.UNREACHABLE, str(error)) from None
    return download.body, download.complete


class _Cache:
    """One file per resource, naming the version it was made from (a new version overwrites it)."""

    def __init__(self, folder: Path | None, resource: Resource, now: datetime) -> None:
        self.path = None if folder is None else folder / f"{resource.id}.json"
        self.now = now
        self.remote = not resource.fs_filename
        checksum = resource.checksum.value if resource.checksum else ""
        version = (resource.url, resource.fs_filename or "", checksum, iso(resource.last_modified_internal))
        self.version = "\n".join(str(part) for part in version)

    def read(self) -> Preview | PreviewUnavailable | None:
        if self.path is None:
            return None
        try:
            entry = json.loads(self.path.read_text("utf-8"))
            if entry["version"] != self.version or self._expired(entry):
                return None
            if "why" in entry:
                return PreviewUnavailable(Why(entry["why"]), entry["detail"])
            rows = tuple(tuple(row) for row in entry["rows"])
            return Preview(tuple(entry["columns"]), rows, entry["truncated"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, or written by another version of this code: made again

    def _expired(self, entry: dict[str, Any]) -> bool:
        age = self.now - parse_datetime(entry["made"])
        if "why" in entry:
            return not timedelta(0) <= age < FAILURE_MAX_AGE
        return self.remote and not timedelta(0) <= age < REMOTE_MAX_AGE

    def write(self, made: Preview | PreviewUnavailable) -> None:
        if self.path is None:
            return
        entry: dict[str, Any] = {"version": self.version, "made": iso(self.now)}
        if isinstance(made, PreviewUnavailable):
            entry |= {"why": made.why.value, "detail": made.detail}
        else:
            entry |= {"columns": made.columns, "rows": made.rows, "truncated": made.truncated}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: a reader never sees half an entry, whoever else writes.
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_text(json.dumps(entry, ensure_ascii=False), "utf-8")
        temporary.replace(self.path)
