"""Files put into the store whose resource is not committed yet: an upload reserves its key here
(in a transaction of its own, before the file is stored) and removes it in the transaction that
points a resource at the file. A process killed in between leaves the row, and the file it names
is removed once past the retention if no resource holds it (``upload_sessions.purge_expired_uploads``).
The key is the primary key: two uploads of one name in one second cannot both take it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_files",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_pending_files")),
    )
    op.create_index(op.f("ix_pending_files_created_at"), "pending_files", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_files_created_at"), table_name="pending_files")
    op.drop_table("pending_files")
