"""The real server as users run it (``opencat serve`` in a process of its own), and concurrent clients.

Shared by the system tests and the soak (``tests/system/soak.py``): nothing here imports pytest.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

STARTUP_SECONDS = 60.0


def opencat_command() -> list[str]:
    """The venv's ``opencat`` script when there is one, else ``python -m opencat``."""
    script = Path(sys.executable).parent / "opencat"
    return [str(script)] if script.exists() else [sys.executable, "-m", "opencat"]


def server_env(data_dir: Path, database_url: str, base_url: str, **settings: str) -> dict[str, str]:
    """The environment of a server or CLI call: only this test's settings, none of the caller's."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPENCAT_")}
    env.update(
        OPENCAT_DATA_DIR=str(data_dir),
        OPENCAT_DATABASE_URL=database_url,
        OPENCAT_BASE_URL=base_url,
        **{f"OPENCAT_{name.upper()}": value for name, value in settings.items()},
    )
    return env


def cli(env: Mapping[str, str], *arguments: str) -> dict[str, Any]:
    """Run ``opencat <arguments> --json`` and return what it printed."""
    done = subprocess.run(
        [*opencat_command(), *arguments, "--json"], env=dict(env), capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(f"opencat {' '.join(arguments)} failed: {done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


class Server:
    """``opencat serve --workers N`` in its own session, so that stopping it takes every worker."""

    def __init__(
        self, env: Mapping[str, str], port: int, workers: int = 2, prefix: Sequence[str] = ()
    ) -> None:
        self.env = dict(env)
        self.port = port
        self.workers = workers
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = Path(self.env["OPENCAT_DATA_DIR"]).parent / f"serve-{port}.log"
        self._log = self.log_path.open("wb")
        command = [*opencat_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        self.process = subprocess.Popen(
            [*prefix, *command, "--workers", str(workers)],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _wait_until_ready(self) -> None:
        """Answering, and every worker started (the first may answer before the second is up)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"opencat serve exited with {self.process.returncode}:\n{self.output()}")
            if self.output().count("Started worker") >= self.workers and self._answers():
                return
            time.sleep(0.05)
        raise RuntimeError(f"opencat serve was not ready in {STARTUP_SECONDS} s:\n{self.output()}")

    def _answers(self) -> bool:
        try:
            return httpx2.get(f"{self.url}/api/1/datasets/?page_size=1", timeout=5).status_code == 200
        except httpx2.HTTPError:
            return False

    def worker_pids(self) -> list[int]:
        """The master's children but the index keeper, read from /proc (granian's workers are
        processes)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            pids = [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []
        return [pid for pid in pids if not is_helper(pid)]

    def stop(self) -> None:
        """Kill the whole process group (master and workers), even if the master already died."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # workers that outlived their master
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


def client(
    base_url: str, record: list[httpx2.Response] | None = None, timeout: float = 60, keepalive: bool = True
) -> httpx2.Client:
    """A client with room for many simultaneous requests; ``record`` collects every response.
    Without ``keepalive`` each request opens a connection, so that consecutive requests reach
    any worker rather than the one that accepted a kept-alive connection."""
    hooks: dict[str, list[Callable[[httpx2.Response], None]]] = {}
    if record is not None:
        hooks["response"] = [record.append]
    return httpx2.Client(
        base_url=base_url,
        timeout=timeout,
        limits=httpx2.Limits(max_connections=200, max_keepalive_connections=200 if keepalive else 0),
        event_hooks=hooks,  # type: ignore[arg-type]
    )


@dataclass
class Outcome:
    """One request of a crowd: its answer (or the exception), and how long it took."""

    index: int
    status: int
    body: bytes
    headers: Mapping[str, str]
    seconds: float
    error: BaseException | None = None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Crowd:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def statuses(self) -> list[int]:
        return [outcome.status for outcome in self.outcomes]

    def count(self, status: int) -> int:
        return self.statuses.count(status)

    @property
    def slowest(self) -> float:
        return max(outcome.seconds for outcome in self.outcomes)


