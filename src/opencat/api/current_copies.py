"""Anonymous reads of the catalog (a dataset, the dataset list and search, suggestions, a
dataset's RDF) answered before the rest of the stack when the answer is known to be current
(the database's version is read on the event loop: SQLite's ``data_version``,
``db/quick_reads.py``; PostgreSQL's commit mark, ``db/commit_marks.py``).

- A dataset with ``If-None-Match`` naming its current revision: ``304``, from the ETag the full
  path last answered for that URL while the database's version is unchanged, else (SQLite) from
  one indexed read of the dataset's revision (remembered in turn). An ETag names what the answer
  derives from the clock too (``domain.quality.clock_stamp``): a remembered one is used while
  that stamp holds (the full path notes until when, ``ETAG_UNTIL``), else for
  ``TIME_BOUND_SECONDS``.
- Otherwise the full path's last answer for the same URL (path and query), kept per worker thread with the
  database's version read *before* that answer was rendered. An answer is served again
  only while that version is unchanged, i.e. while nothing at all was committed to the database
  since (any table, any process), and for at most ``TIME_BOUND_SECONDS``: a few fields derive
  from the clock (``quality.update_fulfilled_in_time``, ``last_update`` under a future harvested
  date, ``followers_by_months``). Past that bound, the first request renders the URL again and
  the others are answered the kept copy meanwhile (for ``REFRESH_GRACE_SECONDS`` at most), rather
  than all waiting for that render: the clock's fields move by the day, not by the second, while
  a search with its facets over a million datasets takes 0.1-0.2 s to render.

A copy of an older version is served still when the change log says nothing since changed it
(``_renewed``: the entries since its head are about other datasets, of aspects a page does not
read; docs/architecture.md).

Both carry the full path's status and headers (this layer sits inside the request id, access
log and metrics layers, and keeps what Starlette's own middleware added to the kept answer).

Everything else goes on to the full path, which answers every other case: a caller with a key or
a cookie, CORS (``Origin``), a mask or a header that shapes the answer, an old slug, a private or
deleted dataset, an error, a database without quick reads. The search index needs no number of
its own: a listing catches the index up to the database before it answers (catalog/indexing.py),
so what it rendered is the database's state too.
"""

import asyncio
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencat.api.answer_reads import ANSWER_READS
from opencat.api.conditional import names_current
from opencat.api.datasets import ETAG_UNTIL, VARY, etag_of
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import LogMark, database_version, log_head, public_revision, unchanged_since
from opencat.domain.dates import utc_now
from opencat.domain.quality import clock_stamp, clock_stamp_until
from opencat.domain.search import AnswerReads

ROUTE = "/api/1/datasets/{ident}/"
_DATASET_PATH = re.compile(r"^/api/1/datasets/([^/]+)/$")
# The other reads whose anonymous answers are kept, with their routes' templates (the metrics' label).
_KEPT_ROUTES = (
    (re.compile(r"^/api/1/datasets/$"), "/api/1/datasets/"),
    (re.compile(r"^/api/1/datasets/suggest/$"), "/api/1/datasets/suggest/"),
    (re.compile(r"^/api/1/datasets/suggest/formats/$"), "/api/1/datasets/suggest/formats/"),
    (re.compile(r"^/api/1/datasets/suggest/mime/$"), "/api/1/datasets/suggest/mime/"),
    (re.compile(r"^/api/2/datasets/search/$"), "/api/2/datasets/search/"),
    (re.compile(r"^/api/2/datasets/$"), "/api/2/datasets/"),
    (re.compile(r"^/api/1/datasets/[^/]+/rdf\.[a-z]+$"), "/api/1/datasets/{ident}/rdf.{format}"),
)
# Headers that change who asks or what the answer carries: their requests take the full path.
_FULL_PATH_HEADERS = frozenset(
    {b"x-api-key", b"cookie", b"authorization", b"origin", b"x-fields", b"x-get-datasets-full-objects"}
)
_VARY = f"{VARY}, Origin".encode()
TIME_BOUND_SECONDS = 5.0
# How much longer a copy past its time bound (same version) is served while one request renders it again.
REFRESH_GRACE_SECONDS = 2.0
# What one worker thread keeps: answers above the first bound are not kept, the second bounds all.
KEPT_ANSWER_BYTES = 512 * 1024
KEPT_BYTES = 32 * 1024 * 1024
# What a kept answer costs besides its body, its address and its headers: its objects (measured
# ~400 bytes with tracemalloc; the log mark and what it reads add to it). Counted, so that many
# small answers (an empty suggestion is 2 bytes) are bounded as a few large ones are.
KEPT_ENTRY_OVERHEAD = 1024
# An address longer than this is answered by the full path each time, never kept (a 60,000-
# character query made each of its answers cost that much more).
KEPT_TARGET_CHARS = 2048
# The datasets' ETags one worker thread remembers (an entry is ~200 bytes).
KEPT_TAGS = 50_000

