"""A real local HTTP server for remote catalogs, and a plain urllib Fetcher to read it."""

import contextlib
import http.client
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from opencat.domain.harvest import FetchedPage, HarvestSourceError, ItemFailure, RemoteDataset

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "harvest"


@dataclass(frozen=True)
class Reply:
    body: bytes
    content_type: str | None = None
    status: int = 200
    delay: float = 0.0  # seconds before answering (a slow source)


Route = Reply | Callable[[str], Reply]  # a callable gets the path with its query


class CatalogServer:
    """Answers ``routes[path_and_query]``; anything else is a 404. ``requests`` lists what was asked."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?", 1)[0])
                reply = (route(self.path) if callable(route) else route) or Reply(
                    b"not found", "text/plain", 404
                )
                time.sleep(reply.delay)
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                # the client may have given up waiting (the timeout tests)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


class UrllibFetcher:
    """The Fetcher protocol in a few lines of the standard library (the guarded fetcher replaces it
    in production). Its connection is closed whatever happens: a socket left to the garbage
    collector after a timeout warns wherever it is collected (a read-ahead thread, say)."""

    def __init__(self, timeout: float = 2.0) -> None:
        self.timeout = timeout

    def get(self, url: str, *, accept: str = "*/*", conditional: bool = True) -> FetchedPage:
        parts = urllib.parse.urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=self.timeout)
        try:
            connection.request("GET", target, headers={"Accept": accept})
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise HarvestSourceError(f"{url} could not be read: {error}") from None
        finally:
            connection.close()
        if response.status >= 400:
            raise HarvestSourceError(f"{url} answered {response.status}")
        return FetchedPage(
            url=url, status=response.status, content_type=response.getheader("Content-Type"), body=body
        )


@pytest.fixture
def remote() -> Iterator[CatalogServer]:
    server = CatalogServer()
    yield server
    server.close()


@pytest.fixture
def fetcher() -> UrllibFetcher:
    return UrllibFetcher()


def collect(
    items: Iterator[RemoteDataset | ItemFailure],
) -> tuple[list[RemoteDataset], list[ItemFailure]]:
    datasets: list[RemoteDataset] = []
    failures: list[ItemFailure] = []
    for item in items:
        (datasets if isinstance(item, RemoteDataset) else failures).append(item)  # type: ignore[arg-type]
    return datasets, failures
