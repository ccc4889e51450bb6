"""The history of changes (udata's activity stream), written in the transaction of each change.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(24), nullable=True),
        sa.Column("organization_id", sa.String(24), nullable=True),
        sa.Column("related_to_kind", sa.String(32), nullable=False),
        sa.Column("related_to_id", sa.String(36), nullable=False),
        sa.Column("related_to_name", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("extras", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_activities")),
        sa.UniqueConstraint("id", name=op.f("uq_activities_id")),
    )
    op.create_index("ix_activities_related_to_id_seq", "activities", ["related_to_id", "seq"])
    op.create_index("ix_activities_actor_id_seq", "activities", ["actor_id", "seq"])
    op.create_index("ix_activities_organization_id_seq", "activities", ["organization_id", "seq"])


def downgrade() -> None:
    op.drop_table("activities")
