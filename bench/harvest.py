"""Harvest speed: a generated catalog exported by opencat, harvested by another opencat.

The remote catalog is loaded by bench/search's loader (``bench.generate``'s datasets), and its
pages are fetched once through the app (as a harvester of it would get them) and kept: API v1's
``/api/1/datasets/`` (``--backend udata``) or the DCAT catalog ``/api/1/site/catalog.nt`` paged
with hydra (``--backend dcat``). A static server on loopback then serves them, so that what is
timed is the harvest itself: fetching pages, reading them, mapping, writing (with the history and
the search outbox), and the re-run of the unchanged source. After the first run the search index
is brought up to the outbox head (what ``opencat serve``'s index keeper does as the run goes),
timed; the harvesting process's peak memory is read after each step.

    python -m bench.harvest --datasets 10000 [--backend dcat] [--postgres postgresql://postgres@127.0.0.1/postgres]

``--pages DIR`` keeps the exported pages in DIR and reuses them on the next run with the same
``--datasets`` and ``--backend`` (loading and exporting 100,000 datasets takes minutes);
``--skip-sqlite`` harvests into PostgreSQL only.
"""

import argparse
import contextlib
import resource
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from starlette.testclient import TestClient

from bench.generate import Catalog as Generator
from bench.search.loading import Setup, load_all
from opencat.app import build_catalog, create_app
from opencat.catalog import accounts, indexing
from opencat.catalog.harvest_sources import SourceFields, add_source
from opencat.catalog.harvesting import RunOptions, run_source
from opencat.config import Settings
from opencat.db.engine import normalize_url
from opencat.db.migrate import upgrade
from opencat.links.harvest_fetch import HarvestPolicy

PAGE_SIZE = 1000
TARGET_DATABASE = "opencat_bench_harvest"


FIRST_PAGE = {
    "udata": f"/api/1/datasets/?page_size={PAGE_SIZE}",
    "dcat": f"/api/1/site/catalog.nt?page_size={PAGE_SIZE}&page=1",
}
CONTENT_TYPES = {"udata": "application/json", "dcat": "application/n-triples"}
_HYDRA_NEXT = b"<http://www.w3.org/ns/hydra/core#next>"


def _next_page(backend: str, body: bytes) -> str | None:
    if backend == "udata":
        found: str | None = orjson.loads(body)["next_page"]
        return found
    for line in body.splitlines():  # N-Triples: one triple a line
        if _HYDRA_NEXT in line:
            return line.split(_HYDRA_NEXT, 1)[1].strip().rstrip(b".").strip().strip(b'<>"').decode()
    return None


def export_pages(remote: Settings, backend: str) -> dict[str, bytes]:
    """Every page of the remote's catalog, by path and query, as its API answers them."""
    pages: dict[str, bytes] = {}
    with TestClient(create_app(remote), base_url="http://remote.test") as client:
        url: str | None = FIRST_PAGE[backend]
        while url:
            answer = client.get(url)
            answer.raise_for_status()
            path = url.removeprefix("http://remote.test")
            pages[path] = answer.content
            url = _next_page(backend, answer.content)
    return pages


def kept_pages(directory: Path, datasets: int, backend: str) -> dict[str, bytes] | None:
    """The pages an earlier run exported into ``directory`` for the same catalog, if any."""
    index = directory / f"{backend}-{datasets}.json"
    if not index.exists():
        return None
    names: dict[str, str] = orjson.loads(index.read_bytes())
    return {path: (directory / name).read_bytes() for path, name in names.items()}


def keep_pages(directory: Path, datasets: int, backend: str, pages: dict[str, bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    for number, (path, body) in enumerate(pages.items()):
        names[path] = f"{backend}-{datasets}-{number:05}.page"
        (directory / names[path]).write_bytes(body)
    (directory / f"{backend}-{datasets}.json").write_bytes(orjson.dumps(names))


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Pages(BaseHTTPRequestHandler):
    server: "_Static"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = self.server.pages.get(self.path.replace(f"http://{self.headers['Host']}", ""))
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", self.server.content_type)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")


class _Static(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, bytes], content_type: str) -> None:
        super().__init__(("127.0.0.1", 0), _Pages)
        self.pages = pages
        self.content_type = content_type


