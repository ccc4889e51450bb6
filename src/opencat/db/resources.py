"""Resource rows: one row per resource, ordered by ``position`` within its dataset.

Every operation on one resource touches one row (and index lookups), whatever the number of
its siblings: adding to a dataset of 10,000 resources costs what adding to an empty one does.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.codec import indexed_resource_from_doc, resource_from_doc, resource_to_doc
from opencat.db.tables import datasets, resources
from opencat.domain.datasets import IndexedResource, Resource

_COLUMNS = (resources.c.dataset_id, resources.c.doc, resources.c.downloads)


def _from_row(row: Any) -> Resource:
    return resource_from_doc(row.doc, row.downloads)


def _values(resource: Resource, now: datetime) -> dict[str, Any]:
    return {
        "format": resource.format,
        "fs_filename": resource.fs_filename,
        "last_modified": resource.last_modified(now),
        "doc": resource_to_doc(resource),
    }


def new_row(dataset_id: str, position: int, resource: Resource, now: datetime) -> dict[str, Any]:
    """The row of a new resource at ``position`` (a bulk loader writes many in one statement)."""
    return {"id": resource.id, "dataset_id": dataset_id, "position": position, **_values(resource, now)}


# Built once: every dataset read runs it (building costs more than running it on SQLite).
_FOR_DATASETS = (
    sa.select(*_COLUMNS)
    .where(resources.c.dataset_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(resources.c.dataset_id, resources.c.position)
)


def fetch_for_datasets(conn: Connection, dataset_ids: Sequence[str]) -> dict[str, list[Resource]]:
    """Every resource of these datasets, in order, in one query."""
    found: dict[str, list[Resource]] = {dataset_id: [] for dataset_id in dataset_ids}
    if not dataset_ids:
        return found
    for row in conn.execute(_FOR_DATASETS, {"ids": list(dataset_ids)}):
        found[row.dataset_id].append(_from_row(row))
    return found


# The document as text: decoded here, into what search takes.
_INDEXED_FOR_DATASETS = (
    sa.select(resources.c.dataset_id, sa.type_coerce(resources.c.doc, sa.Text).label("doc"))
    .where(resources.c.dataset_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(resources.c.dataset_id, resources.c.position)
)


def fetch_indexed_for_datasets(
    conn: Connection, dataset_ids: Sequence[str]
) -> dict[str, list[IndexedResource]]:
    """What search takes from every resource of these datasets, in order, in one query: about
    half the cost of decoding them whole."""
    found: dict[str, list[IndexedResource]] = {dataset_id: [] for dataset_id in dataset_ids}
    if not dataset_ids:
        return found
    for row in conn.execute(_INDEXED_FOR_DATASETS, {"ids": list(dataset_ids)}):
        found[row.dataset_id].append(indexed_resource_from_doc(orjson.loads(row.doc)))
    return found


def fetch_for_dataset(conn: Connection, dataset_id: str) -> list[Resource]:
    return fetch_for_datasets(conn, [dataset_id])[dataset_id]


def find(conn: Connection, dataset_id: str, resource_id: str) -> Resource | None:
    row = conn.execute(
        sa.select(*_COLUMNS).where(resources.c.id == resource_id, resources.c.dataset_id == dataset_id)
    ).first()
    return None if row is None else _from_row(row)


def find_anywhere(conn: Connection, resource_id: str) -> tuple[str, Resource] | None:
    """The resource with this id in any dataset, with its dataset's id."""
    row = conn.execute(sa.select(*_COLUMNS).where(resources.c.id == resource_id)).first()
    return None if row is None else (row.dataset_id, _from_row(row))


def datasets_holding(conn: Connection, resource_ids: Sequence[str]) -> dict[str, str]:
    """The dataset of each of these resource ids that some dataset holds (a thousand ids a query)."""
    found: dict[str, str] = {}
    for start in range(0, len(resource_ids), 1000):
        chunk = list(resource_ids[start : start + 1000])
        rows = conn.execute(
            sa.select(resources.c.id, resources.c.dataset_id).where(resources.c.id.in_(chunk))
        )
        found.update({row.id: row.dataset_id for row in rows})
    return found


def dataset_of_file(conn: Connection, key: str) -> str | None:
    """The dataset whose resource holds the stored file ``key``."""
    query = sa.select(resources.c.dataset_id).where(resources.c.fs_filename == key).limit(1)
    found: str | None = conn.execute(query).scalar()
    return found


