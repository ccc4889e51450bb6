"""Two real processes (spawned) run the same source at the same moment against the same database,
on both databases: one job runs, the other process gets the ``Conflict`` naming its holder."""

import multiprocessing
import socket
from pathlib import Path
from typing import Any

from opencat.catalog.context import Catalog
from opencat.catalog.harvest_sources import SourceFields, add_source
from opencat.db import harvest as db_harvest
from opencat.domain.harvest_jobs import JobStatus
from tests.factories import make_org
from tests.harvest import racers
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Site, SiteServer


def test_two_processes_starting_a_source_at_once_run_one_job(
    catalog: Catalog, database_url: str, tmp_path: Path, site: Site, remote: SiteServer
) -> None:
    publish_pages(site, remote.url(""), real_datasets(3), page_size=100)
    site.documents[
        "/api/1/datasets/?page_size=100&sort=created"
    ].delay = 2  # the winner holds the lease a while
    fields = SourceFields(
        name="Remote", url=remote.url("/"), backend="udata", organization=make_org(catalog).id
    )
    source_id = add_source(catalog, fields).source.id
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    results: multiprocessing.Queue[tuple[Any, ...]] = spawn.Queue()
    processes = [
        spawn.Process(
            target=racers.run_at_once,
            args=(database_url, str(tmp_path / f"node-{index}"), source_id, barrier, results),
        )
        for index in range(2)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = sorted(results.get(timeout=90) for _ in processes)
    finally:
        for process in processes:
            process.join(30)
            if process.exitcode is None:
                process.kill()
    assert [process.exitcode for process in processes] == [0, 0]

    (refused, ran) = outcomes  # "conflict" < "ran"
    assert (refused[0], ran[0], ran[2]) == ("conflict", "ran", JobStatus.DONE)
    assert refused[2] == {"node": socket.gethostname(), "pid": ran[1]}  # the holder, named
    with catalog.db.read() as conn:
        jobs, total = db_harvest.jobs_of(conn, source_id, 0, 10)
        assert db_harvest.find_lease(conn, source_id) is None
    assert total == 1
    assert (jobs[0].status, jobs[0].counts.created) == (JobStatus.DONE, 3)
