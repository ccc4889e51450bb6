"""The outbox of dataset changes replayed by the search indexes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_changes",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("dataset_id", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_search_changes")),
    )
    # Every dataset that exists before this migration needs indexing once.
    op.execute("INSERT INTO search_changes (dataset_id) SELECT id FROM datasets ORDER BY created_at")


def downgrade() -> None:
    op.drop_table("search_changes")
