"""Connections dropped by the server while idle in the pool are replaced, not handed out."""

import pytest
import sqlalchemy as sa

from opencat.db.engine import IDLE_PING_SECONDS, Database


def test_an_idle_connection_killed_by_the_server_is_replaced(database_url: str, dialect: str) -> None:
    if dialect != "postgresql":
        pytest.skip("only a server can drop a connection")
    database = Database(database_url)
    try:
        with database.read() as conn:
            victim = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            record = conn.connection._connection_record
        killer = sa.create_engine(database.url, poolclass=sa.pool.NullPool)
        with killer.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
        killer.dispose()
        assert record is not None
        record.info["idle_since"] -= IDLE_PING_SECONDS + 1  # as if it had rested
        with database.read() as conn:
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != victim
    finally:
        database.dispose()
