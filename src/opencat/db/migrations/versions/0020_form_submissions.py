"""Forms of the pages sent once: a form that creates (a new dataset) carries a random token,
recorded here in the transaction that creates, with what it created. The same form sent again
(the back button, a second click, a retried request) finds it and answers what the first made
instead of making a second one.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_submissions",
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(24), nullable=False),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_form_submissions")),
    )
    op.create_index(op.f("ix_form_submissions_created_at"), "form_submissions", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_form_submissions_created_at"), table_name="form_submissions")
    op.drop_table("form_submissions")
