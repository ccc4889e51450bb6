"""The generated catalog into SQLite (and PostgreSQL) and the search index, in one pass; kept
data is described by a marker file so that a later run (``--reuse``) can time it again."""

import json
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from bench.generate import END
from bench.generate import Catalog as Generator
from bench.search import postgres
from opencat.catalog.indexing import search_document
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db import geozones as db_geozones
from opencat.db import outbox
from opencat.db import resources as db_resources
from opencat.db.engine import Database
from opencat.db.migrate import upgrade
from opencat.db.tables import dataset_tags, datasets, resources
from opencat.domain.accounts import Organization
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.search import SearchDocument
from opencat.domain.spatial import Zone, normalize_zone, with_ancestors
from opencat.search.index import SearchIndex

CHUNK = 5000  # datasets per transaction and per executemany
MARKER = "loaded.json"

Entries = Sequence[tuple[Dataset, list[Resource]]]


@dataclass
class Setup:
    """Where a run keeps its data: ``work/sqlite`` and ``work/postgresql`` (each with its search
    index), and ``work/loaded.json``, the marker describing what was loaded."""

    work: Path
    count: int
    seed: int
    postgres: str | None
    sqlite_dir: Path = field(init=False)
    postgres_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.sqlite_dir = self.work / "sqlite"
        self.postgres_dir = self.work / "postgresql"

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.sqlite_dir / 'opencat.db'}"

    def marker(self) -> dict[str, Any]:
        return {"datasets": self.count, "seed": self.seed, "postgres": self.postgres}


class Clock:
    """Seconds spent per phase."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - start


@dataclass
class Rows:
    datasets: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)


def _rows(entries: Entries, now: datetime) -> Rows:
    """The rows ``db.datasets.insert`` and ``db.resources.replace_all`` would write, in bulk."""
    rows = Rows()
    for dataset, items in entries:
        rows.datasets.append(db_datasets.new_row(dataset, dataset.last_update(items, now)))
        rows.tags += [{"dataset_id": dataset.id, "tag": tag} for tag in dataset.tags]
        rows.resources += [
            db_resources.new_row(dataset.id, position, item, now) for position, item in enumerate(items)
        ]
    return rows


def _insert(database: Database, rows: Rows) -> None:
    with database.write() as conn:
        conn.execute(datasets.insert(), rows.datasets)
        if rows.tags:
            conn.execute(dataset_tags.insert(), rows.tags)
        conn.execute(resources.insert(), rows.resources)


def _bulk_sqlite(database: Database) -> None:
    """Loading connections only: a large page cache, no fsync (a failed load is simply redone)."""

    @event.listens_for(database.engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA cache_size=-1048576")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


class Zones:
    """Zone ancestors for the search documents, as ``catalog.indexing.documents`` finds them."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.found: dict[str, Zone] = {}
        self.asked: set[str] = set()

    def known(self, entries: Entries) -> dict[str, Zone]:
        stored = {zone for d, _ in entries if d.spatial for zone in d.spatial.zones}
        missing = {normalize_zone(zone) for zone in stored} - self.asked
        if missing:
            with self.database.read() as conn:
                self.found.update(db_geozones.fetch_zones_ignoring_case(conn, missing))
            self.asked |= missing
        return {
            zone: self.found[normalize_zone(zone)] for zone in stored if normalize_zone(zone) in self.found
        }


def _documents(
    entries: Entries, organizations: dict[str, Organization], known: dict[str, Zone], now: datetime
) -> Iterator[SearchDocument]:
    for dataset, items in entries:
        document = search_document(dataset, items, organizations.get(dataset.organization_id or ""), now)
        yield replace(document, zones=with_ancestors(document.zones, known)) if document.zones else document


def _prepare(database: Database, generator: Generator) -> None:
    upgrade(database)
    with database.write() as conn:
        for user in generator.users:
            db_accounts.insert_user(conn, user)
        for org in generator.organizations:
            db_accounts.insert_organization(conn, org)


def _finish(label: str, database: Database) -> int:
    """One outbox row (the index is built apart and says it has seen it); then settle the files."""
    with database.write() as conn:
        first = conn.execute(sa.select(datasets.c.id).limit(1)).scalar_one()
        outbox.mark_changed(conn, [first])
        seq = outbox.head(conn)
    raw = database.engine.raw_connection()
    try:
        if label == "sqlite":
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            raw.cursor().execute("VACUUM (ANALYZE)")  # what autovacuum does within minutes
    finally:
        raw.close()
    return seq


def _store(clock: Clock, targets: dict[str, Database], entries: Entries, counts: dict[str, int]) -> None:
    with clock.phase("rows (codec)"):
        rows = _rows(entries, END)
    for label, database in targets.items():
        with clock.phase(f"{label}: insert"):
            _insert(database, rows)
    counts["tags"] += len(rows.tags)
    counts["resources"] += len(rows.resources)


