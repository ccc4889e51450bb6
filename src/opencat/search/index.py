"""The Tantivy index: one writer at a time across processes, readers refreshed after each commit.

The database stays the source of truth. Every dataset write appends to an outbox table; each
machine's index remembers the last outbox sequence it applied (``applied_seq``) and catches up
before answering. Rebuilding from nothing is always possible.

A serving process keeps Tantivy's writer (and the machine-wide lock) between catch-ups, so that
segment merges run in the writer's own threads instead of being waited for after each commit
(about 73 ms a commit on average, over a second every few commits). It lets go when idle, or as
soon as another process queues for the lock (``_QUEUE``): a worker, ``opencat reindex``.
"""

import contextlib
import fcntl
import hashlib
import itertools
import json
import logging
import math
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import tantivy

from opencat.domain.datasets import is_public
from opencat.domain.errors import Reason, Unavailable
from opencat.domain.periods import CoverageCounts
from opencat.domain.search import SearchDocument, SearchHits, SearchRequest, without_marks
from opencat.domain.transliteration import to_ascii
from opencat.search import schema
from opencat.search.queries import build_query, folded_name, sort_of, suggest_query
from opencat.search.sort_keys import TIME_FLOOR, order_key, suggest_key, title_key

Answer = TypeVar("Answer")

_META = "opencat-index.json"
_LOCK = "opencat-index.lock"
# Taken before waiting for _LOCK and let go once it is held: a process keeping the writer sees a
# queue here and hands the lock over.
_QUEUE = "opencat-index.queue"
# Touched by a listing that waits for the keeper (SearchIndex.ask_for_changes): the keeper commits
# at once when it moved, and otherwise lets changes gather (opencat.index_keeper).
_WANTED = "opencat-index.wanted"
WRITER_HEAP = 64 * 1024 * 1024
# How often a process checks that no other rebuilt the index back to an earlier sequence
# (``SearchIndex.reached``): one small file read a second at most.
REBUILT_CHECK_SECONDS = 1.0
# How old the pages' facet counts may be when a change makes them recount (SearchIndex.counts).
STALE_COUNTS_SECONDS = 60.0
# The pages count the facets of more matches than this on a sample of them (``SearchIndex.counts``):
# about SAMPLE_SIZE datasets, whole buckets of the ``sample`` field.
SAMPLE_ABOVE = 50_000
SAMPLE_SIZE = 25_000
# A one-bucket estimate of a result set's size above this is trusted to choose the sample without
# waiting for the exact total (1.5 times SAMPLE_ABOVE: over 1,100 matches in the bucket, so that the
# set is small enough to count whole is out of reach of chance).
PROBE_TRUSTED_ABOVE = SAMPLE_ABOVE * 3 // 2
# The first page of a large request ordered by a number starts looking past the value a sample
# bucket puts about three pages' ends in (``SearchIndex._sampled_bound``).
BOUND_BUCKETS = 1
KEEP_IDLE_SECONDS = 1.0  # a kept writer is let go after this long without a change
KEEPER_POLL_SECONDS = 0.02  # how often a kept writer's thread looks for a queue

logger = logging.getLogger("opencat.search")
_warned_at: float | None = None  # never: monotonic() counts from boot, 0.0 may be a minute ago


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


class IndexWriteError(OSError):
    """The index's files could not be written (a read-only or full disk, an immutable directory)."""


def _warn_once_a_minute(message: str, error: BaseException) -> None:
    global _warned_at
    now = time.monotonic()
    if _warned_at is None or now - _warned_at >= 60:
        _warned_at = now
        logger.warning(message, error)


# A mild popularity boost, measured on the gold queries (docs/search.md): relevance times
# 1 + 0.15 * log10(1 + views). Tantivy multiplies by log2(2 + v), so v is stored as 2^factor - 2.
POPULARITY = 0.15


