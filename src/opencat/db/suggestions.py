"""Type-ahead lists read straight from the tables: the tags of public datasets, geozones,
organizations."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.accounts import _organization
from opencat.db.geozones import _zone
from opencat.db.tables import dataset_tags, datasets, geozones, organizations
from opencat.db.text import bytewise, contains_pattern, lowered
from opencat.domain.accounts import Organization
from opencat.domain.spatial import Zone


def suggest_tags(conn: Connection, text: str, size: int) -> list[str]:
    """Tags of public datasets containing ``text``, the most used first (a private dataset's tags
    are nobody else's business; an archived one is hidden from suggestions, as udata's)."""
    uses = sa.func.count().label("uses")
    query = (
        sa.select(dataset_tags.c.tag, uses)
        .join(datasets, datasets.c.id == dataset_tags.c.dataset_id)
        .where(
            dataset_tags.c.tag.like(contains_pattern(text), escape="\\"),
            datasets.c.private.is_(False),
            datasets.c.deleted.is_(None),
            datasets.c.archived.is_(None),
        )
        .group_by(dataset_tags.c.tag)
        .order_by(uses.desc(), bytewise(conn, dataset_tags.c.tag))
        .limit(size)
    )
    return [str(row.tag) for row in conn.execute(query)]


def suggest_zones(conn: Connection, text: str, size: int) -> list[Zone]:
    """Zones whose name contains ``text`` (any case) or whose code or id starts with it, the most
    populated first."""
    folded = text.lower()
    query = (
        sa.select(geozones)
        .where(
            sa.or_(
                lowered(conn, geozones.c.name, text).like(contains_pattern(folded), escape="\\"),
                geozones.c.code == text,
                sa.func.lower(geozones.c.id).like(contains_pattern(folded)[1:], escape="\\"),
            )
        )
        .order_by(
            sa.func.coalesce(geozones.c.population, -1).desc(), bytewise(conn, geozones.c.name), geozones.c.id
        )
        .limit(size)
    )
    return [_zone(row) for row in conn.execute(query)]


def organizations_containing(conn: Connection, text: str, limit: int) -> list[Organization]:
    """Organizations (not deleted) whose name or acronym contains ``text``, any case; at most
    ``limit``, oldest first (the caller orders them by followers)."""
    folded = text.lower()
    pattern = contains_pattern(folded)
    query = (
        sa.select(organizations)
        .where(
            organizations.c.deleted.is_(None),
            sa.or_(
                lowered(conn, organizations.c.name, text).like(pattern, escape="\\"),
                lowered(conn, sa.func.coalesce(organizations.c.acronym, ""), text).like(pattern, escape="\\"),
            ),
        )
        .order_by(organizations.c.id)
        .limit(limit)
    )
    return [_organization(row) for row in conn.execute(query)]
