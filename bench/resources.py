"""Resource writes in a dataset with 1 and with 10,000 resources, and a reorder of 10,000.

Runs the use cases directly (no HTTP) on a fresh SQLite database, and on PostgreSQL when
``OPENCAT_BENCH_POSTGRES_URL`` is set.
"""

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from opencat.catalog import accounts
from opencat.catalog import resources as catalog_resources
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import create_dataset
from opencat.config import Settings
from opencat.db import resources as db_resources
from opencat.db.migrate import upgrade
from opencat.domain.accounts import Actor
from opencat.domain.changes import DatasetChanges, Reorder, ResourceChanges, Submitted
from opencat.domain.datasets import Resource
from opencat.domain.ids import new_resource_id
from opencat.wiring import build_catalog


def _median_ms(action: Callable[[], object], rounds: int = 30) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _fill(catalog: Catalog, dataset_id: str, count: int) -> None:
    now = datetime.now(UTC)
    rows = [
        Resource(
            id=new_resource_id(), title=f"r{i}", url=f"https://example.org/{i}", created_at_internal=now,
            last_modified_internal=now, filetype="remote",
        )
        for i in range(count)
    ]  # fmt: skip
    with catalog.db.write() as conn:
        db_resources.replace_all(conn, dataset_id, [], rows, now)


def _measure(label: str, catalog: Catalog, actor: Actor, size: int) -> None:
    remote = Submitted.of(ResourceChanges(title="new", url="https://example.org/new", filetype="remote"))
    created = Submitted.of(DatasetChanges(title=f"bench {size}", description="d"))
    dataset_id = create_dataset(catalog, actor, created).dataset.id
    _fill(catalog, dataset_id, size)
    add = _median_ms(lambda: catalog_resources.add_resource(catalog, actor, dataset_id, remote))
    with catalog.db.read() as conn:
        target = db_resources.ids_of(conn, dataset_id)[0]
    edit = _median_ms(
        lambda: catalog_resources.update_resource(
            catalog, actor, dataset_id, target, Submitted.of(ResourceChanges(title="x"))
        )
    )
    print(f"[{label}] dataset with {size:>6} resources: add {add:6.2f} ms, edit {edit:6.2f} ms (median)")
    if size < 10_000:
        return
    with catalog.db.read() as conn:
        order = list(reversed(db_resources.ids_of(conn, dataset_id)))
    start = time.perf_counter()
    reorder = Reorder(tuple(order), Submitted.of({}))
    catalog_resources.reorder_resources(catalog, actor, dataset_id, Submitted.of(reorder))
    print(f"[{label}] reorder of {len(order)} resources: {(time.perf_counter() - start) * 1000:.0f} ms")


def run(label: str, url: str, data_dir: Path) -> None:
    # Room past the default cap (10,000): the largest dataset is filled to it, then written to.
    settings = Settings(data_dir=data_dir, database_url=url, max_resources_per_dataset=20_000)
    catalog = build_catalog(settings)
    database = catalog.db
    upgrade(database)
    _, key = accounts.create_user(catalog, email=f"{time.time()}@b.org", first_name="B", last_name="B")
    actor = accounts.authenticate(catalog, key)
    for size in (1, 10_000):
        _measure(label, catalog, actor, size)
    database.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.db", Path(tmp))
        postgres = os.environ.get("OPENCAT_BENCH_POSTGRES_URL")
        if postgres:
            run("postgresql", postgres, Path(tmp))
