"""Resource rows carry their effective last modification and their permalink hits; format index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch_op:
        batch_op.add_column(
            sa.Column("resources_downloads", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("resources") as batch_op:
        batch_op.add_column(sa.Column("last_modified", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("downloads", sa.Integer(), server_default="0", nullable=False))
    _backfill_last_modified()
    with op.batch_alter_table("resources") as batch_op:
        batch_op.alter_column("last_modified", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index("ix_resources_dataset_id_last_modified", ["dataset_id", "last_modified"])
        batch_op.create_index("ix_resources_format_dataset_id", ["format", "dataset_id"])


def _backfill_last_modified() -> None:
    connection = op.get_bind()
    resources = sa.table(
        "resources",
        sa.column("id", sa.String),
        sa.column("doc", sa.Text),
        sa.column("last_modified", sa.DateTime),
    )
    sqlite = connection.dialect.name == "sqlite"
    for row in connection.execute(sa.select(resources.c.id, resources.c.doc)).fetchall():
        when = datetime.fromisoformat(json.loads(row.doc)["last_modified_internal"]).astimezone(UTC)
        connection.execute(
            resources.update()
            .where(resources.c.id == row.id)
            .values(last_modified=when.replace(tzinfo=None) if sqlite else when)
        )


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch_op:
        batch_op.drop_index("ix_resources_format_dataset_id")
        batch_op.drop_index("ix_resources_dataset_id_last_modified")
        batch_op.drop_column("downloads")
        batch_op.drop_column("last_modified")
    with op.batch_alter_table("datasets") as batch_op:
        batch_op.drop_column("resources_downloads")
