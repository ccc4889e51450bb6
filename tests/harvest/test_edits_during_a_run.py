"""An edit saved while a harvest run writes the same dataset is never written over: a batch locks
the datasets it updates before reading them (PostgreSQL; SQLite's writers take turns)."""

import threading
from collections.abc import Iterable, Iterator, Mapping

import pytest

from opencat.catalog.context import Catalog
from opencat.catalog.curation import set_featured
from opencat.catalog.harvesting import run_source
from opencat.db import datasets as db_datasets
from opencat.db.engine import Connection
from opencat.domain.datasets import Dataset
from opencat.domain.harvest import Fetcher, RemoteDataset
from opencat.domain.harvest_jobs import JobStatus
from tests.factories import make_user
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
