"""An edit saved while a harvest run writes the same dataset is never written over: a batch locks
the datasets it updates before reading them, and a fixtures load takes them in the same order
(PostgreSQL; SQLite's writers take turns)."""

import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.curation import set_featured
from opencat.catalog.harvesting import run_source
from opencat.catalog.imports import load_fixtures
from opencat.db import datasets as db_datasets
from opencat.db.engine import Connection
from opencat.domain.datasets import Dataset
from opencat.domain.harvest import Fetcher, RemoteDataset
from opencat.domain.harvest_jobs import JobStatus
from tests.factories import make_dataset, make_user
from tests.harvest.site import SiteServer
from tests.harvest.test_run import OPTIONS, harvested, source_of, use_backend

# How long the batch lets the edit go ahead before writing: an edit that is not held by the
# batch's locks commits well within it.
EDIT_HEAD_START_SECONDS = 2.0


class _Titled:
    name = "titled"
    label = "Titled"

    def __init__(self) -> None:
        self.title = "First title"

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        yield RemoteDataset("only", self.title)


def test_an_edit_saved_while_a_batch_updates_its_dataset_is_kept(
    catalog: Catalog, remote: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = _Titled()
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "titled")
    assert run_source(catalog, source_id, OPTIONS, backends={"titled": backend}).counts.created == 1
    dataset_id = harvested(catalog, source_id)["only"].id
    curator = make_user(catalog, sysadmin=True).actor(catalog)

    # Between the batch's read of the dataset and its write, a curator features it.
    fetch = db_datasets.fetch_by_ids
    edits: list[threading.Thread] = []

    def fetched_then_edited(conn: Connection, ids: Iterable[str]) -> dict[str, Dataset]:
        found = fetch(conn, ids)
        if dataset_id in found and not edits:
            edit = threading.Thread(target=set_featured, args=(catalog, curator, dataset_id, True))
            edits.append(edit)
            edit.start()
            edit.join(EDIT_HEAD_START_SECONDS)  # still waiting when the batch holds the row
        return found

    monkeypatch.setattr(db_datasets, "fetch_by_ids", fetched_then_edited)
    backend.title = "Second title"
    job = run_source(catalog, source_id, OPTIONS, backends={"titled": backend})
    for edit in edits:
        edit.join(30)

    assert edits, "the batch never read the dataset it updates"
    assert (job.status, job.counts.updated) == (JobStatus.DONE, 1)
    stored = harvested(catalog, source_id)["only"]
    assert stored.title == "Second title"
    assert stored.featured is True  # was False on PostgreSQL: the batch wrote its stale copy back


def test_a_fixtures_load_beside_a_writer_holding_its_datasets_waits_instead_of_deadlocking(
    catalog: Catalog, client: TestClient, tmp_path: Path
) -> None:
    """A harvest batch locks its datasets in id order; a fixtures load took them one by one in
    its file's order (and the change log's lock after the first): a load naming them in the other
    order deadlocked with the batch on PostgreSQL, and the harvest job failed."""
    owner = make_user(catalog)
    first, second = sorted(make_dataset(catalog, owner, title=f"Loaded {n}").dataset.id for n in range(2))
    documents = [client.get(f"/api/1/datasets/{ident}/").json() for ident in (second, first)]
    fixture = tmp_path / "fixtures.json"
    fixture.write_text(json.dumps(documents))
    batch_holds_the_first = threading.Event()
    failures: list[BaseException] = []

    def batch() -> None:  # a harvest batch's order: the first, then (a moment later) the second
        try:
            with catalog.db.write() as conn:
                db_datasets.find_by_id(conn, first)
                batch_holds_the_first.set()
                time.sleep(1.5)  # the load starts meanwhile
                db_datasets.find_by_id(conn, second)
        except BaseException as error:
            failures.append(error)

    def load() -> None:
        batch_holds_the_first.wait(10)
        try:
            load_fixtures(catalog, fixture)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=batch), threading.Thread(target=load)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
