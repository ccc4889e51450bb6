"""``opencat harvest add|list|run|jobs`` on both databases, and a real ``opencat harvest run``
process killed mid-job whose job the next run takes over."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opencat.catalog.context import Catalog
from opencat.cli import main
from opencat.db import harvest as db_harvest
from opencat.domain.harvest_jobs import JobStatus
from tests.factories import make_org
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Site, SiteServer
from tests.system.harness import opencat_command, server_env

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    for name in list(os.environ):
        if name.startswith("OPENCAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENCAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENCAT_DATABASE_URL", database_url)
    monkeypatch.setenv("OPENCAT_HARVEST_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("OPENCAT_HARVEST_STALE_AFTER", "2")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def json_of(result: tuple[int, str, str]) -> Any:
    code, out, err = result
    assert code == 0, err
    return json.loads(out)


def test_add_list_run_and_jobs(cli: Cli, catalog: Catalog, site: Site, remote: SiteServer) -> None:
    publish_pages(site, remote.url(""), real_datasets(4), page_size=100)
    org = make_org(catalog, "Harvesters")

    added = json_of(
        cli(
            "harvest",
            "add",
            "Remote",
            remote.url("/"),
            "--backend",
            "udata",
            "--organization",
            org.id,
            "--schedule",
            "0 3 * * *",
            "--json",
        )
    )
    listed = json_of(cli("harvest", "list", "--json"))
    ran = json_of(cli("harvest", "run", added["id"], "--json"))
    again = json_of(cli("harvest", "run", added["id"], "--json"))
    jobs = json_of(cli("harvest", "jobs", added["id"], "--json"))

    assert (added["backend"], added["organization"], added["schedule"], added["validation"]) == (
        "udata",
        org.id,
        "0 3 * * *",
        "accepted",
    )
    assert [source["id"] for source in listed] == [added["id"]]
    assert (ran["status"], ran["created_items"], ran["unchanged"]) == ("done", 4, 0)
    assert (again["status"], again["created_items"], again["unchanged"]) == ("done", 0, 4)
    assert [job["id"] for job in jobs] == [again["id"], ran["id"]]


def test_bad_uses_are_refused(cli: Cli, catalog: Catalog, site: Site, remote: SiteServer) -> None:
    org = make_org(catalog, "Harvesters")

    code, _, err = cli("harvest", "add", "X", remote.url("/"), "--backend", "nope", "--organization", org.id)
    assert (code, err) == (2, "error: backend: Unknown harvest backend nope\n")
    code, _, err = cli(
        "harvest",
        "add",
        "X",
        remote.url("/"),
        "--backend",
        "udata",
        "--organization",
        org.id,
        "--schedule",
        "61 * * * *",
    )
    assert code == 2
    assert "Invalid cron expression" in err
    # The columns' bounds hold here too (PostgreSQL refused a longer schedule with a traceback).
    long_cron = ",".join(map(str, range(0, 60, 2))) + " " + ",".join(map(str, range(24))) + " * * *"
    for name, schedule in (("X" * 256, "0 4 * * *"), ("X", long_cron)):
        code, _, err = cli(
            "harvest", "add", name, remote.url("/"), "--backend", "udata", "--organization", org.id,
            "--schedule", schedule,
        )  # fmt: skip
        assert (code, "cannot be longer than" in err) == (2, True)
    code, _, err = cli("harvest", "run", "0" * 24)
    assert (code, err) == (2, "error: Harvest source not found\n")  # a value that names nothing
    # The organization by its slug, as ``org add-member`` takes it; one that names none is said so.
    add = ("harvest", "add", "By slug", remote.url("/"), "--backend", "udata", "--organization")
    assert json_of(cli(*add, org.slug, "--json"))["organization"] == org.id
    assert cli(*add, "no-such-org") == (2, "", "error: Unknown organization no-such-org\n")
    # a source that fails: the job is recorded failed and the command exits 1
    added = json_of(
        cli("harvest", "add", "X", remote.url("/"), "--backend", "udata", "--organization", org.id, "--json")
    )
    code, out, err = cli("harvest", "run", added["id"], "--json")
    assert code == 1
    assert json.loads(out)["status"] == "failed"
    assert "HTTP status 404" in json.loads(out)["errors"]


def test_a_killed_run_is_taken_over(
    cli: Cli, catalog: Catalog, database_url: str, tmp_path: Path, site: Site, remote: SiteServer
) -> None:
    docs = real_datasets(6)
    publish_pages(site, remote.url(""), docs, page_size=3)
    site.documents["/api/1/datasets/?page_size=3&page=2"].delay = 60  # the process is busy there
    org = make_org(catalog, "Harvesters")
    added = json_of(
        cli(
            "harvest",
            "add",
            "Remote",
            remote.url("/"),
            "--backend",
            "udata",
            "--organization",
            org.id,
            "--config",
            '{"page_size": 3}',
            "--json",
        )
    )
    env = server_env(
        tmp_path, database_url, "http://127.0.0.1:1", harvest_allow_private="true", harvest_stale_after="2"
    )
    process = subprocess.Popen([*opencat_command(), "harvest", "run", added["id"]], env=env)
    try:
        _wait_for(lambda: any("page=2" in request.path for request in site.requests), process)
        with catalog.db.read() as conn:
            lease = db_harvest.find_lease(conn, added["id"])
            assert lease is not None
            killed_job = db_harvest.find_job(conn, lease.job_id)
        assert lease.pid == process.pid
        assert killed_job is not None
        assert killed_job.status == JobStatus.PROCESSING
        assert killed_job.counts.created == 0  # the first page waits in the batch being filled
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    # its lease is still fresh: another run is refused, and says who holds it
    code, _, err = cli("harvest", "run", added["id"])
    assert code == 1
    assert f"process {process.pid}" in err
    site.documents["/api/1/datasets/?page_size=3&page=2"].delay = 0
    time.sleep(2.5)  # past OPENCAT_HARVEST_STALE_AFTER

    taken = json_of(cli("harvest", "run", added["id"], "--json"))

    assert (taken["status"], taken["created_items"], taken["unchanged"]) == ("done", 6, 0)
    with catalog.db.read() as conn:
        ended = db_harvest.find_job(conn, killed_job.id)
        assert db_harvest.find_lease(conn, added["id"]) is None
    assert ended is not None
    assert ended.status == JobStatus.FAILED
    assert ended.ended_at is not None
    assert f"pid {process.pid}) stopped heartbeating" in ended.errors[-1]["message"]


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"opencat harvest run exited with {process.returncode}")
        time.sleep(0.05)
    raise AssertionError("timed out")
