"""Community resource rows."""

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.codec import resource_from_doc, resource_to_doc
from opencat.db.engine import locked_in_writes
from opencat.db.tables import community_resources as table
from opencat.db.tables import datasets
from opencat.domain.community import CommunityResource
from opencat.domain.datasets import Resource
from opencat.domain.queries import CommunityQuery
from opencat.domain.search import Visibility

_SORTS = {
    "created_at_internal": table.c.created_at,
    "created_at": table.c.created_at,
}


def _from_row(row: Any) -> CommunityResource:
    return CommunityResource(
        resource_from_doc(row.doc, row.downloads), row.dataset_id, row.owner_id, row.organization_id
    )


def _values(item: CommunityResource) -> dict[str, Any]:
    return {
        "dataset_id": item.dataset_id,
        "owner_id": item.owner_id,
        "organization_id": item.organization_id,
        "created_at": item.resource.created_at_internal,
        "fs_filename": item.resource.fs_filename,
        "doc": resource_to_doc(item.resource),
    }


def insert(conn: Connection, item: CommunityResource) -> None:
    conn.execute(table.insert().values(id=item.id, **_values(item)))


def update(conn: Connection, item: CommunityResource) -> None:
    conn.execute(table.update().where(table.c.id == item.id).values(**_values(item)))


def delete(conn: Connection, item_id: str) -> None:
    conn.execute(table.delete().where(table.c.id == item_id))


def find(conn: Connection, item_id: str) -> CommunityResource | None:
    row = conn.execute(locked_in_writes(conn, sa.select(table).where(table.c.id == item_id))).first()
    return None if row is None else _from_row(row)


def find_by_file(conn: Connection, key: str) -> CommunityResource | None:
    """The community resource that holds the stored file ``key``."""
    row = conn.execute(sa.select(table).where(table.c.fs_filename == key).limit(1)).first()
    return None if row is None else _from_row(row)


def count_download(conn: Connection, item_id: str) -> None:
    conn.execute(table.update().where(table.c.id == item_id).values(downloads=table.c.downloads + 1))


def _visible(visibility: Visibility) -> sa.ColumnElement[bool] | None:
    """Those of datasets the caller may read (domain.permissions.can_read), and the caller's own."""
    if visibility.everything:
        return None
    readable: list[sa.ColumnElement[bool]] = [
        sa.and_(datasets.c.private == sa.false(), datasets.c.deleted.is_(None))
    ]
    own: list[sa.ColumnElement[bool]] = [table.c.dataset_id.is_(None)]
    if visibility.owner is not None:  # never "= NULL": that would match every org-owned row
        readable.append(datasets.c.owner_id == visibility.owner)
        own.append(table.c.owner_id == visibility.owner)
    if visibility.organizations:
        readable.append(datasets.c.organization_id.in_(visibility.organizations))
        own.append(table.c.organization_id.in_(visibility.organizations))
    return sa.or_(*own, table.c.dataset_id.in_(sa.select(datasets.c.id).where(sa.or_(*readable))))


def fetch_page(
    conn: Connection, query: CommunityQuery, visibility: Visibility
) -> tuple[list[CommunityResource], int]:
    conditions = [
        condition
        for condition in (
            None if query.dataset is None else table.c.dataset_id == query.dataset,
            None if query.owner is None else table.c.owner_id == query.owner,
            None if query.organization is None else table.c.organization_id == query.organization,
            _visible(visibility),
        )
        if condition is not None
    ]
    total = conn.execute(sa.select(sa.func.count()).select_from(table).where(*conditions)).scalar_one()
    # MongoEngine's order_by: one leading sign, "-" descending or "+" ascending.
    descending = query.sort.startswith("-")
    field = query.sort[1:] if query.sort[:1] in ("-", "+") else query.sort
    if field not in _SORTS:
        return _sorted_by_field(conn, conditions, query, field, descending), int(total)
    column = _SORTS[field]
    order = [column.desc(), table.c.id.desc()] if descending else [column.asc(), table.c.id]
    rows = conn.execute(
        sa.select(table)
        .where(*conditions)
        .order_by(*order)
        .limit(query.page_size)
        .offset((query.page - 1) * query.page_size)
    )
    return [_from_row(row) for row in rows], int(total)


def _sorted_by_field(
    conn: Connection, conditions: list[Any], query: CommunityQuery, field: str, descending: bool
) -> list[CommunityResource]:
    """udata's ``order_by(sort, "id")`` on any other field of the resource (its title, its
    modification date...), read from the stored documents: a field none has (an unknown name)
    orders by id alone. Community resources are few a dataset; the whole selection is read."""
    rows = conn.execute(sa.select(table).where(*conditions).order_by(table.c.id))
    found = [_from_row(row) for row in rows]
    # ``sorted`` keeps the id order among equals; missing values first, as MongoDB's ascending order.
    found.sort(key=lambda item: _sort_value(item, field), reverse=descending)
    start = (query.page - 1) * query.page_size
    return found[start : start + query.page_size]


def _sort_value(item: CommunityResource, field: str) -> tuple[int, float, str]:
    """Missing first, then numbers, then texts (dates in ISO order); a computed property
    (``last_modified``) is no stored field, as in MongoDB."""
    value = getattr(item.resource, field, None) if field in _STORED_FIELDS else None
    if value is None or isinstance(value, (dict, list)):
        return (0, 0.0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, float(value), "")
    return (2, 0.0, value.isoformat() if isinstance(value, datetime) else str(value))


_STORED_FIELDS = frozenset(field.name for field in fields(Resource))


def fetch_for_datasets(conn: Connection, dataset_ids: Sequence[str]) -> dict[str, list[CommunityResource]]:
    found: dict[str, list[CommunityResource]] = {dataset_id: [] for dataset_id in dataset_ids}
    if dataset_ids:
        rows = conn.execute(
            sa.select(table)
            .where(table.c.dataset_id.in_(list(dataset_ids)))
            .order_by(table.c.created_at.desc(), table.c.id.desc())
        )
        for row in rows:
            found[row.dataset_id].append(_from_row(row))
    return found
