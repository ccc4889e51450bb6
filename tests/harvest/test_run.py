"""Harvest runs on both databases: real data.gouv.fr answers served on loopback, read by the udata
backend and applied to the catalog."""

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from opencat.catalog import faceted_search, harvesting
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from opencat.catalog.harvest_sources import SourceFields, create_source, list_items
from opencat.catalog.harvesting import RunOptions, run_source
from opencat.db import datasets as db_datasets
from opencat.db import harvest as db_harvest
from opencat.db import resources as db_resources
from opencat.db.tables import activities, dataset_tags
from opencat.domain.accounts import ANONYMOUS
from opencat.domain.errors import Conflict
from opencat.domain.harvest import (
    Fetcher,
    HarvestSourceError,
    PagedEntry,
    PageEnd,
    RemoteDataset,
    RemoteResource,
)
from opencat.domain.harvest_jobs import ItemStatus, JobItem, JobStatus, Lease
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters
from opencat.links.harvest_fetch import HarvestPolicy
from tests.factories import make_dataset, make_org, make_user
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Document, Site, SiteServer

OPTIONS = RunOptions(policy=HarvestPolicy(timeout=5, allow_private=True), batch_size=3)


def source_of(catalog: Catalog, remote: SiteServer, **config: Any) -> str:
    admin = make_user(catalog, sysadmin=True)
    org = make_org(catalog, "Harvesters", **{admin.user.id: "admin"})
    fields = SourceFields(
        name="Remote", url=remote.url("/"), backend="udata", organization=org.id, config=config
    )
    return create_source(catalog, admin.actor(catalog), fields).source.id


def use_backend(catalog: Catalog, source_id: str, backend: str) -> None:
    """The source read by ``backend`` (a test's own, given to ``run_source``)."""
    with catalog.db.write() as conn:
        source = db_harvest.find_source(conn, source_id)
        assert source is not None
        db_harvest.update_source(conn, replace(source, backend=backend))


def items_of(catalog: Catalog, job_id: str) -> list[JobItem]:
    return [view.item for view in list_items(catalog, ANONYMOUS, job_id, 1, 1000).items]


def harvested(catalog: Catalog, source_id: str) -> dict[str, Any]:
    """remote id -> stored dataset, for the source's records."""
    with catalog.db.read() as conn:
        records = db_harvest.records_of(conn, source_id)
        found = db_datasets.fetch_by_ids(conn, [r.dataset_id for r in records.values()])
    return {remote_id: found[record.dataset_id] for remote_id, record in records.items()}


def activity_count(catalog: Catalog) -> int:
    with catalog.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(activities)).scalar_one())