def at_once(calls: Sequence[Callable[[], httpx2.Response]]) -> Crowd:
    """Run every call in its own thread, released together by a barrier, so they really overlap."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], httpx2.Response]) -> None:
        barrier.wait()
        started = time.monotonic()
        try:
            response = call()
        except Exception as error:  # reported as status 0: the test says what it expected
            outcomes[index] = Outcome(index, 0, b"", {}, time.monotonic() - started, error)
            return
        outcomes[index] = Outcome(
            index, response.status_code, response.content, response.headers, time.monotonic() - started
        )

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Crowd([outcome for outcome in outcomes if outcome is not None])


def server_errors(responses: Iterable[httpx2.Response | Outcome]) -> list[str]:
    """Every 5xx (and every request that got no answer at all), described for an assertion message."""
    found = []
    for item in responses:
        if isinstance(item, Outcome):
            if item.status == 0 or item.status >= 500:
                found.append(f"#{item.index}: {item.status} {item.error or item.body[:300]!r}")
        elif item.status_code >= 500:
            found.append(
                f"{item.request.method} {item.request.url}: {item.status_code} {item.content[:300]!r}"
            )
    return found


def _succeeds(command: Sequence[str]) -> bool:
    return subprocess.run(list(command), capture_output=True, check=False).returncode == 0


class NoSmallFilesystem(RuntimeError):
    """Neither mount, nor a loop device, nor unshare works here."""


@dataclass
class SmallDisk:
    """A small filesystem at ``path``. ``prefix`` goes before the server's command (the mount may
    exist only in the server's own mount namespace); ``view`` says where the test sees a path."""

    path: Path
    how: str
    prefix: tuple[str, ...] = ()
    server: "Server | None" = None

    def view(self, path: Path) -> Path:
        if not self.prefix:
            return path
        assert self.server is not None, "the mount exists once the server has started"
        return Path(f"/proc/{self.server.process.pid}/root{path}")


@contextlib.contextmanager
def small_filesystem(path: Path, megabytes: int) -> Iterator[SmallDisk]:
    """Try, in this order: a tmpfs, a loop-mounted ext4 image (both need to be root), a tmpfs in
    a user and mount namespace of the server's own (``unshare``, for unprivileged users)."""
    path.mkdir(parents=True, exist_ok=True)
    if _succeeds(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)]):
        try:
            yield SmallDisk(path, "tmpfs")
        finally:
            _succeeds(["umount", "--lazy", str(path)])
        return
    image = path.with_suffix(".img")
    made = _succeeds(["truncate", "-s", f"{megabytes}M", str(image)]) and _succeeds(
        ["mkfs.ext4", "-q", "-F", str(image)]
    )
    if made and _succeeds(["mount", "-o", "loop", str(image), str(path)]):
        try:
            yield SmallDisk(path, "ext4 image")
        finally:
            _succeeds(["umount", "--lazy", str(path)])
            image.unlink(missing_ok=True)
        return
    image.unlink(missing_ok=True)
    mount = f'mount -t tmpfs -o size={megabytes}m tmpfs "$0" && exec "$@"'
    prefix = ("unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount, str(path))
    if not _succeeds([*prefix, "true"]):
        raise NoSmallFilesystem("no way to make a small filesystem here (mount, loop device, unshare)")
    yield SmallDisk(path, "tmpfs in a namespace", prefix)


def is_index_keeper(pid: int) -> bool:
    """Whether ``pid`` is ``opencat serve``'s index keeper (opencat.index_keeper), not a worker."""
    try:
        return b"opencat.index_keeper" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def is_helper(pid: int) -> bool:
    """Whether ``pid`` is one of ``opencat serve``'s own processes beside the workers: the index
    keeper or the harvest scheduler (opencat.harvest_scheduler)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"opencat.index_keeper" in command or b"opencat.harvest_scheduler" in command
