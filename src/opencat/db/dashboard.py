"""What the publisher's dashboard reads beyond its dataset lists: the link checks of the resources
of a user's datasets and their organizations', and the recent history of both."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.history import _from_row as activity_from_row
from opencat.db.resources import _from_row as resource_from_row
from opencat.db.tables import activities, datasets, link_checks, resources
from opencat.db.text import contains_pattern, lowered
from opencat.domain.datasets import Resource
from opencat.domain.history import DATASET, ORGANIZATION, Activity


def _mine(owner_id: str, organization_ids: Sequence[str]) -> sa.ColumnElement[bool]:
    owned = datasets.c.owner_id == owner_id
    if organization_ids:
        return sa.or_(owned, datasets.c.organization_id.in_(list(organization_ids)))
    return owned


def owned_dataset_ids(
    conn: Connection,
    owner_id: str,
    organization_ids: Sequence[str],
    title_contains: str | None,
    limit: int,
) -> list[str]:
    """The undeleted datasets a user owns or their organizations do, most recently changed first;
    ``title_contains``: only those whose title holds it, in any case."""
    query = sa.select(datasets.c.id).where(_mine(owner_id, organization_ids), datasets.c.deleted.is_(None))
    if title_contains:
        pattern = contains_pattern(title_contains.lower())
        query = query.where(lowered(conn, datasets.c.title, title_contains).like(pattern, escape="\\"))
    query = query.order_by(datasets.c.last_modified.desc(), datasets.c.id).limit(limit)
    return [str(row.id) for row in conn.execute(query)]


def checked_resources(
    conn: Connection, owner_id: str, organization_ids: Sequence[str], limit: int
) -> list[tuple[str, str, Resource]]:
    """(dataset slug, dataset title, resource) of the resources of these datasets whose link was
    checked (``link_checks`` holds a row per checked resource), the latest checks first."""
    rows = conn.execute(
        sa.select(datasets.c.slug, datasets.c.title, resources.c.doc, resources.c.downloads)
        .join(resources, resources.c.dataset_id == datasets.c.id)
        .join(link_checks, link_checks.c.resource_id == resources.c.id)
        .where(_mine(owner_id, organization_ids), datasets.c.deleted.is_(None))
        .order_by(link_checks.c.claimed_at.desc(), resources.c.id)
        .limit(limit)
    )
    found: list[tuple[str, str, Resource]] = []
    for row in rows:
        row_data: Any = row
        found.append((str(row.slug), str(row.title), resource_from_row(row_data)))
    return found


def recent_activities(
    conn: Connection, owner_id: str, organization_ids: Sequence[str], limit: int
) -> list[Activity]:
    """The latest changes of these datasets (whoever made them) and of these organizations."""
    mine = sa.select(datasets.c.id).where(_mine(owner_id, organization_ids))
    related = sa.and_(activities.c.related_to_kind == DATASET, activities.c.related_to_id.in_(mine))
    conditions = [related]
    if organization_ids:
        ids = list(organization_ids)
        conditions.append(activities.c.organization_id.in_(ids))
        conditions.append(
            sa.and_(activities.c.related_to_kind == ORGANIZATION, activities.c.related_to_id.in_(ids))
        )
    rows = conn.execute(
        sa.select(activities).where(sa.or_(*conditions)).order_by(activities.c.seq.desc()).limit(limit)
    )
    return [activity_from_row(row) for row in rows]
