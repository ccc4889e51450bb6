"""The French geozones referential and its levels, seeded from the packaged export.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from opencat.db.bulk import insert_values
from opencat.domain.slugs import slugify

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geo_levels",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_fr", sa.Text(), nullable=False),
        sa.Column("admin_level", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geo_levels")),
    )
    zones = op.create_table(
        "geozones",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=64), nullable=False),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("parents", sa.Text(), nullable=False),
        sa.Column("ancestors", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geozones")),
    )
    _seed_levels()
    _seed_zones(zones)
    # Search documents now carry the ancestors of their zones: index the datasets with zones again.
    reindex = sa.text("INSERT INTO search_changes (dataset_id) SELECT id FROM datasets WHERE doc LIKE :zones")
    op.execute(reindex.bindparams(zones='%"zones":["%'))


def _refdata(name: str) -> Any:
    # orjson, not json: parsing and re-encoding 38k zones is most of this migration's time.
    return orjson.loads((files("opencat") / "refdata" / "geozones" / name).read_bytes())


def _seed_levels() -> None:
    levels = sa.table(
        "geo_levels",
        sa.column("id", sa.String),
        sa.column("position", sa.Integer),
        sa.column("name_en", sa.Text),
        sa.column("name_fr", sa.Text),
        sa.column("admin_level", sa.Integer),
    )
    french = {item["id"]: item["name"] for item in _refdata("granularities.json")}
    op.bulk_insert(
        levels,
        [
            {
                "id": item["id"],
                "position": position,
                "name_en": item["label"],
                "name_fr": french[item["id"]],
                "admin_level": item.get("admin_level"),
            }
            for position, item in enumerate(_refdata("levels.json"))
        ],
    )


ZONE_COLUMNS = ("id", "name", "slug", "code", "level", "uri", "population", "parents", "ancestors")


def _zone_values() -> Iterator[tuple[Any, ...]]:
    """udata's ``spatial load`` mapping: deleted records skipped, slug from the name; each row's
    values in ``ZONE_COLUMNS`` order, as stored (the lists as JSON text)."""
    for item in _refdata("zones.json"):
        if item.get("is_deleted"):
            continue
        name = item["nom"]
        yield (
            item["_id"],
            name,
            slugify(name),
            item["codeINSEE"],
            item["level"],
            item.get("uri"),
            item.get("population"),
            orjson.dumps(item.get("parents") or []).decode(),
            orjson.dumps(item.get("ancestors") or []).decode(),
        )


def _seed_zones(zones: sa.Table) -> None:
    # COPY on PostgreSQL, sqlite3's own executemany on SQLite, the values streamed as stored
    # (db/bulk.py): through SQLAlchemy's binding, or as dictionaries converted again by
    # ``insert_rows``, the rows took most of a new database's migrations (0.87 -> 0.3 s of CPU).
    insert_values(op.get_bind(), zones, ZONE_COLUMNS, _zone_values())


def downgrade() -> None:
    op.drop_table("geozones")
    op.drop_table("geo_levels")
