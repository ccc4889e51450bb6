"""A PostgreSQL server for the test session: the one in OPENCAT_TEST_POSTGRES_URL, or a throwaway cluster."""

import getpass
import glob
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "OPENCAT_TEST_POSTGRES_URL"


def database_name(prefix: str) -> str:
    """A database name of this checkout and test process: two clones (or two xdist workers)
    testing against one server never drop each other's database."""
    checkout = hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
    return f"{prefix}_{checkout}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@contextmanager
def server_url() -> Iterator[str]:
    """Yield a URL to a server where the tests may create and drop databases."""
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    binaries = _binaries()
    if binaries is None:
        raise RuntimeError(
            f"PostgreSQL is needed: set {ENV} or install the server binaries (apt-get install postgresql)"
        )
    root = Path(tempfile.mkdtemp(prefix="opencat-pg-"))
    root.chmod(0o777)
    data = root / "data"
    port = _free_port()
    user = "postgres" if getpass.getuser() == "root" else getpass.getuser()
    subprocess.run(
        _as_postgres([str(binaries / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-F -p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(
        _as_postgres(
            [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://{user}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
