"""Harvest pages: the digest of each page a source's last complete run read, with the remote ids
and fingerprints of its entries, so that a re-run skips reading a page that did not change.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_pages",
        sa.Column("source_id", sa.String(24), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("next_url", sa.Text(), nullable=True),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["harvest_sources.id"],
            name=op.f("fk_harvest_pages_source_id_harvest_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "digest", name=op.f("pk_harvest_pages")),
    )


def downgrade() -> None:
    op.drop_table("harvest_pages")