Version = int | str


@dataclass(frozen=True, slots=True)
class _Kept:
    version: Version
    until: float
    headers: list[tuple[bytes, bytes]]
    body: bytes
    # The change log's head as of the version the answer was made under, and what the full path
    # said it was made of (``AnswerReads``): a later version whose log leaves it unchanged keeps it.
    head: LogMark | None = None
    reads: AnswerReads | None = None


@dataclass(frozen=True, slots=True)
class _Flight:
    """A URL being rendered by the full path under a version, and the answer it will keep."""

    version: Version
    answer: "asyncio.Future[_Kept | None]"
    head: LogMark | None = None


class _Answers:
    """The kept answers of one thread, least recently used first, within ``KEPT_BYTES``."""

    def __init__(self) -> None:
        self.by_ident: OrderedDict[str, _Kept] = OrderedDict()
        self.size = 0
        # URLs being rendered now: requests for the same URL under the same version wait for it
        # instead of rendering it again (an expired or invalidated answer asked by many at once).
        self.flights: dict[str, _Flight] = {}
        # A dataset's identifier as asked -> the version and ETag the full path last answered,
        # and until when (an ETag names what the answer derives from the clock too).
        self.tags: OrderedDict[str, tuple[Version, bytes, float]] = OrderedDict()

    def tag(self, dataset: str, version: Version, now: float) -> bytes | None:
        known = self.tags.get(dataset)
        return known[1] if known is not None and known[0] == version and now < known[2] else None

    def put_tag(self, dataset: str, version: Version, tag: bytes, until: float) -> None:
        self.tags.pop(dataset, None)
        self.tags[dataset] = (version, tag, until)
        if len(self.tags) > KEPT_TAGS:
            self.tags.popitem(last=False)

    def get(self, ident: str) -> _Kept | None:
        kept = self.by_ident.get(ident)
        if kept is not None:
            self.by_ident.move_to_end(ident)
        return kept

    def put(self, ident: str, kept: _Kept) -> None:
        self.drop(ident)
        if len(ident) > KEPT_TARGET_CHARS:
            return
        self.by_ident[ident] = kept
        self.size += _cost(ident, kept)
        while self.size > KEPT_BYTES:
            self.drop(next(iter(self.by_ident)))

    def drop(self, ident: str) -> None:
        old = self.by_ident.pop(ident, None)
        if old is not None:
            self.size -= _cost(ident, old)


def _cost(ident: str, kept: _Kept) -> int:
    """What a kept answer holds in memory, near enough: body, address, headers and objects."""
    headers = sum(len(name) + len(value) for name, value in kept.headers)
    return len(kept.body) + len(ident) + headers + KEPT_ENTRY_OVERHEAD


def reserved_names(routes: Iterable[object]) -> frozenset[str]:
    """The literal names routes take right under ``/api/1/datasets/`` (``licenses``, ``suggest``...):
    a dataset with such a slug is reached by id only, as on the full path."""
    paths = (getattr(route, "path", "") for route in routes)
    return frozenset(
        found.group(1) for path in paths if (found := _DATASET_PATH.match(path)) and "{" not in path
    )


