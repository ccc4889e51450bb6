"""Faults under a running ``opencat serve``: PostgreSQL restarted under traffic, a disk that fills up
during an upload. Each fails cleanly (a clear JSON error, fast), keeps nothing half-written, and the
server recovers without being restarted. (A worker killed mid-request: tests/system/test_processes.py.)
"""

import os
import random
import string
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest

from tests.postgres import Cluster
from tests.system.conftest import Launcher, create_database
from tests.system.harness import NoSmallFilesystem, SmallDisk, cli, client, small_filesystem

# A request while the database is down must fail at once, not wait for a pool or a TCP timeout.
FAIL_FAST_SECONDS = 2.5
DOWN_SECONDS = 2.0
# Once PostgreSQL accepts connections again, requests sent this long after succeed.
RECOVERY_SECONDS = 3.0


def word() -> str:
    return "zq" + "".join(random.choices(string.ascii_lowercase, k=10))


@dataclass
class Sent:
    kind: str
    started: float
    seconds: float
    status: int
    body: bytes
    headers: dict[str, str]
    error: str = ""


@dataclass
class Traffic:
    """Readers and writers that keep going, each with a short pause, recording every answer."""

    http: httpx2.Client
    key: str
    common: str
    dataset: str
    sent: list[Sent] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)  # created, answered 201
    resources: list[str] = field(default_factory=list)  # added to ``dataset``, answered 201
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def _send(self, kind: str, call: Callable[[], httpx2.Response]) -> httpx2.Response | None:
        started = time.monotonic()
        try:
            response = call()
        except httpx2.HTTPError as error:
            self.sent.append(Sent(kind, started, time.monotonic() - started, 0, b"", {}, repr(error)))
            return None
        seconds = time.monotonic() - started
        self.sent.append(
            Sent(kind, started, seconds, response.status_code, response.content, dict(response.headers))
        )
        return response

    def _loop(self, step: Callable[[], None]) -> None:
        while not self.stop.is_set():
            step()
            time.sleep(0.02)

    def _read(self) -> None:
        self._send("list", lambda: self.http.get("/api/1/datasets/", params={"page_size": 5}))
        self._send("search", lambda: self.http.get("/api/1/datasets/", params={"q": self.common}))
        self._send("get", lambda: self.http.get(f"/api/1/datasets/{self.dataset}/"))

    def _create(self) -> None:
        body = {"title": f"Restart {self.common} {word()}", "description": "x"}
        response = self._send(
            "create", lambda: self.http.post("/api/1/datasets/", json=body, headers={"X-API-KEY": self.key})
        )
        if response is not None and response.status_code == 201:
            self.datasets.append(response.json()["id"])

    def _add_resource(self) -> None:
        body = {"title": word(), "url": f"https://example.org/{word()}.csv", "filetype": "remote"}
        url = f"/api/1/datasets/{self.dataset}/resources/"
        response = self._send(
            "resource", lambda: self.http.post(url, json=body, headers={"X-API-KEY": self.key})
        )
        if response is not None and response.status_code == 201:
            self.resources.append(response.json()["id"])

    def start(self) -> None:
        for step in (self._read, self._read, self._create, self._add_resource):
            self.threads.append(threading.Thread(target=self._loop, args=(step,)))
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of this test's own, to stop and start at will."""
    own = Cluster()
    own.start()
    yield own
    own.remove()


