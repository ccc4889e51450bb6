"""One job at a time per source, across workers and nodes: the job's process holds a lease row and
keeps its heartbeat fresh from a thread; a lease whose heartbeat went stale belongs to a process
that is gone, and the next run takes it over, ending that job as failed."""

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
    job = db_harvest.find_job(conn, gone.job_id)
    if job is None or job.ended_at is not None:
        return
    message = (
        f"the process running this job (node {gone.node}, pid {gone.pid}) stopped heartbeating at "
        f"{gone.heartbeat_at.isoformat()}; taken over by node {taker.node}, pid {taker.pid}"
    )
    ended = replace(
        job, status=JobStatus.FAILED, ended_at=now, errors=(*job.errors, {"message": message, "details": ""})
    )
    db_harvest.update_job(conn, ended)


def end_orphans(conn: Connection, source_id: str, now: datetime) -> None:
    """Jobs of the source still marked running that no lease covers (their process died between
    writes): failed, so that nothing stays "running" after its process is gone."""
    lease = db_harvest.find_lease(conn, source_id)
    for job in db_harvest.running_jobs(conn, source_id):
        if lease is None or lease.job_id != job.id:
            message = "the process running this job is gone"
            db_harvest.update_job(
                conn,
                replace(
                    job,
                    status=JobStatus.FAILED,
                    ended_at=now,
                    errors=(*job.errors, {"message": message, "details": ""}),
                ),
            )


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
