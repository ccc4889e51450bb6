"""System tests: the real ``opencat serve`` (two workers) on each database, driven over HTTP.

Servers are module-scoped where tests don't interfere (each starts in about a second); tests that
need a server of their own (faults, two nodes) start it with ``launch``, which stops it afterwards.
When a test fails, the output of its servers is shown with the failure.
"""

import os
import shutil
import sqlite3
import uuid
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa

from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.db.engine import Database, normalize_url
from opencat.db.migrate import upgrade
from opencat.wiring import build_catalog
from tests.ports import free_port
from tests.postgres import database_name
from tests.system.harness import Server, client, server_env, server_errors


@dataclass
class Account:
    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.key}


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """A new database on the server: empty, or a copy of ``template`` (nobody may be connected to
    it meanwhile)."""
    admin = sa.create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    copied = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{copied}'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server_url: str, name: str) -> None:
    admin = sa.create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Launcher:
    """Starts servers for one test (or module) and stops every one of them at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.servers: list[Server] = []

    def env(
        self, name: str, database_url: str, base_url: str | None = None, **settings: str
    ) -> dict[str, str]:
        """The settings of a node called ``name``: its own data directory, a port chosen later."""
        data_dir = self.root / name / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        return server_env(data_dir, database_url, base_url or "http://127.0.0.1:0", **settings)

    def start(
        self, env: dict[str, str], workers: int = 2, port: int | None = None, prefix: tuple[str, ...] = ()
    ) -> Server:
        port = port or free_port()
        if env["OPENCAT_BASE_URL"] == "http://127.0.0.1:0":
            env = {**env, "OPENCAT_BASE_URL": f"http://127.0.0.1:{port}"}
        server = Server(env, port, workers, prefix)
        self.servers.append(server)
        return server

    def stop_all(self) -> None:
        while self.servers:
            self.servers.pop().stop()


class Deployment:
    """One server on a database of its own, with an in-process catalog to prepare accounts."""

    def __init__(self, server: Server, database_url: str, catalog: Catalog, admin: Account) -> None:
        self.server = server
        self.url = server.url
        self.database_url = database_url
        self.catalog = catalog
        self.admin = admin
        self.data_dir = Path(server.env["OPENCAT_DATA_DIR"])

    def new_user(self) -> Account:
        user, key = accounts.create_user(
            self.catalog,
            email=f"{uuid.uuid4().hex}@example.org",
            first_name="System",
            last_name="Tester",
        )
        return Account(user.id, key)

    def new_users(self, count: int) -> list[Account]:
        return [self.new_user() for _ in range(count)]


@pytest.fixture(scope="session")
def migrated_original(
    dialect: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database migrated once per test process and database kind, that the modules' databases
    are copies of: a new database's migrations (38,397 geozones) took ~0.9 s of CPU in the first
    CLI command or server of every module. Migrating a new database for real stays tested, in
    process (tests/migrations) and by real servers and commands (test_faults, test_watch, tests/
    test_cli.py). On SQLite its file's path, on PostgreSQL its name."""
    if dialect == "sqlite":
        path = tmp_path_factory.mktemp("migrated") / "opencat.db"
        database = Database(f"sqlite:///{path}")
        upgrade(database)
        database.dispose()
        yield str(path)
        return
    server = request.getfixturevalue("postgres_server")
    name = database_name("opencat_migrated")
    database = Database(create_database(server, name))
    upgrade(database)
    database.dispose()  # a template must have no connection when it is copied
    yield name
    drop_database(server, name)


@pytest.fixture(scope="module")
def module_database(
    dialect: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_original: str,
) -> Iterator[str]:
    """A database of this module's own (not the session's shared one), migrated: a copy of
    ``migrated_original``."""
    if dialect == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "opencat.db"
        with closing(sqlite3.connect(migrated_original)) as source, closing(sqlite3.connect(path)) as copy:
            source.backup(copy)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    name = database_name(f"opencat_{request.module.__name__.rsplit('.', 1)[-1].removeprefix('test_')}")
    yield create_database(server, name, template=migrated_original)
    drop_database(server, name)


def client_catalog(root: Path, database_url: str) -> Catalog:
    """The use cases on the server's database, with an index and files of the test's own."""
    return build_catalog(Settings(data_dir=root, database_url=database_url))


@pytest.fixture(scope="module")
def deployment(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """``opencat serve --workers 2`` on a fresh database, with a sysadmin (made in process: the
    command that makes one is tested in tests/test_cli.py, and it cost each module ~0.8 s of CPU)."""
    launcher = Launcher(tmp_path_factory.mktemp("deployment"))
    port = free_port()
    # Feeds show datasets at once, and link checks may target the test's own loopback site.
    env = launcher.env(
        "node",
        module_database,
        f"http://127.0.0.1:{port}",
        feed_delay_hours="0",
        linkcheck_allow_private="true",
    )
    catalog = client_catalog(launcher.root / "client", module_database)
    try:
        admin, key = accounts.create_user(
            catalog, email="admin@example.org", first_name="Ad", last_name="Min", sysadmin=True
        )
        server = launcher.start(env, workers=2, port=port)
        yield Deployment(server, module_database, catalog, Account(admin.id, key))
    finally:
        launcher.stop_all()
        catalog.db.dispose()


CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")


def chromium_path() -> str:
    """Debian's chromium; a failure in CI (which installs it), a skip elsewhere."""
    if shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium); CI installs it")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One chromium (and one Playwright driver) for a module's browser tests: starting both takes
    about 0.8 s of CPU, which every browser test used to pay. Tests stay apart through ``browser``,
    which closes their contexts (pages, cookies, storage) after each."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """The module's chromium (SQLite runs only: tests/conftest.py's ``BROWSER_FIXTURES``); every
    context the test opened (``new_page`` opens one) is closed after it."""
    yield chromium
    for context in chromium.contexts:
        context.close()


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.stop_all()


@pytest.fixture
def api(deployment: Deployment) -> Iterator[httpx2.Client]:
    """A client of the module's server; after the test, no response it received may be a 5xx."""
    record: list[httpx2.Response] = []
    with client(deployment.url, record) as http:
        yield http
    errors = server_errors(record)
    assert not errors, "server errors:\n" + "\n".join(errors)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.failed:
        servers: list[Server] = []
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Deployment):
                servers.append(value.server)
            elif isinstance(value, Launcher):
                servers.extend(value.servers)
        for server in servers:
            report.sections.append((f"opencat serve on port {server.port}", server.output()[-20_000:]))
    return report
