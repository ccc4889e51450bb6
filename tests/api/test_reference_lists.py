"""Resource types and the schema catalog (udata: udata/core/dataset/api.py, reference lists)."""

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog import schemas
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.db.engine import Database
from opencat.domain.errors import Unavailable
from opencat.wiring import build_catalog
from tests.conftest import BASE_URL
from tests.factories import make_dataset, make_user
from tests.local_http import serving

CATALOG = {
    "schemas": [
        {"name": "me/table", "title": "T", "schema_type": "tableschema", "schema_url": "https://s.example.org/t/latest.json",
         "versions": [{"version_name": "1.0.0", "schema_url": "https://s.example.org/t/1.0.0.json"}], "labels": ["x"]},
        {"name": "me/package", "title": "P", "schema_type": "datapackage", "versions": []},
    ]
}  # fmt: skip


class _Catalog(BaseHTTPRequestHandler):
    status: ClassVar[int] = 200
    body: ClassVar[bytes | None] = None  # another answer than CATALOG's
    drip: ClassVar[bool] = False  # a byte every 0.2 s, for ever (until the client leaves)

    def do_GET(self) -> None:
        body = self.body if self.body is not None else json.dumps(CATALOG).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if self.drip:
            with contextlib.suppress(OSError):
                for _ in range(300):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            return
        if self.status == 200:
            self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def _with_catalog(settings: Settings, url: str) -> Settings:
    """The test's settings, with the schema catalog at ``url``."""
    return Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        base_url=BASE_URL,
        schema_catalog_url=url,
    )


@pytest.fixture
def remote() -> Iterator[str]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Catalog)) as server:
        yield f"http://127.0.0.1:{server.server_port}/schemas.json"


def test_resource_types(client: TestClient) -> None:
    english = client.get("/api/1/datasets/resource_types/").json()
    assert [item["id"] for item in english] == ["main", "documentation", "update", "api", "code", "other"]
    assert english[0] == {"id": "main", "label": "Main file"}
    assert client.get("/api/1/datasets/resource_types/?lang=fr").json()[0] == {
        "id": "main",
        "label": "Fichier principal",
    }


def test_bundled_schemas_exclude_data_packages(client: TestClient) -> None:
    schemas = client.get("/api/1/datasets/schemas/").json()
    assert len(schemas) == 86  # 95 in the snapshot, 9 of them data packages
    assert {item["schema_type"] for item in schemas} == {"tableschema", "jsonschema", "other"}
    assert set(schemas[0]) == {
        "name", "title", "description", "schema_url", "schema_type", "contact", "examples", "labels",
        "consolidation_dataset_id", "versions", "external_doc", "external_tool", "homepage",
        "datapackage_title", "datapackage_name", "datapackage_description",
    }  # fmt: skip


def test_configured_catalog_is_cached_and_survives_an_outage(
    db: Database, settings: Settings, remote: str
) -> None:
    configured = _with_catalog(settings, remote)
    catalog = build_catalog(configured, database=db)
    with TestClient(create_app(configured, catalog=catalog), base_url=BASE_URL) as client:
        listed = client.get("/api/1/datasets/schemas/").json()
        assert [item["name"] for item in listed] == ["me/table"]
        # A list the catalog leaves out is null, as flask-restx renders a missing List.
        assert (listed[0]["labels"], listed[0]["examples"]) == (["x"], None)
        _Catalog.status = 503
        catalog.schemas.ttl = 0  # expire the in-memory copy: the next read goes to the (failing) catalog
        try:
            assert [item["name"] for item in client.get("/api/1/datasets/schemas/").json()] == ["me/table"]
        finally:
            _Catalog.status = 200
        # the configured catalog also drives resource schema checks
        owner = make_user(catalog)
        dataset = make_dataset(catalog, owner).dataset
        body = {
            "title": "r",
            "url": "https://example.org/r",
            "filetype": "remote",
            "schema": {"url": "https://s.example.org/t/1.0.0.json"},
        }
        created = client.post(
            f"/api/1/datasets/{dataset.id}/resources/", json=body, headers=owner.headers
        ).json()
        assert created["schema"] == {"name": "me/table", "url": None, "version": "1.0.0"}


def test_missing_catalog_is_404(db: Database, settings: Settings, remote: str) -> None:
    configured = _with_catalog(settings, remote)
    _Catalog.status = 404
    try:
        with TestClient(create_app(configured, database=db), base_url=BASE_URL) as client:
            assert client.get("/api/1/datasets/schemas/").status_code == 404
    finally:
        _Catalog.status = 200


