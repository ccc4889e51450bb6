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

from opencat.db.bulk import insert_rows
from opencat.domain.slugs import slugify

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 5000


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


def _zone_rows() -> Iterator[dict[str, Any]]:
    """udata's ``spatial load`` mapping: deleted records skipped, slug from the name."""
    for item in _refdata("zones.json"):
        if item.get("is_deleted"):
            continue
        yield {
            "id": item["_id"],
            "name": item["nom"],
            "slug": slugify(item["nom"]),
            "code": item["codeINSEE"],
            "level": item["level"],
            "uri": item.get("uri"),
            "population": item.get("population"),
            "parents": orjson.dumps(item.get("parents") or []).decode(),
            "ancestors": orjson.dumps(item.get("ancestors") or []).decode(),
        }


def _seed_zones(zones: sa.Table) -> None:
    # COPY on PostgreSQL, sqlite3's own executemany on SQLite (db/bulk.py): a new database's
    # first start spent most of its migrations passing 38,000 rows through SQLAlchemy's binding.
    conn = op.get_bind()
    batch: list[dict[str, Any]] = []
    for row in _zone_rows():
        batch.append(row)
        if len(batch) == BATCH:
            insert_rows(conn, zones, batch)
            batch = []
    insert_rows(conn, zones, batch)


def downgrade() -> None:
    op.drop_table("geozones")
    op.drop_table("geo_levels")