# Statements of every resource write, built once (building one costs SQLAlchemy more than
# SQLite takes to run it; a built statement's cache key is remembered).
_OF_DATASET = resources.c.dataset_id == sa.bindparam("dataset_id")
_COUNT = sa.select(sa.func.count()).where(_OF_DATASET)
_NEWEST = sa.select(sa.func.max(resources.c.last_modified)).where(_OF_DATASET)
_SIBLINGS = sa.select(
    sa.func.count(), sa.func.min(resources.c.position), sa.func.max(resources.c.last_modified)
).where(_OF_DATASET)
_INSERT = resources.insert()
_POSITIONS = sa.select(resources.c.id, resources.c.position).where(_OF_DATASET)


@dataclass(frozen=True, slots=True)
class Siblings:
    """What adding a resource needs to know of a dataset's others, read in one statement."""

    count: int
    first_position: int | None
    newest_modification: datetime | None


def siblings(conn: Connection, dataset_id: str) -> Siblings:
    count, first, newest = conn.execute(_SIBLINGS, {"dataset_id": dataset_id}).one()
    return Siblings(int(count), None if first is None else int(first), newest)


def count(conn: Connection, dataset_id: str) -> int:
    return int(conn.execute(_COUNT, {"dataset_id": dataset_id}).scalar_one())


def ids_of(conn: Connection, dataset_id: str) -> list[str]:
    query = sa.select(resources.c.id).where(resources.c.dataset_id == dataset_id)
    return list(conn.execute(query.order_by(resources.c.position)).scalars())


def newest_modification(conn: Connection, dataset_id: str) -> datetime | None:
    value: datetime | None = conn.execute(_NEWEST, {"dataset_id": dataset_id}).scalar()
    return value


def insert_first(
    conn: Connection, dataset_id: str, resource: Resource, now: datetime, known: Siblings | None = None
) -> datetime:
    """Add ``resource`` before every other one (udata prepends new resources); ``known``: its
    siblings as just read in this transaction. Returns the dataset's newest resource modification
    with this one added (what ``newest_modification`` would read now)."""
    if known is None:
        known = siblings(conn, dataset_id)
    position = 0 if known.first_position is None else known.first_position - 1
    row = new_row(dataset_id, position, resource, now)
    conn.execute(_INSERT, row)
    added: datetime = row["last_modified"].astimezone(UTC)  # as the column gives it back
    return added if known.newest_modification is None else max(added, known.newest_modification)


def update_one(conn: Connection, resource: Resource, now: datetime) -> None:
    conn.execute(resources.update().where(resources.c.id == resource.id).values(**_values(resource, now)))


def delete_one(conn: Connection, resource_id: str) -> None:
    conn.execute(resources.delete().where(resources.c.id == resource_id))


def set_positions(conn: Connection, ordered_ids: Sequence[str]) -> None:
    """Store a new order in one batched statement."""
    if ordered_ids:
        statement = (
            resources.update()
            .where(resources.c.id == sa.bindparam("resource_id"))
            .values(position=sa.bindparam("new_position"))
        )
        conn.execute(
            statement,
            [{"resource_id": rid, "new_position": index} for index, rid in enumerate(ordered_ids)],
        )


def count_download(conn: Connection, dataset_id: str, resource_id: str) -> None:
    conn.execute(
        resources.update().where(resources.c.id == resource_id).values(downloads=resources.c.downloads + 1)
    )
    conn.execute(
        datasets.update()
        .where(datasets.c.id == dataset_id)
        .values(resources_downloads=datasets.c.resources_downloads + 1)
    )


def replace_all(
    conn: Connection,
    dataset_id: str,
    before: Sequence[Resource],
    after: Sequence[Resource],
    now: datetime,
) -> None:
    """Make the stored list equal ``after``, in its order, touching only the rows that changed.

    A row's stored position is not its index in ``before``: a resource added goes before the
    first (``insert_first``: 0, then -1, -2...), so each kept row is compared with its stored
    position, and every row ends at its index in ``after``."""
    kept = {resource.id for resource in after}
    removed = [resource.id for resource in before if resource.id not in kept]
    if removed:
        conn.execute(resources.delete().where(resources.c.id.in_(removed)))
    stored: dict[str, int] = {}
    if before:
        stored = {row.id: row.position for row in conn.execute(_POSITIONS, {"dataset_id": dataset_id})}
    previous = {resource.id: (stored.get(resource.id), resource) for resource in before}
    inserts = []
    for position, resource in enumerate(after):
        old = previous.get(resource.id)
        if old is None:
            inserts.append(new_row(dataset_id, position, resource, now))
        elif old != (position, resource):
            conn.execute(
                resources.update()
                .where(resources.c.id == resource.id)
                .values(position=position, **_values(resource, now))
            )
    if inserts:
        conn.execute(resources.insert(), inserts)
