"""A PostgreSQL server for the test session: the one in OPENCAT_TEST_POSTGRES_URL, or a throwaway cluster."""

import getpass
import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.ports import free_port

ENV = "OPENCAT_TEST_POSTGRES_URL"
RUN_ENV = "OPENCAT_TEST_RUN"  # names the run in database names (a random token otherwise)

# Drawn once per process: each test run (and each of its xdist workers) has databases of its own.
_RUN = os.environ.get(RUN_ENV) or secrets.token_hex(4)


def database_name(prefix: str) -> str:
    """A database name of this test run and process: two runs (of one checkout or of two), or two
    xdist workers, testing against one server never drop each other's database. Whoever creates
    one drops it at the end."""
    return f"{prefix}_{_RUN}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root: run the cluster as the postgres system user then.
    if getpass.getuser() == "root":
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class Cluster:
    """A throwaway PostgreSQL cluster of our own (initdb + pg_ctl), which a test may stop and start."""

    def __init__(self) -> None:
        binaries = _binaries()
        if binaries is None:
            raise RuntimeError(
                f"PostgreSQL is needed: set {ENV} or install the server binaries (apt-get install postgresql)"
            )
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="opencat-pg-"))
        self.root.chmod(0o777)
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "postgres" if getpass.getuser() == "root" else getpass.getuser()
        subprocess.run(
            _as_postgres(
                [str(binaries / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *arguments: str, check: bool = True) -> None:
        subprocess.run(
            _as_postgres([str(self.binaries / "pg_ctl"), "-D", str(self.data), *arguments]),
            check=check,
            capture_output=True,
        )

    def start(self) -> None:
        """Start and wait until the server accepts connections."""
        options = (
            f"-F -p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._pg_ctl("-o", options, "-w", "-l", str(self.root / "log"), "start")

    def stop(self, mode: str = "immediate", check: bool = True) -> None:
        """``immediate`` is a crash as far as clients can tell: backends die without a goodbye."""
        self._pg_ctl("-m", mode, "-w", "stop", check=check)

    def remove(self) -> None:
        self.stop(check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def server_url() -> Iterator[str]:
    """Yield a URL to a server where the tests may create and drop databases."""
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.remove()
