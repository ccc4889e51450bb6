"""A serving process keeps the index writer between catch-ups (merges run in its threads), lets
it go when idle, when another process queues for it, or when it dies; while it keeps it, it
applies what other processes write, and they wait for that instead of taking the writer over."""

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opencat import index_keeper
from opencat.catalog import indexing
from opencat.catalog.context import Catalog
from opencat.db import outbox
from opencat.domain.search import SearchDocument, SearchFilters, SearchRequest
from opencat.search import index as index_module
from opencat.search.index import SearchIndex
from tests.factories import make_dataset, make_user

ROOT = Path(__file__).resolve().parents[2]

DEADLINE = 15.0


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def _document(dataset_id: str, title: str) -> SearchDocument:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    return SearchDocument(
        id=dataset_id, title=title, acronym="", description="", resource_titles="", tags=(),
        organization_name="", owner=None, organization=None, private=False, deleted=False,
        archived=False, featured=False, license=None, badges=(), organization_badges=(),
        organization_title=None, producer_types=(), formats=(), format_families=(), schemas=(),
        schema_versions=(), zones=(), own_zones=(), granularity=None, access_type="open",
        temporal_start=None, temporal_end=None, created=now, last_update=now, reuses=0,
        followers=0, views=0,
    )  # fmt: skip


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[SearchIndex]:
    index = SearchIndex(tmp_path / "search")
    index.keep_writer()
    yield index
    with index._writer_turn:  # the test's end: nothing may keep the directory's lock
        index._stop_keeping()


def _write(index: SearchIndex, *docs: SearchDocument, reach: int = 1) -> None:
    with index.writing() as batch:
        for doc in docs:
            batch.put(doc)
        batch.reach(reach)


def _titles(index: SearchIndex, text: str) -> int:
    return index.search(SearchRequest(words=(text,), filters=SearchFilters())).total


def test_the_writer_is_kept_after_a_batch_then_let_go_when_idle(
    kept: SearchIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "KEEP_IDLE_SECONDS", 0.3)
    _write(kept, _document("a" * 24, "Horaires des bus"))
    other = SearchIndex.__new__(SearchIndex)  # another holder's view of the same directory
    other.directory, other._held = tmp_path / "search", None
    assert other.held_elsewhere()
    _wait_for(lambda: not other.held_elsewhere(), "the idle writer to be let go")
    _write(kept, _document("b" * 24, "Horaires des trains"), reach=2)  # taken again
    assert _titles(kept, "horaires") == 2


CLI_WRITER = """
import sys
from pathlib import Path
from opencat.search.index import SearchIndex
from tests.search.test_index_keeper import _document
index = SearchIndex(Path(sys.argv[1]))
with index.writing() as batch:
    batch.put(_document("c" * 24, "Horaires des trams"))
    batch.reach(5)
print("written", flush=True)
"""


