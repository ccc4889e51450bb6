"""The OPENCAT_HARVEST_* settings end to end: read from an environment mapping, through the code
``opencat serve``'s scheduler and ``opencat harvest run`` use (``harvest_options``), a run does
what they say on both databases."""

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opencat.catalog.context import Catalog
from opencat.catalog.harvest_schedule import Scheduler
from opencat.catalog.harvest_settings import harvest_options
from opencat.catalog.harvest_sources import SourceFields, add_source
from opencat.cli import main
from opencat.config import Settings
from opencat.db import harvest as db_harvest
from opencat.domain.harvest_jobs import HarvestJob, JobStatus
from tests.conftest import FixedClock
from tests.factories import make_org
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Site, SiteServer
from tests.harvest.test_politeness import assert_spaced
from tests.harvest.test_run import harvested

DELAY = 0.2


def environment(tmp_path: Path, database_url: str, **harvest: str) -> dict[str, str]:
    """What an operator's environment holds: the site's own settings and the given OPENCAT_HARVEST_*."""
    return {
        "OPENCAT_DATA_DIR": str(tmp_path),
        "OPENCAT_DATABASE_URL": database_url,
        **{f"OPENCAT_HARVEST_{name.upper()}": value for name, value in harvest.items()},
    }


def add(catalog: Catalog, remote: SiteServer, **fields: object) -> str:
    org = make_org(catalog)
    values: dict[str, object] = {"name": "Remote", "url": remote.url("/"), "backend": "udata"}
    values |= {"organization": org.id, "config": {"page_size": 1}}
    return add_source(catalog, SourceFields(**(values | fields))).source.id  # type: ignore[arg-type]


def jobs(catalog: Catalog, source_id: str) -> list[HarvestJob]:
    with catalog.db.read() as conn:
        return db_harvest.jobs_of(conn, source_id, 0, 10)[0]


def test_the_schedulers_options_come_from_the_environment(
    catalog: Catalog, site: Site, remote: SiteServer, tmp_path: Path, database_url: str
) -> None:
    """As ``harvest_scheduler.run``: ``Settings.from_env``, then ``Scheduler(catalog, harvest_options(settings))``."""
    env = environment(
        tmp_path,
        database_url,
        delete_gone="true",
        allow_private="true",
        delay=str(DELAY),
        timeout="7",
        max_bytes="1000000",
        stale_after="8",
    )
    options = harvest_options(Settings.from_env(env))
    assert (options.policy.timeout, options.policy.max_bytes, options.policy.delay) == (7, 1_000_000, DELAY)
    assert (options.stale_after, options.heartbeat_every) == (timedelta(seconds=8), 2.0)
    clocked = replace(catalog, clock=FixedClock(datetime(2026, 6, 1, 3, 0, 20, tzinfo=UTC)))
    docs = real_datasets(3)
    publish_pages(site, remote.url(""), docs, page_size=1)
    source_id = add(clocked, remote, schedule="0 3 * * *")
    scheduler = Scheduler(clocked, options)

    for thread in scheduler.tick():
        thread.join(30)
    # one page a dataset, the pages spaced by OPENCAT_HARVEST_DELAY
    assert len(site.spans) == 3
    assert_spaced(site.spans, DELAY)
    publish_pages(site, remote.url(""), docs[:2], page_size=1)
    assert isinstance(clocked.clock, FixedClock)
    clocked.clock.now += timedelta(days=1)
    for thread in scheduler.tick():
        thread.join(30)

    second, first = jobs(clocked, source_id)
    assert (first.status, first.counts.created) == (JobStatus.DONE, 3)
    assert (second.status, second.counts.archived) == (JobStatus.DONE, 1)
    gone = harvested(clocked, source_id)[docs[2]["id"]]
    assert gone.deleted is not None  # OPENCAT_HARVEST_DELETE_GONE: deleted, not archived
    assert gone.archived is None


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> "RunCli":
    return RunCli(monkeypatch, capsys, tmp_path, database_url)


class RunCli:
    """``opencat harvest run SOURCE --json`` in this process, under exactly the environment given."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        database_url: str,
    ) -> None:
        self.monkeypatch, self.capsys = monkeypatch, capsys
        self.tmp_path, self.database_url = tmp_path, database_url

    def __call__(self, source_id: str, **harvest: str) -> tuple[int, dict[str, object]]:
        with self.monkeypatch.context() as patch:
            for name in [name for name in os.environ if name.startswith("OPENCAT_")]:
                patch.delenv(name)
            for name, value in environment(self.tmp_path, self.database_url, **harvest).items():
                patch.setenv(name, value)
            code = main(["harvest", "run", source_id, "--json"])
        out = self.capsys.readouterr().out
        return code, json.loads(out)


def test_opencat_harvest_run_follows_the_environment(
    catalog: Catalog, site: Site, remote: SiteServer, run_cli: RunCli
) -> None:
    docs = real_datasets(3)
    publish_pages(site, remote.url(""), docs, page_size=1)
    source_id = add(catalog, remote)

    # OPENCAT_HARVEST_ALLOW_PRIVATE unset: the loopback site is refused
    code, job = run_cli(source_id)
    assert (code, job["status"], job["created_items"]) == (1, "failed", 0)
    assert "no public address" in str(job["errors"])

    code, job = run_cli(source_id, allow_private="true", delay=str(DELAY))
    assert (code, job["status"], job["created_items"]) == (0, "done", 3)
    requests = [span for span in site.spans if "page_size=1" in span.path]
    assert_spaced(requests, DELAY)

    # a body over OPENCAT_HARVEST_MAX_BYTES, then an answer slower than OPENCAT_HARVEST_TIMEOUT
    code, job = run_cli(source_id, allow_private="true", max_bytes="100")
    assert (code, job["status"]) == (1, "failed")
    assert "over the cap of 100" in str(job["errors"])
    site.documents["/api/1/datasets/?page_size=1&sort=created"].delay = 3
    code, job = run_cli(source_id, allow_private="true", timeout="0.5")
    assert (code, job["status"]) == (1, "failed")
    site.documents["/api/1/datasets/?page_size=1&sort=created"].delay = 0

    # gone from the source: archived by default, deleted with OPENCAT_HARVEST_DELETE_GONE
    publish_pages(site, remote.url(""), docs[1:], page_size=1)
    code, job = run_cli(source_id, allow_private="true")
    assert (code, job["archived"]) == (0, 1)
    archived = harvested(catalog, source_id)[docs[0]["id"]]
    assert (archived.archived is not None, archived.deleted) == (True, None)
    publish_pages(site, remote.url(""), docs[2:], page_size=1)
    code, job = run_cli(source_id, allow_private="true", delete_gone="true")
    assert (code, job["archived"]) == (0, 1)
    assert harvested(catalog, source_id)[docs[1]["id"]].deleted is not None
    assert harvested(catalog, source_id)[docs[0]["id"]].deleted is None  # archived before, kept so