def load(
    generator: Generator, targets: dict[str, Database], index_dir: Path, zones_from: Database
) -> dict[str, Any]:
    """Every dataset into every database (none: rebuild the index only), and the search index,
    in one pass over the generator."""
    clock = Clock()
    for label, database in targets.items():
        with clock.phase(f"{label}: migrate and accounts"):
            _prepare(database, generator)
    organizations = {org.id: org for org in generator.organizations}
    zones = Zones(zones_from)
    counts = {"datasets": 0, "tags": 0, "resources": 0}
    index = SearchIndex(index_dir)
    with index.writing() as batch:  # one writer for the whole load; it commits on exit
        batch.clear()
        for start in range(0, generator.count, CHUNK):
            with clock.phase("generate"):
                entries = list(generator.datasets(start, min(start + CHUNK, generator.count)))
            if targets:
                _store(clock, targets, entries, counts)
            with clock.phase("index: documents and put"):
                for document in _documents(entries, organizations, zones.known(entries), END):
                    batch.put(document)
            counts["datasets"] += len(entries)
            if start // CHUNK % 20 == 0:
                print(f"  loaded {counts['datasets']:,} / {generator.count:,}", flush=True)
        seqs = {}
        for label, database in targets.items():
            with clock.phase(f"{label}: outbox and settle"):
                seqs[label] = _finish(label, database)
        if not targets:
            with zones_from.read() as conn:
                seqs["existing"] = outbox.head(conn)
        if len(set(seqs.values())) != 1:
            raise RuntimeError(f"outbox heads differ between databases: {seqs}")
        batch.reach(next(iter(seqs.values())))
        committing = time.perf_counter()
    clock.spent["index: commit"] = time.perf_counter() - committing
    return {"counts": counts, "seconds": clock.spent, "applied_seq": index.applied_seq}


def directory_size(path: Path) -> int:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())


def load_all(setup: Setup, generator: Generator) -> None:
    """Load the catalog afresh (recreating the PostgreSQL database, if any) and write the marker,
    with the load's report (counts, seconds per phase, sizes)."""
    shutil.rmtree(setup.sqlite_dir, ignore_errors=True)
    shutil.rmtree(setup.postgres_dir, ignore_errors=True)
    setup.sqlite_dir.mkdir(parents=True)
    (setup.work / MARKER).unlink(missing_ok=True)
    targets = {"sqlite": Database(setup.sqlite_url)}
    _bulk_sqlite(targets["sqlite"])
    if setup.postgres:
        postgres.recreate(setup.postgres)
        targets["postgresql"] = Database(setup.postgres)
    started = time.perf_counter()
    report = load(generator, targets, setup.sqlite_dir / "search", targets["sqlite"])
    sizes = {
        "sqlite file": (setup.sqlite_dir / "opencat.db").stat().st_size,
        "index directory": directory_size(setup.sqlite_dir / "search"),
    }
    if setup.postgres:
        report["seconds"]["index: copy for postgresql"] = _copy_index(setup)
        sizes["postgresql database"] = postgres.size(targets["postgresql"])
    for database in targets.values():
        database.dispose()
    report["wall"] = time.perf_counter() - started
    report["sizes"] = sizes
    (setup.work / MARKER).write_text(json.dumps({**setup.marker(), "report": report}, indent=1))


def _copy_index(setup: Setup) -> float:
    started = time.perf_counter()
    shutil.rmtree(setup.postgres_dir / "search", ignore_errors=True)
    setup.postgres_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(setup.sqlite_dir / "search", setup.postgres_dir / "search")
    return time.perf_counter() - started


def reindex_if_stale(setup: Setup, generator: Generator) -> None:
    """Kept data: its databases migrated to this code's schema (a run of older code kept them),
    and its index rebuilt alone if another schema version has reset it."""
    for url in (setup.sqlite_url, setup.postgres):
        if url is not None:
            kept = Database(url)
            upgrade(kept)
            kept.dispose()
    if SearchIndex(setup.sqlite_dir / "search").applied_seq >= 0:
        return
    print("The kept index is stale (schema changed): rebuilding it from the generator")
    database = Database(setup.sqlite_url)
    report = load(generator, {}, setup.sqlite_dir / "search", database)
    database.dispose()
    if setup.postgres:
        report["seconds"]["index: copy for postgresql"] = _copy_index(setup)
    # The stored load report now describes this index.
    marker = setup.work / MARKER
    stored = json.loads(marker.read_text())
    for name, spent in report["seconds"].items():
        if name.startswith("index"):
            stored["report"]["seconds"][name] = spent
    stored["report"]["sizes"]["index directory"] = directory_size(setup.sqlite_dir / "search")
    marker.write_text(json.dumps(stored, indent=1))


def remove(setup: Setup, own_work: bool) -> None:
    """What a run without ``--keep`` leaves behind: nothing (the work directory itself too, when
    the run made it)."""
    if setup.postgres:
        postgres.drop(setup.postgres)
    if own_work:
        shutil.rmtree(setup.work, ignore_errors=True)
    else:
        shutil.rmtree(setup.sqlite_dir, ignore_errors=True)
        shutil.rmtree(setup.postgres_dir, ignore_errors=True)
        (setup.work / MARKER).unlink(missing_ok=True)
