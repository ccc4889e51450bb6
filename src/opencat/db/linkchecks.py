"""Claims on link checks: at most one check of a resource's link per interval, across every
worker and node (the database decides who checks)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.tables import link_checks


def claim(conn: Connection, resource_id: str, now: datetime, last_allowed: datetime) -> bool:
    """Take the right to check ``resource_id`` now, unless a check started after ``last_allowed``."""
    try:
        with conn.begin_nested():
            conn.execute(link_checks.insert().values(resource_id=resource_id, claimed_at=now))
        return True
    except sa.exc.IntegrityError:
        pass
    # The row lock makes concurrent claimants queue; the loser sees the winner's time and fails.
    taken = conn.execute(
        link_checks.update()
        .where(link_checks.c.resource_id == resource_id, link_checks.c.claimed_at <= last_allowed)
        .values(claimed_at=now)
    )
    return taken.rowcount == 1


def release(conn: Connection, resource_id: str, claimed_at: datetime) -> None:
    """Give back a claim whose check failed before any result: the next caller may check at once
    (a claim kept would answer 429 for the whole interval, with nothing checking)."""
    conn.execute(
        link_checks.delete().where(
            link_checks.c.resource_id == resource_id, link_checks.c.claimed_at == claimed_at
        )
    )
