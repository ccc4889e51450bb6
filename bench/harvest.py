"""Harvest speed: a generated catalog exported by opencat, harvested by another opencat.

The remote catalog is loaded by bench/search's loader (``bench.generate``'s datasets), and its
pages are fetched once through the app (as a harvester of it would get them) and kept: API v1's
``/api/1/datasets/`` (``--backend udata``) or the DCAT catalog ``/api/1/site/catalog.nt`` paged
with hydra (``--backend dcat``). A static server on loopback then serves them, so that what is
timed is the harvest itself: fetching pages, reading them, mapping, writing (with the history and
the search outbox), and the re-run of the unchanged source. ``opencat serve``'s index keeper runs
beside the first run in a process of its own, and the lag of the index behind the run's end is
timed. The harvest runs in a process of its own too (the bench's process serves the pages from
files), so that its memory is the harvester's alone: its resident size is sampled as the run goes
and printed by quarter of the run with its peak (flat memory: the same at 15,000 datasets as at
100,000).

    python -m bench.harvest --datasets 10000 [--backend dcat] [--postgres postgresql://postgres@127.0.0.1/postgres]

``--pages DIR`` keeps the exported pages in DIR and reuses them on the next run with the same
``--datasets`` and ``--backend`` (loading and exporting 100,000 datasets takes minutes; without it
they are kept in a temporary directory); ``--skip-sqlite`` harvests into PostgreSQL only;
``--etags`` has the pages served with ETags, as a static file server does, so that the re-run
asks for each with its validator and gets 304s.
"""

import argparse
import contextlib
import multiprocessing
import os
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
from opencat import index_keeper
from opencat.app import create_app
from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.catalog.harvest_sources import SourceFields, add_source
from opencat.catalog.harvesting import RunOptions, run_source
from opencat.config import Settings
from opencat.db import outbox
from opencat.db.engine import normalize_url
from opencat.db.migrate import upgrade
from opencat.db.tables import licenses
from opencat.links.harvest_fetch import HarvestPolicy
from opencat.wiring import build_catalog

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


def export_pages(remote: Settings, backend: str, directory: Path, datasets: int) -> dict[str, Path]:
    """Every page of the remote's catalog as its API answers them, written to ``directory`` as
    they come (by path and query: the file of each)."""
    directory.mkdir(parents=True, exist_ok=True)
    pages: dict[str, Path] = {}
    with TestClient(create_app(remote), base_url="http://remote.test") as client:
        url: str | None = FIRST_PAGE[backend]
        while url:
            answer = client.get(url)
            answer.raise_for_status()
            path = url.removeprefix("http://remote.test")
            pages[path] = directory / f"{backend}-{datasets}-{len(pages):05}.page"
            pages[path].write_bytes(answer.content)
            url = _next_page(backend, answer.content)
    names = {path: file.name for path, file in pages.items()}
    (directory / f"{backend}-{datasets}.json").write_bytes(orjson.dumps(names))
    return pages


def kept_pages(directory: Path, datasets: int, backend: str) -> dict[str, Path] | None:
    """The pages an earlier run exported into ``directory`` for the same catalog, if any."""
    index = directory / f"{backend}-{datasets}.json"
    if not index.exists():
        return None
    names: dict[str, str] = orjson.loads(index.read_bytes())
    return {path: directory / name for path, name in names.items()}


def peak_memory_mb() -> float:
    """This process's peak resident memory (``VmHWM``: ``ru_maxrss`` would keep the spawning
    process's size, which Linux carries across the ``exec`` of a spawned child)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def resident_mb() -> float:
    """This process's resident memory now (Linux's /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


