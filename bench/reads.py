"""Dataset reads at scale: one dataset by id, and a first and a deep list page.

Loads N synthetic datasets (5 resources each) into a fresh SQLite database, and into PostgreSQL
when ``OPENCAT_BENCH_POSTGRES_URL`` is set, then times the API through the ASGI app in-process.
Usage: ``python -m bench [N]`` (default 20,000).
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.config import Settings
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db.engine import Database
from opencat.db.migrate import upgrade
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.ids import new_object_id, new_resource_id

WORDS = [
    "eau",
    "air",
    "transport",
    "bus",
    "gare",
    "commune",
    "population",
    "budget",
    "élections",
    "santé",
    "école",
    "énergie",
]


def _dataset(number: int, now: datetime) -> tuple[Dataset, list[Resource]]:
    created = now - timedelta(minutes=number)
    dataset = Dataset(
        id=new_object_id(),
        slug=f"dataset-{number}",
        title=" ".join(random.choices(WORDS, k=5)),
        description=" ".join(random.choices(WORDS, k=80)),
        created_at_internal=created,
        last_modified_internal=created,
        tags=tuple(sorted(set(random.choices(WORDS, k=3)))),
        license="lov2",
        frequency="monthly",
    )
    resources = [
        Resource(
            id=new_resource_id(),
            title=f"file {index}.csv",
            url=f"https://example.org/{number}/{index}.csv",
            created_at_internal=created,
            last_modified_internal=created,
            filetype="remote",
            format="csv",
        )
        for index in range(5)
    ]
    return dataset, resources


def _load(database: Database, count: int) -> None:
    now = datetime.now(UTC)
    with database.write() as conn:
        for number in range(count):
            dataset, resources = _dataset(number, now)
            db_datasets.insert(conn, dataset, now)
            db_resources.replace_all(conn, dataset.id, [], resources, now)


def _time(client: TestClient, url: str, rounds: int = 200) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def run(label: str, url: str, count: int, data_dir: Path) -> None:
    database = Database(url)
    upgrade(database)
    started = time.perf_counter()
    _load(database, count)
    print(f"[{label}] loaded {count} datasets in {time.perf_counter() - started:.1f} s")
    settings = Settings(data_dir=data_dir, database_url=url)
    with TestClient(create_app(settings, database=database)) as client:
        some_id = client.get("/api/1/datasets/?page_size=1").json()["data"][0]["id"]
        for name, path in [
            ("GET one dataset", f"/api/1/datasets/{some_id}/"),
            ("GET page 1 (20)", "/api/1/datasets/"),
            ("GET page 1, tag filter", "/api/1/datasets/?tag=eau&license=lov2"),
            ("GET page 500", "/api/1/datasets/?page=500"),
        ]:
            p50, p95 = _time(client, path)
            print(f"[{label}] {name:<24} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
    database.dispose()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.db", count, Path(tmp))
        postgres = os.environ.get("OPENCAT_BENCH_POSTGRES_URL")
        if postgres:
            run("postgresql", postgres, count, Path(tmp))
