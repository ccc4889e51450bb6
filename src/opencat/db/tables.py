"""Every table, in one MetaData; migrations mirror this file."""

import sqlalchemy as sa

from opencat.db.types import JSONText, UTCDateTime
from opencat.domain.harvest import REMOTE_ID_MAX_LENGTH

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

OBJECT_ID = sa.String(24)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", OBJECT_ID, primary_key=True),
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    sa.Column("slug", sa.String(255), nullable=False, unique=True),
    sa.Column("first_name", sa.String(255), nullable=False),
    sa.Column("last_name", sa.String(255), nullable=False),
    sa.Column("sysadmin", sa.Boolean, nullable=False, default=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("deleted", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_login_at", UTCDateTime),
    sa.Column("about", sa.Text),
    sa.Column("website", sa.Text),
    sa.Column("avatar", sa.Text),
    sa.Column("avatar_thumbnail", sa.Text),
    sa.Column("metrics", JSONText, nullable=False),
    # An argon2 hash (catalog/passwords.py); null: the user cannot sign in with a password.
    sa.Column("password_hash", sa.String(255)),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", OBJECT_ID, primary_key=True),
    sa.Column(
        "user_id", OBJECT_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("name", sa.String(255)),
    sa.Column("expires_at", UTCDateTime),
)

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", OBJECT_ID, primary_key=True),
    sa.Column("slug", sa.String(255), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("acronym", sa.String(128)),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("logo", sa.Text),
    sa.Column("logo_thumbnail", sa.Text),
    sa.Column("business_number_id", sa.String(64)),
    sa.Column("badges", JSONText, nullable=False),
    sa.Column("extras", JSONText, nullable=False),
    sa.Column("metrics", JSONText, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_modified", UTCDateTime, nullable=False),
    sa.Column("deleted", UTCDateTime),
)

organization_members = sa.Table(
    "organization_members",
    metadata,
    sa.Column(
        "organization_id",
        OBJECT_ID,
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "user_id", OBJECT_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),
)

contact_points = sa.Table(
    "contact_points",
    metadata,
    sa.Column("id", OBJECT_ID, primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("email", sa.Text),
    sa.Column("contact_form", sa.Text),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("owner_id", OBJECT_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True),
    sa.Column(
        "organization_id",
        OBJECT_ID,
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        index=True,
    ),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", OBJECT_ID, primary_key=True),
    sa.Column("slug", sa.String(255), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("owner_id", OBJECT_ID, sa.ForeignKey("users.id"), index=True),
    sa.Column("organization_id", OBJECT_ID, sa.ForeignKey("organizations.id"), index=True),
    sa.Column("private", sa.Boolean, nullable=False),
    sa.Column("featured", sa.Boolean, nullable=False),
    sa.Column("deleted", UTCDateTime),
    sa.Column("archived", UTCDateTime),
    sa.Column("license", sa.String(64), index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_modified", UTCDateTime, nullable=False),
    sa.Column("last_update", UTCDateTime, nullable=False),
    sa.Column("views", sa.Integer, nullable=False),
    sa.Column("followers", sa.Integer, nullable=False),
    # {"YYYY-MM": active follows} for the 13 months up to the last follow event (null: none yet).
    sa.Column("followers_by_months", JSONText),
    sa.Column("reuses", sa.Integer, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    # Permalink hits of its resources, counted apart so that no write of the document races them.
    sa.Column("resources_downloads", sa.Integer, nullable=False, server_default="0"),
    # The dataset's own fields, as a JSON document (resources live in their own table).
    sa.Column("doc", JSONText, nullable=False),
    # Public listings (and their counts) read these narrow indexes in order, not the wide
    # rows; sorts break ties on id so that pages are stable.
    sa.Index("ix_datasets_public_created", "private", "deleted", "archived", "created_at", "id"),
    sa.Index("ix_datasets_public_last_update", "private", "deleted", "archived", "last_update", "id"),
    sa.Index("ix_datasets_created_at_id", "created_at", "id"),
)

dataset_tags = sa.Table(
    "dataset_tags",
    metadata,
    sa.Column("tag", sa.String(255), primary_key=True),
    sa.Column(
        "dataset_id",
        OBJECT_ID,
        sa.ForeignKey("datasets.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

# Former slugs of renamed datasets, answered with a 308 to the current one.
dataset_slugs = sa.Table(
    "dataset_slugs",
    metadata,
    sa.Column("slug", sa.String(255), primary_key=True),
    sa.Column(
        "dataset_id",
        OBJECT_ID,
        sa.ForeignKey("datasets.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

resources = sa.Table(
    "resources",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("dataset_id", OBJECT_ID, sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("format", sa.String(255)),
    # The effective last modification, so the dataset's newest change is an index lookup.
    sa.Column("last_modified", UTCDateTime, nullable=False),
    sa.Column("downloads", sa.Integer, nullable=False, server_default="0"),
    # The key of its file in our store, when hosted: who may download it depends on its dataset.
    sa.Column("fs_filename", sa.Text, index=True),
    sa.Column("doc", JSONText, nullable=False),
    sa.Index("ix_resources_dataset_id_position", "dataset_id", "position"),
    sa.Index("ix_resources_dataset_id_last_modified", "dataset_id", "last_modified"),
    sa.Index("ix_resources_format_dataset_id", "format", "dataset_id"),
)

licenses = sa.Table(
    "licenses",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("maintainer", sa.Text),
    sa.Column("flags", JSONText, nullable=False),
    sa.Column("alternate_urls", JSONText, nullable=False),
    sa.Column("alternate_titles", JSONText, nullable=False),
)

frequencies = sa.Table(
    "frequencies",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("label_en", sa.Text, nullable=False),
    sa.Column("label_fr", sa.Text, nullable=False),
)

# Chunked uploads in progress (udata's protocol): shared by every worker through the database,
# while the parts themselves live in the file store.
upload_sessions = sa.Table(
    "upload_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("target", sa.String(128), nullable=False),
    sa.Column("user_id", OBJECT_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("total_parts", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False, index=True),
)

# Stored files whose resource is not committed yet (migration 0018, ``db/pending_files.py``).
pending_files = sa.Table(
    "pending_files",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
)

# Creating forms of the pages already sent, and what each made (migration 0020, ``db/form_submissions.py``).
form_submissions = sa.Table(
    "form_submissions",
    metadata,
    sa.Column("token", sa.Text, primary_key=True),
    sa.Column("user_id", OBJECT_ID, nullable=False),
    sa.Column("target", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
)

upload_parts = sa.Table(
    "upload_parts",
    metadata,
    sa.Column(
        "session_id",
        sa.String(64),
        sa.ForeignKey("upload_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("part_index", sa.Integer, primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
)

community_resources = sa.Table(
    "community_resources",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("dataset_id", OBJECT_ID, sa.ForeignKey("datasets.id", ondelete="CASCADE"), index=True),
    sa.Column("owner_id", OBJECT_ID, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True),
    sa.Column(
        "organization_id", OBJECT_ID, sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    ),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
    sa.Column("downloads", sa.Integer, nullable=False, server_default="0"),
    sa.Column("fs_filename", sa.Text, index=True),
    sa.Column("doc", JSONText, nullable=False),
)

# When each resource's link was last checked (or is being checked): the claim that keeps any
# number of callers from checking one link more than once per interval.
link_checks = sa.Table(
    "link_checks",
    metadata,
    sa.Column(
        "resource_id", sa.String(36), sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("claimed_at", UTCDateTime, nullable=False),
)

# The outbox of dataset changes that search indexes replay, in commit order (see db/outbox.py).
search_changes = sa.Table(
    "search_changes",
    metadata,
    sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("dataset_id", OBJECT_ID, nullable=False),
    # What the write changed (domain/search.Aspect); NULL: anything may have changed.
    sa.Column("aspect", sa.Text(), nullable=True),
)

# Users following datasets; one active follow per user and dataset (``until`` null).
follows = sa.Table(
    "follows",
    metadata,
    sa.Column("id", OBJECT_ID, primary_key=True),
    sa.Column("dataset_id", OBJECT_ID, sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "user_id", OBJECT_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("since", UTCDateTime, nullable=False),
    sa.Column("until", UTCDateTime),
    sa.Index(
        "uq_follows_active",
        "dataset_id",
        "user_id",
        unique=True,
        sqlite_where=sa.text("until IS NULL"),
        postgresql_where=sa.text("until IS NULL"),
    ),
)

# The French geozones referential (data.gouv.fr's export), seeded at install by migration 0007.
geozones = sa.Table(
    "geozones",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("slug", sa.String(255), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("level", sa.String(64), nullable=False),
    sa.Column("uri", sa.Text),
    sa.Column("population", sa.Integer),
    sa.Column("parents", JSONText, nullable=False),
    sa.Column("ancestors", JSONText, nullable=False),
)

geo_levels = sa.Table(
    "geo_levels",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name_en", sa.Text, nullable=False),
    sa.Column("name_fr", sa.Text, nullable=False),
    sa.Column("admin_level", sa.Integer),
)

# The history of changes (udata's activity stream): one row per change, written in the transaction
# of the change. No foreign keys: the history outlives what it names. ``seq`` orders the
# activities of one transaction, which share their ``created_at``.
activities = sa.Table(
    "activities",
    metadata,
    sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("id", OBJECT_ID, nullable=False, unique=True),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("actor_id", OBJECT_ID),
    sa.Column("organization_id", OBJECT_ID),
    sa.Column("related_to_kind", sa.String(32), nullable=False),
    sa.Column("related_to_id", sa.String(36), nullable=False),
    sa.Column("related_to_name", sa.Text, nullable=False),
    # [{"field": name, "old": value, "new": value}, ...]
    sa.Column("changes", JSONText, nullable=False),
    sa.Column("extras", JSONText, nullable=False),
    sa.Index("ix_activities_related_to_id_seq", "related_to_id", "seq"),
    sa.Index("ix_activities_actor_id_seq", "actor_id", "seq"),
    sa.Index("ix_activities_organization_id_seq", "organization_id", "seq"),
)

# Signed-in browsers: the SHA-256 of each session's secret token (the cookie carries the token).
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "user_id", OBJECT_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)

# Password resets asked for by email: the token's SHA-256 (the token is only in the mail), single use.
password_resets = sa.Table(
    "password_resets",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "user_id", OBJECT_ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)

# Failed sign-ins, by account (the email given) and by address, counted over a window to throttle.
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_sign_in_failures_scope_key_at", "scope", "key", "at"),
)

# --- harvesting (issue 15) -------------------------------------------------------------------------

# A remote catalog gathered on a schedule. ``validators`` keeps the ETag/Last-Modified the source's
# first URL last answered (sent back on the next run); ``deleted`` soft-deletes it as udata does.
harvest_sources = sa.Table(
    "harvest_sources",
    metadata,
    sa.Column("id", OBJECT_ID, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("backend", sa.String(32), nullable=False),
    sa.Column("config", JSONText, nullable=False),
    sa.Column("owner_id", OBJECT_ID, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("organization_id", OBJECT_ID, sa.ForeignKey("organizations.id", ondelete="SET NULL")),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("autoarchive", sa.Boolean, nullable=False),
    sa.Column("schedule", sa.String(128)),  # cron: minute hour day-of-month month day-of-week
    sa.Column("validation", JSONText, nullable=False),  # {state, by, on, comment}
    sa.Column("validators", JSONText, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_modified", UTCDateTime, nullable=False),
    sa.Column("deleted", UTCDateTime),
    # udata's: from the name, unique, moved with it (null only for rows older than migration 0021
    # never written since: the migration fills them)
    sa.Column("slug", sa.String(255)),
    sa.Index("uq_harvest_sources_slug", "slug", unique=True),
)

# One run of a source. Counts are kept on the job; items only for what changed or failed.
harvest_jobs = sa.Table(
    "harvest_jobs",
    metadata,
    sa.Column("id", OBJECT_ID, primary_key=True),
    sa.Column(
        "source_id", OBJECT_ID, sa.ForeignKey("harvest_sources.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("started_at", UTCDateTime),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("errors", JSONText, nullable=False),  # [{"message": ..., "details": ...}]
    sa.Column("items_created", sa.Integer, nullable=False),
    sa.Column("items_updated", sa.Integer, nullable=False),
    sa.Column("items_unchanged", sa.Integer, nullable=False),
    sa.Column("items_archived", sa.Integer, nullable=False),
    sa.Column("items_failed", sa.Integer, nullable=False),
    sa.Index("ix_harvest_jobs_source_id_created_at", "source_id", "created_at"),
)

harvest_items = sa.Table(
    "harvest_items",
    metadata,
    sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("job_id", OBJECT_ID, sa.ForeignKey("harvest_jobs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("remote_id", sa.Text),
    sa.Column("dataset_id", OBJECT_ID),
    sa.Column("status", sa.String(16), nullable=False),  # created, updated, archived, deleted, failed
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("excerpt", sa.Text),
    sa.Index("ix_harvest_items_job_id_seq", "job_id", "seq"),
)

# What a source last gave for each of its remote ids: the dataset made of it and the fingerprint
# of what it was, so an unchanged entry is recognised in memory and not rewritten.
harvest_records = sa.Table(
    "harvest_records",
    metadata,
    sa.Column(
        "source_id",
        OBJECT_ID,
        sa.ForeignKey("harvest_sources.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("remote_id", sa.String(REMOTE_ID_MAX_LENGTH), primary_key=True),
    sa.Column("dataset_id", OBJECT_ID, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    # The job that last saw this remote id: a complete run archives the records it did not see.
    sa.Column("seen_by", OBJECT_ID),
)

# A page of a source as its last complete run read it: the digest of its bytes and of what the
# mapping depends on, where it pointed next, and its entries' ``[remote_id, fingerprint]`` pairs.
harvest_pages = sa.Table(
    "harvest_pages",
    metadata,
    sa.Column(
        "source_id",
        OBJECT_ID,
        sa.ForeignKey("harvest_sources.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("next_url", sa.Text),
    sa.Column("entries", JSONText, nullable=False),
    # The job that last read or skipped this page: a complete run forgets the pages it did not.
    sa.Column("seen_by", OBJECT_ID),
    # Where it was fetched (one page per address), the context it was read under (the mapping's
    # and the reader's), and the validators its answer carried: the next run sends them back,
    # and a 304 under the same context is this page again.
    sa.Column("url", sa.Text),
    sa.Column("context", sa.String(64)),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
)

# The one job of a source that runs: held by a process (node and pid) that keeps ``heartbeat_at``
# fresh; a lease whose heartbeat is stale belongs to a process that is gone.
harvest_leases = sa.Table(
    "harvest_leases",
    metadata,
    sa.Column(
        "source_id",
        OBJECT_ID,
        sa.ForeignKey("harvest_sources.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("job_id", OBJECT_ID, nullable=False),
    sa.Column("node", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("acquired_at", UTCDateTime, nullable=False),
    sa.Column("heartbeat_at", UTCDateTime, nullable=False),
)
