"""A run's memory does not grow with the source: what it saw is written with each batch, and the
records are read batch by batch (traced allocations, on both databases)."""

import gc
import tracemalloc
from collections.abc import Iterator, Mapping
from dataclasses import replace

from opencat.catalog.context import Catalog
from opencat.catalog.harvesting import run_source
from opencat.db import harvest as db_harvest
from opencat.domain.harvest import Backend, Fetcher, PagedEntry, PageEnd, PageMemory, RemoteDataset
from opencat.domain.harvest_jobs import Counts
from tests.harvest.site import SiteServer
from tests.harvest.test_run import OPTIONS, source_of

ENTRIES = 1200
PAGE = 100
# What a run kept per entry before (its record, the seen set, the pages read, the slugs):
# about 1 KB, so some 800 KB over the 800 entries between the two samples; a batch of skipped
# pages counted as one entry each held ~100 bytes per entry (80 KB). Flat is under 20 KB here.
MOST_GROWTH = 60_000


class _Sampled:
    """``ENTRIES`` datasets; the traced memory is sampled when a third of them and all of them
    were handed to the run (so after each one's batch was written)."""

    name = "sampled"
    label = "Sampled"

    def __init__(self) -> None:
        self.samples: list[int] = []

    def sample(self) -> None:
        gc.collect()
        self.samples.append(tracemalloc.get_traced_memory()[0])

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[PagedEntry]:
        for number in range(ENTRIES):
            if number == ENTRIES // 3:
                self.sample()
            yield RemoteDataset(f"https://remote.test/datasets/{number:08d}", f"A dataset titled {number}")
        self.sample()


class _SampledPages(_Sampled):
    """The same in pages of ``PAGE``, skipped when the run recalls them."""

    def remembering(
        self, url: str, fetcher: Fetcher, config: Mapping[str, object], memory: PageMemory
    ) -> Iterator[PagedEntry]:
        for start in range(0, ENTRIES, PAGE):
            if start == ENTRIES // 3:
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
    source_id = source_of(catalog, remote)
    with catalog.db.write() as conn:
        source = db_harvest.find_source(conn, source_id)
        assert source is not None
        db_harvest.update_source(conn, replace(source, backend="sampled"))
    creating, skipping, comparing = _SampledPages(), _SampledPages(), _Sampled()

    assert run_traced(catalog, source_id, creating) == Counts(created=ENTRIES)
    assert run_traced(catalog, source_id, skipping) == Counts(unchanged=ENTRIES)  # every page recalled
    assert run_traced(catalog, source_id, comparing) == Counts(unchanged=ENTRIES)  # by fingerprint

    for backend in (creating, skipping, comparing):
        early, late = backend.samples
        assert late - early < MOST_GROWTH, backend.samples
