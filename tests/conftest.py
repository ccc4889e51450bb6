"""Fixtures: every database test runs on SQLite and on PostgreSQL in one session."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog import passwords
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.db.engine import Database, normalize_url
from opencat.db.migrate import upgrade
from opencat.db.tables import metadata
from opencat.wiring import build_catalog
from tests.postgres import database_name, server_url

pytest_plugins = ["tests.s3", "tests.mailbox"]  # s3_endpoint, s3_prefix; smtp_server

BASE_URL = "http://testserver"
REFERENCE_TABLES = {"licenses", "frequencies", "geo_levels", "geozones"}
# Fixtures of tests that drive a browser through pages: the pages render the same on both databases
# (tests/web covers PostgreSQL), so these run on SQLite only. Skipped at collection, before their
# module's server and data are set up for nothing.
BROWSER_FIXTURES = frozenset({"browser", "browser_on", "demo"})


@pytest.fixture(autouse=True, scope="session")
def cheapest_password_hashes() -> Iterator[None]:
    """Passwords hashed in the tests' own processes with argon2's cheapest parameters (argon2-cffi's
    profile for tests): the default's 64 MiB and three passes took ~0.2 s of CPU per hash, a minute
    of the suite's. Still argon2id, hashed and checked for real; the servers the system tests start
    keep the defaults (and rehash these on sign-in), and tests/unit/test_passwords.py checks them."""
    production = passwords._HASHER
    passwords._HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)
    passwords._stand_in.cache_clear()
    yield
    passwords._HASHER = production
    passwords._stand_in.cache_clear()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default="all",
        choices=["sqlite", "postgresql", "all"],
        help="database(s) the database tests run on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dialect" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db")
        dialects = ["sqlite", "postgresql"] if chosen == "all" else [chosen]
        metafunc.parametrize("dialect", dialects, indirect=True, scope="session")


# The slowest tests (real servers, a browser, the real-data loads of 10-23 s each) are handed out
# first, so that the parallel workers end on short tests together instead of one of them finishing
# a long test alone.
SLOW_FIRST = (
    "tests/system/",
    "tests/search/test_relevance.py",
    "tests/compat/",
    "tests/harvest/test_memory.py",
)


def _database_then_slowest_first(item: pytest.Item) -> tuple[bool, bool]:
    """The tests of one database stay together (a worker moving from one database to the other
    and back would set its session's databases up again), the slowest first within each."""
    callspec = getattr(item, "callspec", None)
    on_postgresql = callspec is not None and callspec.params.get("dialect") == "postgresql"
    return on_postgresql, not item.nodeid.startswith(SLOW_FIRST)  # node ids are rootdir-relative


# Tests that drive opencat in processes of their own (servers, CLI commands, a browser on a
# server): coverage's tracer in the pytest worker measures none of opencat's lines there, yet it
# taxed every line of their HTTP clients, polling loops and Playwright's Python side.
# pytest-cov's `no_cover` pauses it during their calls (docs/performance.md has the figures).
OUT_OF_PROCESS = ("tests/system/",)


@pytest.hookimpl(trylast=True)  # after pytest has ordered the tests by their fixtures' scopes
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_database_then_slowest_first)
    for item in items:
        if item.nodeid.startswith(OUT_OF_PROCESS):
            item.add_marker(pytest.mark.no_cover)
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("dialect") == "sqlite"
        if item.get_closest_marker("postgresql_only") and on_sqlite:
            item.add_marker(pytest.mark.skip(reason="behaviour specific to PostgreSQL"))
        on_postgresql = callspec is not None and callspec.params.get("dialect") == "postgresql"
        if on_postgresql and BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(
                pytest.mark.skip(
                    reason="the pages render the same on both databases (tests/web covers PostgreSQL)"
                )
            )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with server_url() as url:
        yield url


@pytest.fixture(scope="session")
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(
    dialect: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = database_name("opencat_test")
    admin = sa.create_engine(normalize_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        # The name is this run's alone: nothing would ever reuse (or drop) it after us.
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per test process, closed, for tests to copy: a new one's
    migrations take ~0.6 s of CPU. Migrating a new database stays tested (tests/migrations, the
    CLI's ``db upgrade``, the servers of tests/system that start on an empty file)."""
    path = tmp_path_factory.mktemp("migrated-sqlite") / "opencat.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def seeded_lists(migrated: Database) -> tuple[int, int]:
    with migrated.engine.connect() as conn:
        return _list_sizes(conn)


def _list_sizes(conn: sa.Connection) -> tuple[int, int]:
    row = conn.execute(_LIST_SIZES).one()
    return int(row[0]), int(row[1])


@pytest.fixture
def db(migrated: Database, seeded_lists: tuple[int, int]) -> Iterator[Database]:
    """The migrated database, emptied after each test (reference lists are kept: a test that adds
    to the licenses or frequencies, or takes from them, must put them back, and fails here
    otherwise rather than the unrelated test after it)."""
    yield migrated
    with migrated.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # One round trip (25 statements one by one took 1.9 ms of the test's CPU, this 0.2).
            conn.exec_driver_sql(_EMPTY_ALL)
        else:
            for table in _EMPTIED:
                conn.execute(table.delete())
        left = _list_sizes(conn)
    assert left == seeded_lists, "the test left licenses or frequencies added or removed"


# Children before their parents, so that no foreign key is in the way.
_EMPTIED = [table for table in reversed(metadata.sorted_tables) if table.name not in REFERENCE_TABLES]
_EMPTY_ALL = "; ".join(f'DELETE FROM "{table.name}"' for table in _EMPTIED)
_LIST_SIZES = sa.text("SELECT (SELECT count(*) FROM licenses), (SELECT count(*) FROM frequencies)")


@contextmanager
def empty_database(
    dialect: str, request: pytest.FixtureRequest, folder: Path, name: str
) -> Iterator[Database]:
    """An empty database of its own, of the session's kind, apart from its shared one (dropped
    after the block on PostgreSQL)."""
    if dialect == "sqlite":
        database = Database(f"sqlite:///{folder / f'{name}.db'}")
        try:
            yield database
        finally:
            database.dispose()
        return
    server: str = request.getfixturevalue("postgres_server")
    name = database_name(f"opencat_{name}")
    admin = sa.create_engine(normalize_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database = Database(server.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, base_url=BASE_URL)


@pytest.fixture
def catalog(db: Database, settings: Settings) -> Catalog:
    """The use cases on the test database, with local files under the test's directory."""
    return build_catalog(settings, database=db)


@pytest.fixture
def client(db: Database, settings: Settings, catalog: Catalog) -> Iterator[TestClient]:
    app = create_app(settings, catalog=catalog)
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as test_client:
        yield test_client


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
