"""Prometheus metrics, right across granian's worker processes (prometheus-client's multiprocess mode).

``opencat serve`` makes its own metrics directory (``serve-<pid>-<machine>`` under the shared one) and names
it in ``PROMETHEUS_MULTIPROC_DIR`` before the workers start; each worker writes its values to files of its own there, and a scrape,
whichever worker answers it, adds up every worker's files.
"""

import asyncio
import atexit
import bisect
import contextlib
import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from opencat.files.spool import machine

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Each server's own directory under the shared one: ``serve-<master pid>-<machine>``.
_SERVER_PREFIX = "serve-"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LINK_CHECK_RESULTS = ("available", "unavailable", "error")
# The request duration histogram's bounds (prometheus-client's defaults, +Inf last).
_BOUNDS = tuple(Histogram.DEFAULT_BUCKETS)
# How long a worker's request counts may wait in memory before they reach the shared files.
FLUSH_SECONDS = 0.2


@dataclass(slots=True)
class _Tally:
    """Requests of one series counted since the last flush."""

    buckets: list[int]
    count: int = 0
    seconds: float = 0.0


# A memory file system most Linux machines and containers have: where the shared directory goes
# by default (``shared_directory``).
MEMORY_FILE_SYSTEM = Path("/dev/shm")


def shared_directory(data_dir: Path, environ: Mapping[str, str], memory: Path = MEMORY_FILE_SYSTEM) -> Path:
    """Where the servers of this machine keep their metrics directories: the one
    ``PROMETHEUS_MULTIPROC_DIR`` names, else ``opencat-metrics-<uid>`` on the machine's memory file
    system, else ``<data_dir>/metrics``. prometheus-client maps its files into memory, and a write
    to a mapped file that a full disk cannot hold kills the worker (SIGBUS), then granian stops
    the server as crash-looping: on the data disk, a full disk stopped every read too.

    The memory file system is shared by every user of the machine: the directory is used only when
    it is a real directory (not a link) that this user owns, and nobody else may write or read
    it; otherwise the data directory's."""
    named = environ.get(DIRECTORY_VARIABLE)
    if named:
        return Path(named)
    fallback = data_dir / "metrics"
    if not memory.is_dir():
        return fallback
    own = memory / f"opencat-metrics-{os.getuid()}"
    try:
        own.mkdir(mode=0o700, exist_ok=True)
        found = own.lstat()
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
            return fallback  # made by another user, or a link: theirs to read or to fill
        if stat.S_IMODE(found.st_mode) != 0o700:
            os.chmod(own, 0o700)
    except OSError:  # not writable here (a read-only /dev/shm, a sandbox): the data directory's
        return fallback
    return own


def prepare_directory(
    data_dir: Path, environ: Mapping[str, str], server: int | None = None, memory: Path = MEMORY_FILE_SYSTEM
) -> Path:
    """This server's own metrics directory, ``serve-<pid>-<machine>`` under the shared one (the
    machine names the host and its pid namespace: two containers' masters may both be pid 1),
    emptied (run by the master before any worker starts: a dead run's counters must not be added
    to the new ones). The directories of this machine's servers that are gone are removed;
    another running server's (a second node on one machine, the next release started beside the
    running one) and other machines' are left alone: a second server wiped them, and each
    server's counters went back to zero."""
    shared = shared_directory(data_dir, environ, memory)
    shared.mkdir(parents=True, exist_ok=True)
    here = machine()
    for leftover in shared.iterdir():
        if leftover.is_dir() and leftover.name.startswith(_SERVER_PREFIX):
            pid, _, owner = leftover.name.removeprefix(_SERVER_PREFIX).partition("-")
            # No machine named: a directory of the first layout (``serve-<pid>``), this machine's.
            if owner in (here, "") and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)
        elif leftover.suffix == ".db":  # an earlier release's layout: only prometheus-client's files
            leftover.unlink(missing_ok=True)
    directory = shared / f"{_SERVER_PREFIX}{os.getpid() if server is None else server}-{here}"
    directory.mkdir(exist_ok=True)
    for leftover in directory.glob("*.db"):  # a pid used again
        leftover.unlink(missing_ok=True)
    return directory


