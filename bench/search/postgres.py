"""The bench's PostgreSQL database: dropped and created again for each load, dropped at the end
unless kept. Only a database whose name says "bench" is ever touched."""

import sqlalchemy as sa

from opencat.db.engine import Database


def _admin(url: str) -> tuple[sa.Engine, str]:
    target = sa.make_url(Database(url).url)
    name = target.database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to recreate database {name!r}: its name must contain 'bench'")
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    return engine, name


def recreate(url: str) -> None:
    engine, name = _admin(url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def drop(url: str) -> None:
    engine, name = _admin(url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    engine.dispose()


def size(database: Database) -> int:
    with database.read() as conn:
        return int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one())
