"""``304 Not Modified`` for a public dataset, answered before the rest of the stack.

A client (a harvester, a cache, a front-end) asking whether its copy of a dataset is current
needs one thing: the dataset's revision. When the database can read it on the event loop
(SQLite: ``db/quick_reads.py``), an anonymous ``GET /api/1/datasets/{ident}/`` with
``If-None-Match`` is answered here, with the same status and headers as the full path, without a
thread hop, the pool, a transaction or Starlette's middleware (the request id, the access log
and the metrics still apply: this layer sits inside them).

Anything else goes on to the full path, which answers every other case: a caller with a key
(private datasets, a bad key), CORS (``Origin``), a query string, an old slug, a stale copy, a
dataset that is private or deleted, a database without quick reads.
"""

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from opencat.api.datasets import VARY, etag_of
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import public_revision

ROUTE = "/api/1/datasets/{ident}/"
_DATASET_PATH = re.compile(r"^/api/1/datasets/([^/]+)/$")
# Headers that change who asks or what the answer carries: their requests take the full path.
_FULL_PATH_HEADERS = frozenset({b"x-api-key", b"origin", b"x-fields", b"x-get-datasets-full-objects"})
_VARY = f"{VARY}, Origin".encode()


def reserved_names(routes: Iterable[object]) -> frozenset[str]:
    """The literal names routes take right under ``/api/1/datasets/`` (``licenses``, ``suggest``...):
    a dataset with such a slug is reached by id only, as on the full path."""
    paths = (getattr(route, "path", "") for route in routes)
    return frozenset(
        found.group(1) for path in paths if (found := _DATASET_PATH.match(path)) and "{" not in path
    )


class CurrentCopies:
    def __init__(self, app: ASGIApp, catalog: Catalog, reserved: frozenset[str]) -> None:
        """``reserved``: the names other routes take under ``/api/1/datasets/`` (``licenses``...)."""
        self.app = app
        self.catalog = catalog
        self.reserved = reserved

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tag = self._current_tag(scope) if scope["type"] == "http" else None
        if tag is None:
            await self.app(scope, receive, send)
            return
        scope["opencat.route"] = ROUTE  # the metrics' label, as the full path's
        headers = [(b"etag", tag), (b"vary", _VARY)]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _current_tag(self, scope: Scope) -> bytes | None:
        """The dataset's ETag when the client's copy is current and this layer may say so."""
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
        if if_none_match is None:
            return None
        current = public_revision(self.catalog, found.group(1))
        if current is None:
            return None
        tag = etag_of(current.dataset_id, current.revision)
        sent = [part.strip() for part in if_none_match.decode("latin-1").split(",")]
        return tag.encode() if tag in sent else None
