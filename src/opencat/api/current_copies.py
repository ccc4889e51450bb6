"""An anonymous read of a public dataset, answered before the rest of the stack when the answer
is known to be current (SQLite: the database is read on the event loop, ``db/quick_reads.py``).

- ``If-None-Match`` naming the current revision: ``304``, from one indexed read of the dataset's
  revision.
- Otherwise the full path's last answer for the same URL, kept per worker thread with the
  database's ``data_version`` read *before* that answer was rendered. An answer is served again
  only while that number is unchanged, i.e. while nothing at all was committed to the database
  since (any table, any process), and for at most ``TIME_BOUND_SECONDS``: a few fields derive
  from the clock (``quality.update_fulfilled_in_time``, ``last_update`` under a future harvested
  date, ``followers_by_months``).

Both carry the full path's status and headers (this layer sits inside the request id, access
log and metrics layers, and keeps what Starlette's own middleware added to the kept answer).

Everything else goes on to the full path, which answers every other case: a caller with a key or
a cookie, CORS (``Origin``), a mask or a header that shapes the answer, a query string, an old
slug, a private or deleted dataset, a database without quick reads.
"""

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencat.api.datasets import VARY, etag_of
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import database_version, public_revision

ROUTE = "/api/1/datasets/{ident}/"
_DATASET_PATH = re.compile(r"^/api/1/datasets/([^/]+)/$")
# Headers that change who asks or what the answer carries: their requests take the full path.
_FULL_PATH_HEADERS = frozenset(
    {b"x-api-key", b"cookie", b"authorization", b"origin", b"x-fields", b"x-get-datasets-full-objects"}
)
_VARY = f"{VARY}, Origin".encode()
TIME_BOUND_SECONDS = 5.0
# What one worker thread keeps: answers above the first bound are not kept, the second bounds all.
KEPT_ANSWER_BYTES = 512 * 1024
KEPT_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Kept:
    version: int
    until: float
    headers: list[tuple[bytes, bytes]]
    body: bytes


class _Answers:
    """The kept answers of one thread, least recently used first, within ``KEPT_BYTES``."""

    def __init__(self) -> None:
        self.by_ident: OrderedDict[str, _Kept] = OrderedDict()
        self.size = 0

    def get(self, ident: str) -> _Kept | None:
        kept = self.by_ident.get(ident)
        if kept is not None:
            self.by_ident.move_to_end(ident)
        return kept

    def put(self, ident: str, kept: _Kept) -> None:
        self.drop(ident)
        self.by_ident[ident] = kept
        self.size += len(kept.body)
        while self.size > KEPT_BYTES:
            self.drop(next(iter(self.by_ident)))

    def drop(self, ident: str) -> None:
        old = self.by_ident.pop(ident, None)
        if old is not None:
            self.size -= len(old.body)


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
        ident, if_none_match = asked
        if if_none_match is not None:
            tag = self._current_tag(ident, if_none_match)
            if tag is not None:
                await self._answer(scope, send, 304, [(b"etag", tag), (b"vary", _VARY)], b"")
                return
        version = database_version(self.catalog)
        if version is None:
            await self.app(scope, receive, send)
            return
        answers = self._answers()
        kept = answers.get(ident)
        if kept is not None and kept.version == version and self.clock() < kept.until:
            await self._answer(scope, send, 200, kept.headers, kept.body)
            return
        # Read before the full path renders: an answer is never kept under a later version.
        until = self.clock() + TIME_BOUND_SECONDS
        await self._keeping(
            scope,
            receive,
            send,
            lambda headers, body: answers.put(ident, _Kept(version, until, headers, body)),
        )

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
        keep: Callable[[list[tuple[bytes, bytes]], bytes], None],
    ) -> None:
        """The full path, whose answer is kept if it is a whole ``200`` of a bounded size."""
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
        if status == 200 and whole and size <= KEPT_ANSWER_BYTES:
            keep(headers, b"".join(chunks))

    async def _answer(
        self, scope: Scope, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        scope["opencat.route"] = ROUTE  # the metrics' label, as the full path's
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _eligible(self, scope: Scope) -> tuple[str, bytes | None] | None:
        """The dataset's identifier and the ``If-None-Match`` sent, when this layer may answer."""
        if scope["method"] != "GET" or scope.get("query_string"):
            return None
        found = _DATASET_PATH.match(scope["path"])
        if found is None or found.group(1) in self.reserved:
            return None
        if_none_match: bytes | None = None
        for name, value in scope["headers"]:
            if name in _FULL_PATH_HEADERS:
                return None
            if name == b"if-none-match":
                if if_none_match is not None:
                    return None  # sent twice: the full path decides what that means
                if_none_match = value
        return found.group(1), if_none_match

    def _current_tag(self, ident: str, if_none_match: bytes) -> bytes | None:
        """The dataset's ETag when the client's copy is current."""
        current = public_revision(self.catalog, ident)
        if current is None:
            return None
        tag = etag_of(current.dataset_id, current.revision)
        sent = [part.strip() for part in if_none_match.decode("latin-1").split(",")]
        return tag.encode() if tag in sent else None