def _release(handle: IO[str]) -> None:
    try:
        fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _taken(path: Path) -> bool:
    """Whether another open file holds ``path``'s ``flock`` right now (probed without waiting)."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def popularity(views: int) -> float:
    return float(2 ** (1 + POPULARITY * math.log10(1 + max(views, 0))) - 2)


def suggest_text(title: str, acronym: str) -> str:
    """What suggestions search, folded as their query is (``queries.suggest_query``)."""
    return to_ascii(f"{title} | {acronym}"[:500]).casefold()


def _milliseconds(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def sample_bucket(dataset_id: str) -> int:
    """The dataset's sample bucket: a fixed hash of its id, the same in every process and run."""
    digest = hashlib.blake2b(dataset_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % schema.SAMPLE_BUCKETS


def _document(doc: SearchDocument) -> tantivy.Document:
    title = without_marks(doc.title)
    values: dict[str, Any] = {
        "id": doc.id,
        "title": title,
        "title_plain": title,
        # Accents folded (version 10): "Élus" sorts among the E, not after Z.
        "title_sort": title_key(to_ascii(doc.title).casefold()[:200], doc.id),
        "suggest": suggest_text(doc.title, doc.acronym),
        "acronym": without_marks(doc.acronym),
        "tags_text": without_marks(" ".join(tag.replace("-", " ") for tag in doc.tags)),
        "organization_name": without_marks(doc.organization_name),
        "description": without_marks(doc.description),
        "resource_titles": without_marks(doc.resource_titles),
        "popularity": popularity(doc.views),
        "private": doc.private,
        "deleted": doc.deleted,
        "archived": doc.archived,
        "featured": doc.featured,
        "public": is_public(doc),
        "access_type": doc.access_type,
        "created": _milliseconds(doc.created),
        "last_update": _milliseconds(doc.last_update),
        "reuses": doc.reuses,
        "followers": doc.followers,
        "views": doc.views,
        schema.ORDERS["created"]: order_key(_milliseconds(doc.created), doc.id, TIME_FLOOR),
        schema.ORDERS["last_update"]: order_key(_milliseconds(doc.last_update), doc.id, TIME_FLOOR),
        schema.ORDERS["reuses"]: order_key(doc.reuses, doc.id),
        schema.ORDERS["followers"]: order_key(doc.followers, doc.id),
        schema.SUGGEST_ORDER: suggest_key(doc.followers, doc.id),
        schema.ORDERS["views"]: order_key(doc.views, doc.id),
        schema.SAMPLE: sample_bucket(doc.id),
    }
    for name in (
        "tags", "badges", "organization_badges", "formats", "schemas", "schema_versions", "zones",
        "own_zones", "producer_types", "format_families",
    ):  # fmt: skip
        if getattr(doc, name):
            values[name] = list(getattr(doc, name))
    if doc.organization_title:
        values["organization_key"] = folded_name(doc.organization_title)
    for name in ("owner", "organization", "license", "granularity"):
        if getattr(doc, name):
            values[name] = getattr(doc, name)
    if doc.temporal_start is not None:
        values["temporal_start"] = doc.temporal_start.toordinal()
        if doc.temporal_end is not None:
            # Never before the start: the facet's counts rely on it (the API refuses such a coverage,
            # an import might not).
            values["temporal_end"] = max(doc.temporal_start, doc.temporal_end).toordinal()
    return tantivy.Document(**values)


_SAMPLED = "sampled documents"
_SAMPLE_SIZE = {_SAMPLED: {"value_count": {"field": schema.SAMPLE}}}


def _sampled_count(found: dict[str, Any]) -> int:
    return int(found.get(_SAMPLED, {}).get("value") or 0)


def sample_buckets(matches: int | None) -> int:
    """How many ``sample`` buckets to count facets on for ``matches`` (all of them up to
    ``SAMPLE_ABOVE``, or when the number is unknown)."""
    if matches is None or matches <= SAMPLE_ABOVE:
        return schema.SAMPLE_BUCKETS
    return min(schema.SAMPLE_BUCKETS, max(1, math.ceil(schema.SAMPLE_BUCKETS * SAMPLE_SIZE / matches)))


def sampled(index_schema: tantivy.Schema, query: tantivy.Query, buckets: int) -> tantivy.Query:
    """The matches of ``query`` in the first ``buckets`` sample buckets.

    The buckets are looked up as terms (their postings), not as a range of the fast field: a range
    is a scan of every document's value, and it made the sampled facets of a common word cost 40 %
    more at a million datasets (docs/performance.md)."""
    within = tantivy.Query.term_set_query(index_schema, schema.SAMPLE, list(range(buckets)))
    return narrowed(query, within)


def narrowed(query: tantivy.Query, condition: tantivy.Query) -> tantivy.Query:
    """The matches of ``query`` that also meet ``condition``, scored by ``query`` alone."""
    return tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, query), (tantivy.Occur.Must, tantivy.Query.const_score_query(condition, 0.0))]
    )


