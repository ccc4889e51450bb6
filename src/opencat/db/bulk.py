"""Many rows into one table: PostgreSQL's ``COPY``, else an ``executemany``.

psycopg sends an ``executemany`` as one ``INSERT`` per row in its pipeline: the server binds and
runs each, and the client walks every row through SQLAlchemy's and psycopg's parameter handling
(a harvest's batch of 500 datasets is some 8,000 rows over its tables). ``COPY`` streams the rows
in a few large messages and the server loads them in one statement. Few rows keep the ``INSERT``
(a ``COPY`` costs more to start), and so does SQLite, whose ``executemany`` runs in process.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# Below this many rows an executemany is cheaper than starting a COPY.
COPY_FROM = 20


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (every one with the same keys) into ``table``, in this transaction; a
    constraint violated raises ``sqlalchemy.exc.IntegrityError`` whichever way they went."""
    if not rows:
        return
    names = list(rows[0])
    if conn.dialect.name != "postgresql" or len(rows) < COPY_FROM or _client_defaults(table, names):
        conn.execute(table.insert(), list(rows))
        return
    _copy(conn, table, names, rows)


def _client_defaults(table: sa.Table, names: list[str]) -> bool:
    """Whether a column left out has a default SQLAlchemy computes (which COPY would not)."""
    return any(column.default is not None for column in table.columns if column.name not in names)


def _copy(conn: Connection, table: sa.Table, names: list[str], rows: Sequence[Mapping[str, Any]]) -> None:
    dialect = conn.dialect
    quote = dialect.identifier_preparer
    columns = [table.c[name] for name in names]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    statement = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in names)}) FROM STDIN"
    )
    driver: Any = conn.connection.driver_connection  # psycopg's, in this transaction
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        value if process is None else process(value)
                        for process, value in zip(processors, (row[name] for name in names), strict=True)
                    ]
                )
    except dialect.loaded_dbapi.Error as error:
        raise sa.exc.DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error) from error