@pytest.mark.postgresql_only
def test_postgresql_restarted_under_traffic(dialect: str, cluster: Cluster, launch: Launcher) -> None:
    url = create_database(cluster.url, "opencat_restart")
    env = launch.env("node", url)
    admin = cli(env, "user", "create", "--sysadmin", "--email", "a@example.org", "--first-name", "A", "--last-name", "B")  # fmt: skip
    server = launch.start(env, workers=2)
    workers = sorted(server.worker_pids())
    common = word()
    with client(server.url, timeout=30) as http:
        first = http.post(
            "/api/1/datasets/",
            json={"title": f"Restart {common}", "description": "x"},
            headers={"X-API-KEY": admin["api_key"]},
        )
        assert first.status_code == 201, first.text
        traffic = Traffic(http, admin["api_key"], common, first.json()["id"])
        traffic.start()
        try:
            time.sleep(1.0)
            down = time.monotonic()
            cluster.stop("immediate")
            time.sleep(DOWN_SECONDS)
            cluster.start()  # returns once it accepts connections
            up = time.monotonic()
            time.sleep(RECOVERY_SECONDS + 2.0)
        finally:
            traffic.finish()
        sent = traffic.sent
        # Only successes and 503s, each one fast; the 503s say why in udata's shape.
        odd = [
            (s.kind, s.status, s.error or s.body[:200])
            for s in sent
            if s.status != 503 and not 200 <= s.status < 300
        ]
        assert not odd
        assert max(s.seconds for s in sent) < FAIL_FAST_SECONDS, sorted(s.seconds for s in sent)[-5:]
        refused = [s for s in sent if s.status == 503]
        assert refused, "no request noticed the database was down"
        for item in refused:
            assert down <= item.started + item.seconds, "a 503 before the database stopped"
            assert item.headers.get("content-type") == "application/json"
            assert item.body == b'{"message":"The database is unavailable, please retry later"}'
        # Back without restarting opencat: every request sent a few seconds after PostgreSQL is.
        late = [s for s in sent if s.started > up + RECOVERY_SECONDS]
        assert late
        assert all(200 <= s.status < 300 for s in late)
        assert sorted(server.worker_pids()) == workers
        # No write that answered 2xx was lost, and the index caught up with every one of them.
        assert traffic.datasets
        assert traffic.resources
        for dataset_id in traffic.datasets:
            assert http.get(f"/api/1/datasets/{dataset_id}/").status_code == 200
        kept = {r["id"] for r in http.get(f"/api/1/datasets/{traffic.dataset}/").json()["resources"]}
        assert set(traffic.resources) <= kept
        found = http.get("/api/1/datasets/", params={"q": common, "page_size": 1000}).json()
        assert set(traffic.datasets) <= {item["id"] for item in found["data"]}


def _free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


@pytest.fixture
def small_disk(module_database: str, launch: Launcher) -> Iterator[tuple[dict[str, str], SmallDisk]]:
    """A node whose data directory (files, spool, index) is a 4 MB filesystem; the database is
    elsewhere. Its servers are stopped before the filesystem goes."""
    env = launch.env("node", module_database)
    try:
        with small_filesystem(Path(env["OPENCAT_DATA_DIR"]), 4) as disk:
            try:
                yield env, disk
            finally:
                launch.stop_all()
    except NoSmallFilesystem as error:
        pytest.skip(str(error))  # the machine's limit (no root, no user namespaces), not opencat's


def test_a_full_disk_refuses_an_upload_and_keeps_nothing(
    small_disk: tuple[dict[str, str], SmallDisk], launch: Launcher
) -> None:
    env, disk = small_disk
    data_dir = Path(env["OPENCAT_DATA_DIR"])
    admin = cli(env, "user", "create", "--email", "a@example.org", "--first-name", "A", "--last-name", "B")
    disk.server = launch.start(env, workers=2, prefix=disk.prefix)
    files = disk.view(data_dir) / "files"
    key = {"X-API-KEY": admin["api_key"]}
    with client(disk.server.url) as http:
        made = http.post("/api/1/datasets/", json={"title": "Full", "description": "x"}, headers=key)
        assert made.status_code == 201, made.text
        dataset = f"/api/1/datasets/{made.json()['id']}/"
        free = _free_bytes(disk.view(data_dir))
        big = http.post(f"{dataset}upload/", files={"file": ("big.csv", b"x" * (free + 2**20))}, headers=key)
        assert big.status_code == 507, big.text
        assert big.json() == {"message": "There is not enough space left to store this file"}
        # Nothing half-written: no resource, no file, an empty spool, the space given back.
        assert http.get(dataset).json()["resources"] == []
        assert [path for path in files.rglob("*") if not path.is_dir()] == []
        assert _free_bytes(disk.view(data_dir)) >= free - 64 * 1024
        # The server goes on serving, and the next upload that fits is stored.
        small = http.post(f"{dataset}upload/", files={"file": ("small.csv", b"a,b\n1,2\n")}, headers=key)
        assert small.status_code == 201, small.text
        assert http.get(small.json()["url"]).content == b"a,b\n1,2\n"
        assert [r["id"] for r in http.get(dataset).json()["resources"]] == [small.json()["id"]]