def forget_dead_workers(directory: Path) -> None:
    """Drop the live gauges of workers that died (granian replaces a killed worker): their pool
    would otherwise count as in use forever. Their counters stay: totals never go down. Run when
    a worker starts and at each scrape: a replacement may start before its master has reaped the
    worker it replaces."""
    for path in directory.glob("gauge_live*.db"):
        named = path.stem.rsplit("_", 1)[-1]
        # Only prometheus-client's own files (a pid last): another file would fail every scrape.
        if named.isdigit() and not _alive(int(named)):
            with contextlib.suppress(FileNotFoundError):  # another worker forgot it first
                multiprocess.mark_process_dead(int(named), str(directory))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    """Whether the process runs: a zombie (dead, not yet reaped by its parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc here: the signal's answer stands
    # The state follows the command's name, which is in parentheses and may hold any character.
    return stat.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])


class _IndexLag(Collector):
    """Sampled when scraped: how many outbox changes this machine's search index has not applied."""

    def __init__(self, lag: Callable[[], int | None]) -> None:
        self._lag = lag

    def collect(self) -> Iterator[Metric]:
        lag = self._lag()
        if lag is not None:  # the database did not answer: no sample rather than a wrong one
            family = GaugeMetricFamily(
                "opencat_search_index_lag", "Outbox changes not yet applied to this machine's search index"
            )
            family.add_metric([], lag)
            yield family


HarvestTotals = Callable[[], tuple[Mapping[str, Any], Mapping[tuple[str, str], int]]]
HARVEST_RESULTS = ("created", "updated", "unchanged", "archived", "failed")


class _Harvest(Collector):
    """What harvest jobs did, read from the database at scrape time: every job is there, whichever
    process or node ran it (a worker, the scheduler, ``opencat harvest run`` from cron)."""

    def __init__(self, totals: HarvestTotals) -> None:
        self._totals = totals

    def collect(self) -> Iterator[Metric]:
        try:
            items, jobs = self._totals()
        except Exception:  # the database is down: the scrape still answers, without these
            return
        found = CounterMetricFamily(
            "opencat_harvest_items", "Harvested entries by source and result", labels=["source", "result"]
        )
        for source, counts in sorted(items.items()):
            for result in HARVEST_RESULTS:
                found.add_metric([source, result], getattr(counts, result))
        yield found
        ran = CounterMetricFamily(
            "opencat_harvest_jobs",
            "Harvest jobs by source and status (failed: the errors)",
            labels=["source", "status"],
        )
        for (source, status), count in sorted(jobs.items()):
            ran.add_metric([source, status], count)
        yield ran


