"""Request counts kept in memory and written to the metrics' values in one go (ops/metrics.py):
scraped, they are what observing each request would have given; shared between workers, they
reach the files within ``FLUSH_SECONDS``, or when the worker exits."""

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from opencat.ops.metrics import FLUSH_SECONDS, Metrics

NAMES = ("opencat_http_requests", "opencat_http_request_duration_seconds")
# On the bounds, just past them, under the first and past the last.
DURATIONS = (0.0, 0.004, 0.005, 0.0050001, 0.01, 0.3, 10.0, 11.0)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        if family.name in NAMES
        for sample in family.samples
    }


def test_counts_kept_in_memory_scrape_as_observed_ones() -> None:
    metrics = Metrics(lambda: 0)
    registry = CollectorRegistry()
    labels = ["route", "method", "status"]
    counter = Counter(NAMES[0], "reference", labels, registry=registry)
    histogram = Histogram(NAMES[1], "reference", labels, registry=registry)
    for method, shown in (("GET", "GET"), ("BREW", "other")):
        for seconds in DURATIONS:
            metrics.observe_request("/api/1/datasets/", method, 200, seconds)
            counter.labels("/api/1/datasets/", shown, "200").inc()
            histogram.labels("/api/1/datasets/", shown, "200").observe(seconds)
    scraped = _samples(metrics.exposition().decode())
    expected = _samples(generate_latest(registry).decode())
    assert scraped == expected
    assert scraped[("opencat_http_requests_total", (("method", "other"), ("route", "/api/1/datasets/"), ("status", "200")))] == 8  # fmt: skip
    # Counted once: a second scrape adds nothing.
    assert _samples(metrics.exposition().decode()) == expected


def _worker(directory: Path, then: str) -> subprocess.Popen[str]:
    """A process counting three requests on its event loop as a server's worker does, then
    ``then`` (Python, inside the loop)."""
    script = textwrap.dedent(
        f"""
        import asyncio, os, sys, time
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = {str(directory)!r}
        from pathlib import Path
        from opencat.ops.metrics import Metrics
        metrics = Metrics(lambda: 0, Path({str(directory)!r}))
        async def main():
            for _ in range(3):
                metrics.observe_request("/api/1/datasets/", "GET", 200, 0.002)
            {then}
        asyncio.run(main())
        """
    )
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)


def _counted(directory: Path) -> float:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    found = _samples(generate_latest(registry).decode())
    return sum(value for (name, _), value in found.items() if name == "opencat_http_requests_total")


def test_a_workers_counts_reach_the_shared_files_within_the_flush_delay(tmp_path: Path) -> None:
    then = f"await asyncio.sleep({FLUSH_SECONDS * 3}); print('flushed', flush=True); time.sleep(60)"
    with _worker(tmp_path, then) as worker:
        try:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "flushed"
            assert _counted(tmp_path) == 3  # written by the loop's timer: the process is still there
        finally:
            worker.kill()


def test_a_worker_exiting_writes_what_it_counted_last(tmp_path: Path) -> None:
    with _worker(tmp_path, "pass") as worker:  # ends before the timer fires
        assert worker.wait(timeout=60) == 0
    assert _counted(tmp_path) == 3


def test_a_loop_closed_before_its_flush_does_not_hold_back_the_next_ones() -> None:
    """A test client's event loop may end before the timer it was given fires: the next request,
    on another loop, schedules its own."""
    metrics = Metrics(lambda: 0)

    async def count(wait: float) -> None:
        metrics.observe_request("/api/1/datasets/", "GET", 200, 0.001)
        await asyncio.sleep(wait)

    asyncio.run(count(0))  # its loop closes with the flush still due
    asyncio.run(count(FLUSH_SECONDS * 3))
    # What the values hold, read without the scrape's own flush.
    written = _samples(generate_latest(metrics._registry).decode())
    key = (("method", "GET"), ("route", "/api/1/datasets/"), ("status", "200"))
    assert written[("opencat_http_requests_total", key)] == 2
