"""A search index whose directory cannot be written: listings say so (503), readiness too, and
both recover when it can be written again; the same for a SQLite database file. Made with ``chattr +i`` (the only way to refuse root a
write): skipped where the file system or the user cannot do it."""

import contextlib
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.db.quick_reads import sqlite_file
from opencat.db.write_turns import SUFFIX as TURNS_SUFFIX
from opencat.search import index as index_module
from opencat.wiring import build_catalog
from tests.conftest import BASE_URL
from tests.factories import make_user
from tests.faults import immutable


def test_an_unwritable_index_is_a_503_and_readiness_says_so(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    assert client.get("/api/1/datasets/").status_code == 200  # the index caught up
    with immutable(catalog.search.directory):
        created = client.post(
            "/api/1/datasets/", json={"title": "Écrit", "description": "d"}, headers=owner.headers
        )
        assert created.status_code == 201  # the database took it
        listed = client.get("/api/1/datasets/")
        # It was a 500 with a traceback (the keeper's hint file, then Tantivy's commit).
        assert (listed.status_code, listed.json()) == (
            503,
            {"message": "The search index is unavailable, please retry later"},
        )
        assert client.get("/api/2/datasets/search/?q=ecrit").status_code == 503
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["search_index"]["status"] != "ok"
    listed = client.get("/api/1/datasets/")
    assert [item["title"] for item in listed.json()["data"]] == ["Écrit"]
    assert client.get("/readyz").status_code == 200


def test_a_database_file_that_cannot_be_written_is_said_by_readiness(
    client: TestClient, catalog: Catalog
) -> None:
    path = sqlite_file(catalog.db.url)
    if path is None:
        pytest.skip("PostgreSQL's files are its server's")
    owner = make_user(catalog)
    assert client.get("/readyz").status_code == 200
    wal = path.with_name(path.name + "-wal")
    assert wal.exists()  # WAL mode: a write goes there first
    with immutable(path), immutable(wal):
        refused = client.post(
            "/api/1/datasets/", json={"title": "t", "description": "d"}, headers=owner.headers
        )
        assert refused.status_code == 503
        ready = client.get("/readyz")  # it said ok: reads still answer, writes do not
        assert (ready.status_code, ready.json()["status"]) == (200, "degraded")
        assert "refuses writes" in ready.json()["checks"]["database_writes"]["error"]
        assert ready.json()["checks"]["database"] == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_an_index_directory_removed_under_the_server_is_a_503(
    client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index's folder deleted while the node serves (an operator's cleanup): the next check
    for a rebuild read it again and every listing answered 500 with Tantivy's lock error."""
    assert client.get("/api/1/datasets/").status_code == 200
    monkeypatch.setattr(index_module, "REBUILT_CHECK_SECONDS", 0.0)
    moved = catalog.search.directory.with_name("moved")
    catalog.search.directory.rename(moved)
    try:
        listed = client.get("/api/1/datasets/?q=eau")
        assert (listed.status_code, listed.json()) == (
            503,
            {"message": "The search index is unavailable, please retry later"},
        )
    finally:
        moved.rename(catalog.search.directory)
    assert client.get("/api/1/datasets/?q=eau").status_code == 200


def _worker_started_now(settings: Settings) -> Iterator[TestClient]:
    """A worker started now (granian replacing one): its own catalog, opened under the fault."""
    fresh = build_catalog(settings)
    try:
        with TestClient(create_app(settings, catalog=fresh), base_url=BASE_URL) as started:
            yield started
    finally:
        fresh.db.dispose()


def test_a_worker_started_while_the_index_cannot_be_written_serves_what_needs_no_index(
    client: TestClient, catalog: Catalog, settings: Settings
) -> None:
    """Its index opened at start: a replaced worker died at once (``PermissionError`` on the
    index's queue file), and granian stopped the whole node as crash-looping."""
    owner = make_user(catalog)
    created = client.post("/api/1/datasets/", json={"title": "Lu", "description": "d"}, headers=owner.headers)
    assert created.status_code == 201
    dataset_id = created.json()["id"]
    assert client.get("/api/1/datasets/?q=lu").status_code == 200  # the index caught up, its notes say so
    with contextlib.ExitStack() as stack:  # ``chattr -R +i``: the folder and its files
        for path in (catalog.search.directory, *catalog.search.directory.iterdir()):
            stack.enter_context(immutable(path))
        for started in _worker_started_now(settings):
            assert started.get(f"/api/1/datasets/{dataset_id}/").status_code == 200
            listed = started.get("/api/1/datasets/?q=lu")
            assert (listed.status_code, listed.json()) == (
                503,
                {"message": "The search index is unavailable, please retry later"},
            )
            # Nothing to catch up: the search itself opens the index (it was a 500).
            for path in ("/datasets/?q=lu", "/api/2/datasets/search/?q=lu", "/api/1/datasets/suggest/?q=lu"):
                assert started.get(path, headers={"Accept": "text/html"}).status_code == 503, path
            assert started.get("/readyz").status_code == 503
    for started in _worker_started_now(settings):  # the folder writable again: the index opens
        assert [item["id"] for item in started.get("/api/1/datasets/?q=lu").json()["data"]] == [dataset_id]


def test_a_turns_file_that_cannot_be_opened_is_a_503_and_readiness_says_so(
    client: TestClient, catalog: Catalog, settings: Settings
) -> None:
    """SQLite's writers take turns through a lock file beside the database: one that cannot be
    opened (a root-owned leftover, an immutable file) made every write of a worker started since
    a 500 with its traceback, and readiness said ok."""
    path = sqlite_file(catalog.db.url)
    if path is None:
        pytest.skip("PostgreSQL has no turns file")
    owner = make_user(catalog)  # the turns file exists from the first write
    turns = path.with_name(path.name + TURNS_SUFFIX)
    assert turns.exists()
    with immutable(turns):
        for started in _worker_started_now(settings):
            refused = started.post(
                "/api/1/datasets/", json={"title": "t", "description": "d"}, headers=owner.headers
            )
            assert (refused.status_code, refused.json()) == (
                503,
                {"message": "The database is unavailable, please retry later"},
            )
            assert started.get("/api/1/datasets/").status_code == 200  # reads go on
            ready = started.get("/readyz")
            assert (ready.status_code, ready.json()["status"]) == (200, "degraded")
            assert TURNS_SUFFIX in ready.json()["checks"]["database_writes"]["error"]
    for started in _worker_started_now(settings):
        created = started.post(
            "/api/1/datasets/", json={"title": "t", "description": "d"}, headers=owner.headers
        )
        assert created.status_code == 201