def test_another_process_queueing_gets_the_writer_from_a_busy_keeper(
    kept: SearchIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ``opencat reindex`` beside a server: the keeper is never idle, yet lets go."""
    monkeypatch.setattr(index_module, "KEEP_IDLE_SECONDS", 3600)
    _write(kept, _document("a" * 24, "Horaires des bus"))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CLI_WRITER, str(tmp_path / "search")],
        cwd=ROOT, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    assert b"written" in done.stdout
    assert time.monotonic() - started < 30
    assert kept.reached(5)
    _write(kept, _document("b" * 24, "Horaires des trains"), reach=6)  # and the server takes it back
    assert _titles(kept, "horaires") == 3


KEEPER = """
import sys, time
from pathlib import Path
from opencat.search import index as index_module
from opencat.search.index import SearchIndex
from tests.search.test_index_keeper import _document
index_module.KEEP_IDLE_SECONDS = 3600
index = SearchIndex(Path(sys.argv[1]))
index.keep_writer()
with index.writing() as batch:
    batch.put(_document("d" * 24, "Horaires des ferries"))
    batch.reach(1)
print("keeping", flush=True)
time.sleep(120)
"""


def test_a_keeper_killed_leaves_the_writer_free(tmp_path: Path) -> None:
    keeper = subprocess.Popen(
        [sys.executable, "-c", KEEPER, str(tmp_path / "search")], cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert keeper.stdout is not None
        assert keeper.stdout.readline().strip() == b"keeping"
        index = SearchIndex.__new__(SearchIndex)
        index.directory, index._held = tmp_path / "search", None
        assert index.held_elsewhere()
        keeper.kill()
        keeper.wait()
        after = SearchIndex(tmp_path / "search")
        _write(after, _document("e" * 24, "Horaires des cars"), reach=2)
        assert _titles(after, "horaires") == 2
    finally:
        keeper.kill()
        keeper.wait()
        if keeper.stdout is not None:
            keeper.stdout.close()


def test_a_listing_elsewhere_waits_for_the_keeper_to_apply_its_writes(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two catalogs on one data directory behave as two processes (one lock file, opened twice):
    the keeper's loop keeps the writer and the index up; a worker's listing that expects it finds
    its own write applied by it, without taking the writer over."""
    monkeypatch.setattr(index_module, "KEEP_IDLE_SECONDS", 3600)
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Horaires des bus")
    server = replace(catalog, search=SearchIndex(catalog.search.directory))
    stopping = threading.Event()
    loop = threading.Thread(target=index_keeper.keep_index, args=(server, stopping))
    loop.start()
    try:
        catalog.search.keeper_expected = True
        make_dataset(catalog, alice, title="Horaires des trains")
        taken_over: list[bool] = []
        original = catalog.search._acquire
        monkeypatch.setattr(catalog.search, "_acquire", lambda: taken_over.append(True) or original())
        indexing.sync(catalog)
        assert taken_over == []  # applied by the keeper
        assert _titles(catalog.search, "horaires") == 2
    finally:
        stopping.set()
        loop.join(timeout=DEADLINE)


def test_the_keeper_loop_applies_writes_then_lets_the_writer_go_when_stopped(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """opencat.index_keeper's loop, in a thread of this process (its process only adds the
    lifeline and SIGTERM): the index follows writes without any listing; stopped, it lets go."""
    monkeypatch.setattr(index_module, "KEEP_IDLE_SECONDS", 3600)
    alice = make_user(catalog)
    keeper_view = replace(catalog, search=SearchIndex(catalog.search.directory))
    stopping = threading.Event()
    loop = threading.Thread(target=index_keeper.keep_index, args=(keeper_view, stopping))
    loop.start()
    try:
        make_dataset(catalog, alice, title="Horaires des navettes")
        with catalog.db.read() as conn:
            head = outbox.head(conn)
        _wait_for(lambda: keeper_view.search.reached(head), "the keeper to apply the write")
        assert keeper_view.search.held_elsewhere() is False  # it holds the writer itself...
        other = SearchIndex.__new__(SearchIndex)
        other.directory, other._held = catalog.search.directory, None
        assert other.held_elsewhere()  # ...and the others see it held
    finally:
        stopping.set()
        loop.join(timeout=DEADLINE)
    assert not loop.is_alive()
    assert not other.held_elsewhere()  # stopping let the writer go
    assert catalog.search.reached(head)  # a listing here needs no catch-up of its own


def test_the_keeper_gathers_the_changes_nobody_waits_for_and_applies_at_once_what_a_listing_asks(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes no listing waits for gather until the next round (here, an hour away: never within
    the test); a listing that waits for the keeper asks, and the keeper applies at once, so the
    listing does not take the writer over."""
    monkeypatch.setattr(index_module, "KEEP_IDLE_SECONDS", 3600)
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Horaires des bus")
    keeper_view = replace(catalog, search=SearchIndex(catalog.search.directory))
    stopping = threading.Event()
    loop = threading.Thread(
        target=index_keeper.keep_index, args=(keeper_view, stopping), kwargs={"gather_seconds": 3600}
    )

    def head() -> int:
        with catalog.db.read() as conn:
            return outbox.head(conn)

    loop.start()
    try:
        first = head()
        _wait_for(lambda: catalog.search.reached(first), "the keeper's first round")
        make_dataset(catalog, alice, title="Horaires des trains")
        second = head()
        time.sleep(0.5)  # fifty of the keeper's polls
        assert not catalog.search.reached(second)  # nobody asked: gathering
        catalog.search.ask_for_changes()
        _wait_for(lambda: catalog.search.reached(second), "the keeper to apply what was asked")

        make_dataset(catalog, alice, title="Horaires des navettes")
        catalog.search.keeper_expected = True
        taken_over: list[bool] = []
        original = catalog.search._acquire
        monkeypatch.setattr(catalog.search, "_acquire", lambda: taken_over.append(True) or original())
        started = time.monotonic()
        indexing.sync(catalog)  # waits for the keeper, asking it
        assert taken_over == []  # applied by the keeper, within the listing's wait
        assert time.monotonic() - started < indexing.WAIT_FOR_HOLDER_SECONDS
        assert _titles(catalog.search, "horaires") == 3
    finally:
        stopping.set()
        loop.join(timeout=DEADLINE)


def _unmanaged(directory: Path) -> list[str]:
    """Tantivy's files its managed list does not name: nothing ever deletes them."""
    import json

    managed = set(json.loads((directory / ".managed.json").read_text()))
    return sorted(
        entry.name
        for entry in directory.iterdir()
        if len(entry.name.split(".")[0]) == 32 and entry.name not in managed
    )


def test_the_writer_handed_between_processes_leaves_no_file_behind(tmp_path: Path) -> None:
    """Each process opened its index once: a writer taken over rewrote Tantivy's list of the
    files it manages from that process's old copy, dropping the other's segments from it, so
    that they were never deleted (33 to 63 files after a few hand-overs, for good)."""
    directory = tmp_path / "search"
    first, second = SearchIndex(directory), SearchIndex(directory)  # two processes' views
    seq = 0
    for round_ in range(4):
        for index in (first, second, first):
            seq += 1
            docs = [_document(f"{seq:02d}{n:022x}", f"Round {round_} title {n}") for n in range(30)]
            _write(index, *docs, reach=seq)
    with first.writing() as batch:  # a last commit, its garbage collection knowing every file
        batch.reach(seq + 1)
    assert _unmanaged(directory) == []
    assert first.count() == 12 * 30