def test_a_configured_catalog_down_with_no_copy_is_a_503(
    db: Database, settings: Settings, remote: str
) -> None:
    """udata's ``SchemasCacheUnavailableException``: never the bundled catalog in its place, which
    would check resources against schemas this portal does not list."""
    configured = _with_catalog(settings, remote)
    catalog = build_catalog(configured, database=db)
    _Catalog.status = 503
    try:
        with TestClient(create_app(configured, catalog=catalog), base_url=BASE_URL) as client:
            listed = client.get("/api/1/datasets/schemas/")
            assert (listed.status_code, listed.json()) == (
                503,
                {"message": "No schemas in cache and endpoint unavailable"},
            )
            owner = make_user(catalog)
            dataset = make_dataset(catalog, owner).dataset
            url = f"/api/1/datasets/{dataset.id}/resources/"
            body = {"title": "r", "url": "https://example.org/r", "filetype": "remote"}
            with_schema = client.post(
                url, json={**body, "schema": {"name": "etalab/schema-irve-statique"}}, headers=owner.headers
            )
            assert with_schema.status_code == 503
            assert client.post(url, json=body, headers=owner.headers).status_code == 201
            # A schema of neither name nor URL needs no catalog (udata's Schema.clean returns first).
            for empty in (None, {}, {"name": None, "url": None}):
                answer = client.post(url, json={**body, "schema": empty}, headers=owner.headers)
                assert answer.status_code == 201, (empty, answer.text)
    finally:
        _Catalog.status = 200


def test_a_catalog_that_never_answers_holds_one_request_not_all(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One thread asks the catalog at a time and the others are answered meanwhile; a failure is
    remembered a few seconds (each request waited for the timeout in turn behind a lock: 12 at
    once took a minute, and held every handler of the worker)."""
    monkeypatch.setattr(schemas, "FETCH_TIMEOUT", 1.0)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts, never answers
    try:
        configured = _with_catalog(settings, f"http://127.0.0.1:{silent.getsockname()[1]}/schemas.json")
        catalog = build_catalog(configured, database=db)
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            failures = list(pool.map(lambda _: _unavailable(catalog), range(8)))
        assert failures == [True] * 8
        assert time.monotonic() - started < 5  # one timeout (1 s), not eight in turn (8 s)
        started = time.monotonic()
        assert _unavailable(catalog)
        assert time.monotonic() - started < 0.9  # the failure is remembered (no new 1 s timeout)
    finally:
        silent.close()


def _unavailable(catalog: Catalog) -> bool:
    try:
        schemas.list_schemas(catalog.schemas)
    except Unavailable:
        return True
    return False


def test_a_hostile_catalog_answer_is_never_a_500(
    db: Database, settings: Settings, remote: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nested past what Python reads, entries of the wrong types, an answer that never ends: the
    last good copy is served, unreadable entries are left out, the wait is bounded (each was a
    500 on every call, or a request held for hours)."""
    configured = _with_catalog(settings, remote)
    catalog = build_catalog(configured, database=db)
    monkeypatch.setattr(schemas, "FETCH_TIMEOUT", 1.0)
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    resource = {
        "title": "r",
        "url": "https://example.org/r",
        "filetype": "remote",
        "schema": {"name": "me/table"},
    }
    with TestClient(create_app(configured, catalog=catalog), base_url=BASE_URL) as client:
        assert client.get("/api/1/datasets/schemas/").status_code == 200  # a good copy is kept
        try:
            _Catalog.body = b'{"schemas": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
            catalog.schemas.ttl = 0
            deep = client.get("/api/1/datasets/schemas/")
            assert (deep.status_code, [item["name"] for item in deep.json()]) == (200, ["me/table"])
            _Catalog.body = json.dumps(
                {
                    "schemas": [
                        {"name": 5, "versions": [None]},
                        {"name": "x", "versions": [None]},
                        *CATALOG["schemas"],
                    ]
                }
            ).encode()
            listed = client.get("/api/1/datasets/schemas/")
            assert [item["name"] for item in listed.json()] == ["me/table"]
            created = client.post(
                f"/api/1/datasets/{dataset.id}/resources/", json=resource, headers=owner.headers
            )
            assert created.status_code == 201, created.text
            _Catalog.body, _Catalog.drip = None, True
            started = time.monotonic()
            dripped = client.get("/api/1/datasets/schemas/")
            assert dripped.status_code == 200  # the copy, after one bounded wait
            assert time.monotonic() - started < 10
        finally:
            _Catalog.body, _Catalog.drip = None, False
