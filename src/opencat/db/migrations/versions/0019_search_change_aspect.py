"""What a frequent write changed of its dataset for search (``domain/search.Aspect``), beside the
dataset's entry in the search log: a listing that reads none of it answers from the index as it
is instead of waiting for the entry to be applied. Entries without one (every earlier entry, and
the writes that name none) may have changed anything.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("search_changes", sa.Column("aspect", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_changes") as batch:
        batch.drop_column("aspect")
