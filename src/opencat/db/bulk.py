"""Many rows into one table: PostgreSQL's ``COPY``, SQLite's own ``executemany``.

psycopg sends an ``executemany`` as one ``INSERT`` per row in its pipeline: the server binds and
runs each, and the client walks every row through SQLAlchemy's and psycopg's parameter handling
(a harvest's batch of 500 datasets is some 8,000 rows over its tables). ``COPY`` streams the rows
in a few large messages and the server loads them in one statement. Few rows keep the ``INSERT``
(a ``COPY`` costs more to start). SQLite's ``executemany`` runs in process: there the rows skip
SQLAlchemy's parameter building and go to sqlite3 directly.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    if len(rows) < COPY_FROM or _client_defaults(table, names):
        conn.execute(_insert_of(table), list(rows))
    else:
        insert_values(conn, table, names, _bound(conn, table, names, rows))


def insert_values(
    conn: Connection, table: sa.Table, names: Sequence[str], values: Iterable[Sequence[Any]]
) -> None:
    """Insert rows given as values in ``names`` order, already as the database stores them (text,
    numbers, None: what ``_bound`` makes of a row), with no SQLAlchemy in between. A new database's
    38,397 geozones go in this way (db/migrations 0007); the values are streamed, not listed."""
    if conn.dialect.name == "postgresql":
        _copy(conn, table, names, values)
    else:
        _sqlite_many(conn, table, names, values)


_INSERTS: dict[sa.Table, sa.Insert] = {}


def _insert_of(table: sa.Table) -> sa.Insert:
    """The table's ``INSERT``, built once: a built statement's cache key is remembered, a new
    one's is computed again on every execution."""
    found = _INSERTS.get(table)
    if found is None:
        found = _INSERTS[table] = table.insert()
    return found


def _client_defaults(table: sa.Table, names: list[str]) -> bool:
    """Whether a column left out has a default SQLAlchemy computes (which COPY would not)."""
    return any(column.default is not None for column in table.columns if column.name not in names)


def _bound(
    conn: Connection, table: sa.Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> Iterator[list[Any]]:
    """Each row's values in ``names`` order, converted as SQLAlchemy would bind them (JSON
    columns encoded, dates in the dialect's storage form)."""
    dialect = conn.dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    for row in rows:
        yield [
            value if process is None else process(value)
            for process, value in zip(processors, (row[name] for name in names), strict=True)
        ]


def _copy(conn: Connection, table: sa.Table, names: Sequence[str], values: Iterable[Sequence[Any]]) -> None:
    dialect = conn.dialect
    quote = dialect.identifier_preparer
    statement = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in names)}) FROM STDIN"
    )
    driver: Any = conn.connection.driver_connection  # psycopg's, in this transaction
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as error:
        raise sa.exc.DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error) from error


def _sqlite_many(
    conn: Connection, table: sa.Table, names: Sequence[str], values: Iterable[Sequence[Any]]
) -> None:
    """sqlite3's own ``executemany`` on the rows' converted values: SQLAlchemy's builds each row's
    parameters through its compiled statement first (a profile of a SQLite harvest: a sixth of
    its time)."""
    dialect = conn.dialect
    quote = dialect.identifier_preparer
    statement = (
        f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(name) for name in names)})"
        f" VALUES ({', '.join('?' for _ in names)})"
    )
    driver: Any = conn.connection.driver_connection  # sqlite3's, in this transaction
    cursor = driver.cursor()
    try:
        cursor.executemany(statement, values)
    except dialect.loaded_dbapi.Error as error:
        raise sa.exc.DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error) from error
    finally:
        cursor.close()
