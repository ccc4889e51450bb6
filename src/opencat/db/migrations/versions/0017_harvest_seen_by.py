"""Harvest runs remember in the database, not in memory, what they saw: the job that last saw a
record or a page (``seen_by``), so that a run's memory stays flat whatever the source's size; a
run archives the records it did not see, and keeps the pages it saw. A page also keeps the
address it was fetched from, the context it was read under and the validators its answer carried,
so that the next run asks for it conditionally and skips it on a 304.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_records") as batch:
        batch.add_column(sa.Column("seen_by", sa.String(24), nullable=True))
    with op.batch_alter_table("harvest_pages") as batch:
        batch.add_column(sa.Column("seen_by", sa.String(24), nullable=True))
        batch.add_column(sa.Column("url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("context", sa.String(64), nullable=True))
        batch.add_column(sa.Column("etag", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_modified", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("harvest_pages") as batch:
        for column in ("last_modified", "etag", "context", "url", "seen_by"):
            batch.drop_column(column)
    with op.batch_alter_table("harvest_records") as batch:
        batch.drop_column("seen_by")
