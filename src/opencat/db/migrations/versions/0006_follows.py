"""Follows of datasets by users.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("dataset_id", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.String(length=24), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_follows_dataset_id_datasets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
    )
    with op.batch_alter_table("follows") as batch_op:
        batch_op.create_index(batch_op.f("ix_follows_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_follows_active",
            ["dataset_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("until IS NULL"),
            postgresql_where=sa.text("until IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("follows") as batch_op:
        batch_op.drop_index("uq_follows_active")
        batch_op.drop_index(batch_op.f("ix_follows_user_id"))
    op.drop_table("follows")
