"""What sitemaps list: public datasets and live organizations, in runs of ids read by keyset.

A run is ``every`` consecutive ids of the table, hidden rows included, so that both its start and
its rows come from the primary key's index alone (at 1M datasets on SQLite: about 0.1 s for all
the starts, 0.1 s for one run); only then are the rows of the run read and filtered. A run starts
at a listed row (the first at or past the end of the run before): a page is named by its start,
and a hidden dataset's id in the public sitemap index said that it existed, and when it was made.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.datasets import public_conditions
from opencat.db.tables import datasets, organizations

# Ids read along the id index at a time while looking for the first listed one of a run.
_PROBE = 64


def _starts(
    conn: Connection, table: sa.Table, conditions: list[sa.ColumnElement[bool]], every: int
) -> list[str]:
    """The first listed id of each run: one walk along the id index, a skip of ``every`` entries
    a step, then on to the first row ``conditions`` list (usually the row itself)."""
    step = (
        sa.select(table.c.id)
        .where(table.c.id > sa.bindparam("after"))
        .order_by(table.c.id)
        .limit(1)
        .offset(every - 1)
    )
    starts: list[str] = []
    following = conn.execute(sa.select(sa.func.min(table.c.id))).scalar()
    while following is not None and (listed := _listed_from(conn, table, conditions, following)) is not None:
        starts.append(listed)
        following = conn.execute(step, {"after": listed}).scalar()
    return starts


def _listed_from(
    conn: Connection, table: sa.Table, conditions: list[sa.ColumnElement[bool]], first: str
) -> str | None:
    """The first id at or past ``first`` whose row ``conditions`` list, read ``_PROBE`` ids of
    the id index at a time (a plain WHERE would let SQLite scan the visibility index)."""
    bound: sa.ColumnElement[bool] = table.c.id >= first
    while True:
        probe = sa.select(table.c.id).where(bound).order_by(table.c.id).limit(_PROBE)
        ids = list(conn.execute(probe).scalars())
        if not ids:
            return None
        listed = conn.execute(
            sa.select(sa.func.min(table.c.id)).where(table.c.id.in_(ids), *conditions)
        ).scalar()
        if listed is not None:
            return str(listed)
        if len(ids) < _PROBE:
            return None
        bound = table.c.id > ids[-1]


def _run(
    conn: Connection,
    columns: tuple[sa.Column[str], sa.Column[datetime]],
    conditions: list[sa.ColumnElement[bool]],
    first: str,
    every: int,
) -> list[tuple[str, datetime]]:
    table = columns[0].table
    assert isinstance(table, sa.Table)
    # The run's ids come from the id index; joined back, they are filtered. A plain WHERE would
    # let SQLite pick the visibility index and scan every public row.
    run = sa.select(table.c.id).where(table.c.id >= first).order_by(table.c.id).limit(every).subquery("run")
    query = (
        sa.select(*columns)
        .select_from(run.join(table, table.c.id == run.c.id))
        .where(*conditions)
        .order_by(run.c.id)
    )
    return [(row[0], row[1]) for row in conn.execute(query)]


def dataset_starts(conn: Connection, every: int) -> list[str]:
    return _starts(conn, datasets, public_conditions(), every)


def datasets_from(conn: Connection, first_id: str, every: int) -> list[tuple[str, datetime]]:
    """Slugs and last updates of the public datasets among ``every`` ids from ``first_id``."""
    columns = (datasets.c.slug, datasets.c.last_update)
    return _run(conn, columns, public_conditions(), first_id, every)


def organization_starts(conn: Connection, every: int) -> list[str]:
    return _starts(conn, organizations, [organizations.c.deleted.is_(None)], every)


def organizations_from(conn: Connection, first_id: str, every: int) -> list[tuple[str, datetime]]:
    """Slugs and modification dates of the organizations not deleted among ``every`` ids from ``first_id``."""
    columns = (organizations.c.slug, organizations.c.last_modified)
    return _run(conn, columns, [organizations.c.deleted.is_(None)], first_id, every)
