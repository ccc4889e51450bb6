"""The schedule: which sources are due, one scheduler tick, and two nodes ticking at once."""

import logging
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from opencat.catalog.context import Catalog
from opencat.catalog.harvest_schedule import Scheduler, due_sources
from opencat.catalog.harvest_sources import SourceFields, add_source
from opencat.catalog.harvesting import AlreadyRun, RunOptions, start_job
from opencat.db import harvest as db_harvest
from opencat.harvest_scheduler import seconds_to_next_tick
from opencat.links.harvest_fetch import HarvestPolicy
from tests.conftest import FixedClock
from tests.factories import make_org
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Site, SiteServer

OPTIONS = RunOptions(policy=HarvestPolicy(timeout=5, allow_private=True))


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def clocked(catalog: Catalog) -> Catalog:
    return replace(catalog, clock=FixedClock(at(2026, 6, 1, 10, 0)))


def add(catalog: Catalog, remote: SiteServer, org_id: str, **fields: object) -> str:
    values: dict[str, object] = {
        "name": "Remote",
        "url": remote.url("/"),
        "backend": "udata",
        "organization": org_id,
    }
    return add_source(catalog, SourceFields(**(values | fields))).source.id  # type: ignore[arg-type]


def test_only_active_accepted_scheduled_sources_are_due(clocked: Catalog, remote: SiteServer) -> None:
    org = make_org(clocked)
    due = add(clocked, remote, org.id, schedule="0 3 * * *")
    add(clocked, remote, org.id)  # no schedule
    add(clocked, remote, org.id, schedule="0 3 * * *", active=False)
    pending = add(clocked, remote, org.id, schedule="0 3 * * *")
    with clocked.db.write() as conn:
        source = db_harvest.find_source(conn, pending)
        assert source is not None
        db_harvest.update_source(conn, replace(source, validation={"state": "pending"}))

    found = due_sources(clocked, clocked.clock())

    assert [(item.source.id, item.scheduled_at) for item in found] == [(due, at(2026, 6, 1, 3, 0))]


def test_a_tick_runs_what_is_due_once(clocked: Catalog, site: Site, remote: SiteServer) -> None:
    publish_pages(site, remote.url(""), real_datasets(3), page_size=100)
    org = make_org(clocked)
    source_id = add(clocked, remote, org.id, schedule="0 3 * * *")
    scheduler = Scheduler(clocked, OPTIONS)

    for thread in scheduler.tick():
        thread.join(30)
    assert scheduler.tick() == []  # ran since 03:00 today

    assert isinstance(clocked.clock, FixedClock)
    clocked.clock.now = at(2026, 6, 2, 3, 0, 20)
    for thread in scheduler.tick():
        thread.join(30)

    with clocked.db.read() as conn:
        jobs, total = db_harvest.jobs_of(conn, source_id, 0, 10)
    assert total == 2
    assert [(job.status, job.counts.created, job.counts.unchanged) for job in jobs] == [
        ("done", 0, 3),
        ("done", 3, 0),
    ]


def test_a_node_late_for_a_schedule_another_ran_does_nothing(clocked: Catalog, remote: SiteServer) -> None:
    org = make_org(clocked)
    source_id = add(clocked, remote, org.id, schedule="0 3 * * *")
    (due,) = due_sources(clocked, clocked.clock())
    start_job(clocked, source_id, OPTIONS, due.scheduled_at)  # node A started it...
    with clocked.db.write() as conn:
        lease = db_harvest.find_lease(conn, source_id)
        assert lease is not None
        db_harvest.release_lease(conn, source_id, lease.job_id)  # ...and it ended

    with pytest.raises(AlreadyRun):
        start_job(clocked, source_id, replace(OPTIONS, node="node-b"), due.scheduled_at)

    with clocked.db.read() as conn:
        assert db_harvest.jobs_of(conn, source_id, 0, 10)[1] == 1
        assert db_harvest.find_lease(conn, source_id) is None


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (at(2026, 6, 1, 10, 0, 0), 1.0),
        (at(2026, 6, 1, 10, 0, 1), 30.0),
        (at(2026, 6, 1, 10, 0, 20), 11.0),
        (at(2026, 6, 1, 10, 0, 45), 16.0),
        (at(2026, 6, 1, 10, 0, 59), 2.0),
    ],
)
def test_the_scheduler_ticks_a_second_into_each_half_minute(now: datetime, seconds: float) -> None:
    assert seconds_to_next_tick(now) == pytest.approx(seconds)


def test_a_scheduled_run_the_database_fails_is_said_in_a_line(
    clocked: Catalog, remote: SiteServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Its job ended failed and the log said nothing (an unavailable database is a catalog error,
    which the scheduler takes for another node's run); ending dead jobs wrote a traceback a tick."""
    from opencat.catalog import harvest_schedule
    from opencat.domain.errors import Reason, Unavailable

    org = make_org(clocked)
    add(clocked, remote, org.id, schedule="0 3 * * *")

    def unavailable(*_: object, **__: object) -> None:
        raise Unavailable(Reason.DATABASE_UNAVAILABLE)

    monkeypatch.setattr(harvest_schedule, "run_source", unavailable)
    monkeypatch.setattr(harvest_schedule, "end_dead_jobs", unavailable)
    with caplog.at_level(logging.WARNING, logger=harvest_schedule.__name__):
        for thread in Scheduler(clocked, OPTIONS).tick():
            thread.join(30)
    said = [(record.getMessage(), record.exc_info is not None) for record in caplog.records]
    assert len(said) == 2, said
    assert all("DATABASE_UNAVAILABLE" in message and not traced for message, traced in said), said
    assert "scheduled harvest of source" in said[1][0]