class ResidentSamples:
    """This process's resident memory, sampled in a thread while the block runs."""

    INTERVAL = 0.25

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.samples.append(resident_mb())
            if self._stop.wait(self.INTERVAL):
                return

    def __enter__(self) -> "ResidentSamples":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(resident_mb())

    def summary(self) -> str:
        """The resident size at the end of each quarter of the run, and its largest sample."""
        quarters = [self.samples[max(0, len(self.samples) * q // 4 - 1)] for q in (1, 2, 3, 4)]
        return (
            "resident "
            + " / ".join(f"{mb:,.0f}" for mb in quarters)
            + f" MB by quarter, max {max(self.samples):,.0f} MB"
        )


class _Pages(BaseHTTPRequestHandler):
    server: "_Static"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        file = self.server.pages.get(self.path.replace(f"http://{self.headers['Host']}", ""))
        if file is not None and self.server.etags:
            # As a static file server does (nginx: modification time and size): 304 when sent back.
            stat = file.stat()
            etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
            if self.headers["If-None-Match"] == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
        body = b"" if file is None else file.read_bytes().replace(b"http://remote.test", self.server.base)
        self.send_response(200 if file is not None else 404)
        self.send_header("Content-Type", self.server.content_type)
        if file is not None and self.server.etags:
            self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Static(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, Path], content_type: str, etags: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Pages)
        self.pages = pages
        self.content_type = content_type
        self.etags = etags
        self.base = f"http://127.0.0.1:{self.server_address[1]}".encode()


@contextlib.contextmanager
def serving(pages: dict[str, Path], content_type: str, etags: bool = False) -> Iterator[str]:
    """The pages on loopback, read from their files as asked, their links to the next page
    rewritten to it; with ``etags``, each answer carries one and a page asked for with it is a 304."""
    server = _Static(pages, content_type, etags)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.base.decode()
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


def harvest(
    label: str, database_url: str, data_dir: Path, base: str, count: int, backend: str, changed: bool
) -> None:
    """The runs, in this process (``harvest_apart`` gives it one of its own); ``changed``: a third
    run after a license was added to the catalog, which maps every entry again (all updated)."""
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
    print(f"{label:10} {'before harvesting':20} resident {resident_mb():,.0f} MB")
    keeper = Keeper(settings)
    runs = ["first run", "re-run (unchanged)"] + (["re-run (all changed)"] if changed else [])
    for run in runs:
        if run == "re-run (all changed)":
            add_license(catalog)
        started, cpu = time.perf_counter(), time.process_time()
        with ResidentSamples() as memory:
            job = run_source(catalog, source_id, options)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        counts = job.counts
        done = counts.created + counts.updated + counts.unchanged
        print(
            f"{label:10} {run:20} {job.status:11} {done:>7,} datasets in {seconds:6.1f} s: "
            f"{done / seconds:8,.0f} datasets/s; {cpu:5.1f} s of this process's CPU: {done / cpu:6,.0f} datasets/CPU-s"
            f" (created {counts.created:,}, updated {counts.updated:,}, unchanged {counts.unchanged:,})"
        )
        print(f"{label:10} {run:20} {memory.summary()}")
        assert done == count, job
        if run == "first run":
            print(f"{label:10} {'index in step':20} {keeper.catch_up(catalog)}")
            keeper.stop()
    print(
        f"{label:10} {'peak':20} {peak_memory_mb():,.0f} MB (the harvesting process's peak resident memory)"
    )
    catalog.db.dispose()


def add_license(catalog: Catalog) -> None:
    """A license more in the catalog: part of every entry's fingerprint, so all are mapped again."""
    with catalog.db.write() as conn:
        conn.execute(
            licenses.insert().values(
                id="bench-license",
                position=10_000,
                title="Bench license",
                url="https://licenses.example.org/bench",
                flags=[],
                alternate_urls=[],
                alternate_titles=[],
            )
        )


def _keep_index(settings: Settings, stopping: Any) -> None:
    catalog = build_catalog(settings)
    index_keeper.keep_index(catalog, stopping)
    catalog.db.dispose()


class Keeper:
    """``opencat serve``'s index keeper, in a process of its own beside the harvest, as in
    production: the search index is brought up to the outbox as the run writes it."""

    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context("spawn")
        self._stopping = context.Event()
        self._process = context.Process(target=_keep_index, args=(settings, self._stopping))
        self._process.start()

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def catch_up(self, catalog: Catalog) -> str:
        """How long after the run's end the index reached the outbox's head (the lag)."""
        started = time.perf_counter()
        with catalog.db.read() as conn:
            head = outbox.head(conn)
        while catalog.search.current_seq() < head:
            if not self._process.is_alive():
                raise SystemExit(f"the index keeper stopped (exit code {self._process.exitcode})")
            time.sleep(0.05)
        return (
            f"the keeper reached the outbox head {time.perf_counter() - started:.1f} s after the run's end "
            f"({self.cpu_seconds():.1f} CPU-s of its process)"
        )

    def stop(self) -> None:
        self._stopping.set()
        self._process.join()


def harvest_apart(*args: Any) -> None:
    """``harvest`` in a process of its own (spawned: nothing of this one's memory is carried)."""
    child = multiprocessing.get_context("spawn").Process(target=harvest, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"the harvest of {args[0]} failed (exit code {child.exitcode})")


def load_and_export(root: Path, datasets: int, backend: str, directory: Path) -> dict[str, Path]:
    setup = Setup(root / "remote", datasets, 0, None)
    print(f"Loading {datasets:,} generated datasets into the remote catalog")
    load_all(setup, Generator(datasets, 0))
    remote = Settings(data_dir=setup.sqlite_dir, database_url=setup.sqlite_url, base_url="http://remote.test")
    return export_pages(remote, backend, directory, datasets)


def public_datasets(pages: dict[str, Path], backend: str) -> int:
    if backend == "udata":
        return sum(len(orjson.loads(file.read_bytes())["data"]) for file in pages.values())
    return sum(file.read_bytes().count(b"<http://www.w3.org/ns/dcat#Dataset>") for file in pages.values())


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
    parser.add_argument(
        "--changed", action="store_true", help="a third run, every entry changed (a license added)"
    )
    parser.add_argument(
        "--etags", action="store_true", help="pages carry ETags: the re-run asks with them and gets 304s"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="opencat-bench-harvest-") as work:
        root = Path(work)
        started = time.perf_counter()
        directory = args.pages or root / "pages"
        pages = kept_pages(directory, args.datasets, args.backend)
        if pages is None:
            pages = load_and_export(root, args.datasets, args.backend, directory)
        public = public_datasets(pages, args.backend)
        print(
            f"Exported {len(pages)} pages ({public:,} public datasets) in {time.perf_counter() - started:.1f} s"
        )
        with serving(pages, CONTENT_TYPES[args.backend], args.etags) as base:
            if not args.skip_sqlite:
                target = f"sqlite:///{root / 'target.db'}"
                harvest_apart(
                    "sqlite", target, root / "sqlite-target", base, public, args.backend, args.changed
                )
            if args.postgres:
                harvest_apart(
                    "postgresql",
                    fresh_postgres(args.postgres, args.database),
                    root / "pg-target",
                    base,
                    public,
                    args.backend,
                    args.changed,
                )


if __name__ == "__main__":
    main()
