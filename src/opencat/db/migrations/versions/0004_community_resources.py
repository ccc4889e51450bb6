"""Community resources.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_resources",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=24), nullable=True),
        sa.Column("owner_id", sa.String(length=24), nullable=True),
        sa.Column("organization_id", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("downloads", sa.Integer(), server_default="0", nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_community_resources_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_community_resources_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_community_resources_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_resources")),
    )
    with op.batch_alter_table("community_resources") as batch_op:
        for column in ("created_at", "dataset_id", "organization_id", "owner_id"):
            batch_op.create_index(batch_op.f(f"ix_community_resources_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("community_resources") as batch_op:
        for column in ("created_at", "dataset_id", "organization_id", "owner_id"):
            batch_op.drop_index(batch_op.f(f"ix_community_resources_{column}"))
    op.drop_table("community_resources")
