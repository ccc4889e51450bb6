"""The soak: ``opencat serve --workers 2`` under mixed traffic for a long while (``make soak``).

70 % reads (a dataset, a page of the list, a search), 30 % writes (resources added and removed,
datasets followed and unfollowed) from concurrent clients. Every few seconds it prints the
throughput, the errors and each worker's resident memory (VmRSS from /proc); at the end, the
latency percentiles per kind of request and the memory trend. Not part of ``make test``.

    python -m tests.system.soak --duration 600 [--database postgresql] [--clients 8]
"""

import argparse
import os
import random
import statistics
import string
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from opencat.catalog import accounts
from opencat.config import Settings
from opencat.db.migrate import upgrade
from opencat.wiring import build_catalog
from tests.ports import free_port
from tests.postgres import ENV, Cluster, database_name
from tests.system.harness import Server, client, server_env

DATASETS = 60
# Resources each client keeps per dataset: it adds or removes one at random (never past these
# bounds), so that the catalog stays the same size and a memory trend would be a leak.
MAX_RESOURCES = 4


def word() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=8))


@dataclass
class Stats:
    """What every client saw; one lock, appended to by all of them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[tuple[float, dict[int, tuple[float, float]]]] = field(default_factory=list)

    def record(self, kind: str, seconds: float, problem: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if problem is not None:
                self.errors[f"{kind}: {problem}"] += 1

    @property
    def requests(self) -> int:
        with self.lock:
            return sum(len(values) for values in self.latencies.values())


class Client:
    """One simulated user of the API, with accounts of its own (so that its follows never race)."""

    def __init__(self, url: str, owner: str, keys: list[str], datasets: list[str], stats: Stats) -> None:
        self.http = client(url, timeout=30)
        self.owner = {"X-API-KEY": owner}  # the publisher: edits resources
        self.keys = keys
        self.datasets = datasets
        self.stats = stats
        self.following: set[tuple[str, str]] = set()
        self.resources: dict[str, list[str]] = defaultdict(list)

    def call(
        self, kind: str, expected: set[int], send: Callable[[], httpx2.Response]
    ) -> httpx2.Response | None:
        started = time.monotonic()
        try:
            response = send()
        except httpx2.HTTPError as error:
            self.stats.record(kind, time.monotonic() - started, type(error).__name__)
            return None
        problem = None if response.status_code in expected else str(response.status_code)
        self.stats.record(kind, time.monotonic() - started, problem)
        return response if problem is None else None

    def read(self) -> None:
        roll = random.random()
        if roll < 0.4:
            dataset = random.choice(self.datasets)
            self.call("get dataset", {200}, lambda: self.http.get(f"/api/1/datasets/{dataset}/"))
        elif roll < 0.7:
            page = random.randint(1, 3)
            self.call(
                "list",
                {200},
                lambda: self.http.get("/api/1/datasets/", params={"page": page, "page_size": 20}),
            )
        else:
            terms = random.choice(["soak", "soak data", "resource", "transport", "eau"])
            self.call("search", {200}, lambda: self.http.get("/api/1/datasets/", params={"q": terms}))

    def write(self) -> None:
        dataset = random.choice(self.datasets)
        key = random.choice(self.keys)
        headers = {"X-API-KEY": key}
        if random.random() < 0.5:
            self.follow(dataset, headers)
        elif len(self.resources[dataset]) >= MAX_RESOURCES or (
            self.resources[dataset] and random.random() < 0.5
        ):
            rid = self.resources[dataset].pop(0)
            url = f"/api/1/datasets/{dataset}/resources/{rid}/"
            self.call("remove resource", {204}, lambda: self.http.delete(url, headers=self.owner))
        else:
            body = {
                "title": f"Resource {word()}",
                "url": f"https://example.org/{word()}.csv",
                "filetype": "remote",
            }
            url = f"/api/1/datasets/{dataset}/resources/"
            added = self.call(
                "add resource", {201}, lambda: self.http.post(url, json=body, headers=self.owner)
            )
            if added is not None:
                self.resources[dataset].append(added.json()["id"])

    def follow(self, dataset: str, headers: dict[str, str]) -> None:
        pair = (headers["X-API-KEY"], dataset)
        url = f"/api/1/datasets/{dataset}/followers/"
        if pair in self.following:
            if self.call("unfollow", {200}, lambda: self.http.delete(url, headers=headers)) is not None:
                self.following.discard(pair)
        elif self.call("follow", {201}, lambda: self.http.post(url, headers=headers)) is not None:
            self.following.add(pair)

    def run(self, until: float) -> None:
        try:
            while time.monotonic() < until:
                if random.random() < 0.7:
                    self.read()
                else:
                    self.write()
        finally:
            self.http.close()


def memory(pid: int) -> tuple[float, float]:
    """Resident memory in MB: all of it (VmRSS), and the anonymous part (RssAnon): the rest is
    mapped files (the index's segments), page cache the kernel may take back."""
    fields: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon"):
                fields[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return fields.get("VmRSS", 0.0), fields.get("RssAnon", 0.0)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@contextmanager
def database(kind: str, root: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new database on a PostgreSQL server (the one in
    OPENCAT_TEST_POSTGRES_URL, else a throwaway cluster)."""
    if kind == "sqlite":
        yield f"sqlite:///{root / 'soak.db'}"
        return
    from tests.system.conftest import create_database, drop_database

    cluster = None
    server = os.environ.get(ENV)
    if not server:
        cluster = Cluster()
        cluster.start()
        server = cluster.url
    name = database_name("opencat_soak")
    try:
        yield create_database(server, name)
    finally:
        with suppress(Exception):
            drop_database(server, name)
        if cluster is not None:
            cluster.remove()


def prepare(url: str, database_url: str, root: Path, clients: int) -> tuple[str, list[list[str]], list[str]]:
    """A publisher with the datasets, and three accounts per client that follow them."""
    catalog = build_catalog(Settings(data_dir=root / "client", database_url=database_url))
    upgrade(catalog.db)
    _, owner = accounts.create_user(catalog, email="soak@example.org", first_name="Soak", last_name="Owner")
    keys = [
        [
            accounts.create_user(
                catalog, email=f"c{index}-{n}@example.org", first_name="C", last_name=str(index)
            )[1]
            for n in range(3)
        ]
        for index in range(clients)
    ]
    catalog.db.dispose()
    datasets = []
    with client(url) as http:
        for index in range(DATASETS):
            body = {
                "title": f"Soak data {index} {word()}",
                "description": f"Soak transport eau {word()}",
                "tags": ["soak"],
            }
            response = http.post("/api/1/datasets/", json=body, headers={"X-API-KEY": owner})
            response.raise_for_status()
            datasets.append(response.json()["id"])
    return owner, keys, datasets


def report(stats: Stats, elapsed: float, workers: list[int]) -> None:
    total = stats.requests
    print(f"\n{total} requests in {elapsed:.0f} s: {total / elapsed:.1f} requests/s")
    print(f"errors: {sum(stats.errors.values())}")
    for problem, count in stats.errors.most_common():
        print(f"  {count:6d}  {problem}")
    print(f"\n{'request':16s} {'count':>7s} {'p50 ms':>8s} {'p90 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}")
    everything = [value for values in stats.latencies.values() for value in values]
    for kind, values in [*sorted(stats.latencies.items()), ("all", everything)]:
        marks = [percentile(values, share) * 1000 for share in (0.5, 0.9, 0.99)] + [max(values) * 1000]
        print(f"{kind:16s} {len(values):7d} " + " ".join(f"{mark:8.1f}" for mark in marks))
    print("\nresident memory of each worker over time, MB: all (anonymous)")
    print("  time  " + " ".join(f"{'pid ' + str(pid):>17s}" for pid in workers))
    for moment, rss in stats.samples:
        cells = (rss.get(pid, (0.0, 0.0)) for pid in workers)
        print(f"{moment:5.0f} s " + " ".join(f"{total:9.1f} ({anon:5.1f})" for total, anon in cells))
    if len(stats.samples) >= 4:
        half = len(stats.samples) // 2
        for pid in workers:
            for index, name in ((0, "all"), (1, "anonymous")):
                early = statistics.mean(
                    rss.get(pid, (0.0, 0.0))[index] for _, rss in stats.samples[half // 2 : half]
                )
                late = statistics.mean(rss.get(pid, (0.0, 0.0))[index] for _, rss in stats.samples[half:])
                print(
                    f"worker {pid}, {name}: {early:.1f} MB in the second quarter, {late:.1f} MB in the second half"
                )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.system.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of traffic (default 600)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=float, default=10, help="seconds between memory samples (default 10)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="opencat-soak-"))
    with database(args.database, root) as database_url:
        port = free_port()
        (root / "data").mkdir()
        env = server_env(root / "data", database_url, f"http://127.0.0.1:{port}")
        server = Server(env, port, args.workers)
        try:
            owner, keys, datasets = prepare(server.url, database_url, root, args.clients)
            workers = server.worker_pids()
            print(
                f"opencat serve --workers {args.workers} on {args.database}, master {server.process.pid}, workers {workers}"
            )
            print(f"{args.clients} clients for {args.duration:.0f} s, {DATASETS} datasets")
            stats = Stats()
            started = time.monotonic()
            until = started + args.duration
            threads = [
                threading.Thread(
                    target=Client(server.url, owner, keys[index], datasets, stats).run, args=(until,)
                )
                for index in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            last, last_time = 0, 0.0
            while any(thread.is_alive() for thread in threads):
                time.sleep(min(args.every, max(until - time.monotonic(), 0.1)))
                now = time.monotonic() - started
                if now - last_time < 1:
                    continue  # the clients' last requests: not worth a sample of their own
                workers = sorted(set(workers) | set(server.worker_pids()))
                rss = {pid: memory(pid) for pid in workers}
                stats.samples.append((now, rss))
                done = stats.requests
                resident = ", ".join(
                    f"{pid}: {total:.1f} MB ({anon:.1f} anon)" for pid, (total, anon) in rss.items()
                )
                rate = (done - last) / max(now - last_time, 0.001)
                print(
                    f"{now:6.0f} s  {rate:7.1f} req/s  errors {sum(stats.errors.values())}  {resident}",
                    flush=True,
                )
                last, last_time = done, now
            for thread in threads:
                thread.join()
            report(stats, time.monotonic() - started, workers)
            if server.process.poll() is not None:
                print(f"the server died: {server.output()[-3000:]}")
                return 1
            return 1 if stats.errors else 0
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
