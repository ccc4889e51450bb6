"""Resource rows: one row per resource, ordered by ``position`` within its dataset."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.codec import resource_from_doc, resource_to_doc
from opencat.db.tables import resources
from opencat.domain.datasets import Resource


def fetch_for_datasets(conn: Connection, dataset_ids: Sequence[str]) -> dict[str, list[Resource]]:
    """Every resource of these datasets, in order, in one query."""
    found: dict[str, list[Resource]] = {dataset_id: [] for dataset_id in dataset_ids}
    if not dataset_ids:
        return found
    rows = conn.execute(
        sa.select(resources.c.dataset_id, resources.c.doc)
        .where(resources.c.dataset_id.in_(list(dataset_ids)))
        .order_by(resources.c.dataset_id, resources.c.position)
    )
    for row in rows:
        found[row.dataset_id].append(resource_from_doc(row.doc))
    return found


def fetch_for_dataset(conn: Connection, dataset_id: str) -> list[Resource]:
    return fetch_for_datasets(conn, [dataset_id])[dataset_id]


def replace_all(
    conn: Connection, dataset_id: str, before: Sequence[Resource], after: Sequence[Resource]
) -> None:
    """Make the stored list equal ``after``, touching only the rows that changed."""
    kept = {resource.id for resource in after}
    removed = [resource.id for resource in before if resource.id not in kept]
    if removed:
        conn.execute(resources.delete().where(resources.c.id.in_(removed)))
    previous = {resource.id: (position, resource) for position, resource in enumerate(before)}
    inserts = []
    for position, resource in enumerate(after):
        old = previous.get(resource.id)
        values = {"position": position, "format": resource.format, "doc": resource_to_doc(resource)}
        if old is None:
            inserts.append({"id": resource.id, "dataset_id": dataset_id, **values})
        elif old != (position, resource):
            conn.execute(resources.update().where(resources.c.id == resource.id).values(**values))
    if inserts:
        conn.execute(resources.insert(), inserts)