class CurrentCopies:
    def __init__(
        self,
        app: ASGIApp,
        catalog: Catalog,
        reserved: frozenset[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``reserved``: the names other routes take under ``/api/1/datasets/`` (``licenses``...)."""
        self.app = app
        self.catalog = catalog
        self.reserved = reserved
        self.clock = clock
        self._local = threading.local()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = self._eligible(scope) if scope["type"] == "http" else None
        if asked is None:
            await self.app(scope, receive, send)
            return
        route, dataset, if_none_match = asked
        version = await database_version(self.catalog)
        answers = self._answers()
        target = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        kept = answers.get(target)
        flight = answers.flights.get(target)
        if version is not None and kept is not None and kept.version != version and self._fresh(kept, flight):
            # Before the ETag's check: a copy renewed under this version says its ETag is current.
            kept = self._renewed(answers, target, dataset, kept, version)
        if dataset is not None and if_none_match is not None:
            tag = self._tag_sent(answers, dataset, version, if_none_match)
            if tag is not None:
                await self._not_modified(scope, send, tag)
                return
        if version is None:
            await self.app(scope, receive, send)
            return
        if kept is not None and kept.version == version and self._fresh(kept, flight):
            await self._answer(scope, send, route, 200, kept.headers, kept.body)
            return
        if flight is not None and flight.version == version and if_none_match is None:
            # The same URL is being rendered under the same version: its answer is this one's too
            # (a 304 would need the ETag compared, so requests with If-None-Match do not wait).
            shared = await asyncio.shield(flight.answer)
            if shared is not None:
                await self._answer(scope, send, route, 200, shared.headers, shared.body)
                return
        own = _Flight(version, asyncio.get_running_loop().create_future(), log_head(self.catalog, version))
        if flight is None or flight.answer.done() or flight.version != version:
            answers.flights[target] = own
        try:
            await self._keeping(scope, receive, send, self._keeper(scope, answers, target, dataset, own))
        finally:
            if answers.flights.get(target) is own:
                del answers.flights[target]
            if not own.answer.done():
                own.answer.set_result(None)  # nothing to share: whoever waited takes the full path

    def _renewed(
        self, answers: "_Answers", target: str, dataset: str | None, kept: _Kept, version: Version
    ) -> _Kept | None:
        """The kept answer under the new version, when what was logged since it was made leaves
        it as it is (another dataset followed, a resource added elsewhere, a session opened:
        every write ended every kept answer, and a list page was made again after each);
        otherwise None."""
        if kept.head is None or kept.reads is None:
            return None
        head = unchanged_since(self.catalog, kept.head, kept.reads, version)
        if head is None:
            return None
        renewed = replace(kept, version=version, head=head)
        answers.put(target, renewed)
        tag = next((value for name, value in kept.headers if name == b"etag"), None)
        if dataset is not None and tag is not None:
            answers.put_tag(dataset, version, tag, kept.until)
        return renewed

    def _fresh(self, kept: _Kept, flight: "_Flight | None") -> bool:
        """Whether a copy of the current version may be served: within its time bound, or a
        little past it while a request renders the same URL under the same version again."""
        now = self.clock()
        if now < kept.until:
            return True
        refreshing = flight is not None and flight.version == kept.version and not flight.answer.done()
        return refreshing and now < kept.until + REFRESH_GRACE_SECONDS

    def _tag_sent(
        self, answers: "_Answers", dataset: str, version: Version | None, if_none_match: bytes
    ) -> bytes | None:
        """The dataset's current ETag when the client sent it. The ETag the full path answered
        under this version is the current one; without it, SQLite reads the dataset's revision
        (PostgreSQL has no read on the loop)."""
        known = None if version is None else answers.tag(dataset, version, self.clock())
        if known is None:
            known = self._current_tag(answers, dataset, version)
        return known if known is not None and _names(if_none_match, known.decode("latin-1")) else None

    def _keeper(
        self, scope: Scope, answers: "_Answers", target: str, dataset: str | None, own: _Flight
    ) -> Callable[[int, list[tuple[bytes, bytes]], bytes], None]:
        """What to do with the full path's answer: remember the dataset's ETag, keep a 200 and
        hand it to whoever waits for the same URL."""
        # Read before the full path renders: an answer is never kept under a later version.
        until = self.clock() + TIME_BOUND_SECONDS

        def keep(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
            if dataset is not None:
                tag = next((value for name, value in headers if name == b"etag"), None)
                if tag is not None:
                    answers.put_tag(dataset, own.version, tag, self._tag_until(scope.get(ETAG_UNTIL), until))
            if status == 200:
                made = _Kept(own.version, until, headers, body, own.head, scope.get(ANSWER_READS))
                answers.put(target, made)
                own.answer.set_result(made)

        return keep

    async def _not_modified(self, scope: Scope, send: Send, tag: bytes) -> None:
        await self._answer(scope, send, ROUTE, 304, [(b"etag", tag), (b"vary", _VARY)], b"")

    def _answers(self) -> _Answers:
        answers: _Answers | None = getattr(self._local, "answers", None)
        if answers is None:
            answers = self._local.answers = _Answers()
        return answers

    async def _keeping(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        keep: Callable[[int, list[tuple[bytes, bytes]], bytes], None],
    ) -> None:
        """The full path, whose answer is kept if it is a whole ``200`` or ``304`` of a bounded
        size (a ``304`` only tells the dataset's current ETag)."""
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        size = 0
        whole = False

        async def sending(message: Message) -> None:
            nonlocal status, headers, size, whole
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                size += len(body)
                if size <= KEPT_ANSWER_BYTES:
                    chunks.append(body)
                whole = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, sending)
        if status in (200, 304) and whole and size <= KEPT_ANSWER_BYTES:
            keep(status, headers, b"".join(chunks))

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        route: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        scope["opencat.route"] = route  # the metrics' label, as the full path's
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _eligible(self, scope: Scope) -> tuple[str, str | None, bytes | None] | None:
        """The route's template, the dataset's identifier (for a dataset's own URL) and the
        ``If-None-Match`` sent, when this layer may answer."""
        if scope["method"] != "GET":
            return None
        query = scope.get("query_string", b"")
        if b"\x00" in query or b"%00" in query:
            return None  # the full path refuses it (api/endpoint.py)
        path = scope["path"]
        route, dataset = self._route(path)
        if route is None:
            return None
        if_none_match: bytes | None = None
        for name, value in scope["headers"]:
            if name in _FULL_PATH_HEADERS:
                return None
            if name == b"if-none-match":
                if if_none_match is not None:
                    return None  # sent twice: the full path decides what that means
                if_none_match = value
        return route, dataset, if_none_match

    def _route(self, path: str) -> tuple[str | None, str | None]:
        found = _DATASET_PATH.match(path)
        if found is not None and found.group(1) not in self.reserved:
            return ROUTE, found.group(1)
        for pattern, template in _KEPT_ROUTES:
            if pattern.match(path):
                return template, None
        return None, None

    def _current_tag(self, answers: "_Answers", ident: str, version: Version | None) -> bytes | None:
        """The public dataset's current ETag, read on the loop (SQLite), remembered under the
        database's version (read before it: never older than the tag) while its stamp holds."""
        current = public_revision(self.catalog, ident)
        if current is None:
            return None
        now = utc_now()
        stamp = clock_stamp(current.frequency, current.last_update, now)
        tag = etag_of(current.dataset_id, current.revision, stamp).encode()
        if version is not None:
            until = clock_stamp_until(current.frequency, current.last_update, now)
            answers.put_tag(ident, version, tag, self._tag_until(until, 0.0))
        return tag

    def _tag_until(self, stamp_until: object, otherwise: float) -> float:
        """On this layer's clock, until when an ETag may be used: while its clock stamp holds
        (``ETAG_UNTIL``, a date), else for ``otherwise``."""
        if not isinstance(stamp_until, datetime):
            return otherwise
        return self.clock() + max(0.0, (stamp_until - utc_now()).total_seconds())


def _names(if_none_match: bytes, tag: str) -> bool:
    """Whether the ``If-None-Match`` sent names this ETag, as the full path reads it."""
    return names_current(if_none_match.decode("latin-1"), tag)
