"""Bring a database to the latest schema with Alembic, from inside the installed package."""

from importlib.resources import files

from alembic import command
from alembic.config import Config

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
