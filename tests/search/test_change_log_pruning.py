"""The change log is pruned to its last entries, and an index left behind them is refilled from
the datasets' rows instead of replaying what is left (which would miss the pruned changes)."""

import threading
import time
from dataclasses import replace

import pytest
import sqlalchemy as sa

from opencat import index_keeper
from opencat.catalog import indexing
from opencat.catalog.context import CHANGE_LOG_PRUNE_INTERVAL, Catalog, Throttle
from opencat.catalog.curation import follow
from opencat.catalog.datasets import delete_dataset, list_datasets, update_dataset
from opencat.config import Settings
from opencat.db import outbox
from opencat.db.tables import search_changes
from opencat.domain.accounts import Actor
from opencat.domain.changes import DatasetChanges, Submitted
from opencat.domain.queries import DatasetQuery
from opencat.search.index import SearchIndex
from tests.factories import make_dataset, make_user


def _entries(catalog: Catalog) -> list[int]:
    with catalog.db.read() as conn:
        return [int(seq) for seq in conn.execute(sa.select(search_changes.c.seq).order_by("seq")).scalars()]


def test_pruning_keeps_the_last_entries_and_numbers_on_after_them(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = make_user(catalog)
    made = make_dataset(catalog, owner, title="Followed").dataset.id
    for _ in range(9):
        follow(catalog, owner.actor(catalog), made)
    before = _entries(catalog)
    assert len(before) >= 10
    monkeypatch.setattr(indexing, "PRUNE_BATCH", 2)  # several transactions, each of two entries
    pruned = indexing.prune_change_log(replace(catalog, change_log_keep=3))
    assert pruned == len(before) - 3
    assert _entries(catalog) == before[-3:]
    follow(catalog, owner.actor(catalog), made)
    assert _entries(catalog)[-1] > before[-1]  # never numbered again from the start
    assert indexing.prune_change_log(replace(catalog, change_log_keep=1_000)) == 0


def test_the_head_always_stays(catalog: Catalog) -> None:
    owner = make_user(catalog)
    make_dataset(catalog, owner, title="Alone")
    with catalog.db.write() as conn:
        head = outbox.head(conn)
        outbox.prune(conn, 0, 100)
    assert _entries(catalog) == [head]


def test_an_index_behind_the_pruned_log_is_refilled_from_the_datasets(catalog: Catalog) -> None:
    """A node stopped while its next entries were pruned: replaying what is left would miss the
    rename, the new dataset and the deletion."""
    owner = make_user(catalog)
    renamed = make_dataset(catalog, owner, title="Pruned before").dataset
    deleted = make_dataset(catalog, owner, title="Pruned gone").dataset.id
    other = make_dataset(catalog, owner, title="Elsewhere").dataset.id
    stopped = replace(catalog, search=SearchIndex(catalog.search.directory.parent / "stopped"))
    found = list_datasets(stopped, Actor(), DatasetQuery(q="pruned"))
    assert {view.dataset.id for view in found.items} == {renamed.id, deleted}
    # While that node is stopped:
    update_dataset(
        catalog, owner.actor(catalog), renamed.id, Submitted.of(DatasetChanges(title="Pruned after"))
    )
    added = make_dataset(catalog, owner, title="Pruned new").dataset.id
    delete_dataset(catalog, owner.actor(catalog), deleted)
    follow(catalog, owner.actor(catalog), other)  # the entry kept: another dataset's
    indexing.prune_change_log(replace(catalog, change_log_keep=1))
    assert len(_entries(catalog)) == 1
    found = list_datasets(stopped, Actor(), DatasetQuery(q="pruned"))
    assert {view.dataset.id: view.dataset.title for view in found.items} == {
        renamed.id: "Pruned after",
        added: "Pruned new",
    }
    assert list_datasets(stopped, Actor(), DatasetQuery(q="after")).total == 1  # the index's words too


def test_an_index_built_on_an_empty_log_misses_nothing_pruned_after(catalog: Catalog) -> None:
    """A node that indexed an empty catalog (its mark 0), stopped while the log grew and was pruned."""
    stopped = replace(catalog, search=SearchIndex(catalog.search.directory.parent / "empty"))
    assert list_datasets(stopped, Actor(), DatasetQuery(q="early")).total == 0
    assert stopped.search.current_seq() == 0
    owner = make_user(catalog)
    early = make_dataset(catalog, owner, title="Early one").dataset.id
    follow(catalog, owner.actor(catalog), make_dataset(catalog, owner, title="Other").dataset.id)
    indexing.prune_change_log(replace(catalog, change_log_keep=1))
    found = list_datasets(stopped, Actor(), DatasetQuery(q="early"))
    assert [view.dataset.id for view in found.items] == [early]


def test_the_index_keeper_prunes_the_log(catalog: Catalog) -> None:
    owner = make_user(catalog)
    made = make_dataset(catalog, owner, title="Kept").dataset.id
    for _ in range(5):
        follow(catalog, owner.actor(catalog), made)
    last = _entries(catalog)[-2:]
    keeper_view = replace(catalog, change_log_keep=2, change_log_prune=Throttle(CHANGE_LOG_PRUNE_INTERVAL))
    stopping = threading.Event()
    keeper = threading.Thread(target=index_keeper.keep_index, args=(keeper_view, stopping))
    keeper.start()
    try:
        deadline = time.monotonic() + 10
        while _entries(catalog) != last and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stopping.set()
        keeper.join()
    assert _entries(catalog) == last
    assert list_datasets(catalog, Actor(), DatasetQuery(q="kept")).total == 1


@pytest.mark.parametrize("kept", ["9999", "1000000001", "-1"])
def test_the_kept_entries_are_bounded(kept: str) -> None:
    with pytest.raises(ValueError, match="OPENCAT_CHANGE_LOG_KEEP must be between 10,000 and 1,000,000,000"):
        Settings.from_env({"OPENCAT_CHANGE_LOG_KEEP": kept})


def test_a_node_started_past_the_pruned_log_is_refilled_not_taken_for_a_restore(
    catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    """At its start a node checks its index against the log: its mark pruned is no restored
    database (the warning said so); the catch-up refills the index."""
    owner = make_user(catalog)
    make_dataset(catalog, owner, title="Before the stop")
    stopped = replace(catalog, search=SearchIndex(catalog.search.directory.parent / "restarted"))
    assert list_datasets(stopped, Actor(), DatasetQuery(q="stop")).total == 1
    later = make_dataset(catalog, owner, title="While stopped").dataset.id
    follow(catalog, owner.actor(catalog), later)
    indexing.prune_change_log(replace(catalog, change_log_keep=1))
    with caplog.at_level("WARNING", logger="opencat.search"):
        assert indexing.rebuilt_if_ahead(stopped) is False
        found = list_datasets(stopped, Actor(), DatasetQuery(q="stopped"))
    assert [view.dataset.id for view in found.items] == [later]
    assert "restored database" not in caplog.text
    assert "(pruned): refilling it" in caplog.text


def test_chores_asked_for_while_a_purge_runs_stay_due(catalog: Catalog) -> None:
    """A purge still running (a large store's deletions) made the next poll count the chores as
    done without running them: they waited a whole interval more."""
    fresh = replace(
        catalog,
        change_log_prune=Throttle(CHANGE_LOG_PRUNE_INTERVAL),
        upload_purge=Throttle(CHANGE_LOG_PRUNE_INTERVAL),
    )
    assert index_keeper._purging.acquire(blocking=False)
    try:
        index_keeper._purge_when_due(fresh)
    finally:
        index_keeper._purging.release()
    now = fresh.clock()
    assert fresh.change_log_prune.due(now)
    assert fresh.upload_purge.due(now)