def test_a_first_run_creates_every_dataset(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    docs = real_datasets(7)
    publish_pages(site, remote.url(""), docs, page_size=3)
    source_id = source_of(catalog, remote, page_size=3)

    job = run_source(catalog, source_id, OPTIONS)

    assert job.status == JobStatus.DONE
    assert (job.counts.created, job.counts.updated, job.counts.unchanged, job.counts.failed) == (7, 0, 0, 0)
    assert job.ended_at is not None
    stored = harvested(catalog, source_id)
    assert set(stored) == {doc["id"] for doc in docs}
    first = stored[docs[0]["id"]]
    with catalog.db.read() as conn:
        source = db_harvest.find_source(conn, source_id)
        resources = db_resources.fetch_for_dataset(conn, first.id)
    assert source is not None
    assert first.organization_id == source.organization_id
    assert first.owner_id is None
    assert first.title == docs[0]["title"]
    assert first.license == "fr-lo"
    assert first.harvest is not None
    assert first.harvest["backend"] == "udata"
    assert first.harvest["source_id"] == source_id
    assert first.harvest["remote_id"] == docs[0]["id"]
    assert first.harvest["domain"] == "127.0.0.1"
    assert first.harvest["remote_url"] == docs[0]["page"]
    assert first.harvest["issued_at"].startswith("2013-12-16T15:50:20")
    assert "archived" not in first.harvest
    assert [r.url for r in resources] == [r["url"] for r in docs[0]["resources"]]
    assert {r.filetype for r in resources} == {"remote"}
    assert [item.status for item in items_of(catalog, job.id)] == [ItemStatus.CREATED] * 7


def test_an_unchanged_source_is_not_rewritten(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    publish_pages(site, remote.url(""), real_datasets(5), page_size=3)
    source_id = source_of(catalog, remote, page_size=3)
    run_source(catalog, source_id, OPTIONS)
    before = harvested(catalog, source_id)
    activities = activity_count(catalog)

    job = run_source(catalog, source_id, OPTIONS)

    assert job.status == JobStatus.DONE
    assert (job.counts.created, job.counts.updated, job.counts.unchanged) == (0, 0, 5)
    after = harvested(catalog, source_id)
    assert {k: v.revision for k, v in after.items()} == {k: v.revision for k, v in before.items()}
    assert items_of(catalog, job.id) == []
    assert activity_count(catalog) == activities


def test_changed_gone_and_returning_datasets(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    docs = real_datasets(5)
    publish_pages(site, remote.url(""), docs, page_size=3)
    source_id = source_of(catalog, remote, page_size=3)
    run_source(catalog, source_id, OPTIONS)
    changed = {**docs[1], "title": "A new title", "resources": docs[1]["resources"][:1]}
    publish_pages(site, remote.url(""), [docs[0], changed, *docs[3:]], page_size=3)

    job = run_source(catalog, source_id, OPTIONS)

    assert (job.counts.updated, job.counts.unchanged, job.counts.archived) == (1, 3, 1)
    stored = harvested(catalog, source_id)
    assert stored[docs[1]["id"]].title == "A new title"
    gone = stored[docs[2]["id"]]
    assert gone.archived is not None
    assert gone.harvest is not None
    assert gone.harvest["archived"] == "not-on-remote"
    assert gone.harvest["archived_at"]
    with catalog.db.read() as conn:
        assert len(db_resources.fetch_for_dataset(conn, stored[docs[1]["id"]].id)) == 1
    statuses = sorted(item.status for item in items_of(catalog, job.id))
    assert statuses == [ItemStatus.ARCHIVED, ItemStatus.UPDATED]

    publish_pages(site, remote.url(""), docs, page_size=3)
    back = run_source(catalog, source_id, OPTIONS)

    assert (back.counts.updated, back.counts.archived) == (2, 0)
    returned = harvested(catalog, source_id)[docs[2]["id"]]
    assert returned.archived is None
    assert returned.id == gone.id
    assert returned.harvest is not None
    assert "archived" not in returned.harvest


def test_gone_datasets_are_deleted_with_the_setting(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    docs = real_datasets(3)
    publish_pages(site, remote.url(""), docs, page_size=3)
    source_id = source_of(catalog, remote, page_size=3)
    run_source(catalog, source_id, OPTIONS)
    publish_pages(site, remote.url(""), docs[:2], page_size=3)

    job = run_source(catalog, source_id, replace(OPTIONS, delete_gone=True))

    assert job.counts.archived == 1
    assert harvested(catalog, source_id)[docs[2]["id"]].deleted is not None
    assert [item.status for item in items_of(catalog, job.id)] == [ItemStatus.DELETED]


def test_a_dataset_deleted_here_is_neither_made_again_nor_restored(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    """A moderator deletes a harvested dataset; the remote edits it: a second dataset of the same
    remote id, public under a new id and slug, undid the deletion. It stays deleted (udata finds
    the deleted one by its remote id too), counted unchanged."""
    docs = real_datasets(2)
    publish_pages(site, remote.url(""), docs, page_size=3)
    source_id = source_of(catalog, remote, page_size=3)
    run_source(catalog, source_id, OPTIONS)
    deleted = harvested(catalog, source_id)[docs[1]["id"]]
    delete_dataset(catalog, make_user(catalog, sysadmin=True).actor(catalog), deleted.id)
    publish_pages(site, remote.url(""), [docs[0], {**docs[1], "title": "Edited upstream"}], page_size=3)

    job = run_source(catalog, source_id, OPTIONS)

    assert (job.counts.created, job.counts.updated, job.counts.unchanged) == (0, 0, 2)
    kept = harvested(catalog, source_id)[docs[1]["id"]]
    assert (kept.id, kept.title) == (deleted.id, deleted.title)
    assert kept.deleted is not None
    with catalog.db.read() as conn:
        assert db_datasets.count_all(conn) == 2


def test_a_source_failing_half_way_archives_nothing(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    docs = real_datasets(7)
    publish_pages(site, remote.url(""), docs, page_size=3)
    source_id = source_of(catalog, remote, page_size=3)
    run_source(catalog, source_id, OPTIONS)
    changed = [{**doc, "title": f"Changed {doc['title']}"} for doc in docs]
    publish_pages(site, remote.url(""), changed, page_size=3)
    site.documents["/api/1/datasets/?page_size=3&page=2"] = Document(b"oops", status=500)

    job = run_source(catalog, source_id, OPTIONS)

    assert job.status == JobStatus.FAILED
    assert "HTTP status 500" in job.errors[0]["message"]
    assert (job.counts.updated, job.counts.archived) == (3, 0)
    stored = harvested(catalog, source_id)
    assert sum(1 for d in stored.values() if d.title.startswith("Changed")) == 3
    assert all(d.archived is None for d in stored.values())
    with catalog.db.read() as conn:
        assert db_harvest.find_lease(conn, source_id) is None


def test_unreadable_entries_are_failed_items(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    good = real_datasets(1)[0]
    page = {"data": [good, {"id": "broken", "title": None, "junk": "x" * 3000}], "next_page": None}
    site.documents["/api/1/datasets/?page_size=100&sort=created"] = Document(json.dumps(page).encode())
    source_id = source_of(catalog, remote)

    job = run_source(catalog, source_id, OPTIONS)

    assert job.status == JobStatus.DONE_ERRORS
    assert (job.counts.created, job.counts.failed) == (1, 1)
    failed = [item for item in items_of(catalog, job.id) if item.status == ItemStatus.FAILED]
    assert failed[0].remote_id == "broken"
    assert failed[0].error == "a dataset without a title"
    assert failed[0].excerpt is not None
    assert failed[0].excerpt.startswith('{"id": "broken"')
    assert len(failed[0].excerpt) == 2000


def test_an_unchanged_dump_answers_304_and_nothing_is_read(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    publish_pages(site, remote.url(""), real_datasets(4), page_size=100)
    site.documents["/api/1/datasets/?page_size=100&sort=created"].etag = '"v1"'
    source_id = source_of(catalog, remote)
    run_source(catalog, source_id, OPTIONS)

    job = run_source(catalog, source_id, OPTIONS)

    assert site.requests[-1].if_none_match == '"v1"'
    assert job.status == JobStatus.DONE
    assert (job.counts.unchanged, job.counts.archived) == (4, 0)


def test_a_paged_source_keeps_no_validators(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    publish_pages(site, remote.url(""), real_datasets(4), page_size=3)
    site.documents["/api/1/datasets/?page_size=3&sort=created"].etag = '"v1"'
    source_id = source_of(catalog, remote, page_size=3)
    run_source(catalog, source_id, OPTIONS)
    run_source(catalog, source_id, OPTIONS)

    assert all(request.if_none_match is None for request in site.requests)


def test_a_live_lease_refuses_a_second_run(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    publish_pages(site, remote.url(""), real_datasets(2), page_size=100)
    source_id = source_of(catalog, remote)
    now = catalog.clock()
    with catalog.db.write() as conn:
        db_harvest.take_lease(conn, Lease(source_id, "f" * 24, "elsewhere", 42, now, now), now)

    with pytest.raises(Conflict) as refused:
        run_source(catalog, source_id, OPTIONS)
    assert refused.value.details == {"node": "elsewhere", "pid": 42}


def test_a_stale_lease_is_taken_over_and_its_job_failed(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    publish_pages(site, remote.url(""), real_datasets(2), page_size=100)
    source_id = source_of(catalog, remote)
    first = run_source(catalog, source_id, OPTIONS)
    # A job left "processing" by a process that stopped heartbeating two minutes ago.
    long_ago = catalog.clock() - timedelta(minutes=2)
    with catalog.db.write() as conn:
        abandoned = replace(
            first, id="a" * 24, status=JobStatus.PROCESSING, ended_at=None, created_at=long_ago
        )
        db_harvest.insert_job(conn, abandoned)
        db_harvest.take_lease(
            conn, Lease(source_id, abandoned.id, "dead-node", 7, long_ago, long_ago), long_ago
        )

    job = run_source(catalog, source_id, OPTIONS)

    assert job.status == JobStatus.DONE
    with catalog.db.read() as conn:
        ended = db_harvest.find_job(conn, abandoned.id)
    assert ended is not None
    assert ended.status == JobStatus.FAILED
    assert ended.ended_at is not None
    assert "node dead-node, pid 7" in ended.errors[-1]["message"]
    assert "stopped heartbeating" in ended.errors[-1]["message"]


def test_a_source_that_times_out_or_serves_garbage_fails(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    publish_pages(site, remote.url(""), real_datasets(2), page_size=100)
    site.documents["/api/1/datasets/?page_size=100&sort=created"].delay = 2
    source_id = source_of(catalog, remote)

    slow = run_source(
        catalog, source_id, replace(OPTIONS, policy=HarvestPolicy(timeout=0.3, allow_private=True))
    )

    assert slow.status == JobStatus.FAILED
    assert slow.errors[0]["message"].endswith("timed out")
    site.documents["/api/1/datasets/?page_size=100&sort=created"] = Document(
        b"\x00\xff garbage", "application/octet-stream"
    )
    garbage = run_source(catalog, source_id, OPTIONS)
    assert garbage.status == JobStatus.FAILED
    assert "did not answer JSON" in garbage.errors[0]["message"]
    assert (garbage.counts.created, garbage.counts.archived) == (0, 0)


def test_a_private_source_is_refused_unless_allowed(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    publish_pages(site, remote.url(""), real_datasets(2), page_size=100)
    source_id = source_of(catalog, remote)

    job = run_source(catalog, source_id, replace(OPTIONS, policy=HarvestPolicy()))

    assert job.status == JobStatus.FAILED
    assert "no public address" in job.errors[0]["message"]
    assert site.requests == []


def test_a_paging_loop_fails_the_job_and_archives_nothing(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    docs = real_datasets(6)
    publish_pages(site, remote.url(""), docs, page_size=3)
    source_id = source_of(catalog, remote, page_size=3)
    run_source(catalog, source_id, OPTIONS)
    looping = json.loads(site.documents["/api/1/datasets/?page_size=3&page=2"].body)
    looping["data"] = looping["data"][:1]  # the second page lost two datasets...
    looping["next_page"] = remote.url("/api/1/datasets/?page_size=3&page=1")  # ...and leads back
    site.documents["/api/1/datasets/?page_size=3&page=2"] = Document(json.dumps(looping).encode())

    job = run_source(catalog, source_id, OPTIONS)

    assert job.status == JobStatus.FAILED
    assert "paging loops" in job.errors[0]["message"]
    assert job.counts.archived == 0  # (the entries read twice before the loop showed are failed items)
    assert all(dataset.archived is None for dataset in harvested(catalog, source_id).values())


class _BrokenBackend:
    name = "broken"
    label = "Broken"

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        yield RemoteDataset("r1", "One")
        raise RuntimeError("a bug in the backend")


def test_a_job_ends_failed_even_when_its_backend_breaks(catalog: Catalog, remote: SiteServer) -> None:
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "broken")

    with pytest.raises(RuntimeError, match="a bug in the backend"):
        run_source(catalog, source_id, OPTIONS, backends={"broken": _BrokenBackend()})

    with catalog.db.read() as conn:
        jobs, _ = db_harvest.jobs_of(conn, source_id, 0, 10)
        assert db_harvest.find_lease(conn, source_id) is None
    assert jobs[0].status == JobStatus.FAILED
    assert jobs[0].errors[0]["message"] == "RuntimeError: a bug in the backend"
    assert jobs[0].ended_at is not None


class _UnaskableBackend:
    """A source that cannot be asked about one dataset (as DCAT's), listing what ``listed`` holds."""

    name = "listed"
    label = "Listed"

    def __init__(self) -> None:
        self.listed = ["a", "b", "c"]
        self.failing = False

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        if self.failing:
            raise HarvestSourceError("the source is down")
        for remote_id in self.listed:
            yield RemoteDataset(remote_id, f"Dataset {remote_id}")


def test_with_delete_gone_a_source_that_cannot_be_asked_deletes_what_two_runs_missed(
    catalog: Catalog, remote: SiteServer
) -> None:
    """A DCAT catalog paged by offset misses a dataset still there when another is deleted while
    its pages are read, and cannot be asked about one: with delete_gone, that dataset was deleted
    for good on one miss. Missed once, it is archived (unarchived if listed again); missed by the
    next run too, deleted."""
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "listed")
    backend = _UnaskableBackend()
    gone = replace(OPTIONS, delete_gone=True)

    def run(options: RunOptions = gone) -> Any:
        return run_source(catalog, source_id, options, backends={"listed": backend})

    assert run().counts.created == 3
    backend.listed = ["a", "c"]  # "b" skipped by a shifted page
    missed = run()
    assert (missed.counts.archived, [item.status for item in items_of(catalog, missed.id)]) == (
        1,
        [ItemStatus.ARCHIVED],
    )
    assert (
        harvested(catalog, source_id)["b"].archived is not None,
        harvested(catalog, source_id)["b"].deleted,
    ) == (
        True,
        None,
    )
    backend.listed = ["a", "b", "c"]  # listed again: back
    back = run()
    assert (back.counts.updated, back.counts.archived) == (1, 0)
    assert harvested(catalog, source_id)["b"].archived is None

    backend.listed = ["a", "c"]
    assert run().counts.archived == 1  # archived again
    twice = run()  # missed by the next run too: gone for good
    assert [(item.remote_id, item.status) for item in items_of(catalog, twice.id)] == [
        ("b", ItemStatus.DELETED)
    ]
    assert harvested(catalog, source_id)["b"].deleted is not None
    assert run().counts.archived == 0  # deleted stays deleted, counted once

    # Archived by a run without the setting, then runs that read nothing whole between (the
    # source failing): the next whole read that misses it with the setting deletes it.
    backend.listed = ["a"]
    assert run(OPTIONS).counts.archived == 1  # "c" archived, delete_gone unset
    backend.failing = True
    assert run().status == JobStatus.FAILED
    backend.failing = False
    later = run()
    assert [(item.remote_id, item.status) for item in items_of(catalog, later.id)] == [
        ("c", ItemStatus.DELETED)
    ]
    assert harvested(catalog, source_id)["c"].deleted is not None


class _HostileBackend:
    name = "hostile"
    label = "Hostile"

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        deep: dict[str, object] = {}
        node = deep
        for _ in range(70):
            node["x"] = {}
            node = node["x"]  # type: ignore[assignment]
        yield RemoteDataset("nul", "A NUL", description="before\x00after")
        yield RemoteDataset("deep", "Too deep", extras={"deep": deep})
        yield RemoteDataset("fine", "Fine")


def test_entries_that_cannot_be_stored_are_failed_items(catalog: Catalog, remote: SiteServer) -> None:
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "hostile")

    job = run_source(catalog, source_id, OPTIONS, backends={"hostile": _HostileBackend()})

    assert job.status == JobStatus.DONE_ERRORS
    assert (job.counts.created, job.counts.failed) == (1, 2)
    failed = {item.remote_id: item for item in items_of(catalog, job.id) if item.status == ItemStatus.FAILED}
    assert set(failed) == {"nul", "deep"}
    assert failed["nul"].error is not None
    assert failed["nul"].error.startswith("cannot be stored")
    assert "before\\u0000after" in (failed["nul"].excerpt or "")
    assert set(harvested(catalog, source_id)) == {"fine"}


class _SameTitlesBackend:
    name = "titles"
    label = "Titles"

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        yield RemoteDataset("a", "Same title")
        yield RemoteDataset("b", "Same title")
        yield RemoteDataset("c", "Other title")
        yield RemoteDataset("d", "Other title")


def test_slugs_stay_unique_within_a_batch_and_against_the_catalog(
    catalog: Catalog, remote: SiteServer
) -> None:
    make_dataset(catalog, make_user(catalog), title="Same title")
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "titles")

    job = run_source(catalog, source_id, OPTIONS, backends={"titles": _SameTitlesBackend()})

    assert (job.status, job.counts.created) == (JobStatus.DONE, 4)
    slugs = {remote_id: dataset.slug for remote_id, dataset in harvested(catalog, source_id).items()}
    assert slugs == {"a": "same-title-1", "b": "same-title-2", "c": "other-title", "d": "other-title-1"}


def test_a_source_without_autoarchive_keeps_what_it_no_longer_lists(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    docs = real_datasets(3)
    publish_pages(site, remote.url(""), docs, page_size=100)
    source_id = source_of(catalog, remote)
    with catalog.db.write() as conn:
        source = db_harvest.find_source(conn, source_id)
        assert source is not None
        db_harvest.update_source(conn, replace(source, autoarchive=False))
    run_source(catalog, source_id, OPTIONS)
    publish_pages(site, remote.url(""), docs[:1], page_size=100)

    job = run_source(catalog, source_id, replace(OPTIONS, delete_gone=True))

    assert (job.counts.unchanged, job.counts.archived) == (1, 0)
    stored = harvested(catalog, source_id)
    assert all(d.archived is None and d.deleted is None for d in stored.values())


class _ManySameTitlesBackend:
    name = "many"
    label = "Many"

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        for number in range(60):
            yield RemoteDataset(f"r{number}", "Budget")


def test_past_the_first_forms_every_taken_slug_is_read(catalog: Catalog, remote: SiteServer) -> None:
    account = make_user(catalog)
    for _ in range(3):
        make_dataset(catalog, account, title="Budget")  # budget, budget-1, budget-2
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "many")

    job = run_source(
        catalog, source_id, replace(OPTIONS, batch_size=7), backends={"many": _ManySameTitlesBackend()}
    )

    assert (job.status, job.counts.created) == (JobStatus.DONE, 60)
    slugs = sorted(dataset.slug for dataset in harvested(catalog, source_id).values())
    assert slugs == sorted(f"budget-{n}" for n in range(3, 63))


class _RepeatingBackend:
    """Lists ``r1`` again after four other entries: in a later batch than its first listing."""

    name = "repeating"
    label = "Repeating"

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        for number in range(5):
            yield RemoteDataset(f"r{number}", f"Entry {number}")
        yield RemoteDataset("r1", "Entry 1, listed again")


def test_a_remote_id_listed_again_in_a_later_batch_is_a_failed_item(
    catalog: Catalog, remote: SiteServer
) -> None:
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "repeating")

    job = run_source(catalog, source_id, OPTIONS, backends={"repeating": _RepeatingBackend()})

    assert (job.status, job.counts.created, job.counts.failed) == (JobStatus.DONE_ERRORS, 5, 1)
    failed = [item for item in items_of(catalog, job.id) if item.status == ItemStatus.FAILED]
    assert [(item.remote_id, item.error) for item in failed] == [
        ("r1", "the source lists this remote id more than once; the first entry was kept")
    ]
    assert harvested(catalog, source_id)["r1"].title == "Entry 1"


class _ListedBackend:
    """Lists whatever the test puts in ``entries``."""

    name = "listed"
    label = "Listed"

    def __init__(self) -> None:
        self.entries: list[RemoteDataset] = []

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        yield from self.entries


def test_only_udatas_checksum_types_are_kept_so_a_client_can_write_back_what_it_read(
    client: Any, catalog: Catalog, remote: SiteServer
) -> None:
    """A catalog's sha512 digest was stored, and the resource read then written back through the
    API (as datagouv-client does) was refused: udata's types are sha1, sha2, sha256, md5, crc."""
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "listed")
    listed = _ListedBackend()
    digests = {"sha512": "d" * 128, "sha2": "a" * 64, "crc": "1a2b3c4d", "sha1": "b" * 40}
    listed.entries = [
        RemoteDataset(
            "sums",
            "Sums",
            resources=tuple(
                RemoteResource(f"https://remote.test/{kind}.csv", kind, checksum=(kind, value))
                for kind, value in digests.items()
            ),
        )
    ]
    run_source(catalog, source_id, OPTIONS, backends={"listed": listed})
    dataset = harvested(catalog, source_id)["sums"]
    with catalog.db.read() as conn:
        stored = {r.title: r.checksum for r in db_resources.fetch_for_dataset(conn, dataset.id)}
    assert stored["sha512"] is None
    assert {title: (c.type if c else None) for title, c in stored.items()} == {
        "sha512": None,
        "sha2": "sha2",
        "crc": "crc",
        "sha1": "sha1",
    }
    owner = make_user(catalog, sysadmin=True)
    read = client.get(f"/api/1/datasets/{dataset.id}/").json()
    for resource in read["resources"]:
        url = f"/api/1/datasets/{dataset.id}/resources/{resource['id']}/"
        written = client.put(url, json=resource, headers=owner.headers)
        assert written.status_code == 200, written.text


def test_a_changed_resource_is_updated_in_place_and_an_unchanged_one_kept_as_it_was(
    catalog: Catalog, remote: SiteServer
) -> None:
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "listed")
    listed = _ListedBackend()
    data = RemoteResource("https://remote.test/data.csv", "Data", format="csv")
    notes = RemoteResource("https://remote.test/notes.pdf", "Notes", format="pdf")
    listed.entries = [RemoteDataset("r1", "Budget", tags=("budget",), resources=(data, notes))]
    run_source(catalog, source_id, OPTIONS, backends={"listed": listed})
    dataset = harvested(catalog, source_id)["r1"]
    with catalog.db.read() as conn:
        first = db_resources.fetch_for_dataset(conn, dataset.id)
    assert _found(catalog, "budget", "budget") == [dataset.id]  # indexed as the first run left it

    changed = replace(data, title="Data 2026", format="xlsx")
    listed.entries = [RemoteDataset("r1", "Budget 2026", tags=("budget", "vote"), resources=(changed, notes))]
    job = run_source(catalog, source_id, OPTIONS, backends={"listed": listed})

    assert job.counts.updated == 1
    with catalog.db.read() as conn:
        second = db_resources.fetch_for_dataset(conn, dataset.id)
    assert [r.id for r in second] == [r.id for r in first]  # matched by URL: the same resources
    assert (second[0].title, second[0].format) == ("Data 2026", "xlsx")
    assert second[0].last_modified_internal > first[0].last_modified_internal
    assert second[1] == first[1]  # unchanged: stored as it was, its dates too
    assert harvested(catalog, source_id)["r1"].title == "Budget 2026"
    assert _found(catalog, "2026", "vote") == [dataset.id]  # search follows the update
    with catalog.db.read() as conn:
        query = sa.select(dataset_tags.c.tag).where(dataset_tags.c.dataset_id == dataset.id)
        assert set(conn.execute(query).scalars()) == {"budget", "vote"}


def _found(catalog: Catalog, words: str, tag: str) -> list[str]:
    query = DatasetQuery(q=words, filters=SearchFilters(tags=(tag,)))
    return [view.dataset.id for view in faceted_search.search(catalog, query).page.items]


def test_an_update_whose_new_slug_was_taken_meanwhile_is_a_failed_item_and_the_batch_goes_on(
    catalog: Catalog, remote: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slug taken between the run's lookup and its write (another writer's) refuses that update
    alone: the run's savepoint rolls it back, on PostgreSQL too, and the batch's others are kept."""
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "listed")
    listed = _ListedBackend()
    listed.entries = [RemoteDataset("r1", "Budget"), RemoteDataset("r2", "Comptes")]
    run_source(catalog, source_id, OPTIONS, backends={"listed": listed})
    taken = make_dataset(catalog, make_user(catalog), title="Taken meanwhile").dataset.slug
    listed.entries = [RemoteDataset("r1", "Budget 2026"), RemoteDataset("r2", "Comptes 2026")]
    real_slug = harvesting._Writer._slug

    def racing(writer: Any, title: str, current: str | None = None) -> str:
        return taken if title == "Budget 2026" else real_slug(writer, title, current)

    monkeypatch.setattr(harvesting._Writer, "_slug", racing)

    job = run_source(catalog, source_id, OPTIONS, backends={"listed": listed})

    assert (job.status, job.counts.updated, job.counts.failed) == (JobStatus.DONE_ERRORS, 1, 1)
    failed = [item for item in items_of(catalog, job.id) if item.status == ItemStatus.FAILED]
    assert [item.remote_id for item in failed] == ["r1"]
    assert "refused by the catalog" in (failed[0].error or "")
    stored = harvested(catalog, source_id)
    assert (stored["r1"].title, stored["r2"].title) == ("Budget", "Comptes 2026")


class _OversizedBackend:
    name = "oversized"
    label = "Oversized"

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        yield RemoteDataset("keywords", "Keywords", tags=("transport", "k" * 300, "ab", "x" * 96))
        yield RemoteDataset("title", "T" * 351)
        yield RemoteDataset("text", "Text", description="d" * 100_001)
        yield RemoteDataset("link", "Link", resources=(RemoteResource("https://x/a", title="r" * 351),))
        yield RemoteDataset("i" * 513, "Identifier")
        yield RemoteDataset("fine", "F" * 350)


def test_entries_past_the_apis_bounds_are_failed_items_and_bad_keywords_dropped(
    catalog: Catalog, remote: SiteServer
) -> None:
    """The same rules as the API's: PostgreSQL refused a 300-character keyword in the bulk insert,
    which failed the whole batch; SQLite stored a 5 MB title."""
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "oversized")

    job = run_source(catalog, source_id, OPTIONS, backends={"oversized": _OversizedBackend()})

    assert job.status == JobStatus.DONE_ERRORS
    assert (job.counts.created, job.counts.failed) == (2, 4)
    failed = {
        item.remote_id: item.error for item in items_of(catalog, job.id) if item.status == ItemStatus.FAILED
    }
    assert failed == {
        "title": "cannot be stored: its title is longer than 350 characters",
        "text": "cannot be stored: its description is longer than 100,000 characters",
        "link": "cannot be stored: resource 1's title is longer than 350 characters",
        "i" * 513: "cannot be stored: its identifier is longer than 512 characters",
    }
    stored = harvested(catalog, source_id)
    assert stored["keywords"].tags == ("transport", "x" * 96)
    assert stored["fine"].title == "F" * 350


class _EndlessBackend:
    """A source whose pages never end, each entry new (a broken pagination)."""

    name = "endless"
    label = "Endless"

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        number = 0
        while True:
            yield RemoteDataset(f"r{number}", f"Entry {number}")
            number += 1


def test_a_run_reads_no_more_than_max_items_and_archives_nothing_then(
    catalog: Catalog, remote: SiteServer
) -> None:
    """udata's HARVEST_MAX_ITEMS: a source that never ends stops at the limit; what was not read
    is not known to be gone, so nothing is archived."""
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "listed")
    listed = _ListedBackend()
    listed.entries = [RemoteDataset(f"r{number}", f"Entry {number}") for number in range(10)]
    assert run_source(catalog, source_id, OPTIONS, backends={"listed": listed}).counts.created == 10
    use_backend(catalog, source_id, "endless")

    job = run_source(
        catalog, source_id, replace(OPTIONS, max_items=7), backends={"endless": _EndlessBackend()}
    )

    assert job.status == JobStatus.DONE_ERRORS
    assert (job.counts.updated + job.counts.unchanged, job.counts.created, job.counts.archived) == (7, 0, 0)
    assert [error["message"] for error in job.errors] == [
        "stopped after 7 entries: OPENCAT_HARVEST_MAX_ITEMS"
    ]
    assert all(dataset.archived is None for dataset in harvested(catalog, source_id).values())


class _PagedEndlessBackend:
    """Pages of two entries that never end, each page closed as the DCAT backend closes it."""

    name = "paged"
    label = "Paged"

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[PagedEntry]:
        number = 0
        while True:
            for _ in range(2):
                yield RemoteDataset(f"p{number}", f"Entry {number}")
                number += 1
            yield PageEnd(f"digest-{number}", f"{url}?page={number // 2 + 1}")


def test_a_pages_end_is_no_entry_of_max_items(catalog: Catalog, remote: SiteServer) -> None:
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "paged")

    job = run_source(
        catalog, source_id, replace(OPTIONS, max_items=7), backends={"paged": _PagedEndlessBackend()}
    )

    assert (job.status, job.counts.created) == (JobStatus.DONE_ERRORS, 7)
    assert [error["message"] for error in job.errors] == [
        "stopped after 7 entries: OPENCAT_HARVEST_MAX_ITEMS"
    ]


def test_a_reversed_period_is_swapped_and_dated_zones_are_the_referentials(
    catalog: Catalog, remote: SiteServer
) -> None:
    """As the API's writes: start after end are swapped; ``country:fr@1970-01-09`` (data.gouv.fr
    writes zones with their validity) names ``country:fr``, ``fr:collectivite:987@…``
    ``fr:departement:987``; a zone unknown is dropped."""
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "listed")
    listed = _ListedBackend()
    listed.entries = [
        RemoteDataset(
            "r1",
            "Budget",
            temporal_start=date(2020, 1, 1),
            temporal_end=date(2010, 1, 1),
            zones=("country:fr@1970-01-09", "nowhere:at-all", "fr:collectivite:987@2004-02-27"),
        )
    ]
    job = run_source(catalog, source_id, OPTIONS, backends={"listed": listed})
    assert job.counts.created == 1
    stored = harvested(catalog, source_id)["r1"]
    assert stored.temporal_coverage is not None
    assert (stored.temporal_coverage.start, stored.temporal_coverage.end) == (
        date(2010, 1, 1),
        date(2020, 1, 1),
    )
    assert stored.spatial is not None
    # An overseas collectivity of udata's older referential is the zone data.gouv.fr files it under now.
    assert stored.spatial.zones == ("country:fr", "fr:departement:987")


def test_a_dataset_the_listing_missed_is_archived_only_once_the_source_says_it_is_gone(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    """A listing paged by offset misses a dataset when one before it is deleted while the pages
    are read: it archived (or, with the setting, deleted for good) a dataset still on the remote."""
    docs = real_datasets(5)
    publish_pages(site, remote.url(""), docs, page_size=3)
    source_id = source_of(catalog, remote, page_size=3)
    run_source(catalog, source_id, OPTIONS)
    missed = docs[2]
    publish_pages(site, remote.url(""), [*docs[:2], *docs[3:]], page_size=3)
    site.documents[f"/api/1/datasets/{missed['id']}/"] = Document(json.dumps(missed).encode())

    kept = run_source(catalog, source_id, replace(OPTIONS, delete_gone=True))

    assert (kept.status, kept.counts.unchanged, kept.counts.archived) == (JobStatus.DONE, 5, 0)
    stored = harvested(catalog, source_id)[missed["id"]]
    assert (stored.archived, stored.deleted) == (None, None)

    site.documents[f"/api/1/datasets/{missed['id']}/"] = Document(b"oops", status=500)
    unsure = run_source(catalog, source_id, OPTIONS)
    assert (unsure.status, unsure.counts.archived) == (JobStatus.DONE_ERRORS, 0)
    assert "could not say whether" in unsure.errors[0]["message"]

    del site.documents[f"/api/1/datasets/{missed['id']}/"]  # now the site answers 404
    gone = run_source(catalog, source_id, OPTIONS)
    assert (gone.status, gone.counts.unchanged, gone.counts.archived) == (JobStatus.DONE, 4, 1)
    assert harvested(catalog, source_id)[missed["id"]].archived is not None


def test_an_empty_listing_archives_nothing(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    """A CKAN rebuilding its search index answers a valid listing of nothing: every dataset of the
    source was archived (deleted with the setting)."""
    docs = real_datasets(3)
    publish_pages(site, remote.url(""), docs, page_size=100)
    source_id = source_of(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    publish_pages(site, remote.url(""), [], page_size=100)

    job = run_source(catalog, source_id, replace(OPTIONS, delete_gone=True))

    assert (job.status, job.counts.archived) == (JobStatus.FAILED, 0)
    assert "listed no dataset" in job.errors[0]["message"]
    assert all(d.archived is None and d.deleted is None for d in harvested(catalog, source_id).values())

    empty_source = source_of(catalog, remote)  # a source with nothing here: an empty catalog is one
    assert run_source(catalog, empty_source, OPTIONS).status == JobStatus.DONE


def test_the_entries_read_before_the_source_fails_are_applied(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    """The unfinished batch was thrown away: a source under one batch whose last page is broken
    was never updated at all."""
    docs = real_datasets(5)
    publish_pages(site, remote.url(""), docs, page_size=3)
    source_id = source_of(catalog, remote, page_size=3)
    options = replace(OPTIONS, batch_size=500)
    run_source(catalog, source_id, options)
    publish_pages(
        site, remote.url(""), [{**docs[0], "title": "Edited at the source"}, *docs[1:]], page_size=3
    )
    site.documents["/api/1/datasets/?page_size=3&page=2"] = Document(b"oops", status=500)

    job = run_source(catalog, source_id, options)

    assert (job.status, job.counts.updated, job.counts.archived) == (JobStatus.FAILED, 1, 0)
    assert harvested(catalog, source_id)[docs[0]["id"]].title == "Edited at the source"


def test_a_source_given_to_another_organization_is_read_again_despite_its_validators(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    """Its 304 skipped the mapping the docs promise: the datasets stayed in the old organization."""
    publish_pages(site, remote.url(""), real_datasets(3), page_size=100)
    site.documents["/api/1/datasets/?page_size=100&sort=created"].etag = '"v1"'
    source_id = source_of(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    assert run_source(catalog, source_id, OPTIONS).counts.unchanged == 3  # the 304
    other = make_org(catalog, "Another organization")
    with catalog.db.write() as conn:
        source = db_harvest.find_source(conn, source_id)
        assert source is not None
        db_harvest.update_source(conn, replace(source, organization_id=other.id))

    job = run_source(catalog, source_id, OPTIONS)

    assert site.requests[-1].if_none_match is None
    assert job.counts.updated == 3
    assert {d.organization_id for d in harvested(catalog, source_id).values()} == {other.id}


def test_a_datasets_and_its_resources_schemas_are_harvested(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    doc = real_datasets(1)[0]
    irve = {"name": "etalab/schema-irve-statique", "version": "2.3.0"}
    resources = [{**doc["resources"][0], "schema": irve}, *doc["resources"][1:]]
    publish_pages(site, remote.url(""), [{**doc, "schema": irve, "resources": resources}], page_size=100)
    source_id = source_of(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    dataset = harvested(catalog, source_id)[doc["id"]]
    assert dataset.schema == irve
    with catalog.db.read() as conn:
        assert db_resources.fetch_for_dataset(conn, dataset.id)[0].schema == irve


def test_a_resource_keeps_its_id_when_its_file_moves(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    """A new upload at data.gouv.fr changes a resource's URL, not its permalink: the id (and the
    ``/datasets/r/{id}`` links people keep) changed with each."""
    docs = real_datasets(1)
    publish_pages(site, remote.url(""), docs, page_size=100)
    source_id = source_of(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    dataset = harvested(catalog, source_id)[docs[0]["id"]]
    with catalog.db.read() as conn:
        before = [r.id for r in db_resources.fetch_for_dataset(conn, dataset.id)]
    moved = [{**r, "url": r["url"] + "?v=2"} for r in docs[0]["resources"]]
    publish_pages(site, remote.url(""), [{**docs[0], "resources": moved}], page_size=100)

    run_source(catalog, source_id, OPTIONS)

    with catalog.db.read() as conn:
        after = db_resources.fetch_for_dataset(conn, dataset.id)
    assert [r.id for r in after] == before
    assert [r.url for r in after] == [r["url"] for r in moved]


def test_a_deleted_sources_running_job_stops(catalog: Catalog) -> None:
    """A source deleted while its job read pages that never end went on being fetched (and its
    job stayed "processing"): the next heartbeat ends the lease, and no request follows it."""
    import json as json_module
    from urllib.parse import parse_qs, urlsplit

    from opencat.catalog.harvest_sources import delete_source
    from opencat.catalog.harvesting import run_in_background
    from tests.harvest.backends.conftest import CatalogServer, Reply

    remote = CatalogServer()
    try:

        def endless(path: str) -> Reply:
            page = int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])
            entries = [{"id": f"p{page}-{n}", "title": f"Jeu {page}-{n}"} for n in range(2)]
            following = remote.url(f"/api/1/datasets/?page={page + 1}")
            body = json_module.dumps({"data": entries, "next_page": following}).encode()
            return Reply(body, "application/json", delay=0.05)

        remote.routes["/api/1/datasets/"] = endless
        admin = make_user(catalog, sysadmin=True)
        org = make_org(catalog, "Harvesters", **{admin.user.id: "admin"})
        fields = SourceFields(name="Endless", url=remote.url("/"), backend="udata", organization=org.id)
        source_id = create_source(catalog, admin.actor(catalog), fields).source.id
        options = replace(OPTIONS, heartbeat_every=0.1, batch_size=1000)
        job = run_in_background(catalog, source_id, options)
        time.sleep(0.5)
        delete_source(catalog, admin.actor(catalog), source_id)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with catalog.db.read() as conn:
                current = db_harvest.find_job(conn, job.id)
            assert current is not None
            if current.status != JobStatus.PROCESSING and current.status != JobStatus.INITIALIZING:
                break
            time.sleep(0.05)
        assert current.status == JobStatus.FAILED
        asked = len(remote.requests)
        time.sleep(0.3)
        assert len(remote.requests) == asked  # nothing fetched after it ended
    finally:
        remote.close()
