"""The outermost ASGI layer: gives each request its id, then logs and measures what it answered."""

import contextlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import orjson

from opencat.ops import request_ids
from opencat.ops.asgi_types import ASGIApp, Message, Receive, Scope, Send
from opencat.ops.logs import direct_handler, formatted_record, write_line
from opencat.ops.metrics import Metrics

access_logger = logging.getLogger("opencat.access")
logger = logging.getLogger("opencat")
UNMATCHED = "unmatched"  # the route label of requests no route took (404s, slash redirects)


@dataclass
class _Exchange:
    status: int | None = None
    sent: int = 0
    received: int = 0
    complete: bool = False


def route_template(scope: Scope) -> str:
    """The matched route's path template (bounded label values), not the path asked."""
    template = getattr(scope.get("route"), "path", None)
    return template if isinstance(template, str) else scope.get("opencat.route", UNMATCHED)


def _target(scope: Scope) -> tuple[str, str]:
    # The path as sent (ASCII, no spaces or newlines): a log line cannot be forged through it.
    raw = scope.get("raw_path") or quote(scope["path"]).encode()
    return raw.decode("latin-1"), scope.get("query_string", b"").decode("latin-1")


def _logged_path(scope: Scope) -> str:
    """The path as a log line says it: a route holding a secret (a password reset link's token)
    is said by its template."""
    route = route_template(scope)
    return route if "{token}" in route else _target(scope)[0]


class Watched:
    """``every_answer``: headers added to every answer (the app's choice: see ``app.py``), here
    where the request id's header is added anyway rather than in a layer of their own."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, every_answer: Sequence[tuple[bytes, bytes]] = ()
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.every_answer = tuple(every_answer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_ids.request_id_of(scope.get("headers") or [])
        token = request_ids.current.set(request_id)
        exchange = _Exchange()
        started = time.perf_counter()

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                exchange.received += len(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                headers = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *self.every_answer,
                ]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                exchange.sent += len(message.get("body", b""))
                exchange.complete = not message.get("more_body", False)
            elif message["type"] == "http.response.pathsend":
                # A file the server sends itself (granian's pathsend): its size is what goes out.
                with contextlib.suppress(OSError):
                    exchange.sent += os.stat(message["path"]).st_size
                exchange.complete = True
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except Exception:
            if exchange.status is None:  # nothing answered: not even Starlette's error handler
                logger.exception("Unhandled error on %s %s", scope["method"], _logged_path(scope))
                await _server_error(sending)
            elif not exchange.complete:
                raise  # the server must cut the connection: the client would take a part for the whole
            # Otherwise the 500 went out whole and api/errors.py logged the traceback: once is enough.
        finally:
            self._record(scope, exchange, time.perf_counter() - started)
            request_ids.current.reset(token)

    def _record(self, scope: Scope, exchange: _Exchange, seconds: float) -> None:
        status = exchange.status or 500
        _, query = _target(scope)
        path, route = _logged_path(scope), route_template(scope)
        uploading = route.endswith("/upload/") and scope["method"] == "POST"
        self.metrics.observe_request(
            route, scope["method"], status, seconds, exchange.received if uploading else 0
        )
        installed = direct_handler(access_logger, logging.INFO)
        if installed is None and not access_logger.isEnabledFor(logging.INFO):
            return
        method = scope["method"]
        target = f"{path}?{query}" if query else path
        message = f"{method} {target} {status} {exchange.sent}B {seconds * 1000:.1f}ms"
        extra: dict[str, object] = {}
        if installed is None or installed.structured:  # the plain line shows none of them
            extra = {
                "method": method,
                "path": path,
                "query": query,
                "status": status,
                "bytes": exchange.sent,
                "duration_ms": round(seconds * 1000, 3),
            }
        if installed is not None:  # the line as the handler would write it, without the detour
            write_line(installed, access_logger.name, logging.INFO, message, extra)
        else:
            access_logger.handle(formatted_record(access_logger, logging.INFO, message, extra))


async def _server_error(send: Send) -> None:
    body = orjson.dumps({"message": "Internal Server Error"})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