@contextlib.contextmanager
def serving(pages: dict[str, bytes], content_type: str) -> Iterator[str]:
    """The pages on loopback, their links to the next page rewritten to it."""
    server = _Static({}, content_type)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.pages = {path: body.replace(b"http://remote.test", base.encode()) for path, body in pages.items()}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def fresh_postgres(url: str, name: str = TARGET_DATABASE) -> str:
    parsed = sa.make_url(url)
    admin = sa.create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def harvest(label: str, database_url: str, data_dir: Path, base: str, count: int, backend: str) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    catalog = build_catalog(settings)
    upgrade(catalog.db)
    organization = accounts.create_organization(catalog, name="Aggregator")
    fields = SourceFields(
        name="Remote",
        url=f"{base}/" if backend == "udata" else base + FIRST_PAGE[backend],
        backend=backend,
        organization=organization.id,
        config={"page_size": PAGE_SIZE},
    )
    source_id = add_source(catalog, fields).source.id
    options = RunOptions(policy=HarvestPolicy(allow_private=True))
    for run in ("first run", "re-run (unchanged)"):
        started, cpu = time.perf_counter(), time.process_time()
        job = run_source(catalog, source_id, options)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        counts = job.counts
        done = counts.created + counts.updated + counts.unchanged
        print(
            f"{label:10} {run:20} {job.status:11} {done:>7,} datasets in {seconds:6.1f} s: "
            f"{done / seconds:8,.0f} datasets/s; {cpu:5.1f} s of this process's CPU: {done / cpu:6,.0f} datasets/CPU-s"
            f" (created {counts.created:,}, unchanged {counts.unchanged:,}); peak memory {peak_memory_mb():,.0f} MB"
        )
        assert done == count, job
        if run == "first run":
            started = time.perf_counter()
            indexing.keep_up(catalog)
            print(
                f"{label:10} {'index caught up':20} in {time.perf_counter() - started:6.1f} s after the run"
            )
    catalog.db.dispose()


def load_and_export(root: Path, datasets: int, backend: str) -> dict[str, bytes]:
    setup = Setup(root / "remote", datasets, 0, None)
    print(f"Loading {datasets:,} generated datasets into the remote catalog")
    load_all(setup, Generator(datasets, 0))
    remote = Settings(data_dir=setup.sqlite_dir, database_url=setup.sqlite_url, base_url="http://remote.test")
    return export_pages(remote, backend)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.harvest", description=__doc__)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: harvest into it too")
    parser.add_argument(
        "--backend", choices=sorted(FIRST_PAGE), default="udata", help="what the remote serves"
    )
    parser.add_argument("--pages", type=Path, help="keep the exported pages here, reuse them if there")
    parser.add_argument("--database", default=TARGET_DATABASE, help="the PostgreSQL database to (re)create")
    parser.add_argument("--skip-sqlite", action="store_true", help="harvest into PostgreSQL only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="opencat-bench-harvest-") as work:
        root = Path(work)
        started = time.perf_counter()
        pages = kept_pages(args.pages, args.datasets, args.backend) if args.pages else None
        if pages is None:
            pages = load_and_export(root, args.datasets, args.backend)
            if args.pages:
                keep_pages(args.pages, args.datasets, args.backend, pages)
        public = (
            sum(len(orjson.loads(body)["data"]) for body in pages.values())
            if args.backend == "udata"
            else sum(body.count(b"<http://www.w3.org/ns/dcat#Dataset>") for body in pages.values())
        )
        print(
            f"Exported {len(pages)} pages ({public:,} public datasets) in {time.perf_counter() - started:.1f} s"
        )
        print(f"peak memory before harvesting {peak_memory_mb():,.0f} MB (the exported pages held)")
        with serving(pages, CONTENT_TYPES[args.backend]) as base:
            if not args.skip_sqlite:
                target = f"sqlite:///{root / 'target.db'}"
                harvest("sqlite", target, root / "sqlite-target", base, public, args.backend)
            if args.postgres:
                harvest(
                    "postgresql",
                    fresh_postgres(args.postgres, args.database),
                    root / "pg-target",
                    base,
                    public,
                    args.backend,
                )


if __name__ == "__main__":
    main()
