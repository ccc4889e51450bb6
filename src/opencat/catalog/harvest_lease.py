"""One job at a time per source, across workers and nodes: the job's process holds a lease row and
keeps its heartbeat fresh from a thread; a lease whose heartbeat went stale belongs to a process
that is gone: the scheduler's next tick (``end_dead_jobs``), or the source's next run if sooner,
ends that job as failed and frees the lease."""

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from opencat.catalog.context import Catalog
from opencat.db import harvest as db_harvest
from opencat.db.engine import Connection
from opencat.domain.errors import Conflict, Reason
from opencat.domain.harvest_jobs import HarvestJob, JobStatus, Lease

_log = logging.getLogger(__name__)


def take(conn: Connection, lease: Lease, stale_after: timedelta, now: datetime) -> None:
    """Take the source's lease for ``lease.job_id``, ending a stale holder's job; ``Conflict`` when a
    live process holds it."""
    ours, other = db_harvest.take_lease(conn, lease, now - stale_after)
    if not ours:
        node, pid = (other.node, other.pid) if other else ("?", 0)
        raise Conflict(Reason.HARVEST_RUNNING, node=node, pid=pid)
    if other is not None:
        end_abandoned(conn, other, lease, now)


def end_abandoned(conn: Connection, gone: Lease, taker: Lease, now: datetime) -> None:
    message = (
        f"{_DIED} (node {gone.node}, pid {gone.pid}) stopped heartbeating at "
        f"{gone.heartbeat_at.isoformat()}; taken over by node {taker.node}, pid {taker.pid}"
    )
    _fail(conn, gone.job_id, message, now)


def end_orphans(conn: Connection, source_id: str, now: datetime) -> None:
    """Jobs of the source still marked running that no lease covers (their process died between
    writes): failed, so that nothing stays "running" after its process is gone."""
    for job in db_harvest.running_jobs(conn, source_id):
        _fail(conn, job.id, _UNLEASED, now)


# Every message of a job ended because its process was gone starts so (``died``).
_DIED = "the process running this job"
_UNLEASED = f"{_DIED} is gone (it no longer holds the source's lease)"


def died(job: HarvestJob) -> bool:
    """Whether the job was ended because its process was gone (not by its own failure)."""
    return job.status == JobStatus.FAILED and any(
        error.get("message", "").startswith(_DIED) for error in job.errors
    )


def end_dead_jobs(catalog: Catalog, stale_after: timedelta, node: str, pid: int) -> list[HarvestJob]:
    """End as failed, for every source, the jobs whose process is gone: their lease went stale
    (it is released) or they hold none. Run by each node's scheduler at each tick; nodes may run
    it at once: every write is conditional, so one of them ends a given job. Returns the jobs this
    call ended."""
    now = catalog.clock()
    stale_before = now - stale_after
    with catalog.db.read() as conn:  # most ticks find nothing: no write, no SQLite writer lock
        if not db_harvest.stale_leases(conn, stale_before) and not db_harvest.unleased_jobs(conn):
            return []
    ended: list[HarvestJob] = []
    with catalog.db.write() as conn:
        for lease in db_harvest.stale_leases(conn, stale_before):
            if db_harvest.drop_stale_lease(conn, lease, stale_before):
                message = (
                    f"{_DIED} (node {lease.node}, pid {lease.pid}) stopped "
                    f"heartbeating at {lease.heartbeat_at.isoformat()}; ended by the harvest "
                    f"scheduler of node {node}, pid {pid}"
                )
                ended += _fail(conn, lease.job_id, message, now)
        for job in db_harvest.unleased_jobs(conn):
            ended += _fail(conn, job.id, _UNLEASED, now)
    for job in ended:
        _log.warning("harvest job %s of source %s ended failed: %s", job.id, job.source_id, job.errors[-1])
    return ended


def _fail(conn: Connection, job_id: str, message: str, now: datetime) -> list[HarvestJob]:
    """The job ended failed with ``message`` if it still runs and holds no lease; ``[]`` when it
    ended meanwhile (another process ended it)."""
    job = db_harvest.find_job(conn, job_id)
    if job is None:
        return []
    error = {"message": message, "details": ""}
    ended = replace(job, status=JobStatus.FAILED, ended_at=now, errors=(*job.errors, error))
    return [ended] if db_harvest.update_running_job(conn, ended, unleased=True) else []


# Beats missed in a row before the job reports it (the lease, 60 s by default, lasts six beats).
_MISSES_REPORTED = 3


class Heartbeat:
    """Refreshes a job's lease every ``every`` seconds from a daemon thread until stopped; ``lost``
    is set when the lease was taken over (the run stops at its next batch)."""

    def __init__(
        self, catalog: Catalog, job: HarvestJob, every: float, on_error: Callable[[str], None]
    ) -> None:
        self.lost = threading.Event()
        self._catalog = catalog
        self._job = job
        self._every = every
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"harvest heartbeat {job.id}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        missed = 0
        while not self._stop.wait(self._every):
            try:
                with self._catalog.db.write() as conn:
                    held = db_harvest.heartbeat(
                        conn, self._job.source_id, self._job.id, self._catalog.clock()
                    )
            except Exception as error:  # a missed beat is retried; the lease lasts several beats
                # One miss is no fault of the job (SQLite's writer lock held by a long batch on a
                # loaded machine, say): only beats missed in a row become one of its errors.
                missed += 1
                _log.warning("harvest job %s: heartbeat failed: %s", self._job.id, error)
                if missed == _MISSES_REPORTED:
                    self._on_error(f"heartbeat failed {missed} times in a row: {error}")
                continue
            missed = 0
            if not held:
                self.lost.set()
                return