def _count_of(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    return int(searcher.search(query, 1, count=True).count or 0)  # type: ignore[attr-defined]


def _range_filtered(request: SearchRequest) -> bool:
    """Whether the request filters on a range (a period, a coverage, an update date): such a query
    is evaluated whole on each search, so that ordering all of it once costs less than three passes."""
    filters = request.filters
    ranges = (filters.period, filters.coverage, filters.containing, filters.updated_since)
    return any(value is not None for value in ranges)


def _scaled(count: Any, scale: float) -> int:
    return int(count) if scale == 1.0 else round(int(count) * scale)


@dataclass(frozen=True, slots=True)
class Counts:
    terms: dict[str, list[tuple[str, int]]]
    coverage: CoverageCounts | None = None
    # Counted on a sample of the matches and scaled to all of them: estimates, not exact counts.
    estimated: bool = False
    # Of an estimate: the matches the sample held, and the factor its counts were scaled by.
    sampled: int = 0
    scale: float = 1.0

    def scaled_to(self, total: int) -> "Counts":
        """An estimate scaled to the request's exact total instead (a value every match holds then
        shows it), when it was counted before the total was known (``SearchIndex.counts``)."""
        scale = total / self.sampled if self.estimated and self.sampled else self.scale
        if scale == self.scale:
            return self

        def again(count: int) -> int:  # the sample's own count back (scales are >= 1), scaled anew
            return _scaled(round(count / self.scale), scale)

        terms = {name: [(key, again(count)) for key, count in found] for name, found in self.terms.items()}
        coverage = self.coverage
        if coverage is not None:
            coverage = replace(
                coverage,
                starting_before=tuple(again(count) for count in coverage.starting_before),
                ending_before=tuple(again(count) for count in coverage.ending_before),
            )
        return replace(self, terms=terms, coverage=coverage, scale=scale)


class Remembered(Generic[Answer]):
    """The answers to the last requests (page ids and totals, facet counts), by request and index
    sequence (``loaded_seq``).

    At a million datasets a search counts every match (tens of milliseconds) and facets walk them
    all (hundreds), while the same searches come again and again (the unfiltered search page, a
    popular tag). An answer is only found while this process's searcher is at its sequence: every
    listing first catches the index up with the database (``catalog/indexing.sync``), which moves
    ``loaded_seq`` past any committed change, so that no answer misses a write. The reader may
    reload on its own in between: an answer then holds more changes, never fewer."""

    SIZE = 256

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Answer | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, answer: Answer) -> None:
        with self._lock:
            self._entries[key] = answer
            self._entries.move_to_end(key)
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Batch:
    """Changes gathered under the writer lock, committed together with the sequence they reach.
    Tantivy's writer (and its heap) is opened only when there is something to write, unless a
    kept one is handed over."""

    def __init__(
        self, opened: Callable[[], tantivy.Index], applied_seq: int, kept: tantivy.IndexWriter | None = None
    ) -> None:
        self._opened = opened
        self._writer: tantivy.IndexWriter | None = kept
        self.applied_seq = applied_seq
        self.reached = applied_seq
        # The dataset of the log's entry at ``reached`` (None: not known): which history of the
        # log the index follows (``indexing.rebuilt_if_ahead``).
        self.reached_id: str | None = None
        # Every document removed (a rebuild): answers remembered under the same sequence number
        # may be of another history (a database restored, then written to as far again).
        self.cleared = False
        # Whether a dataset leaves the public listings (hidden, removed, or all cleared): the
        # pages' earlier facet counts may then name what it held (``SearchIndex.counts``).
        self.withheld = False

    @property
    def writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._opened().writer(WRITER_HEAP, 1)
        return self._writer

    def take_writer(self) -> tantivy.IndexWriter | None:
        """The writer, for the index to keep after a successful commit (the batch forgets it)."""
        writer, self._writer = self._writer, None
        return writer

    def put(self, doc: SearchDocument) -> None:
        self.writer.delete_documents_by_term("id", doc.id)
        self.writer.add_document(_document(doc))
        if not is_public(doc):
            self.withheld = True

    def remove(self, dataset_id: str) -> None:
        self.writer.delete_documents_by_term("id", dataset_id)
        self.withheld = True

    def clear(self) -> None:
        self.writer.delete_all_documents()
        self.withheld = True
        self.cleared = True

    def reach(self, seq: int, dataset_id: str | None = None) -> None:
        if seq > self.reached or (seq == self.reached and dataset_id is not None):
            self.reached, self.reached_id = seq, dataset_id

    def commit(self) -> None:
        if self._writer is not None:
            try:
                self._writer.commit()
            except ValueError as error:  # Tantivy's failures to write its files
                raise IndexWriteError(str(error)) from error

    def rollback(self) -> None:
        if self._writer is not None:
            self._writer.rollback()

    def close(self) -> None:
        if self._writer is not None:
            # Consumes the writer: Tantivy's lock is released even when the block failed.
            self._writer.wait_merging_threads()
            self._writer = None


# The largest group of equal sort keys ordered by id (past it, Tantivy's order stands).
MAX_TIED_GROUP = 10_000
# Hits read past a relevance page, so that a group of equal scores it ends in is seen whole at once.
TIE_MARGIN = 16


