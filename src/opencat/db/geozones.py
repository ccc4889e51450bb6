"""The geozones referential and its levels, read-only (seeded by migration 0007)."""

from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.tables import geo_levels, geozones
from opencat.domain.spatial import GeoLevel, Zone

# Bound parameters per query, well under SQLite's and PostgreSQL's limits.
CHUNK = 5000


def _zone(row: Any) -> Zone:
    return Zone(
        id=row.id,
        name=row.name,
        slug=row.slug,
        code=row.code,
        level=row.level,
        uri=row.uri,
        parents=tuple(row.parents),
        ancestors=tuple(row.ancestors),
    )


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def fetch_zones(conn: Connection, ids: Iterable[str]) -> dict[str, Zone]:
    """The zones with exactly these ids, by id."""
    found: dict[str, Zone] = {}
    for chunk in _chunks(ids):
        rows = conn.execute(sa.select(geozones).where(geozones.c.id.in_(chunk)))
        found.update((row.id, _zone(row)) for row in rows)
    return found


def fetch_zones_ignoring_case(conn: Connection, ids: Iterable[str]) -> dict[str, Zone]:
    """The zones these ids name, keyed by the spelling asked for: exact matches first (the primary
    key), then a case-insensitive pass for the rest only."""
    wanted = set(ids)
    exact = fetch_zones(conn, wanted)
    found = {spelling: exact[spelling] for spelling in wanted if spelling in exact}
    missing = wanted - found.keys()
    if not missing:
        return found
    by_lower: dict[str, Zone] = {}
    for chunk in _chunks(spelling.lower() for spelling in missing):
        rows = conn.execute(sa.select(geozones).where(sa.func.lower(geozones.c.id).in_(chunk)))
        by_lower.update((row.id.lower(), _zone(row)) for row in rows)
    found.update(
        (spelling, by_lower[spelling.lower()]) for spelling in missing if spelling.lower() in by_lower
    )
    return found


def find_zone(conn: Connection, zone_id: str) -> Zone | None:
    """The zone this id names, whatever its case."""
    return fetch_zones_ignoring_case(conn, [zone_id]).get(zone_id)


def fetch_zones_of_level(conn: Connection, level: str) -> list[Zone]:
    """Every zone of a level, by id (a scan: the referential has no index on levels, and this is
    read once per process)."""
    rows = conn.execute(sa.select(geozones).where(geozones.c.level == level).order_by(geozones.c.id))
    return [_zone(row) for row in rows]


def fetch_levels(conn: Connection) -> list[GeoLevel]:
    rows = conn.execute(sa.select(geo_levels).order_by(geo_levels.c.position))
    return [GeoLevel(row.id, row.name_en, row.name_fr, row.admin_level) for row in rows]
