"""The stored file of each resource and community resource, indexed: a file is served only to
those who may read the dataset it belongs to.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ("resources", "community_resources")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("fs_filename", sa.Text(), nullable=True))
        # Documents are JSON text on both databases; only hosted files carry the key.
        if op.get_bind().dialect.name == "postgresql":
            value = "CAST(doc AS json) ->> 'fs_filename'"
        else:
            value = "json_extract(doc, '$.fs_filename')"
        op.execute(f"UPDATE {table} SET fs_filename = {value} WHERE doc LIKE '%\"fs_filename\"%'")
        op.create_index(f"ix_{table}_fs_filename", table, ["fs_filename"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_fs_filename", table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("fs_filename")
