"""An opencat harvesting another opencat: the real ``opencat serve`` of a remote catalog loaded
with udata's fixtures, and a local ``opencat serve`` whose scheduler runs the source when due; and
a serve killed mid-job whose job the next serve on the database ends failed and runs again."""

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from opencat.db import harvest as db_harvest
from tests import paths
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Site, serving
from tests.postgres import database_name
from tests.system.conftest import Launcher, client_catalog, create_database, drop_database
from tests.system.harness import cli, opencat_command


def test_the_scheduler_of_serve_harvests_another_opencat(
    launch: Launcher, module_database: str, tmp_path: Path, migrated_sqlite_file: Path
) -> None:
    shutil.copyfile(migrated_sqlite_file, tmp_path / "remote.db")  # migrated: it is not what is tested here
    remote_env = launch.env("remote", f"sqlite:///{tmp_path / 'remote.db'}")
    loaded = subprocess.run(
        [*opencat_command(), "load-fixtures", str(paths.UDATA_FIXTURES)],
        env=remote_env,
        capture_output=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    remote = launch.start(remote_env, workers=1)
    published: list[dict[str, Any]] = httpx2.get(f"{remote.url}/api/1/datasets/?page_size=100").json()["data"]
    assert len(published) >= 10

    local_env = launch.env("local", module_database, harvest_allow_private="true")
    org = cli(local_env, "org", "create", "--name", "Aggregated")
    source = cli(
        local_env, "harvest", "add", "Remote opencat", f"{remote.url}/", "--backend", "udata",
        "--organization", org["id"], "--schedule", "* * * * *", "--config", '{"page_size": 4}',
    )  # fmt: skip
    local = launch.start(local_env, workers=1)

    job = _wait_for_job(f"{local.url}/api/1/harvest/source/{source['id']}/")

    assert job["status"] == "done", job
    assert job["counts"]["created"] == len(published)
    harvested = httpx2.get(f"{local.url}/api/1/datasets/?page_size=100").json()["data"]
    by_remote = {dataset["harvest"]["remote_id"]: dataset for dataset in harvested}
    assert set(by_remote) == {dataset["id"] for dataset in published}
    for original in published:
        copy = by_remote[original["id"]]
        assert copy["title"] == original["title"]
        assert copy["harvest"]["remote_url"] == original["page"]
        assert copy["harvest"]["backend"] == "udata"
        assert copy["organization"]["id"] == org["id"]
        assert [r["url"] for r in copy["resources"]] == [r["url"] for r in original["resources"]]
    # Resources stay where the source keeps them (and there are some).
    assert {r["filetype"] for copy in by_remote.values() for r in copy["resources"]} == {"remote"}
    # searchable there too: the outbox fed the local index
    first = published[0]["title"]
    found = httpx2.get(f"{local.url}/api/1/datasets/", params={"q": first}).json()["data"]
    assert any(dataset["title"] == first for dataset in found)


def _wait_for_job(source_url: str, seconds: float = 90, after: str | None = None) -> dict[str, Any]:
    """The source's last job once ended (``after``: not that job)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        last = httpx2.get(source_url).json()["last_job"]
        if last is not None and last["ended"] is not None and last["id"] != after:
            job: dict[str, Any] = last
            return job
        time.sleep(0.2)
    raise AssertionError("the scheduler did not run the source")


@pytest.fixture
def own_database(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path, migrated_original: str
) -> Iterator[str]:
    """A database of this test's own (a copy of a migrated one): no other test's scheduled source
    runs beside its own."""
    if dialect == "sqlite":
        shutil.copyfile(migrated_original, tmp_path / "own.db")
        yield f"sqlite:///{tmp_path / 'own.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = database_name("opencat_harvest_killed")
    yield create_database(server, name, template=migrated_original)
    drop_database(server, name)


def test_a_job_of_a_killed_serve_is_ended_by_the_next_serve_which_runs_it_again(
    launch: Launcher, own_database: str, tmp_path: Path
) -> None:
    site = Site()
    with serving(site) as remote:
        publish_pages(site, remote.url(""), real_datasets(6), page_size=3)
        second_page = site.documents["/api/1/datasets/?page_size=3&page=2"]
        second_page.delay = 120  # the job is busy there when its serve is killed
        settings = {"harvest_allow_private": "true", "harvest_stale_after": "2"}
        env = launch.env("node-a", own_database, **settings)
        org = cli(env, "org", "create", "--name", "Harvesters")
        source = cli(
            env, "harvest", "add", "Remote", remote.url("/"), "--backend", "udata",
            "--organization", org["id"], "--schedule", "* * * * *", "--config", '{"page_size": 3}',
        )  # fmt: skip
        first = launch.start(env, workers=1)
        _wait_for(lambda: any("page=2" in request.path for request in site.requests), 30)
        catalog = client_catalog(tmp_path / "client", own_database)
        try:
            with catalog.db.read() as conn:
                lease = db_harvest.find_lease(conn, source["id"])
        finally:
            catalog.db.dispose()
        assert lease is not None
        assert os.getpgid(lease.pid) == first.process.pid  # its scheduler, in the serve's group
        os.killpg(first.process.pid, signal.SIGKILL)  # master, workers and scheduler at once
        first.process.wait(10)
        second_page.delay = 0
        time.sleep(2.5)  # the lease is stale now: the next serve's first tick ends the job

        second = launch.start(launch.env("node-b", own_database, **settings), workers=1)
        job_url = f"{second.url}/api/1/harvest/job/{lease.job_id}/"
        _wait_for(lambda: httpx2.get(job_url).json()["status"] != "processing", 20)
        dead = httpx2.get(job_url).json()
        assert dead["status"] == "failed"
        assert dead["ended"] is not None
        message = dead["errors"][-1]["message"]
        assert f"pid {lease.pid}) stopped heartbeating at " in message
        assert "; ended by the harvest scheduler of node " in message

        # The same tick takes the scheduled source's job over: it runs again at once.
        rerun = _wait_for_job(f"{second.url}/api/1/harvest/source/{source['id']}/", 30, lease.job_id)
    assert rerun["id"] != lease.job_id
    assert (rerun["status"], rerun["counts"]["created"]) == ("done", 6)


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
