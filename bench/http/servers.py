"""The two servers under test, as child processes: ``opencat serve`` and the floor."""

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from bench.http.floor import KEPT_HEADERS, Recorded, key
from bench.http.wrk import Request
from bench.uploads import _children, _free_port


class Server:
    def __init__(self, name: str, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.name = name
        self.process = process
        self.port = port
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """granian's workers: the master's children but opencat's index keeper and harvest scheduler."""
        return sorted(pid for pid in _children(self.process.pid) if not _is_helper(pid))

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and all its children (workers, index keeper)."""
        return sum(_cpu_seconds(pid) for pid in [self.process.pid, *_children(self.process.pid)])

    def wait(self, workers: int, timeout: float) -> None:
        """Until every worker answers (opencat catches its search index up first: long at 1M)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: see {self.log}")
            if len(self.workers()) >= workers and _answers(self.port):
                time.sleep(0.5)  # the other workers bind at about the same time
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s: see {self.log}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:  # gone meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/api/1/datasets/licenses/")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def running(
    name: str, argv: list[str], env: Mapping[str, str], port: int, workers: int, logs: Path
) -> Iterator[Server]:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT)
    server = Server(name, process, port, log)
    try:
        server.wait(workers, timeout=1800)
        yield server
    finally:
        server.stop()


@contextmanager
def opencat(data_dir: Path, database_url: str, workers: int, logs: Path) -> Iterator[Server]:
    port = _free_port()
    env = {
        "OPENCAT_DATA_DIR": str(data_dir),
        "OPENCAT_DATABASE_URL": database_url,
        "OPENCAT_BASE_URL": f"http://127.0.0.1:{port}",
    }
    argv = [sys.executable, "-m", "opencat", "serve", "--port", str(port), "--workers", str(workers)]
    with running("opencat", argv, env, port, workers, logs) as server:
        yield server


@contextmanager
def floor(responses: Path, workers: int, logs: Path, read_database: str | None = None) -> Iterator[Server]:
    """The floor, or with ``read_database`` the ceiling (one row read per dataset request)."""
    port = _free_port()
    argv = [sys.executable, "-m", "bench.http.floor", "--port", str(port), "--workers", str(workers)]
    argv += ["--responses", str(responses)]
    name = "floor"
    if read_database is not None:
        argv += ["--read-database", read_database]
        name = "ceiling"
    with running(name, argv, {}, port, workers, logs) as server:
        yield server


class Client:
    """One keep-alive connection, for recording and checking answers."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, request: Request) -> Recorded:
        self.connection.request(request.method, request.target, request.body, request.headers)
        response = self.connection.getresponse()
        body = response.read()
        headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        return Recorded(response.status, headers, body)

    def close(self) -> None:
        self.connection.close()


def record(server: Server, requests: list[Request]) -> dict[str, Recorded]:
    """What opencat answers to each request (the floor serves it back)."""
    client = Client(server.port)
    try:
        return {key(r.method, r.target, r.headers.get("If-None-Match")): client.send(r) for r in requests}
    finally:
        client.close()


def check(server: Server, requests: list[Request], recorded: Mapping[str, Recorded]) -> None:
    """The floor answers each request as opencat did, byte for byte."""
    client = Client(server.port)
    try:
        for request in requests:
            expected = recorded[key(request.method, request.target, request.headers.get("If-None-Match"))]
            got = client.send(request)
            if (got.status, got.body) != (expected.status, expected.body):
                raise RuntimeError(f"the floor does not answer {request.target} as opencat does")
    finally:
        client.close()


def _is_helper(pid: int) -> bool:
    """opencat's own processes beside granian's workers (``python -m opencat.<helper>``)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        return b"opencat.index_keeper" in command or b"opencat.harvest_scheduler" in command
    except OSError:
        return False
