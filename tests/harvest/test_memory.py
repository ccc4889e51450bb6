"""A run's memory does not grow with the source: what it saw is written with each batch, and the
records are read batch by batch (traced allocations, on both databases)."""

import gc
import time
import tracemalloc
from collections.abc import Iterator, Mapping
from dataclasses import replace

import pytest
import sqlalchemy as sa

from opencat.catalog.context import Catalog
from opencat.catalog.harvesting import run_source
from opencat.domain.harvest import Backend, Fetcher, PagedEntry, PageEnd, PageMemory, RemoteDataset
from opencat.domain.harvest_jobs import Counts
from tests.harvest.site import SiteServer
from tests.harvest.test_run import OPTIONS, source_of, use_backend

ENTRIES = 1200
PAGE = 100
# What a run kept per entry before (its record, the seen set, the pages read, the slugs):
# about 1 KB, so some 800 KB over the 800 entries between the two samples; a batch of skipped
# pages counted as one entry each held ~100 bytes per entry (80 KB). Flat is under 20 KB here,
# once 61 KB on PostgreSQL under a CI run's load (the driver's and SQLAlchemy's caches filling,
# now filled first by short runs).
MOST_GROWTH = 75_000


class _Sampled:
    """``ENTRIES`` datasets; the traced memory is sampled when a third of them and all of them
    were handed to the run (so after each one's batch was written)."""

    name = "sampled"
    label = "Sampled"

    def __init__(self, entries: int = ENTRIES) -> None:
        self.samples: list[int] = []
        self.entries = entries

    def sample(self) -> None:
        gc.collect()
        self.samples.append(tracemalloc.get_traced_memory()[0])

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[PagedEntry]:
        for number in range(self.entries):
            if number == self.entries // 3:
                self.sample()
            yield RemoteDataset(f"https://remote.test/datasets/{number:08d}", f"A dataset titled {number}")
        self.sample()


class _SampledPages(_Sampled):
    """The same in pages of ``PAGE``, skipped when the run recalls them."""

    def remembering(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object], memory: PageMemory
    ) -> Iterator[PagedEntry]:
        for start in range(0, self.entries, PAGE):
            if start == self.entries // 3:
                self.sample()
            digest = f"{start:064d}"
            known = memory.recall(digest)
            if known is not None:
                yield known
                continue
            for number in range(start, start + PAGE):
                yield RemoteDataset(
                    f"https://remote.test/datasets/{number:08d}", f"A dataset titled {number}"
                )
            yield PageEnd(digest, None)
        self.sample()


def run_traced(catalog: Catalog, source_id: str, backend: _Sampled) -> Counts:
    backends: dict[str, Backend] = {"sampled": backend}
    tracemalloc.start()
    try:
        job = run_source(catalog, source_id, replace(OPTIONS, batch_size=50), backends=backends)
    finally:
        tracemalloc.stop()
    assert not job.errors
    return job.counts


def test_a_runs_memory_does_not_grow_with_the_source(catalog: Catalog, remote: SiteServer) -> None:
    # The same three runs, short, on another source first: what fills once per process (the
    # driver's prepared statements, SQLAlchemy's compiled ones, a plan after PostgreSQL's
    # statistics) is then filled before the runs measured (85 KB once under a CI run's load).
    warming = source_of(catalog, remote)
    use_backend(catalog, warming, "sampled")
    for backend in (_SampledPages(PAGE * 3), _SampledPages(PAGE * 3), _Sampled(PAGE * 3)):
        run_traced(catalog, warming, backend)
    # Twice, each on a source of its own, the least growth of each kind of run kept: tracemalloc
    # counts every thread's allocations, and another test's thread still at work in this process
    # (a background count, a portal) once added ~90 KB to one round under a CI run's load; a run
    # that kept something per entry grows in both rounds.
    grown: dict[str, list[list[int]]] = {"creating": [], "skipping": [], "comparing": []}
    for _ in range(2):
        source_id = source_of(catalog, remote)
        use_backend(catalog, source_id, "sampled")
        creating, skipping, comparing = _SampledPages(), _SampledPages(), _Sampled()
        assert run_traced(catalog, source_id, creating) == Counts(created=ENTRIES)
        assert run_traced(catalog, source_id, skipping) == Counts(unchanged=ENTRIES)  # every page recalled
        assert run_traced(catalog, source_id, comparing) == Counts(unchanged=ENTRIES)  # by fingerprint
        for name, backend in (("creating", creating), ("skipping", skipping), ("comparing", comparing)):
            grown[name].append(backend.samples)

    for name, rounds in grown.items():
        assert min(late - early for early, late in rounds) < MOST_GROWTH, (name, rounds)


def _analyzed(catalog: Catalog) -> int:
    """How many times PostgreSQL analyzed the records' table (its statistics are flushed within a
    second or so of a transaction's end: polled)."""
    with catalog.db.read() as conn:
        conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        query = "SELECT pg_stat_get_analyze_count('harvest_records'::regclass)"
        return int(conn.execute(sa.text(query)).scalar_one())


def test_the_planner_learns_the_records_a_run_wrote(catalog: Catalog, remote: SiteServer) -> None:
    """With stale statistics PostgreSQL scanned every record of the source for each batch's
    lookup; a run that wrote records has the table analyzed (as it doubles, and at its end)."""
    if catalog.db.dialect != "postgresql":
        pytest.skip("SQLite's planner probes the key whatever its statistics")
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "sampled")
    before = _analyzed(catalog)

    run_traced(catalog, source_id, _Sampled())

    deadline = time.monotonic() + 10
    while _analyzed(catalog) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _analyzed(catalog) > before
