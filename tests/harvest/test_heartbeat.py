"""The lease's heartbeat on both databases: a missed beat is retried quietly; only beats missed in
a row become an error of the job."""

import time

import sqlalchemy as sa

from opencat.catalog import harvest_lease
from opencat.catalog.context import Catalog
from opencat.domain.harvest_jobs import HarvestJob, JobStatus


def _job(catalog: Catalog) -> HarvestJob:
    return HarvestJob("a" * 24, "b" * 24, JobStatus.PROCESSING, catalog.clock())


def _beats_for(catalog: Catalog, seconds: float) -> list[str]:
    errors: list[str] = []
    with harvest_lease.Heartbeat(catalog, _job(catalog), 0.01, errors.append):
        time.sleep(seconds)
    return errors


def test_beats_missed_in_a_row_are_reported_once(catalog: Catalog) -> None:
    assert _beats_for(catalog, 0.2) == []  # beating fine (no lease row: not lost either)
    with catalog.db.write() as conn:  # every beat now fails at once
        conn.execute(sa.text("ALTER TABLE harvest_leases RENAME TO harvest_leases_gone"))

    try:
        errors = _beats_for(catalog, 0.5)
    finally:
        with catalog.db.write() as conn:
            conn.execute(sa.text("ALTER TABLE harvest_leases_gone RENAME TO harvest_leases"))

    assert len(errors) == 1
    assert errors[0].startswith("heartbeat failed 3 times in a row: ")
    assert "harvest_leases" in errors[0]
