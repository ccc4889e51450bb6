"""Bring a database to the latest schema with Alembic, from inside the installed package.

Every CLI command and every server start upgrades its database, which is nearly always at the
latest revision already. That case is answered by one read of ``alembic_version`` without
importing Alembic (its dialect modules are a tenth of a command's start); any other goes through
Alembic. ``doctor`` and ``backup`` read the same two revisions. Revisions are named by their
file's four-digit prefix (``0017_harvest_seen_by.py`` is ``0017``): a test checks that Alembic
finds the same head.
"""

import re
from importlib.resources import files
from typing import TYPE_CHECKING

import sqlalchemy as sa

from opencat.config import SettingsError
from opencat.db.engine import Database, failing_cleanly

if TYPE_CHECKING:
    from alembic.config import Config

_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")
# The advisory lock key of schema upgrades on PostgreSQL (any constant other locks do not use).
MIGRATION_LOCK = 0x6F63_6D69  # "ocmi"


def alembic_config() -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("opencat.db") / "migrations"))
    return config


def newest_revision() -> str:
    """The latest revision this code knows, read from the migrations' file names."""
    names = (entry.name for entry in (files("opencat.db") / "migrations" / "versions").iterdir())
    return max(found.group(1) for name in names if (found := _REVISION_FILE.match(name)))


def current_revision(database: Database) -> str | None:
    """The revision the database is at; None for a database never migrated (or branched)."""
    with database.engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def is_newer(current: str | None, newest: str) -> bool:
    """Whether the database was migrated by a newer opencat (revisions are zero-padded numbers)."""
    return current is not None and len(current) == len(newest) and current > newest


def upgrade(database: Database, revision: str = "head") -> None:
    current, newest = current_revision(database), newest_revision()
    if revision == "head" and current == newest:
        return
    if is_newer(current, newest):
        # Alembic's answer is a traceback ("Can't locate revision"); and this code must not
        # write into a schema it does not know.
        raise SettingsError(
            f"the database's schema is at {current}, newer than this opencat knows ({newest}): "
            "run the opencat that migrated it, or a newer one"
        )
    from alembic import command

    # A full disk or a database gone is the commands' one line, as for every other write.
    with failing_cleanly(), database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # A migration waits for its locks however long (another node's migration, a table in
            # use): the connections' lock_timeout bounds requests, not this.
            connection.execute(sa.text("SET LOCAL lock_timeout = 0"))
            # Nodes started at once on a new database: one migrates, the others wait here, then
            # find it at the head (Alembic reads the revision after the lock). Without it, the
            # second failed on a duplicate ``alembic_version`` type.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database: Database, revision: str = "base") -> None:
    from alembic import command

    with database.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def revisions(database: Database) -> tuple[str | None, str]:
    """The schema revision the database is at, and the latest one this code knows."""
    return current_revision(database), newest_revision()
