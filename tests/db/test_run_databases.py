"""The test suite's own PostgreSQL databases: named for the run, dropped at its end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from opencat.db.engine import normalize_url
from tests.postgres import ENV, RUN_ENV, database_name

ROOT = Path(__file__).resolve().parents[2]


def _name_in_another_process() -> str:
    code = "from tests.postgres import database_name; print(database_name('opencat_test'))"
    environ = {key: value for key, value in os.environ.items() if key != RUN_ENV}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_two_runs_of_one_checkout_use_two_databases() -> None:
    first, second = _name_in_another_process(), _name_in_another_process()
    assert first != second
    assert database_name("opencat_test") not in (first, second)
    assert database_name("opencat_test") == database_name("opencat_test")  # stable within a run


def _databases(server: str, pattern: str) -> list[str]:
    admin = sa.create_engine(normalize_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            query = sa.text("SELECT datname FROM pg_database WHERE datname LIKE :pattern")
            return sorted(conn.execute(query, {"pattern": pattern}).scalars())
    finally:
        admin.dispose()


@pytest.mark.skipif(not os.environ.get(ENV), reason=f"without {ENV} each run has a throwaway server")
def test_a_run_drops_the_databases_it_created() -> None:
    server = os.environ[ENV]
    run = "droptest"
    environ = {**os.environ, RUN_ENV: run}
    environ.pop("PYTEST_XDIST_WORKER", None)
    child = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--db=postgresql",
            "tests/db/test_storage.py::test_utc_datetime_keeps_the_instant_on_both_dialects",
        ],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert child.returncode == 0, child.stdout + child.stderr
    assert "passed" in child.stdout
    assert _databases(server, f"%\\_{run}\\_%") == []
