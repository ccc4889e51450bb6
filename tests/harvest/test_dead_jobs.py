"""Jobs whose process is gone, on both databases: the scheduler's tick ends them as failed whatever
their source (scheduled or not) and leaves live ones alone; nodes ticking at once end a job once;
``end_orphans`` at a source's next start; and a stalled process that finds its job ended by
another (its lease taken over, or dropped by a tick) stops without writing anything more."""

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog import harvest_lease
from opencat.catalog.context import Catalog
from opencat.catalog.harvest_schedule import Scheduler
from opencat.catalog.harvest_sources import SourceFields, add_source
from opencat.catalog.harvesting import RunOptions, run_source
from opencat.db import harvest as db_harvest
from opencat.db.tables import datasets
from opencat.domain.harvest_jobs import HarvestJob, JobStatus, Lease
from opencat.links.harvest_fetch import HarvestPolicy
from tests.conftest import FixedClock
from tests.factories import make_org
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Site, SiteServer

OPTIONS = RunOptions(policy=HarvestPolicy(timeout=5, allow_private=True), batch_size=3)
STALE = timedelta(seconds=60)


def add(catalog: Catalog, remote: SiteServer, **fields: object) -> str:
    values: dict[str, object] = {
        "name": "Remote",
        "url": remote.url("/"),
        "backend": "udata",
        "organization": make_org(catalog).id,
    }
    return add_source(catalog, SourceFields(**(values | fields))).source.id  # type: ignore[arg-type]


def running_job(
    catalog: Catalog, source_id: str, job_id: str, heartbeat: datetime | None, node: str = "dead-node"
) -> HarvestJob:
    """A job marked processing; with a lease last refreshed at ``heartbeat`` (none if None)."""
    job = HarvestJob(job_id, source_id, JobStatus.PROCESSING, catalog.clock(), started_at=catalog.clock())
    with catalog.db.write() as conn:
        db_harvest.insert_job(conn, job)
        if heartbeat is not None:
            lease = Lease(source_id, job_id, node, 7, heartbeat, heartbeat)
            assert db_harvest.take_lease(conn, lease, heartbeat)[0]
    return job


def stored(catalog: Catalog, job_id: str) -> HarvestJob:
    with catalog.db.read() as conn:
        job = db_harvest.find_job(conn, job_id)
    assert job is not None
    return job


def lease_of(catalog: Catalog, source_id: str) -> Lease | None:
    with catalog.db.read() as conn:
        return db_harvest.find_lease(conn, source_id)


def test_a_tick_fails_the_job_of_a_dead_process_and_leaves_live_ones(
    catalog: Catalog, remote: SiteServer, client: TestClient
) -> None:
    now = catalog.clock()
    unscheduled = add(catalog, remote)  # never due: only the sweep can end its job
    dead = running_job(catalog, unscheduled, "d" * 24, now - timedelta(minutes=2))
    live_source = add(catalog, remote, schedule="0 3 * * 1")
    live = running_job(catalog, live_source, "e" * 24, now - timedelta(seconds=50), node="busy-node")
    # Meanwhile the API (and ``opencat harvest jobs``) show the dead job as running.
    assert client.get(f"/api/1/harvest/job/{dead.id}/").json()["status"] == "processing"

    scheduler = Scheduler(catalog, replace(OPTIONS, node="node-b", pid=99, stale_after=STALE))
    for thread in scheduler.tick():
        thread.join(30)

    ended = stored(catalog, dead.id)
    assert ended.status == JobStatus.FAILED
    assert ended.ended_at is not None
    assert ended.ended_at >= now
    message = ended.errors[-1]["message"]
    assert "(node dead-node, pid 7) stopped heartbeating at " in message
    assert message.endswith("ended by the harvest scheduler of node node-b, pid 99")
    assert lease_of(catalog, unscheduled) is None
    shown = client.get(f"/api/1/harvest/job/{dead.id}/").json()
    assert (shown["status"], shown["errors"][-1]["message"]) == ("failed", message)
    # a heartbeat 50 s old is not stale yet: its job and lease stay
    assert stored(catalog, live.id) == live
    assert lease_of(catalog, live_source) is not None


