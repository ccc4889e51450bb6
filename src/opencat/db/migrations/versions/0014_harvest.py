"""Harvesting: sources, their jobs and items, what each source last gave (incremental runs) and
the lease of the one job that runs per source.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "harvest_sources",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("backend", sa.String(32), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(24), nullable=True),
        sa.Column("organization_id", sa.String(24), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("autoarchive", sa.Boolean(), nullable=False),
        sa.Column("schedule", sa.String(128), nullable=True),
        sa.Column("validation", sa.Text(), nullable=False),
        sa.Column("validators", sa.Text(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("last_modified", _WHEN, nullable=False),
        sa.Column("deleted", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_harvest_sources_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_harvest_sources_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_sources")),
    )
    op.create_table(
        "harvest_jobs",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("source_id", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("started_at", _WHEN, nullable=True),
        sa.Column("ended_at", _WHEN, nullable=True),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("items_created", sa.Integer(), nullable=False),
        sa.Column("items_updated", sa.Integer(), nullable=False),
        sa.Column("items_unchanged", sa.Integer(), nullable=False),
        sa.Column("items_archived", sa.Integer(), nullable=False),
        sa.Column("items_failed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["harvest_sources.id"],
            name=op.f("fk_harvest_jobs_source_id_harvest_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_jobs")),
    )
    op.create_index("ix_harvest_jobs_source_id_created_at", "harvest_jobs", ["source_id", "created_at"])
    op.create_table(
        "harvest_items",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("job_id", sa.String(24), nullable=False),
        sa.Column("remote_id", sa.Text(), nullable=True),
        sa.Column("dataset_id", sa.String(24), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["harvest_jobs.id"],
            name=op.f("fk_harvest_items_job_id_harvest_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_harvest_items")),
    )
    op.create_index("ix_harvest_items_job_id_seq", "harvest_items", ["job_id", "seq"])
    op.create_table(
        "harvest_records",
        sa.Column("source_id", sa.String(24), nullable=False),
        sa.Column("remote_id", sa.String(512), nullable=False),
        sa.Column("dataset_id", sa.String(24), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["harvest_sources.id"],
            name=op.f("fk_harvest_records_source_id_harvest_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "remote_id", name=op.f("pk_harvest_records")),
    )
    op.create_table(
        "harvest_leases",
        sa.Column("source_id", sa.String(24), nullable=False),
        sa.Column("job_id", sa.String(24), nullable=False),
        sa.Column("node", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", _WHEN, nullable=False),
        sa.Column("heartbeat_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["harvest_sources.id"],
            name=op.f("fk_harvest_leases_source_id_harvest_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_harvest_leases")),
    )


def downgrade() -> None:
    op.drop_table("harvest_leases")
    op.drop_table("harvest_records")
    op.drop_table("harvest_items")
    op.drop_table("harvest_jobs")
    op.drop_table("harvest_sources")
