"""Request ids, the access log, /healthz, /readyz and /metrics, through the ASGI app."""

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog import health, indexing, references
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.db.engine import Database
from opencat.ops.logs import configure_logging, direct_handler
from tests.conftest import BASE_URL
from tests.factories import make_dataset, make_user
from tests.ports import free_port

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """JSON logging into a buffer, as a worker sets it up; the root logger is put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    configure_logging("json", "info", buffer)
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def samples(client: TestClient, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of metric ``name`` in a scrape, by their sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def requests_count(client: TestClient, route: str, status: int, method: str = "GET") -> float:
    labels = (("method", method), ("route", route), ("status", str(status)))
    return samples(client, "opencat_http_requests_total").get(labels, 0.0)


# Request ids


def test_a_sane_request_id_comes_back(client: TestClient) -> None:
    response = client.get("/api/1/datasets/", headers={"X-Request-ID": "req-42"})
    assert response.headers["x-request-id"] == "req-42"


@pytest.mark.parametrize("sent", [None, "bad id", "x" * 129])
def test_otherwise_a_new_id_is_made(client: TestClient, sent: str | None) -> None:
    headers = {"X-Request-ID": sent} if sent else {}
    response = client.get("/api/1/datasets/", headers=headers)
    assert GENERATED.fullmatch(response.headers["x-request-id"])


def test_errors_and_probes_carry_an_id_too(client: TestClient) -> None:
    for path in ("/api/1/datasets/000000000000000000000000/", "/nowhere", "/healthz", "/metrics"):
        assert client.get(path, headers={"X-Request-ID": "r1"}).headers["x-request-id"] == "r1", path


# The access log


def test_one_access_line_per_request_with_its_id(client: TestClient, log_lines: io.StringIO) -> None:
    client.get("/api/1/datasets/?page_size=1&page=1", headers={"X-Request-ID": "line-1"})
    (line,) = [r for r in records(log_lines) if r["logger"] == "opencat.access"]
    assert line["request_id"] == "line-1"
    assert (line["method"], line["path"], line["query"], line["status"]) == (
        "GET", "/api/1/datasets/", "page_size=1&page=1", 200,
    )  # fmt: skip
    assert line["bytes"] > 0
    assert line["duration_ms"] > 0
    assert line["message"].startswith("GET /api/1/datasets/?page_size=1&page=1 200 ")


def test_the_access_line_is_the_same_written_directly_or_through_logging(
    client: TestClient, log_lines: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    """With only the handler a worker sets up, the line is written without ``Logger.handle``
    (ops/logs.py: ``direct_handler``); with any other handler there, through it, and that handler
    gets the record too."""
    root, access = logging.getLogger(), logging.getLogger("opencat.access")
    for handler in [h for h in root.handlers if type(h).__module__.startswith("_pytest")]:
        root.removeHandler(handler)  # pytest's capture: a second destination, see below
    assert direct_handler(access, logging.INFO) is not None
    client.get("/api/1/datasets/?page_size=1", headers={"X-Request-ID": "direct-1"})
    other = caplog.handler  # pytest's capture, back as the other handler
    caplog.clear()
    root.addHandler(other)
    try:
        assert direct_handler(access, logging.INFO) is None
        client.get("/api/1/datasets/?page_size=1", headers={"X-Request-ID": "logged-1"})
    finally:
        root.removeHandler(other)
    direct, logged = [r for r in records(log_lines) if r["logger"] == "opencat.access"]
    assert (direct["request_id"], logged["request_id"]) == ("direct-1", "logged-1")
    varying = {"time", "request_id", "duration_ms", "message"}
    assert {k: v for k, v in direct.items() if k not in varying} == {
        k: v for k, v in logged.items() if k not in varying
    }
    assert direct["message"].rsplit(" ", 1)[0] == logged["message"].rsplit(" ", 1)[0]
    assert [r.getMessage().rsplit(" ", 1)[0] for r in other.records if r.name == "opencat.access"] == [
        "GET /api/1/datasets/?page_size=1 200 " + str(logged["bytes"]) + "B"
    ]


def test_every_line_written_for_a_request_carries_its_id(
    client: TestClient, log_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    def noisy(catalog: Catalog) -> Any:
        logging.getLogger("opencat.test").warning("inside the use case")
        raise RuntimeError("a bug")

    monkeypatch.setattr(references, "list_licenses", noisy)
    response = client.get("/api/1/datasets/licenses/", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert response.headers["x-request-id"] == "boom-1"
    lines = records(log_lines)
    assert [line["request_id"] for line in lines if line["logger"] != "httpx2"] == ["boom-1"] * 3
    inside, error, access = (line for line in lines if line["logger"] != "httpx2")
    assert inside["message"] == "inside the use case"
    # The traceback once, then the access line of the 500.
    assert "RuntimeError: a bug" in error["traceback"]
    assert sum("traceback" in line for line in lines) == 1
    assert (access["logger"], access["status"]) == ("opencat.access", 500)


def test_a_500_is_counted(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(catalog: Catalog) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(references, "list_licenses", broken)
    assert client.get("/api/1/datasets/licenses/").status_code == 500
    assert requests_count(client, "/api/1/datasets/licenses/", 500) == 1


# Probes


def test_healthz_answers_without_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_readyz_names_each_check(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok"},
            "database_writes": {"status": "ok"},
            "files": {"status": "ok"},
            "search_index": {"status": "ok", "lag": 0, "max_lag": 10_000},
        },
    }


def test_readyz_is_503_while_the_index_lags_then_catches_up(
    db: Database, settings: Settings, catalog: Catalog
) -> None:
    strict = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        base_url=BASE_URL,
        ready_max_index_lag=1,
    )
    indexing.sync(catalog)  # caught up, and no process keeps the writer yet
    owner = make_user(catalog)
    for _ in range(3):
        make_dataset(catalog, owner)  # writes append to the outbox; nothing searches
    # Once it has caught up, a server keeps the index up by itself (search/index.py): the lag is
    # seen before its first catch-up.
    with TestClient(create_app(strict, catalog=catalog), base_url=BASE_URL) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"] == {"status": "ok"}
        index = body["checks"]["search_index"]
        assert (index["status"], index["max_lag"]) == ("failing", 1)
        assert index["lag"] >= 3  # sequence numbers: PostgreSQL's may have gaps
        # The probe started the catch-up: without any search the node becomes ready.
        deadline = time.monotonic() + 10
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the index never caught up"
            time.sleep(0.05)


def test_readyz_says_degraded_when_the_file_store_cannot_write(client: TestClient, catalog: Catalog) -> None:
    """Uploads answer 503 meanwhile, reads and edits go on: the node stays in its balancer (a
    bucket down is down for every node, and a 503 took the whole catalog out)."""
    spool = catalog.files.spool_dir
    spool.rename(spool.with_name("moved"))
    spool.write_bytes(b"")  # a file where the directory was: nothing can be created in it
    try:
        response = client.get("/readyz")
    finally:
        spool.unlink()
        spool.with_name("moved").rename(spool)
    assert (response.status_code, response.json()["status"]) == (200, "degraded")
    files = response.json()["checks"]["files"]
    assert files["status"] == "failing"
    assert files["error"]


def test_readyz_is_503_when_the_search_index_is_gone(client: TestClient, catalog: Catalog) -> None:
    """An index directory removed under a running node fails its listings: it is not ready,
    whatever the lag would read (a missing index reads as "never built", within a small lag)."""
    directory = catalog.search.directory
    directory.rename(directory.with_name("moved"))
    try:
        response = client.get("/readyz")
    finally:
        directory.with_name("moved").rename(directory)
    assert response.status_code == 503
    assert response.json()["checks"]["search_index"] == {
        "status": "failing",
        "error": "the search index's files are missing",
    }
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_is_down(tmp_path: Path) -> None:
    # Nothing listens on this port: a PostgreSQL server that is down.
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/opencat"
    settings = Settings(data_dir=tmp_path, database_url=down, base_url=BASE_URL)
    app = create_app(settings)
    with TestClient(app, base_url=BASE_URL) as client:
        assert client.get("/healthz").status_code == 200
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 3
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["database"]["status"] == "failing"
        assert checks["database"]["error"]
        assert checks["files"] == {"status": "ok"}
        assert checks["search_index"] == {"status": "failing", "error": "the database did not answer"}
        # The metrics still answer, without an index lag they cannot know.
        assert samples(client, "opencat_search_index_lag") == {}
    app.state.services.catalog.db.dispose()


# Metrics


def test_requests_are_counted_by_route_template_and_status(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    ids = [make_dataset(catalog, owner).dataset.id for _ in range(3)]
    for ident in ids:
        assert client.get(f"/api/1/datasets/{ident}/").status_code == 200
    assert client.get("/api/1/datasets/000000000000000000000000/").status_code == 404
    client.get("/nowhere/at/all")
    assert requests_count(client, "/api/1/datasets/{ident}/", 200) == 3
    assert requests_count(client, "/api/1/datasets/{ident}/", 404) == 1
    assert requests_count(client, "unmatched", 404) == 1
    durations = samples(client, "opencat_http_request_duration_seconds_count")
    assert durations[(("method", "GET"), ("route", "/api/1/datasets/{ident}/"), ("status", "200"))] == 3
    # Unknown methods share one label value: a client cannot grow the series without bound.
    client.request("BREW", "/api/1/datasets/")
    assert any(dict(labels)["method"] == "other" for labels in samples(client, "opencat_http_requests_total"))


def test_upload_bytes_and_link_checks_are_counted(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    before = samples(client, "opencat_upload_received_bytes_total")[()]
    response = client.post(
        f"/api/1/datasets/{dataset.id}/upload/",
        files={"file": ("a.csv", b"a,b\n" * 1000)},
        headers=owner.headers,
    )
    assert response.status_code == 201
    received = samples(client, "opencat_upload_received_bytes_total")[()] - before
    assert received > 4000  # the file and its multipart envelope
    check = client.get(f"/api/1/datasets/{dataset.id}/resources/{response.json()['id']}/check/")
    assert check.status_code == 200
    checks = samples(client, "opencat_link_checks_total")
    assert checks[(("result", "available"),)] == 1
    assert checks[(("result", "unavailable"),)] == 0
    assert checks[(("result", "error"),)] == 0


def test_index_lag_and_pool_are_sampled(client: TestClient, catalog: Catalog) -> None:
    client.get("/api/1/datasets/")
    assert samples(client, "opencat_search_index_lag") == {(): 0}
    make_dataset(catalog, make_user(catalog))
    # Sequence numbers, not rows: PostgreSQL's sequence goes on from the earlier tests' changes.
    assert samples(client, "opencat_search_index_lag")[()] >= 1
    client.get("/api/1/datasets/?q=dataset")  # a search catches the index up
    assert samples(client, "opencat_search_index_lag") == {(): 0}
    # Between requests this worker's pool has nothing checked out.
    assert samples(client, "opencat_db_pool_connections_in_use") == {(): 0}


def test_the_pool_reports_each_checkout_and_checkin(catalog: Catalog) -> None:
    reported: list[int] = []
    health.watch_pool(catalog, reported.append)
    with catalog.db.read(), catalog.db.write():
        pass
    assert reported == [1, 2, 1, 0]


@pytest.mark.parametrize("failure", ["unavailable", "bug"])
def test_a_secret_in_the_path_stays_out_of_every_log_line(
    client: TestClient, log_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """A password reset link's token is a credential: the access line says the route's template,
    and so do the lines of an outage or a bug met on that page."""
    from opencat.catalog import password_resets
    from opencat.domain.errors import Reason, Unavailable

    def failing(*_args: object) -> bool:
        if failure == "unavailable":
            raise Unavailable(Reason.DATABASE_UNAVAILABLE) from OSError("connection refused")
        raise RuntimeError("a bug")

    monkeypatch.setattr(password_resets, "reset_is_valid", failing)
    response = client.get("/account/password/reset/SECRETtoken123/")
    assert response.status_code == (503 if failure == "unavailable" else 500)
    ours = [line for line in records(log_lines) if line["logger"].startswith("opencat")]  # not httpx's
    assert len(ours) == 2  # the outage's or the bug's line, and the access line
    assert all("SECRETtoken123" not in json.dumps(line) for line in ours)
    assert all("/account/password/reset/{token}/" in json.dumps(line) for line in ours)
