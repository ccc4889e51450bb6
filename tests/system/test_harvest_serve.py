"""An opencat harvesting another opencat: the real ``opencat serve`` of a remote catalog loaded
with udata's fixtures, and a local ``opencat serve`` whose scheduler runs the source when due."""

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx2

from tests import paths
from tests.system.conftest import Launcher
from tests.system.harness import cli, opencat_command


def test_the_scheduler_of_serve_harvests_another_opencat(
    launch: Launcher, module_database: str, tmp_path: Path
) -> None:
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


def _wait_for_job(source_url: str, seconds: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        last = httpx2.get(source_url).json()["last_job"]
        if last is not None and last["ended"] is not None:
            job: dict[str, Any] = last
            return job
        time.sleep(0.2)
    raise AssertionError("the scheduler did not run the source")
