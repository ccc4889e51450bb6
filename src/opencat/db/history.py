"""Rows of the history of changes (``activities``)."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.bulk import insert_rows
from opencat.db.tables import activities as table
from opencat.db.tables import datasets
from opencat.domain.history import DATASET, Activity, FieldChange, Key
from opencat.domain.queries import ActivityQuery
from opencat.domain.search import Visibility


def insert(conn: Connection, items: Sequence[Activity]) -> None:
    if not items:
        return
    insert_rows(
        conn,
        table,
        [
            {
                "id": item.id,
                "key": str(item.key),
                "created_at": item.created_at,
                "actor_id": item.actor_id,
                "organization_id": item.organization_id,
                "related_to_kind": item.related_to_kind,
                "related_to_id": item.related_to_id,
                "related_to_name": item.related_to_name,
                "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in item.changes],
                "extras": dict(item.extras),
            }
            for item in items
        ],
    )


def _from_row(row: Any) -> Activity:
    return Activity(
        id=row.id,
        key=Key(row.key),
        created_at=row.created_at,
        actor_id=row.actor_id,
        related_to_kind=row.related_to_kind,
        related_to_id=row.related_to_id,
        related_to_name=row.related_to_name,
        organization_id=row.organization_id,
        changes=tuple(FieldChange(c["field"], c["old"], c["new"]) for c in row.changes),
        extras=row.extras,
    )


def _visible(visibility: Visibility) -> sa.ColumnElement[bool] | None:
    """A private or deleted dataset's history is seen by those who see the dataset
    (domain.permissions.can_read, udata's OwnableReadPermission): sysadmins, its owner, its
    organization's members. (udata shows a deleted dataset's activities to anyone; ours carry the
    values changed, which would keep publishing what the deletion withdrew.)"""
    if visibility.everything:
        return None
    hidden: list[sa.ColumnElement[bool]] = [
        sa.or_(datasets.c.private == sa.true(), datasets.c.deleted.is_not(None))
    ]
    # Spelled with IS NULL: NOT (owner_id = :owner) is NULL, not true, for a dataset without an owner.
    if visibility.owner is not None:
        hidden.append(sa.or_(datasets.c.owner_id.is_(None), datasets.c.owner_id != visibility.owner))
    if visibility.organizations:
        hidden.append(
            sa.or_(
                datasets.c.organization_id.is_(None),
                datasets.c.organization_id.not_in(visibility.organizations),
            )
        )
    hidden_ids = sa.select(datasets.c.id).where(*hidden)
    return sa.or_(table.c.related_to_kind != DATASET, table.c.related_to_id.not_in(hidden_ids))


def fetch_page(conn: Connection, query: ActivityQuery, visibility: Visibility) -> tuple[list[Activity], int]:
    conditions = [
        condition
        for condition in (
            None if query.related_to is None else table.c.related_to_id == query.related_to,
            None
            if query.organization is None
            else sa.or_(
                table.c.organization_id == query.organization, table.c.related_to_id == query.organization
            ),
            None if query.user is None else table.c.actor_id == query.user,
            table.c.key.in_(query.keys) if query.keys else None,
            _visible(visibility),
        )
        if condition is not None
    ]
    total = conn.execute(sa.select(sa.func.count()).select_from(table).where(*conditions)).scalar_one()
    order = table.c.seq.desc() if query.newest_first else table.c.seq.asc()
    rows = conn.execute(
        sa.select(table)
        .where(*conditions)
        .order_by(order)
        .limit(query.page_size)
        .offset((query.page - 1) * query.page_size)
    )
    return [_from_row(row) for row in rows], int(total)
