"""Harvest sources get udata's slug: made from the name, unique, moved with it. A source is
found by its id or its slug, as udata's routes find it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from opencat.domain.slugs import slugify, unique_slug

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("harvest_sources", sa.Column("slug", sa.String(255), nullable=True))
    sources = sa.table("harvest_sources", sa.column("id"), sa.column("name"), sa.column("created_at"))
    conn = op.get_bind()
    rows = conn.execute(sa.select(sources.c.id, sources.c.name).order_by(sources.c.created_at, sources.c.id))
    taken: set[str] = set()
    chosen: list[tuple[str, str]] = []
    for ident, name in rows:
        slug = unique_slug(slugify(name or "") or "source", taken)
        taken.add(slug)
        chosen.append((ident, slug))
    for ident, slug in chosen:
        conn.execute(
            sa.text("UPDATE harvest_sources SET slug = :slug WHERE id = :id"), {"slug": slug, "id": ident}
        )
    op.create_index("uq_harvest_sources_slug", "harvest_sources", ["slug"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_harvest_sources_slug", table_name="harvest_sources")
    op.drop_column("harvest_sources", "slug")
