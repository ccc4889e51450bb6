"""The floor: what opencat's own stack can do, with no database and no rendering.

A minimal Starlette app under the same granian, started the way ``opencat serve`` starts opencat
(same worker count, interface and options), that answers each benchmarked request with the status,
headers (content type, ETag, Vary) and bytes opencat served for it, recorded just before the run.
Writes made on the fly (a random dataset each) get the answer recorded for one of their kind.

With ``--read-database URL`` it is the **ceiling** instead: before answering a dataset's URL it
reads that dataset's revision from the database (one primary-key SELECT, on the event loop for
SQLite, on a few asynchronous connections for PostgreSQL), the least any server must do to know
that the bytes it holds are current. What it reaches bounds what a Python server that checks
the database once per request can reach under this granian.

    python -m bench.http.floor --port 8001 --workers 2 --responses responses.json
"""

import argparse
import asyncio
import base64
import json
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

RESPONSES = "OPENCAT_BENCH_FLOOR_RESPONSES"
READ_DATABASE = "OPENCAT_BENCH_FLOOR_READ_DATABASE"
_DATASET_PATH = re.compile(r"^/api/1/datasets/([0-9a-f]{24})/$")
_POSTGRES_CONNECTIONS = 4
KEPT_HEADERS = ("content-type", "etag", "vary", "location")


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: dict[str, str]
    body: bytes


def key(method: str, target: str, if_none_match: str | None) -> str:
    """Method, path and query string as sent, and the If-None-Match header if any."""
    return f"{method} {target} {if_none_match or ''}"


def kind_key(method: str, target: str) -> str:
    """The fallback of writes made on the fly: ``POST */followers/``, ``POST */resources/``."""
    path = target.partition("?")[0].rstrip("/")
    return f"{method} */{path.rpartition('/')[2]}/"


def save(path: Path, table: dict[str, Recorded]) -> None:
    path.write_text(
        json.dumps(
            {
                name: {"status": r.status, "headers": r.headers, "body": base64.b64encode(r.body).decode()}
                for name, r in table.items()
            }
        )
    )


def load(path: Path) -> dict[str, Recorded]:
    return {
        name: Recorded(item["status"], item["headers"], base64.b64decode(item["body"]))
        for name, item in json.loads(path.read_text()).items()
    }


Reader = Callable[[str], Awaitable[object]]


def _sqlite_reader(path: str) -> Reader:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    async def read(dataset_id: str) -> object:
        row = connection.execute("SELECT revision FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        return row[0] if row else None

    return read


def _postgres_reader(url: str) -> Reader:
    import psycopg

    connections: list[psycopg.AsyncConnection[tuple[object, ...]]] = []
    idle: asyncio.Queue[psycopg.AsyncConnection[tuple[object, ...]]] = asyncio.Queue()

    async def read(dataset_id: str) -> object:
        if not connections:  # opened on the first request, on the worker's own loop
            for _ in range(_POSTGRES_CONNECTIONS):
                connection = await psycopg.AsyncConnection.connect(url, autocommit=True)
                connections.append(connection)
                idle.put_nowait(connection)
        connection = await idle.get()
        try:
            cursor = await connection.execute("SELECT revision FROM datasets WHERE id = %s", (dataset_id,))
            row = await cursor.fetchone()
            return row[0] if row else None
        finally:
            idle.put_nowait(connection)

    return read


def _reader(url: str) -> Reader:
    if url.startswith("sqlite:///"):
        return _sqlite_reader(url.removeprefix("sqlite:///"))
    return _postgres_reader(url.replace("postgresql+psycopg://", "postgresql://"))


def build() -> Starlette:
    table = load(Path(os.environ[RESPONSES]))
    read_url = os.environ.get(READ_DATABASE)
    read = _reader(read_url) if read_url else None

    async def answer(request: Request) -> Response:
        if request.method == "POST":
            await request.body()
        if read is not None:
            found = _DATASET_PATH.match(request.url.path)
            if found and await read(found.group(1)) is None:
                return Response(b"the ceiling read no row: not the benchmark's database?", 500)
        query = request.scope["query_string"].decode()
        target = request.url.path + (f"?{query}" if query else "")
        recorded = table.get(key(request.method, target, request.headers.get("if-none-match")))
        if recorded is None:
            recorded = table.get(kind_key(request.method, target))
        if recorded is None:
            return Response(b"not recorded", 404)
        return Response(recorded.body, recorded.status, headers=recorded.headers)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])


def main() -> None:
    from granian import Granian
    from granian.constants import Interfaces

    from opencat import lifeline

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--responses", type=Path, required=True)
    parser.add_argument("--read-database", help="a database URL: be the ceiling (see above)")
    args = parser.parse_args()
    os.environ[RESPONSES] = str(args.responses.resolve())
    if args.read_database:
        os.environ[READ_DATABASE] = args.read_database
    # As opencat.cli._serve does: only the target differs.
    lifeline.tie_forked_workers()
    Granian(
        "bench.http.floor:build",
        address=args.host,
        port=args.port,
        workers=args.workers,
        interface=Interfaces.ASGI,
        respawn_failed_workers=True,
    ).serve(target_loader=lifeline.load_app)


if __name__ == "__main__":
    main()