class SearchIndex:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with contextlib.suppress(OSError):  # a folder that cannot be made: said at the open below
            directory.mkdir(parents=True, exist_ok=True)
        self.schema = schema.build()
        self._opening = threading.Lock()
        # An index another release built (another VERSION) is replaced only when this process
        # first uses it (``index``): a command of a new release that never searches (doctor,
        # backup, one refused) emptied the index the previous release's servers were still
        # serving during an upgrade.
        self._index: tantivy.Index | None = None
        try:
            with self._locked():
                if self.other_version() is None:
                    self._index = self._opened_or_reset()
        except OSError as error:
            # A folder that refuses writes (a read-only mount, lost permissions): this process
            # starts without its index, as it would go on without it (a worker started then died
            # at once, and granian stopped the node as crash-looping); what needs the index
            # answers 503 until it opens (``index``).
            _warn_once_a_minute("the search index cannot be opened: %s", error)
        self.applied_seq = self._own_meta().get("applied_seq", -1)
        # The sequence this process's searchers reflect: the reader is reloaded past it.
        self.loaded_seq = self.applied_seq
        # Threads of one process take turns as the writer before competing with other processes.
        self._writer_turn = threading.Lock()
        # The lock file held and the writer kept between batches (keep_writer), or None.
        self._held: IO[str] | None = None
        self._kept: tantivy.IndexWriter | None = None
        self._last_change = 0.0
        self._keeping = False
        self._keeper_thread: threading.Thread | None = None
        # Another process (opencat.index_keeper) keeps this index up: wait for it before writing.
        self.keeper_expected = False
        self._counted: Remembered[Counts] = Remembered()
        # The last counts of each request whatever the sequence, when they were made, and the
        # index's withheld mark then (``withheld_mark``).
        self._latest_counts: Remembered[tuple[Counts, float, int]] = Remembered()
        self._recounting: set[tuple[Any, ...]] = set()
        self._recounting_lock = threading.Lock()
        self._found: Remembered[SearchHits] = Remembered()
        # Per request ordered by a number, the sort value of its page's last hit, whatever the
        # sequence: where the next search of the page may start looking (``_search``).
        self._bounds: Remembered[int] = Remembered()
        self._rebuilt_checked = time.monotonic()

    @property
    def index(self) -> tantivy.Index:
        """The index, opened (another release's replaced by an empty one) at first use."""
        if self._index is None:
            with self._opening:
                if self._index is None:
                    try:
                        with self._locked():
                            self._index = self._opened_or_reset()
                    except OSError as error:  # its folder refuses writes: a 503, not a 500
                        _warn_once_a_minute("the search index cannot be opened: %s", error)
                        raise Unavailable(Reason.SEARCH_INDEX_UNAVAILABLE) from error
        return self._index

    def _opened_or_reset(self) -> tantivy.Index:
        """Under the machine's lock: the index on disk, or an empty one in its place when there is
        none, it is another release's, or it is damaged."""
        if self._read_meta().get("version") != schema.VERSION:
            self._reset()
        try:
            opened = tantivy.Index(self.schema, path=str(self.directory))
        except ValueError as error:  # Tantivy's "Data corrupted", a footer that does not match
            # Derived data: rebuilt from the database (by serve, reindex or the next listing)
            # rather than stopping every command, backup and reindex included.
            logger.warning("the search index in %s is damaged (%s): starting it again", self.directory, error)
            self._reset()
            opened = tantivy.Index(self.schema, path=str(self.directory))
        for name, analyzer in schema.analyzers().items():
            opened.register_tokenizer(name, analyzer)
        return opened

    def other_version(self) -> int | None:
        """The version of an index another release built here, not replaced yet; None when the
        index is this release's or there is none."""
        found = self._read_meta().get("version")
        return None if found is None or found == schema.VERSION else found

    def _own_meta(self) -> dict[str, int]:
        """The index's notes, when they are this release's (another's say nothing of this index)."""
        meta = self._read_meta()
        return meta if meta.get("version") == schema.VERSION else {}

    def _read_meta(self) -> dict[str, int]:
        try:
            meta: dict[str, int] = json.loads((self.directory / _META).read_text())
        except (OSError, ValueError):
            return {}
        return meta

    def _write_meta(self, applied_seq: int, withheld: int = 0, applied_id: str | None = None) -> None:
        """``withheld``: how many commits took a dataset out of the public listings (it moves the
        pages' facet counts made before them out of use); ``applied_id``: the dataset of the
        log's entry at ``applied_seq``."""
        temporary = self.directory / f"{_META}.tmp"
        meta: dict[str, object] = {
            "version": schema.VERSION,
            "applied_seq": applied_seq,
            "withheld": withheld,
        }
        if applied_id is not None:
            meta["applied_id"] = applied_id
        temporary.write_text(json.dumps(meta))
        temporary.replace(self.directory / _META)

    def applied_id(self) -> str | None:
        """The dataset of the log's entry this index applied last, when it was recorded."""
        return _text_or_none(self._own_meta().get("applied_id"))

    def withheld_mark(self) -> int:
        """The count of commits that took a dataset out of the public listings, on this machine."""
        return self._own_meta().get("withheld", 0)

    def _reset(self) -> None:
        """An index of another shape (or none): start empty, to be rebuilt from the database."""
        for entry in self.directory.iterdir():
            if entry.name != _LOCK:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        self._write_meta(-1)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        handle = self._acquire()
        try:
            yield
        finally:
            _release(handle)

    def _acquire(self) -> IO[str]:
        """The machine-wide lock, queued for: a process keeping the writer sees the queue and lets
        go (otherwise a busy server would keep it forever)."""
        with (self.directory / _QUEUE).open("a") as queue:
            fcntl.flock(queue, fcntl.LOCK_EX)
            handle = (self.directory / _LOCK).open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
            except BaseException:
                handle.close()
                raise
        return handle  # the queue is let go when its file closes

    def _someone_queues(self) -> bool:
        return _taken(self.directory / _QUEUE)

    def held_elsewhere(self) -> bool:
        """Whether another process (or index object) holds the writer lock right now."""
        return self._held is None and _taken(self.directory / _LOCK)

    def keep_writer(self) -> None:
        """Keep the writer between batches (opencat.index_keeper's process): a thread lets it go
        after ``KEEP_IDLE_SECONDS`` without a change, or as soon as another process queues."""
        self._keeping = True

    def _let_go(self) -> None:
        """Close the kept writer (its merges finish first) and the lock. Under ``_writer_turn``."""
        kept, self._kept = self._kept, None
        held, self._held = self._held, None
        try:
            if kept is not None:
                kept.wait_merging_threads()
        finally:
            if held is not None:
                _release(held)

    def _keeper(self) -> None:
        """While the writer is kept: let it go when idle or asked for."""
        while True:
            time.sleep(KEEPER_POLL_SECONDS)
            with self._writer_turn:
                idle = time.monotonic() - self._last_change > KEEP_IDLE_SECONDS
                if self._held is None or idle or self._someone_queues():
                    self._stop_keeping()
                    return

    def let_go(self) -> None:
        """Close a kept writer now (a keeper stopping)."""
        with self._writer_turn:
            self._stop_keeping()

    def _stop_keeping(self) -> None:
        """Under ``_writer_turn``: the next batch that keeps the writer starts a new keeper."""
        self._keeper_thread = None
        self._let_go()

    @contextmanager
    def writing(self) -> Iterator[Batch]:
        """The only writer, across every thread and process of this machine, for the block."""
        _ = self.index  # opened (another release's replaced) before this process holds the lock
        with self._writer_turn:
            if self._held is None:
                self._held = self._acquire()
            meta = self._read_meta()
            applied, withheld = meta.get("applied_seq", -1), meta.get("withheld", 0)
            batch = Batch(self._opened, applied, self._kept)
            batch.reached_id = _text_or_none(meta.get("applied_id"))
            self._kept = None
            try:
                yield batch
                batch.commit()
                if batch.reached != applied or batch.withheld:
                    withheld = withheld + 1 if batch.withheld else withheld
                    self._write_meta(batch.reached, withheld, batch.reached_id)
                self.applied_seq = batch.reached
            except BaseException:
                try:
                    batch.rollback()
                    batch.close()
                finally:
                    self._let_go()
                raise
            if not self._keeping:
                try:
                    batch.close()
                finally:
                    self._let_go()
            else:
                self._kept = batch.take_writer()
                self._last_change = time.monotonic()
                if self._keeper_thread is None:
                    self._keeper_thread = threading.Thread(
                        target=self._keeper, name="index-keeper", daemon=True
                    )
                    self._keeper_thread.start()
            if batch.cleared:
                self._forget(batch.reached)
            elif batch.reached != self.loaded_seq:
                self._reload()
                self.loaded_seq = batch.reached

    def _opened(self) -> tantivy.Index:
        """The index opened again, for a writer taken (one kept goes on with its own): Tantivy
        keeps the list of the files it manages in the index object, and a writer's commit
        writes that list back. This process's copy, read when it started, lacked the segments
        other processes wrote since: their files were left out of the list, never deleted."""
        opened = tantivy.Index(self.schema, path=str(self.directory))
        for name, analyzer in schema.analyzers().items():
            opened.register_tokenizer(name, analyzer)
        return opened

    def present(self) -> bool:
        """Whether this machine's index is on disk (its directory removed under a running node
        leaves every listing failing while the applied sequence would read as "never built")."""
        return (self.directory / _META).is_file()

    def current_seq(self) -> int:
        """The sequence this machine's index reached, whichever process advanced it."""
        self.applied_seq = self._own_meta().get("applied_seq", -1)
        return self.applied_seq

    def ask_for_changes(self) -> None:
        """Tell the process keeping this index that a listing waits for the changes it has not
        applied yet: a file's modification time, set to the clock's nanoseconds (the kernel's own
        file times move by the tick, and two asks in one tick would look like one)."""
        path = self.directory / _WANTED
        now = time.time_ns()
        try:
            try:
                os.utime(path, ns=(now, now))
            except FileNotFoundError:
                path.touch()
                os.utime(path, ns=(now, now))
        except OSError as error:
            # Only a hint (the keeper applies the changes on its own soon): the listing goes on,
            # and answers 503 if it cannot write them itself either.
            _warn_once_a_minute("the index keeper could not be asked for the changes: %s", error)

    def check_writable(self) -> None:
        """Raise ``OSError`` unless a file can be made and removed in the index's directory (the
        only sure test: a read-only mount or an immutable directory passes every permission check)."""
        probe = self.directory / f".opencat-probe-{os.getpid()}-{threading.get_ident()}"
        probe.write_bytes(b"")
        probe.unlink()

    def changes_asked(self) -> int:
        """The mark ``ask_for_changes`` last left (0: never asked)."""
        try:
            return (self.directory / _WANTED).stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def reached(self, seq: int) -> bool:
        """Whether searches here see every change up to ``seq``; when another process of this
        machine got there, the reader is reloaded first (Tantivy would only catch up later).

        At most every ``REBUILT_CHECK_SECONDS``, the index is also checked for a rebuild by
        another process that took it back to an earlier sequence (``opencat reindex`` on a
        running node, or the keeper after a database restore): this process's mark would
        otherwise count every later change as applied."""
        if seq <= self.loaded_seq:
            now = time.monotonic()
            if now - self._rebuilt_checked < REBUILT_CHECK_SECONDS:
                return True
            self._rebuilt_checked = now
            current = self.current_seq()
            if current >= self.loaded_seq:
                return True
            self._forget(current)
            return seq <= current
        current = self.current_seq()
        if current < seq:
            return False
        self._reload()
        self.loaded_seq = max(self.loaded_seq, current)
        return True

    def _reload(self) -> None:
        try:
            self.index.reload()
        except ValueError as error:  # Tantivy's, for files gone under it ("Failed to acquire Lockfile")
            raise IndexWriteError(f"the index's files cannot be read again: {error}") from error

    def _forget(self, seq: int) -> None:
        """The index was rebuilt beneath this process, back to ``seq``: its reader and every
        answer remembered under a sequence are of another history."""
        self._reload()
        self.loaded_seq = seq
        for remembered in (self._found, self._counted, self._latest_counts, self._bounds):
            remembered.clear()

    def search(self, request: SearchRequest) -> SearchHits:
        """The page's ids and the exact total, remembered until the index changes (``Remembered``)."""
        key = (request, self.loaded_seq)
        found = self._found.get(key)
        if found is None:
            found = self._search(request)
            self._found.put(key, found)
        return found

    def _search(self, request: SearchRequest) -> SearchHits:
        searcher = self.index.searcher()
        query = build_query(self.index, self.schema, request)
        # Tantivy sizes its top-k heap by offset + limit: a far page must not ask for gigabytes.
        if request.offset >= searcher.num_docs or request.limit <= 0:  # a count alone (Tantivy panics on 0)
            return SearchHits((), int(searcher.search(query, 1, count=True).count or 0))  # type: ignore[attr-defined]
        limit = min(request.limit, searcher.num_docs - request.offset)
        field, order = sort_of(request)
        if field is None:
            return self._relevant(searcher, query, request, limit)
        return self._ordered(searcher, query, request, limit, field, order)

    def _relevant(
        self, searcher: tantivy.Searcher, query: tantivy.Query, request: SearchRequest, limit: int
    ) -> SearchHits:
        """The page by relevance, equal scores by id: Tantivy breaks them by a document's place in
        its segments, which differs between nodes (each its own index) and after merges, so that
        pages asked of two nodes behind one address repeated some datasets and missed others.
        The hits are read past the page until the score changes, so that every group of equal
        scores the page touches is ordered whole."""
        end = request.offset + limit
        fetch = end + TIE_MARGIN
        while True:
            result = searcher.search(query, fetch, count=True, weight_by_field="popularity")
            hits = list(result.hits)
            if len(hits) < fetch or fetch >= searcher.num_docs or hits[-1][0] != hits[end - 1][0]:
                break
            fetch = min(fetch * 4, searcher.num_docs)
        total = int(result.count or 0)  # type: ignore[attr-defined]
        if request.offset >= len(hits):
            return SearchHits((), total)
        start, stop = request.offset, min(end, len(hits))
        while start > 0 and hits[start - 1][0] == hits[request.offset][0]:
            start -= 1
        while stop < len(hits) and hits[stop][0] == hits[stop - 1][0]:
            stop += 1
        touched = sorted(
            zip((score for score, _ in hits[start:stop]), self._ids(searcher, hits[start:stop]), strict=True),
            key=lambda hit: (-hit[0], hit[1]),
        )
        skip = request.offset - start
        return SearchHits(tuple(dataset_id for _, dataset_id in touched[skip : skip + limit]), total)

    def _ordered(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        request: SearchRequest,
        limit: int,
        field: str,
        order: tantivy.Order,
    ) -> SearchHits:
        """The page of a request ordered by a field and the exact total. Ordering a million
        matches costs tens of milliseconds, counting them a few: a request ordered by a number is
        looked for among the matches at or past a bound, the one its last search ended on
        (``_bounds``), or else for a large result set the one a sample bucket gives
        (``_sampled_bound``), the total counted apart. Exact: every match outside the range sorts
        after every match inside it; when the range no longer holds the whole page (deletions,
        changed values, an unlucky sample) every match is searched."""
        total = None
        bound = self._bounds.get(request)
        if bound is None and field in schema.ORDER_FIELDS and not _range_filtered(request):
            total = _count_of(searcher, query)
            if total > SAMPLE_ABOVE:
                bound = self._sampled_bound(searcher, query, request, field, order)
        if bound is not None:
            hits = self._hits_past(searcher, query, request, limit, field, order, bound)
            if hits is not None:
                self._remember_bound(request, field, hits)
                counted = total if total is not None else _count_of(searcher, query)
                return SearchHits(self._untied(searcher, query, request, field, order, hits), counted)
        result = searcher.search(
            query, limit, count=total is None, order_by_field=field, offset=request.offset, order=order
        )
        self._remember_bound(request, field, result.hits)
        if total is None:
            total = int(result.count or 0)  # type: ignore[attr-defined]
        return SearchHits(self._untied(searcher, query, request, field, order, list(result.hits)), total)

    def _untied(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        request: SearchRequest,
        field: str,
        order: tantivy.Order,
        hits: list[tuple[Any, Any]],
    ) -> tuple[str, ...]:
        """The page's ids, datasets of one sort key ordered by id. A key holds only part of the id
        (``sort_keys``): real ids share it often enough (2,812 datasets created on one day made
        114 such groups), and Tantivy orders equal keys by a document's place in its segments,
        which moves with a write to either of them or a merge, and differs between nodes: a walk
        through the pages met one dataset twice and missed another. A group the page cuts is read
        whole (one lookup of its key) to know which of its members are the page's."""
        ids = list(self._ids(searcher, hits))
        if field not in schema.ORDER_FIELDS:
            return tuple(ids)  # the title's key ends with the whole id: no two are equal
        descending = order == tantivy.Order.Desc
        untied: list[str] = []
        start = 0
        while start < len(hits):
            key = hits[start][0]
            stop = start + 1
            while stop < len(hits) and hits[stop][0] == key:
                stop += 1
            run = ids[start:stop]
            if start == 0 or stop == len(hits):  # the group may go on before or after the page
                group = self._group(searcher, query, field, int(key), len(run))
                if group is None:
                    run.sort(reverse=descending)  # the page holds it all
                else:
                    group.sort(reverse=descending)
                    if start > 0:  # it ends the page: its first members are the page's
                        first = 0
                    elif stop < len(hits):  # it begins the page: its last members are
                        first = len(group) - len(run)
                    else:  # it is the whole page: where it begins is counted
                        first = request.offset - self._before(searcher, query, field, int(key), descending)
                    run = group[first : first + len(run)] if 0 <= first <= len(group) - len(run) else run
            else:
                run.sort(reverse=descending)  # the whole group is on the page
            untied += run
            start = stop
        return tuple(untied)

    def _group(
        self, searcher: tantivy.Searcher, query: tantivy.Query, field: str, key: int, seen: int
    ) -> list[str] | None:
        """The ids of every match of this sort key when the page does not hold them all; None
        when it does. A group too large to read whole (past ``MAX_TIED_GROUP``) is ``[]``: no
        slice of it fits the page, which keeps it as Tantivy ordered it."""
        exact = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, field, key)),
            ]
        )
        size = _count_of(searcher, exact)
        if size <= seen:
            return None
        if size > MAX_TIED_GROUP:
            return []
        return list(self._ids(searcher, list(searcher.search(exact, size, count=False).hits)))

    def _before(
        self, searcher: tantivy.Searcher, query: tantivy.Query, field: str, key: int, descending: bool
    ) -> int:
        """How many matches sort before this key."""
        ahead = tantivy.Query.range_query(
            self.schema,
            field,
            tantivy.FieldType.Integer,
            key if descending else None,
            None if descending else key,
            include_lower=not descending,
            include_upper=descending,
        )
        return _count_of(searcher, narrowed(query, ahead))

    def _hits_past(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        request: SearchRequest,
        limit: int,
        field: str,
        order: tantivy.Order,
        bound: int,
    ) -> list[tuple[Any, Any]] | None:
        """The page's hits among the matches at or past ``bound``, or None if they are too few."""
        descending = order == tantivy.Order.Desc
        within = tantivy.Query.range_query(
            self.schema,
            field,
            tantivy.FieldType.Integer,
            bound if descending else None,
            None if descending else bound,
        )
        result = searcher.search(
            narrowed(query, within),
            limit,
            count=False,
            order_by_field=field,
            offset=request.offset,
            order=order,
        )
        return list(result.hits) if len(result.hits) == limit else None

    def _sampled_bound(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        request: SearchRequest,
        field: str,
        order: tantivy.Order,
    ) -> int | None:
        """A first bound for a request ordered by a number: the sort value of the k-th match of the
        first ``BOUND_BUCKETS`` sample buckets, k chosen so that about three times the page's end
        lies before it (a 64th of the matches ordered instead of all of them). None when those
        buckets hold too few matches (a small result set: searched in full, at little cost)."""
        share = BOUND_BUCKETS / schema.SAMPLE_BUCKETS
        rank = math.ceil(3 * (request.offset + request.limit) * share) + 2
        result = searcher.search(
            sampled(self.schema, query, BOUND_BUCKETS), rank, count=False, order_by_field=field, order=order
        )
        return int(result.hits[-1][0]) if len(result.hits) == rank else None

    def _remember_bound(self, request: SearchRequest, field: str, hits: list[tuple[Any, Any]]) -> None:
        if hits and field in schema.ORDER_FIELDS:
            self._bounds.put(request, int(hits[-1][0]))

    @staticmethod
    def _ids(searcher: tantivy.Searcher, hits: list[tuple[Any, Any]]) -> tuple[str, ...]:
        return tuple(str(searcher.doc(address)["id"][0]) for _, address in hits)

    def facets(
        self, request: SearchRequest, names: Sequence[str], size: int = 20
    ) -> dict[str, list[tuple[str, int]]]:
        """Term counts of ``names`` over the documents the request matches (all of them)."""
        return self.counts(request, names, size).terms

    def counts(
        self,
        request: SearchRequest,
        names: Sequence[str],
        size: int = 20,
        coverage_cuts: Sequence[int] = (),
        fresh: bool = True,
        sample: bool = False,
        matches: "int | Future[int] | None" = None,
    ) -> Counts:
        """Term counts of ``names`` over the documents the request matches, and with
        ``coverage_cuts`` (day numbers, ascending) how many coverages start and end before each
        cut; one pass over the matches, remembered until the index changes (``Remembered``).

        ``fresh=False`` (the pages): after a change, the counts of the same request made before it
        (at most ``STALE_COUNTS_SECONDS`` ago) are answered at once while a thread counts again,
        rather than making the visitor wait for a whole recount (~0.3 s at a million datasets).

        ``sample=True`` (the pages): past ``SAMPLE_ABOVE`` matches (``matches``, the request's
        exact total, or else estimated on one bucket), the counts are made on the matches of a few
        ``sample`` buckets (about ``SAMPLE_SIZE`` datasets) and scaled to the total, marked
        ``estimated``: a pass over a million matches costs a few hundred milliseconds, over a
        sample a few. ``matches`` may be a total still being counted (a ``Future``, the page's
        search in another thread): a one-bucket estimate past ``PROBE_TRUSTED_ABOVE`` chooses the
        sample without it, and the caller scales the counts to the total (``Counts.scaled_to``);
        a smaller estimate waits for it."""
        # The page, its size and order change nothing to the counts.
        key = (
            replace(request, offset=0, limit=0, sort=None),
            tuple(names),
            size,
            tuple(coverage_cuts),
            sample,
            sample_buckets(matches) if sample and isinstance(matches, int) else None,
            self.loaded_seq,
        )
        found = self._counted.get(key)
        if found is not None:
            return found
        if not fresh:
            earlier = self._latest_counts.get(key[:-1])
            if (
                earlier is not None
                and time.monotonic() - earlier[1] < STALE_COUNTS_SECONDS
                # Not once a dataset left the listings: its tags and formats would be named still.
                and earlier[2] == self.withheld_mark()
            ):
                self._recount_later(key, request, names, size, coverage_cuts, sample, matches)
                return earlier[0]
        return self._recount(key, request, names, size, coverage_cuts, sample, matches)

    def _recount(
        self,
        key: tuple[Any, ...],
        request: SearchRequest,
        names: Sequence[str],
        size: int,
        coverage_cuts: Sequence[int],
        sample: bool,
        matches: "int | Future[int] | None",
    ) -> Counts:
        withheld = self.withheld_mark()  # before counting: a later withdrawal is seen next time
        found = self._count(request, names, size, coverage_cuts, sample, matches)
        self._counted.put(key, found)
        self._latest_counts.put(key[:-1], (found, time.monotonic(), withheld))
        return found

    def _recount_later(
        self,
        key: tuple[Any, ...],
        request: SearchRequest,
        names: Sequence[str],
        size: int,
        coverage_cuts: Sequence[int],
        sample: bool,
        matches: "int | Future[int] | None",
    ) -> None:
        """One recount per key at a time, in a thread of its own: the page that asked has gone."""
        with self._recounting_lock:
            if key in self._recounting:
                return
            self._recounting.add(key)

        def recount() -> None:
            try:
                self._recount(key, request, names, size, coverage_cuts, sample, matches)
            except Exception:  # the next page asks again, or counts in its own time
                logger.warning("a facet recount failed", exc_info=True)
            finally:
                with self._recounting_lock:
                    self._recounting.discard(key)

        threading.Thread(target=recount, name="facet-recount", daemon=True).start()

    def _count(
        self,
        request: SearchRequest,
        names: Sequence[str],
        size: int,
        coverage_cuts: Sequence[int],
        sample: bool = False,
        matches: "int | Future[int] | None" = None,
    ) -> Counts:
        searcher = self.index.searcher()
        query = build_query(self.index, self.schema, request)
        exact = matches if isinstance(matches, int) else None
        chosen = exact
        if sample and exact is None:
            # One bucket's matches tell how many there are, give or take: enough to choose, unless
            # the set may be small enough to count whole and its exact total is on its way.
            probe = searcher.aggregate(sampled(self.schema, query, 1), _SAMPLE_SIZE)
            chosen = _sampled_count(probe) * schema.SAMPLE_BUCKETS
            if isinstance(matches, Future) and chosen <= PROBE_TRUSTED_ABOVE:
                exact = chosen = matches.result()
        buckets = sample_buckets(chosen) if sample else schema.SAMPLE_BUCKETS
        aggregation: dict[str, Any] = {name: {"terms": {"field": name, "size": size}} for name in names}
        if buckets < schema.SAMPLE_BUCKETS:
            query = sampled(self.schema, query, buckets)
            aggregation.update(_SAMPLE_SIZE)
        if coverage_cuts:
            # Contiguous ranges between the cuts; their running sums count what lies before each.
            ranges = [{"to": coverage_cuts[0]}]
            ranges += [{"from": low, "to": high} for low, high in itertools.pairwise(coverage_cuts)]
            for field in schema.DAYS:
                aggregation[f"{field}_ranges"] = {"range": {"field": field, "ranges": ranges}}
        found = searcher.aggregate(query, aggregation)
        scale = 1.0
        if buckets < schema.SAMPLE_BUCKETS:
            counted = _sampled_count(found)
            if not counted:  # the sample holds nothing (a change since the total): count them all
                return self._count(request, names, size, coverage_cuts)
            # Scaled to the exact total when known (a value every match holds shows it), else by
            # the share of the buckets.
            scale = exact / counted if exact is not None else schema.SAMPLE_BUCKETS / buckets
        terms = {
            name: [
                (str(bucket["key"]), _scaled(bucket["doc_count"], scale))
                for bucket in found.get(name, {}).get("buckets", [])
            ]
            for name in names
        }
        coverage = None
        if coverage_cuts:
            # An empty index answers without buckets: what is missing counts nothing.
            before = {
                field: tuple(
                    _scaled(
                        sum(
                            int(bucket["doc_count"])
                            for bucket in found.get(f"{field}_ranges", {}).get("buckets", [])
                            if bucket.get("to") is not None and bucket["to"] <= cut
                        ),
                        scale,
                    )
                    for cut in coverage_cuts
                )
                for field in schema.DAYS
            }
            coverage = CoverageCounts(tuple(coverage_cuts), before["temporal_start"], before["temporal_end"])
        if buckets == schema.SAMPLE_BUCKETS:
            return Counts(terms, coverage)
        return Counts(terms, coverage, estimated=True, sampled=counted, scale=scale)

    def suggest(self, text: str, limit: int, offset: int = 0) -> list[str]:
        """Ids of public datasets whose title or acronym may contain ``text``, most followed first,
        from the ``offset``-th.

        Trigrams over-match (their order is not checked), so callers verify the candidates.
        """
        searcher = self.index.searcher()
        query = suggest_query(self.schema, text)
        result = searcher.search(
            query,
            limit,
            count=False,
            order_by_field=schema.SUGGEST_ORDER,
            order=tantivy.Order.Desc,
            offset=offset,
        )
        return [str(searcher.doc(address)["id"][0]) for _, address in result.hits]

    def count(self) -> int:
        return int(self.index.searcher().num_docs)
