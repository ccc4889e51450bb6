"""Initial schema, seeded with the license list and udata's frequencies.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 03:11:45.247605
"""

import json
from importlib.resources import files

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "frequencies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label_en", sa.Text(), nullable=False),
        sa.Column("label_fr", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frequencies")),
    )
    op.create_table(
        "licenses",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("maintainer", sa.Text(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("alternate_urls", sa.Text(), nullable=False),
        sa.Column("alternate_titles", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licenses")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("acronym", sa.String(length=128), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("logo", sa.Text(), nullable=True),
        sa.Column("logo_thumbnail", sa.Text(), nullable=True),
        sa.Column("business_number_id", sa.String(length=64), nullable=True),
        sa.Column("badges", sa.Text(), nullable=False),
        sa.Column("extras", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("sysadmin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("about", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("avatar", sa.Text(), nullable=True),
        sa.Column("avatar_thumbnail", sa.Text(), nullable=True),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("slug", name=op.f("uq_users_slug")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.String(length=24), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "contact_points",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("contact_form", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=24), nullable=True),
        sa.Column("organization_id", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_contact_points_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_contact_points_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_points")),
    )
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_points_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contact_points_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "datasets",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=24), nullable=True),
        sa.Column("organization_id", sa.String(length=24), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived", sa.DateTime(timezone=True), nullable=True),
        sa.Column("license", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=False),
        sa.Column("reuses", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_datasets_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_datasets_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("slug", name=op.f("uq_datasets_slug")),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index("ix_datasets_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_datasets_license"), ["license"], unique=False)
        batch_op.create_index(batch_op.f("ix_datasets_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_datasets_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            "ix_datasets_public_created", ["private", "deleted", "archived", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_datasets_public_last_update",
            ["private", "deleted", "archived", "last_update", "id"],
            unique=False,
        )

    op.create_table(
        "organization_members",
        sa.Column("organization_id", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.String(length=24), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_members_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_organization_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("organization_id", "user_id", name=op.f("pk_organization_members")),
    )
    with op.batch_alter_table("organization_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organization_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "dataset_slugs",
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("dataset_id", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_slugs_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_dataset_slugs")),
    )
    with op.batch_alter_table("dataset_slugs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_slugs_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "dataset_tags",
        sa.Column("tag", sa.String(length=255), nullable=False),
        sa.Column("dataset_id", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_tags_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tag", "dataset_id", name=op.f("pk_dataset_tags")),
    )
    with op.batch_alter_table("dataset_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_tags_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "resources",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=24), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=255), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_resources_dataset_id_datasets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index("ix_resources_dataset_id_position", ["dataset_id", "position"], unique=False)

    _seed_reference_lists()


def _refdata(name: str) -> list[dict[str, str]]:
    data: list[dict[str, str]] = json.loads((files("opencat") / "refdata" / name).read_text("utf-8"))
    return data


def _seed_reference_lists() -> None:
    licenses = sa.table(
        "licenses",
        sa.column("id", sa.String),
        sa.column("position", sa.Integer),
        sa.column("title", sa.Text),
        sa.column("url", sa.Text),
        sa.column("maintainer", sa.Text),
        sa.column("flags", sa.Text),
        sa.column("alternate_urls", sa.Text),
        sa.column("alternate_titles", sa.Text),
    )
    op.bulk_insert(
        licenses,
        [
            {
                "id": item["id"],
                "position": position,
                "title": item["title"],
                "url": item["url"],
                "maintainer": item["maintainer"],
                "flags": json.dumps(item["flags"]),
                "alternate_urls": json.dumps(item["alternate_urls"]),
                "alternate_titles": json.dumps(item["alternate_titles"]),
            }
            for position, item in enumerate(_refdata("licenses.json"))
        ],
    )
    frequencies = sa.table(
        "frequencies",
        sa.column("id", sa.String),
        sa.column("position", sa.Integer),
        sa.column("label_en", sa.Text),
        sa.column("label_fr", sa.Text),
    )
    french = {item["id"]: item["label"] for item in _refdata("frequencies.json")}
    op.bulk_insert(
        frequencies,
        [
            {
                "id": item["id"],
                "position": position,
                "label_en": item["label"],
                "label_fr": french[item["id"]],
            }
            for position, item in enumerate(_refdata("frequencies.en.json"))
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index("ix_resources_dataset_id_position")

    op.drop_table("resources")
    with op.batch_alter_table("dataset_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_tags_dataset_id"))

    op.drop_table("dataset_tags")
    with op.batch_alter_table("dataset_slugs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_slugs_dataset_id"))

    op.drop_table("dataset_slugs")
    with op.batch_alter_table("organization_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_members_user_id"))

    op.drop_table("organization_members")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index("ix_datasets_public_last_update")
        batch_op.drop_index("ix_datasets_public_created")
        batch_op.drop_index(batch_op.f("ix_datasets_owner_id"))
        batch_op.drop_index(batch_op.f("ix_datasets_organization_id"))
        batch_op.drop_index(batch_op.f("ix_datasets_license"))
        batch_op.drop_index("ix_datasets_created_at_id")

    op.drop_table("datasets")
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_points_owner_id"))
        batch_op.drop_index(batch_op.f("ix_contact_points_organization_id"))

    op.drop_table("contact_points")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_user_id"))

    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_table("organizations")
    op.drop_table("licenses")
    op.drop_table("frequencies")
