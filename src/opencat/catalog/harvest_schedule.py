"""The schedule: which sources are due (their cron named a minute since their last job), and one
tick of the scheduler that ``opencat serve`` runs on each node. Nodes may tick at once: the lease
and the check of the last job under it make one of them run a given schedule's job, and the
conditional writes of ``end_dead_jobs`` one of them end a dead process's job."""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from opencat.catalog.context import Catalog
from opencat.catalog.harvest_lease import died, end_dead_jobs
from opencat.catalog.harvesting import AlreadyRun, RunOptions, run_source
from opencat.db import harvest as db_harvest
from opencat.domain.cron import parse_cron
from opencat.domain.errors import CatalogError, Unavailable
from opencat.domain.harvest_jobs import HarvestJob, HarvestSource

_log = logging.getLogger(__name__)
_AFTER = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Due:
    source: HarvestSource
    scheduled_at: datetime  # the minute the schedule named


def _scheduled(source: HarvestSource) -> bool:
    return bool(source.schedule) and source.active and source.validation.get("state") == "accepted"


def taken_over(catalog: Catalog, ended: list[HarvestJob]) -> list[Due]:
    """The scheduled sources whose job this node just ended because its process was gone: run
    again now rather than at the schedule's next time (a daily harvest killed mid-run would
    otherwise wait a day). Once: not when the job before it died too (a source that kills its
    process, by memory say, would be run again and again)."""
    due: list[Due] = []
    with catalog.db.read() as conn:
        for dead in ended:
            source = db_harvest.find_source(conn, dead.source_id)
            if source is None or source.deleted is not None or not _scheduled(source):
                continue
            latest = db_harvest.jobs_of(conn, source.id, 0, 2)[0]
            if latest[0].id != dead.id:
                continue  # a job started since: another node took it over
            if len(latest) == 2 and died(latest[1]):
                _log.warning("source %s: its last two jobs died; left to its schedule", source.id)
                continue
            # Run unless a job starts after the dead one meanwhile (``AlreadyRun``).
            due.append(Due(source, dead.created_at + _AFTER))
    return due


def due_sources(catalog: Catalog, now: datetime) -> list[Due]:
    """Active, accepted, scheduled sources whose schedule named a minute after their last job."""
    with catalog.db.read() as conn:
        sources = [source for source in db_harvest.list_sources(conn) if _scheduled(source)]
        last = db_harvest.last_jobs(conn, [source.id for source in sources])
    due: list[Due] = []
    for source in sources:
        try:
            cron = parse_cron(source.schedule or "")
        except ValueError:
            continue  # refused when set; one written otherwise is not run
        latest = cron.latest(now)
        previous = last.get(source.id)
        if latest is not None and (previous is None or previous.created_at < latest):
            due.append(Due(source, latest))
    return due


class Scheduler:
    """Starts each due source's job in a thread of its own; a source whose job this process runs
    is not started again until it ends."""

    def __init__(self, catalog: Catalog, options: RunOptions) -> None:
        self.catalog = catalog
        self.options = options
        self.running: dict[str, threading.Thread] = {}

    def tick(self) -> list[threading.Thread]:
        """End the jobs of dead processes (any source's), then start each due source's job, and
        again those of the scheduled sources whose job it ended (``taken_over``)."""
        self.running = {key: thread for key, thread in self.running.items() if thread.is_alive()}
        options = self.options
        try:
            ended = end_dead_jobs(self.catalog, options.stale_after, options.node, options.pid)
            resumed = taken_over(self.catalog, ended)
        except Unavailable as error:  # the database restarting: said in a line, tried at the next tick
            _log.warning("the harvest scheduler could not end the jobs of dead processes: %r", error)
            resumed = []
        except Exception:  # the schedules still run; the next tick tries again
            _log.exception("the harvest scheduler could not end the jobs of dead processes")
            resumed = []
        started: list[threading.Thread] = []
        for due in [*due_sources(self.catalog, self.catalog.clock()), *resumed]:
            if due.source.id in self.running:
                continue
            thread = threading.Thread(
                target=self._run, args=(due,), name=f"harvest {due.source.id}", daemon=True
            )
            thread.start()
            self.running[due.source.id] = thread
            started.append(thread)
        return started

    def _run(self, due: Due) -> None:
        try:
            job = run_source(self.catalog, due.source.id, self.options, scheduled_at=due.scheduled_at)
        except Unavailable as error:  # its job, if it began, ended failed: say why here too
            _log.warning("scheduled harvest of source %s could not run: %r", due.source.id, error)
            return
        except (AlreadyRun, CatalogError):  # another node runs it, or ran it: nothing to do here
            return
        except Exception:
            _log.exception("scheduled harvest of source %s failed", due.source.id)
            return
        _log.info("harvested source %s: job %s %s", due.source.id, job.id, job.status)
