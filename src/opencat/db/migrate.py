"""Bring a database to the latest schema with Alembic, from inside the installed package."""

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from opencat.db.engine import Database


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("opencat.db") / "migrations"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    with database.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database: Database, revision: str = "base") -> None:
    with database.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def revisions(database: Database) -> tuple[str | None, str | None]:
    """The schema revision the database is at, and the latest one this code knows."""
    with database.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, ScriptDirectory.from_config(alembic_config()).get_current_head()
