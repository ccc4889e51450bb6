"""Watching the real ``opencat serve --workers 2``: metrics added up across workers, access lines
with the ids clients sent, workers replaced without losing counts, readiness following the database."""

import json
import os
import signal
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.postgres import Cluster
from tests.system.conftest import Launcher, create_database
from tests.system.harness import Server, at_once, client

REQUESTS = 40
ROUTE = "/api/1/datasets/licenses/"


def scrape(url: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    # A connection of its own: each scrape may be answered by either worker.
    text = httpx2.get(f"{url}/metrics", timeout=10).text
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def licenses_answered(url: str) -> float:
    labels = (("method", "GET"), ("route", ROUTE), ("status", "200"))
    return scrape(url, "opencat_http_requests_total").get(labels, 0.0)


def access_lines(server: Server) -> dict[str, dict[str, Any]]:
    """The server's JSON access lines, by request id."""
    found = {}
    for line in server.output().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record["logger"] == "opencat.access":
                found[record["request_id"]] = record
    return found


def lines_of(server: Server, ids: list[str], within: float = 10.0) -> dict[str, dict[str, Any]]:
    """The access lines, once those of ``ids`` are all written: a worker writes its line after the
    response has gone out, so the client may read the answer before the line reaches the log."""
    deadline = time.monotonic() + within
    lines = access_lines(server)
    while not set(ids) <= set(lines) and time.monotonic() < deadline:
        time.sleep(0.1)
        lines = access_lines(server)
    return lines


@pytest.fixture
def node(module_database: str, launch: Launcher) -> Server:
    return launch.start(launch.env("node", module_database, log_format="json"), workers=2)


def send_crowd(server: Server, prefix: str) -> list[str]:
    ids = [f"{prefix}-{index}" for index in range(REQUESTS)]
    with client(server.url, keepalive=False) as http:
        crowd = at_once([partial(http.get, ROUTE, headers={"X-Request-ID": rid}) for rid in ids])
    assert crowd.count(200) == REQUESTS, crowd.statuses
    assert [outcome.headers["x-request-id"] for outcome in crowd.outcomes] == ids
    return ids


def test_metrics_count_every_request_whichever_worker_answered(node: Server) -> None:
    ids: list[str] = []
    # Crowds until both workers have answered (one crowd nearly always does): otherwise the
    # test would prove nothing about adding workers up.
    for attempt in range(5):
        ids += send_crowd(node, f"crowd{attempt}")
        lines = lines_of(node, ids)
        assert set(ids) <= set(lines), "an access line is missing"
        answering = {lines[rid]["pid"] for rid in ids}
        if len(answering) == 2:
            break
    assert answering == set(node.worker_pids())
    assert all(lines[rid]["path"] == ROUTE and lines[rid]["status"] == 200 for rid in ids)
    # Every scrape, whichever worker answers it, adds up both workers' counts (once each worker
    # has written them: within ops/metrics.FLUSH_SECONDS).
    _counted(node, len(ids))
    for _ in range(8):
        assert licenses_answered(node.url) == len(ids)
    # Each worker reports its own pool (liveall: one series per process).
    pools = scrape(node.url, "opencat_db_pool_connections_in_use")
    assert {int(dict(labels)["pid"]) for labels in pools} == answering


def test_a_file_the_server_sends_itself_is_logged_with_its_size(node: Server) -> None:
    """Files go out through granian's pathsend (no body messages): their lines said 0 bytes."""
    answer = httpx2.get(f"{node.url}/api/1/docs/favicon-32x32.png", headers={"X-Request-ID": "a-file"})
    assert (answer.status_code, len(answer.content) > 0) == (200, True)
    line = lines_of(node, ["a-file"])["a-file"]
    assert line["bytes"] == len(answer.content)


def _counted(node: Server, requests: int) -> None:
    """A worker counts a request once its answer has gone out: the last ones may lag the client."""
    deadline = time.monotonic() + 10
    while licenses_answered(node.url) < requests and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_replaced_worker_keeps_its_counts_and_drops_its_pool(node: Server) -> None:
    send_crowd(node, "before")
    # Killed before it counted its last answer, a worker would lose that count: not the point here.
    _counted(node, REQUESTS)
    workers = node.worker_pids()
    killed = workers[0]
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not (killed not in node.worker_pids() and len(node.worker_pids()) == 2):
        assert time.monotonic() < deadline, node.output()[-3000:]
        time.sleep(0.1)
    deadline = time.monotonic() + 30
    while True:  # the new worker is serving once the master's log says so
        try:
            if httpx2.get(f"{node.url}/healthz", timeout=5).status_code == 200:
                break
        except httpx2.HTTPError:
            pass
        assert time.monotonic() < deadline
        time.sleep(0.1)
    send_crowd(node, "after")
    _counted(node, 2 * REQUESTS)
    for _ in range(6):
        assert licenses_answered(node.url) == 2 * REQUESTS  # the dead worker's counts stay
        pools = scrape(node.url, "opencat_db_pool_connections_in_use")
        assert str(killed) not in {dict(labels)["pid"] for labels in pools}


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    own = Cluster()
    own.start()
    yield own
    own.remove()


@pytest.mark.postgresql_only
def test_readyz_follows_the_database(dialect: str, cluster: Cluster, launch: Launcher) -> None:
    server = launch.start(launch.env("node", create_database(cluster.url, "opencat_ready")), workers=2)
    assert httpx2.get(f"{server.url}/readyz", timeout=10).status_code == 200
    cluster.stop()
    for _ in range(4):  # each worker, whichever answers
        response = httpx2.get(f"{server.url}/readyz", timeout=10)
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["database"]["status"] == "failing"
        assert checks["files"] == {"status": "ok"}
        assert httpx2.get(f"{server.url}/healthz", timeout=10).status_code == 200
    cluster.start()
    deadline = time.monotonic() + 10
    while httpx2.get(f"{server.url}/readyz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "not ready again after the database came back"
        time.sleep(0.1)


def test_a_second_server_on_the_same_data_directory_keeps_the_first_ones_counts(
    module_database: str, launch: Launcher
) -> None:
    """The second ``opencat serve`` (another port: the next release started beside the running
    one) deleted the first one's metric files: its counts went back to zero for good."""
    env = launch.env("twins", module_database)
    first = launch.start(env, workers=1)
    with client(first.url) as http:
        for _ in range(5):
            assert http.get(ROUTE).status_code == 200
    _counted(first, 5)
    second = launch.start({**env, "OPENCAT_BASE_URL": "http://127.0.0.1:0"}, workers=1)
    with client(second.url) as http:
        assert http.get(ROUTE).status_code == 200
    _counted(second, 1)
    assert licenses_answered(first.url) == 5
    assert licenses_answered(second.url) == 1  # each server its own counts
