"""A small remote site on loopback for harvesting tests: documents by path, with validators, that a
test can change between requests; every request is recorded with its conditional headers and,
in ``spans``, when it came in and when its answer was ready (``time.monotonic``)."""

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.local_http import serving as serving_thread


@dataclass
class Document:
    body: bytes
    content_type: str = "application/json"
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    location: str | None = None
    delay: float = 0.0  # seconds before answering (a slow source)


@dataclass(frozen=True)
class Request:
    path: str
    accept: str | None
    if_none_match: str | None
    if_modified_since: str | None


@dataclass(frozen=True)
class Span:
    """One request's time at the server: ``ended`` is taken before the answer is written, so a
    client that waits for an answer before its next request starts that one after ``ended``."""

    path: str
    started: float
    ended: float


@dataclass
class Site:
    documents: dict[str, Document] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: "SiteServer"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        started = time.monotonic()
        site = self.server.site
        site.requests.append(
            Request(
                self.path,
                self.headers["Accept"],
                self.headers["If-None-Match"],
                self.headers["If-Modified-Since"],
            )
        )
        document = site.documents.get(self.path) or site.documents.get(urlsplit(self.path).path)
        if document is None:
            site.spans.append(Span(self.path, started, time.monotonic()))
            self._reply(404, {}, b"")
            return
        if document.delay:
            self.server.release.wait(document.delay)
        site.spans.append(Span(self.path, started, time.monotonic()))
        headers = {"Content-Type": document.content_type}
        if document.location:
            headers["Location"] = document.location
        if document.etag:
            headers["ETag"] = document.etag
        if document.last_modified:
            headers["Last-Modified"] = document.last_modified
        unchanged = (document.etag and self.headers["If-None-Match"] == document.etag) or (
            document.last_modified and self.headers["If-Modified-Since"] == document.last_modified
        )
        if unchanged and document.status == 200:
            self._reply(304, headers, b"")
            return
        self._reply(document.status, headers, document.body)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = site
        self.release = threading.Event()  # ends slow answers at teardown

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@contextlib.contextmanager
def serving(site: Site) -> Iterator[SiteServer]:
    with serving_thread(SiteServer(site)) as server:
        try:
            yield server
        finally:
            server.release.set()  # ends slow answers before the server waits for them
