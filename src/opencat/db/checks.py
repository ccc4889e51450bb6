"""Is the configured database usable? One-line answers for the command line, password masked."""

import sqlalchemy as sa

from opencat.config import SettingsError
from opencat.db.engine import Database, normalize_url

_VARIABLE = "OPENCAT_DATABASE_URL"


# libpq reads a password from the query too (``?password=...``): it is hidden there as well.
_SECRET_QUERY_KEYS = frozenset({"password", "sslpassword"})


def masked(url: str) -> str:
    """The URL as it may be printed: its password replaced by ***, in its user part or its query."""
    try:
        parsed = sa.engine.make_url(url)
        hidden = {key: "***" for key in parsed.query if key.lower() in _SECRET_QUERY_KEYS}
        shown = parsed.update_query_dict(hidden).render_as_string(hide_password=True)
        return shown.replace("=%2A%2A%2A", "=***")  # the query's encoding of ***
    except (sa.exc.ArgumentError, ValueError):
        return url.partition("://")[0] + "://…"


def check_url(url: str) -> None:
    """Refuse a URL SQLAlchemy cannot parse, or whose driver is not installed."""
    try:
        parsed = sa.engine.make_url(normalize_url(url))
        _ = parsed.port  # read when connecting: a port that is no number fails here instead
    except (sa.exc.ArgumentError, ValueError) as error:
        raise SettingsError(f"{_VARIABLE} is not a valid database URL ({error})") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # An in-memory database would be one per connection and per worker: nothing would last.
        raise SettingsError(f"{_VARIABLE}: a SQLite URL names a file, as sqlite:////path/to/opencat.db")
    try:
        parsed.get_dialect().import_dbapi()
    except (sa.exc.NoSuchModuleError, ImportError) as error:
        hint = " (pip install 'opencat[postgres]')" if parsed.get_backend_name() == "postgresql" else ""
        raise SettingsError(
            f"{_VARIABLE}: the driver of {masked(url)} is not installed{hint}: {error}"
        ) from None


def ping(database: Database) -> None:
    """Connect once: an unreachable server or a missing database is a settings error."""
    try:
        with database.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as error:
        reason = " ".join(str(error.orig).split()) if error.orig is not None else type(error).__name__
        # The URL as the operator wrote it (``postgresql://``), not the driver's name for it.
        written = database.url.replace("postgresql+psycopg://", "postgresql://", 1)
        raise SettingsError(f"{_VARIABLE}: cannot use {masked(written)}: {reason}") from None


# What this role may open to this database, on PostgreSQL: the server's slots (less those kept for
# superusers, unless the role is one), the database's and the role's own limits (-1: none).
_BUDGET = sa.text(
    """
    SELECT current_setting('max_connections')::int
             - CASE WHEN r.rolsuper THEN 0 ELSE current_setting('superuser_reserved_connections')::int END,
           d.datconnlimit, r.rolconnlimit, r.rolsuper
    FROM pg_database d, pg_roles r
    WHERE d.datname = current_database() AND r.rolname = current_user
    """
)


def connection_budget(database: Database) -> int | None:
    """How many connections opencat may open to its database, at most (None: SQLite, or not told).
    A superuser is not held to the database's limit (PostgreSQL does not apply it to them)."""
    if database.dialect != "postgresql":
        return None
    try:
        with database.engine.connect() as conn:
            row = conn.execute(_BUDGET).first()
    except sa.exc.DBAPIError:  # a pooler's or a restricted role's catalog: nothing to say
        return None
    if row is None:
        return None
    server, database_limit, role_limit, superuser = row
    limits = [int(server)]
    if not superuser:
        limits += [int(limit) for limit in (database_limit, role_limit) if limit is not None and limit >= 0]
    return min(limits)


def connections_needed(workers: int, pool_size: int) -> int:
    """One node's connections at most, as docs/configuration.md counts them: each worker's pool
    and its overflow, its index catch-up and commit marks; the index keeper and the scheduler."""
    return workers * (2 * pool_size + 2) + 4
