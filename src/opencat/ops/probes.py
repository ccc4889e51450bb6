"""``/healthz``, ``/readyz`` and ``/metrics``: answered before the API's routes, as plain ASGI."""

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from opencat.catalog.context import Catalog
from opencat.catalog.health import readiness
from opencat.ops.asgi_types import ASGIApp, Receive, Scope, Send
from opencat.ops.metrics import CONTENT_TYPE, Metrics

PATHS = ("/healthz", "/readyz", "/metrics")
_JSON = "application/json"


def ready_body(catalog: Catalog, max_index_lag: int) -> tuple[int, dict[str, Any]]:
    checks = readiness(catalog, max_index_lag)
    ok = all(check.ok for check in checks if check.critical)
    degraded = ok and not all(check.ok for check in checks)
    body = {
        # "degraded": reads and edits served, writes to the failing part refused (503 each).
        "status": "degraded" if degraded else "ok" if ok else "unavailable",
        "checks": {
            check.name: {"status": "ok" if check.ok else "failing", **check.details} for check in checks
        },
    }
    return (200 if ok else 503), body


class Probes:
    def __init__(self, app: ASGIApp, catalog: Catalog, metrics: Metrics, max_index_lag: int) -> None:
        self.app = app
        self.catalog = catalog
        self.metrics = metrics
        self.max_index_lag = max_index_lag

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if scope["type"] != "http" or path not in PATHS:
            await self.app(scope, receive, send)
            return
        scope["opencat.route"] = path  # the metrics' route label
        if scope["method"] not in ("GET", "HEAD"):
            body = orjson.dumps({"message": "The method is not allowed for the requested URL."})
            await _answer(scope, send, 405, body, _JSON, [(b"allow", b"GET, HEAD")])
            return
        if path == "/healthz":  # the process answers: nothing else is asked
            await _answer(scope, send, 200, orjson.dumps({"status": "ok"}), _JSON)
        elif path == "/readyz":
            status, found = await _in_thread(ready_body, self.catalog, self.max_index_lag)
            await _answer(scope, send, status, orjson.dumps(found), _JSON, [(b"cache-control", b"no-store")])
        else:
            text = await _in_thread(self.metrics.exposition)
            await _answer(scope, send, 200, text, CONTENT_TYPE)


async def _in_thread(function: Callable[..., Any], *arguments: Any) -> Any:
    # The checks block on the database and the disk: not on the event loop.
    return await asyncio.to_thread(function, *arguments)


async def _answer(
    scope: Scope,
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