class Metrics:
    """This process's metrics; ``directory`` set means they are shared with the other workers."""

    def __init__(
        self,
        index_lag: Callable[[], int | None],
        directory: Path | None = None,
        harvest_totals: HarvestTotals | None = None,
    ) -> None:
        # A ``_created`` series beside each counter would double a scrape for nothing.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.directory = directory
        self._index_lag = _IndexLag(index_lag)
        self._harvest = None if harvest_totals is None else _Harvest(harvest_totals)
        registry: CollectorRegistry | None = None
        if directory is None:
            registry = self._registry = CollectorRegistry()
            registry.register(self._index_lag)
            if self._harvest is not None:
                registry.register(self._harvest)
        else:
            _share_values(directory)
        self.requests = Counter(
            "opencat_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "opencat_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
            buckets=_BOUNDS,
        )
        self.upload_bytes = Counter(
            "opencat_upload_received_bytes",
            "Request body bytes received by the upload endpoints",
            registry=registry,
        )
        self.link_checks = Counter(
            "opencat_link_checks", "Link checks performed, by result", ["result"], registry=registry
        )
        self.pool_in_use = Gauge(
            "opencat_db_pool_connections_in_use",
            "Database connections checked out of this worker's pool",
            registry=registry,
            multiprocess_mode="liveall",
        )
        # Each request's two series, found once (``labels()`` costs more than the increments).
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        # Requests counted since the last flush, by series (``observe_request``).
        self._pending: dict[tuple[str, str, int], _Tally] = {}
        self._pending_lock = threading.Lock()
        # The event loop a flush is scheduled on, if one is.
        self._flush_waiting: asyncio.AbstractEventLoop | None = None
        if directory is not None:  # a worker stopping writes what it counted last
            atexit.register(self.flush)
        for result in LINK_CHECK_RESULTS:
            self.link_checks.labels(result)  # every result shows from the start, at 0

    def observe_request(
        self, route: str, method: str, status: int, seconds: float, upload_bytes: int = 0
    ) -> None:
        """Count a request in memory; ``flush`` writes the counts to the metrics' values, at most
        ``FLUSH_SECONDS`` later (on a running event loop) and before this process's scrapes.

        Each value's increment in prometheus-client's multiprocess mode takes a lock, checks the
        process id and writes to the mmapped file: three per request (the counter, the
        histogram's sum and one bucket). Through HTTP, on a kept answer, that was a fifth of the
        request; counted here, it is one dictionary update, and the files are written once per
        series per flush."""
        key = (route, method if method in _METHODS else "other", status)
        bucket = bisect.bisect_left(_BOUNDS, seconds)  # the first bound the duration is <= to
        with self._pending_lock:
            tally = self._pending.get(key)
            if tally is None:
                tally = self._pending[key] = _Tally([0] * len(_BOUNDS))
            tally.count += 1
            tally.seconds += seconds
            tally.buckets[bucket] += 1
            waiting = self._flush_waiting
        if upload_bytes:
            self.upload_bytes.inc(upload_bytes)
        if waiting is None or waiting.is_closed():
            self._flush_soon()

    def _flush_soon(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an event loop: nothing would come back to flush later
            self.flush()
            return
        with self._pending_lock:
            waiting = self._flush_waiting
            if waiting is not None and not waiting.is_closed():
                return  # another request scheduled it meanwhile
            # A loop closed before its timer fired (a test client's) is replaced by this one.
            self._flush_waiting = loop
        loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write the requests counted in memory to the metrics' values (the shared files)."""
        with self._pending_lock:
            pending, self._pending = self._pending, {}
            self._flush_waiting = None
        for key, tally in pending.items():
            series = self._series.get(key)
            if series is None:  # the labels are bounded: route templates, known methods, statuses
                labels = (*key[:2], str(key[2]))
                series = self._series[key] = (self.requests.labels(*labels), self.duration.labels(*labels))
            counter, histogram = series
            counter.inc(tally.count)
            # A histogram observes one value at a time; its sum and buckets are values like the
            # counter's, incremented here by what several observations would add
            # (tests/unit/test_metrics_counts.py checks the scrape against observe's).
            histogram._sum.inc(tally.seconds)
            for index, count in enumerate(tally.buckets):
                if count:
                    histogram._buckets[index].inc(count)

    def count_link_check(self, result: str) -> None:
        self.link_checks.labels(result).inc()

    def set_pool_in_use(self, connections: int) -> None:
        self.pool_in_use.set(connections)

    def exposition(self) -> bytes:
        """The text a scrape gets: every worker's metrics when they are shared (this worker's
        counted up to now; the others' up to ``FLUSH_SECONDS`` ago)."""
        self.flush()
        if self.directory is None:
            return generate_latest(self._registry)
        forget_dead_workers(self.directory)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(self.directory))  # type: ignore[no-untyped-call]
        registry.register(self._index_lag)
        if self._harvest is not None:
            registry.register(self._harvest)
        return generate_latest(registry)


def _share_values(directory: Path) -> None:
    """prometheus-client picks where values live when it is first imported, which in a forked
    worker happened in the master, before the directory was chosen: pick again."""
    os.environ[DIRECTORY_VARIABLE] = str(directory)
    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