def test_a_running_job_without_a_lease_is_ended_by_a_tick(catalog: Catalog, remote: SiteServer) -> None:
    # Its process released the lease after its last write failed (the database gone meanwhile).
    source_id = add(catalog, remote)
    job = running_job(catalog, source_id, "d" * 24, None)
    ended_before = harvest_lease.end_dead_jobs(catalog, STALE, "node-b", 99)

    assert [found.id for found in ended_before] == [job.id]
    ended = stored(catalog, job.id)
    assert ended.status == JobStatus.FAILED
    assert ended.errors[-1]["message"].startswith("the process running this job is gone")
    assert harvest_lease.end_dead_jobs(catalog, STALE, "node-b", 99) == []  # nothing left to end


def test_nodes_ticking_at_once_end_a_dead_job_once(catalog: Catalog, remote: SiteServer) -> None:
    now = catalog.clock()
    sources = [add(catalog, remote) for _ in range(3)]
    jobs = [running_job(catalog, s, f"{i}" * 24, now - timedelta(minutes=2)) for i, s in enumerate(sources)]
    unleased = running_job(catalog, add(catalog, remote), "9" * 24, None)
    barrier = threading.Barrier(4)
    found: list[list[HarvestJob]] = [[] for _ in range(4)]

    def node(index: int) -> None:
        barrier.wait()
        found[index] = harvest_lease.end_dead_jobs(catalog, STALE, f"node-{index}", index)

    threads = [threading.Thread(target=node, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    ended = sorted(job.id for each in found for job in each)
    assert ended == sorted([job.id for job in jobs] + [unleased.id])  # each by one node only
    for job in [*jobs, unleased]:
        assert len(stored(catalog, job.id).errors) == 1
    assert all(lease_of(catalog, source_id) is None for source_id in sources)


def test_end_orphans_fails_the_running_jobs_no_lease_covers(catalog: Catalog, remote: SiteServer) -> None:
    now = catalog.clock()
    source_id = add(catalog, remote)
    orphan = running_job(catalog, source_id, "a" * 24, None)
    holder = running_job(catalog, source_id, "b" * 24, now)

    with catalog.db.write() as conn:
        harvest_lease.end_orphans(conn, source_id, now)

    ended = stored(catalog, orphan.id)
    assert (ended.status, ended.ended_at) == (JobStatus.FAILED, now)
    assert ended.errors[-1]["message"].startswith("the process running this job is gone")
    assert stored(catalog, holder.id) == holder  # its lease covers it


def test_a_run_ends_its_sources_orphans_first(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    publish_pages(site, remote.url(""), real_datasets(2), page_size=100)
    source_id = add(catalog, remote)
    orphan = running_job(catalog, source_id, "a" * 24, None)

    job = run_source(catalog, source_id, OPTIONS)

    assert job.status == JobStatus.DONE
    assert stored(catalog, orphan.id).status == JobStatus.FAILED


def test_the_heartbeat_finds_its_lease_taken(catalog: Catalog, remote: SiteServer) -> None:
    source_id = add(catalog, remote)
    job = running_job(catalog, source_id, "a" * 24, catalog.clock(), node="stalled")
    errors: list[str] = []
    with harvest_lease.Heartbeat(catalog, job, 0.02, errors.append) as beat:
        time.sleep(0.1)
        assert not beat.lost.is_set()  # its own lease: refreshed
        later = catalog.clock() + timedelta(minutes=2)
        with catalog.db.write() as conn:  # another process takes the lease as stale
            taker = Lease(source_id, "b" * 24, "taker", 8, later, later)
            harvest_lease.take(conn, taker, STALE, later)
        assert beat.lost.wait(5)
    assert errors == []
    assert stored(catalog, job.id).status == JobStatus.FAILED


def _takeover(catalog: Catalog, source_id: str) -> None:
    run_source(catalog, source_id, replace(OPTIONS, node="taker", pid=8))


def _tick(catalog: Catalog, _source_id: str) -> None:
    harvest_lease.end_dead_jobs(catalog, STALE, "ticker", 9)


@pytest.mark.parametrize("taker", [_takeover, _tick], ids=["run", "tick"])
def test_a_stalled_run_stops_writing_once_another_process_ended_its_job(
    catalog: Catalog, site: Site, remote: SiteServer, taker: Callable[[Catalog, str], None]
) -> None:
    docs = real_datasets(6)
    publish_pages(site, remote.url(""), docs, page_size=3)
    second_page = site.documents["/api/1/datasets/?page_size=3&page=2"]
    second_page.delay = 60  # the run stalls there, its first page written
    source_id = add(catalog, remote, config={"page_size": 3})
    stalled_options = replace(OPTIONS, node="stalled", pid=7, heartbeat_every=0.02, stale_after=STALE)
    outcome: list[HarvestJob] = []
    stalled = threading.Thread(
        target=lambda: outcome.append(run_source(catalog, source_id, stalled_options)), daemon=True
    )
    stalled.start()
    deadline = time.monotonic() + 30
    while not any("page=2" in request.path for request in site.requests):
        assert time.monotonic() < deadline, "the run never asked for its second page"
        time.sleep(0.02)
    lease = lease_of(catalog, source_id)
    assert lease is not None
    assert lease.node == "stalled"

    # Two minutes later by another process's clock, the lease looks stale to it.
    second_page.delay = 0
    taker(replace(catalog, clock=FixedClock(catalog.clock() + timedelta(minutes=2))), source_id)
    remote.release.set()  # the stalled run gets its second page now
    stalled.join(30)

    (job,) = outcome
    assert job.status == JobStatus.FAILED
    assert job.counts.created == 3  # its first page only: nothing written once its job ended
    assert [error["message"] for error in job.errors][-1] == (
        "the process running this job (node stalled, pid 7) found its lease taken over, or its source deleted, and stopped"
    )
    assert "(node stalled, pid 7) stopped heartbeating" in job.errors[-2]["message"]
    assert stored(catalog, job.id) == job
    with catalog.db.read() as conn:
        stored_datasets = conn.execute(sa.select(sa.func.count()).select_from(datasets)).scalar_one()
    assert stored_datasets == (6 if taker is _takeover else 3)  # the taker ran the whole source


def _jobs(catalog: Catalog, source_id: str) -> list[HarvestJob]:
    with catalog.db.read() as conn:
        return db_harvest.jobs_of(conn, source_id, 0, 10)[0]


def test_a_scheduled_sources_dead_job_is_taken_over_at_once(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    """Weekly, Monday 03:00: not due now; its killed job runs again at the next tick, not next week.
    An unscheduled source's dead job is only ended (its run was asked by hand)."""
    publish_pages(site, remote.url(""), real_datasets(2), page_size=100)
    weekly = add(catalog, remote, schedule="0 3 * * 1")
    unscheduled = add(catalog, remote)
    long_ago = catalog.clock() - timedelta(minutes=2)
    dead = running_job(catalog, weekly, "d" * 24, long_ago)
    running_job(catalog, unscheduled, "e" * 24, long_ago)

    scheduler = Scheduler(catalog, replace(OPTIONS, node="node-b", pid=99, stale_after=STALE))
    threads = scheduler.tick()
    for thread in threads:
        thread.join(30)

    assert len(threads) == 1
    again, ended = _jobs(catalog, weekly)
    assert ended.id == dead.id
    assert harvest_lease.died(ended)
    assert again.status == JobStatus.DONE
    assert again.counts.created == 2
    assert [job.status for job in _jobs(catalog, unscheduled)] == [JobStatus.FAILED]
    # The next tick finds nothing to take over or run.
    assert scheduler.tick() == []


def test_a_source_whose_last_two_jobs_died_is_left_to_its_schedule(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    """A source that kills its process (its memory, say) is not run again and again."""
    publish_pages(site, remote.url(""), real_datasets(2), page_size=100)
    weekly = add(catalog, remote, schedule="0 3 * * 1")
    long_ago = catalog.clock() - timedelta(minutes=2)
    running_job(catalog, weekly, "c" * 24, long_ago)
    assert [job.id for job in harvest_lease.end_dead_jobs(catalog, STALE, "node-a", 98)] == ["c" * 24]
    running_job(catalog, weekly, "d" * 24, long_ago)

    scheduler = Scheduler(catalog, replace(OPTIONS, node="node-b", pid=99, stale_after=STALE))

    assert scheduler.tick() == []
    assert [job.id for job in _jobs(catalog, weekly)] == ["d" * 24, "c" * 24]
    assert all(harvest_lease.died(job) for job in _jobs(catalog, weekly))
