"""Listing, filtering, search and suggest on a large synthetic catalog (default 1M datasets).

Generates the catalog (``bench/generate.py``), bulk-loads it into a migrated SQLite database, and
into PostgreSQL when ``OPENCAT_BENCH_POSTGRES_URL`` is set (its database is dropped and created
again: its name must contain "bench"), and builds the search index once, straight from the
documents (both databases hold the same rows, so each gets a copy of the same index). Then, per
database, times what the HTTP handlers do minus the HTTP framing: the use case
(``list_datasets``, ``suggest_datasets``, the v2 ``search``), then the handler's rendering
(serializers, envelope, mask, orjson). Each case runs warm, ``--rounds`` times, the cases taking
turns round by round so that a shared machine's noise spreads evenly; p50 and p95 in ms, with the
median split between the index, the database (and Python around it) and the rendering. Kept data
(``--keep``, then ``--reuse``) whose index a schema change has reset gets its index rebuilt alone.

    python -m bench.search                      # 1M datasets, SQLite (+ PostgreSQL if set)
    python -m bench.search --datasets 100000    # a quicker run
    python -m bench.search --dir /work/big --keep       # keep the loaded data...
    python -m bench.search --dir /work/big --reuse      # ...and time it again without reloading
    python -m bench.search --dir /work/big --reuse --profile "q: common word"
"""

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy import event
from starlette.requests import Request
from unidecode import unidecode

from bench.generate import END
from bench.generate import Catalog as Generator
from opencat.api import serializers
from opencat.api import suggest as api_suggest
from opencat.api import v2 as api_v2
from opencat.api.datasets import PAGE_MASK
from opencat.api.endpoint import Call, Reply, Services, render
from opencat.api.filters import dataset_query
from opencat.api.pagination import envelope
from opencat.app import build_catalog
from opencat.catalog import datasets as catalog_datasets
from opencat.catalog import faceted_search, indexing
from opencat.catalog import suggest as catalog_suggest
from opencat.config import Settings
from opencat.db import accounts as db_accounts
from opencat.db import geozones as db_geozones
from opencat.db import outbox
from opencat.db.datasets import _columns
from opencat.db.engine import Database
from opencat.db.migrate import upgrade
from opencat.db.resources import _values
from opencat.db.tables import dataset_tags, datasets, resources
from opencat.domain.accounts import ANONYMOUS, Organization
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.dates import utc_now
from opencat.domain.errors import NotFound
from opencat.domain.ids import is_object_id
from opencat.domain.search import STOPWORDS, SearchDocument, SearchRequest, Visibility
from opencat.domain.spatial import Zone, normalize_zone, with_ancestors
from opencat.domain.urls import Urls
from opencat.search.index import SearchIndex
from opencat.search.schema import analyzers

CHUNK = 5000  # datasets per transaction and per executemany
WARMUP = 5
MARKER = "loaded.json"


# --- Loading -----------------------------------------------------------------------------------


@dataclass
class Rows:
    datasets: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)


def _rows(entries: Sequence[tuple[Dataset, list[Resource]]], now: datetime) -> Rows:
    """The rows ``db.datasets.insert`` and ``db.resources.replace_all`` would write, in bulk."""
    rows = Rows()
    for dataset, items in entries:
        rows.datasets.append(
            {
                "id": dataset.id,
                "followers": int(dataset.metrics.get("followers") or 0),
                **_columns(dataset, dataset.last_update(items, now)),
            }
        )
        rows.tags += [{"dataset_id": dataset.id, "tag": tag} for tag in dataset.tags]
        rows.resources += [
            {"id": item.id, "dataset_id": dataset.id, "position": position, **_values(item, now)}
            for position, item in enumerate(items)
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
    """Zone ancestors for the search documents, as ``catalog.search.documents`` finds them."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.found: dict[str, Zone] = {}
        self.asked: set[str] = set()

    def known(self, entries: Sequence[tuple[Dataset, list[Resource]]]) -> dict[str, Zone]:
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
    entries: Sequence[tuple[Dataset, list[Resource]]],
    organizations: dict[str, Organization],
    known: dict[str, Zone],
    now: datetime,
) -> Iterator[SearchDocument]:
    for dataset, items in entries:
        document = indexing._document(dataset, items, organizations.get(dataset.organization_id or ""), now)
        yield replace(document, zones=with_ancestors(document.zones, known)) if document.zones else document


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


def _store(
    clock: Clock,
    targets: dict[str, Database],
    entries: Sequence[tuple[Dataset, list[Resource]]],
    counts: dict[str, int],
) -> None:
    with clock.phase("rows (codec)"):
        rows = _rows(entries, END)
    for label, database in targets.items():
        with clock.phase(f"{label}: insert"):
            _insert(database, rows)
    counts["tags"] += len(rows.tags)
    counts["resources"] += len(rows.resources)


def _directory_size(path: Path) -> int:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())


def _postgres_size(database: Database) -> int:
    with database.read() as conn:
        return int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one())


def _print_load(report: dict[str, Any], sizes: dict[str, int]) -> None:
    counts, seconds = report["counts"], report["seconds"]
    rows = counts["datasets"] + counts["tags"] + counts["resources"]
    print(
        f"\nLoaded {counts['datasets']:,} datasets, {counts['resources']:,} resources, "
        f"{counts['tags']:,} tag rows ({rows:,} rows)"
    )
    for name, spent in seconds.items():
        rate = ""
        if name.endswith(": insert"):
            rate = f"  {rows / spent:,.0f} rows/s, {counts['datasets'] / spent:,.0f} datasets/s"
        print(f"  {name:<32} {spent:8.1f} s{rate}")
    index_seconds = seconds.get("index: documents and put", 0) + seconds.get("index: commit", 0)
    print(f"  {'index: total':<32} {index_seconds:8.1f} s  {counts['datasets'] / index_seconds:,.0f} docs/s")
    for name, size in sizes.items():
        print(f"  size of {name:<24} {size / 2**20:10,.0f} MiB")


# --- PostgreSQL database lifecycle --------------------------------------------------------------


def _admin(url: str) -> tuple[sa.Engine, str]:
    target = sa.make_url(Database(url).url)
    name = target.database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to recreate database {name!r}: its name must contain 'bench'")
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    return engine, name


def _recreate_postgres(url: str) -> None:
    engine, name = _admin(url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def _drop_postgres(url: str) -> None:
    engine, name = _admin(url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    engine.dispose()


# --- Timing ----------------------------------------------------------------------------------


class TimedIndex:
    """The catalog's index, counting the time spent in its queries."""

    def __init__(self, index: SearchIndex) -> None:
        self._index = index
        self.spent = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)

    def _timed(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            self.spent += time.perf_counter() - start

    def search(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(self._index.search, *args, **kwargs)

    def facets(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(self._index.facets, *args, **kwargs)

    def suggest(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(self._index.suggest, *args, **kwargs)


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    params: dict[str, str]
    target_ms: float | None
    kind: str = "list"  # list, suggest or v2


@dataclass
class Result:
    case: Case
    matches: int
    total: list[float]
    index: list[float]
    render: list[float]

    def p(self, samples: list[float], q: float) -> float:
        ordered = sorted(samples)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _call(services: Services, case: Case) -> Call:
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "root_path": "",
        "path": case.path,
        "raw_path": case.path.encode(),
        "query_string": urlencode(case.params).encode(),
        "headers": [],
    }
    return Call(Request(scope), services, ANONYMOUS)


def _list_round(call: Call) -> tuple[int, float]:
    """``GET /api/1/datasets/``: the use case, then the handler's rendering; (matches, render s)."""
    query = dataset_query(call.params)
    page = catalog_datasets.list_datasets(call.catalog, call.actor, query)
    start = time.perf_counter()
    body = envelope(
        page,
        lambda view: serializers.dataset(view, call.actor, call.urls, utc_now()),
        call.urls.base,
        call.request.url.path,
        call.params,
    )
    render(call, Reply(body, mask=PAGE_MASK))
    return page.total, time.perf_counter() - start


def _v2_round(call: Call) -> tuple[int, float]:
    """``GET /api/2/datasets/search/``: the search with facets, then the handler's rendering."""
    result = faceted_search.search(call.catalog, dataset_query(call.params))
    start = time.perf_counter()
    body = envelope(
        result.page,
        lambda view: api_v2.dataset_v2(call, view),
        call.urls.base,
        call.request.url.path,
        call.params,
    )
    body["facets"] = api_v2._facets(call, result)
    render(call, Reply(body, sort_keys=False))
    return result.page.total, time.perf_counter() - start


def _suggest_round(call: Call) -> tuple[int, float]:
    """``GET /api/1/datasets/suggest/``: the use case, then the handler's rendering."""
    found = catalog_suggest.suggest_datasets(call.catalog, call.params["q"], int(call.params["size"]))
    start = time.perf_counter()
    render(call, Reply([api_suggest._item(call, item) for item in found]))
    return len(found), time.perf_counter() - start


ROUNDS = {"list": _list_round, "v2": _v2_round, "suggest": _suggest_round}


def _once(timed: TimedIndex, case: Case, call: Call, result: Result, keep: bool) -> bool:
    """One round of ``case``; False when its page does not exist (a small catalog)."""
    timed.spent = 0.0
    start = time.perf_counter()
    try:
        matches, rendering = ROUNDS[case.kind](call)
    except NotFound:
        result.matches = -1
        return False
    total = time.perf_counter() - start
    if keep:
        result.total.append(total * 1000)
        result.index.append(timed.spent * 1000)
        result.render.append(rendering * 1000)
    result.matches = matches
    return True


def measure(services: Services, timed: TimedIndex, chosen: Sequence[Case], rounds: int) -> list[Result]:
    """Every case once per round, in turn, so that the noise of a shared machine spreads evenly."""
    calls = [_call(services, case) for case in chosen]
    results = [Result(case, 0, [], [], []) for case in chosen]
    live = set(range(len(chosen)))
    for number in range(WARMUP + rounds):
        for position in sorted(live):
            if not _once(timed, chosen[position], calls[position], results[position], number >= WARMUP):
                live.discard(position)
        if number and number % 50 == 0:
            print(f"  {number} rounds", flush=True)
    return results


# --- Cases -----------------------------------------------------------------------------------


def _count(index: SearchIndex, words: tuple[str, ...]) -> int:
    request = SearchRequest(words=words, visibility=Visibility(), limit=1)
    return index.search(request).total


_STEMMER = analyzers()["fr_stem"]


def _candidates(words: Sequence[str], limit: int) -> list[str]:
    """Words worth a query, one per stem (the index matches stems: "données" is "don")."""
    found: dict[tuple[str, ...], str] = {}
    for word in words:
        lowered = word.casefold()
        if len(lowered) >= 4 and lowered.isalpha() and lowered not in STOPWORDS:
            found.setdefault(tuple(_STEMMER.analyze(lowered)), lowered)
        if len(found) == limit:
            break
    return list(found.values())


def _closest(counted: dict[str, int], wanted: float, exclude: Sequence[str] = ()) -> str:
    choices = {word: n for word, n in counted.items() if word not in exclude and n > 0}
    return min(choices, key=lambda word: (abs(choices[word] - wanted), word))


def _typo(word: str) -> str:
    """One letter replaced, in the middle (a fuzzy match in titles)."""
    middle = len(word) // 2
    return word[:middle] + ("a" if word[middle] != "a" else "e") + word[middle + 1 :]


def choose_words(index: SearchIndex, generator: Generator) -> dict[str, str]:
    """Query words picked by their number of matches, from the generated vocabulary."""
    vocabulary = generator.words
    public = _count(index, ())
    titles, descriptions = vocabulary.title_words.items, vocabulary.description_words.items
    words = _candidates([*titles[:400], *descriptions[:400], *titles[2000:2600]], 1000)
    counted = {word: _count(index, (word,)) for word in words}
    common = sorted(counted, key=lambda word: (-counted[word], word))[:3]
    medium = _closest(counted, public * 0.10, common)
    rare = _closest(counted, public * 0.0005, common)
    title_common = next(w for w in _candidates(vocabulary.title_words.items, 50) if len(w) >= 5)
    folded = unidecode(title_common)
    return {
        "common": common[0],
        "common2": common[1],
        "common3": common[2],
        "medium": medium,
        "rare": rare,
        "typo": _typo(title_common),
        "prefix2": folded[:2],
        "prefix3": folded[:3],
        "prefix5": folded[:5],
    }


def cases(words: dict[str, str], generator: Generator) -> list[Case]:
    listing = "/api/1/datasets/"
    top_org = generator.organizations[0].id
    mid_org = generator.organizations[20].id
    top_tag = generator.words.tags.items[0]
    w = words

    def q(name: str, text: str, target: float | None = 50) -> Case:
        return Case(f"q: {name}", listing, {"q": text}, target)

    def suggest(name: str, text: str) -> Case:
        return Case(f"suggest: {name}", "/api/1/datasets/suggest/", {"q": text, "size": "10"}, 20, "suggest")

    return [
        q("common word", w["common"]),
        q("2nd common word", w["common2"]),
        q("medium word", w["medium"]),
        q("rare word", w["rare"]),
        q("2 common words", f"{w['common']} {w['common2']}"),
        q("common + medium", f"{w['common']} {w['medium']}"),
        q("3 common words", f"{w['common']} {w['common2']} {w['common3']}"),
        q("common + medium + rare", f"{w['common']} {w['medium']} {w['rare']}"),
        q("typo (fuzzy)", w["typo"]),
        q("stopword only", "de"),
        Case("page 1, no filter", listing, {}, None),
        Case("page 1: top org + csv", listing, {"organization": top_org, "format": "csv"}, 10),
        Case("page 1: org #21 + csv", listing, {"organization": mid_org, "format": "csv"}, 10),
        Case("page 1: top tag + lov2", listing, {"tag": top_tag, "license": "lov2"}, 10),
        Case("page 500, no filter", listing, {"page": "500"}, 30),
        Case("page 500: lov2", listing, {"page": "500", "license": "lov2"}, 30),
        Case("page 500: common word", listing, {"page": "500", "q": w["common"]}, None),
        suggest("2 letters", w["prefix2"]),
        suggest("3 letters", w["prefix3"]),
        suggest("5 letters", w["prefix5"]),
        Case("v2 search + facets: common", "/api/2/datasets/search/", {"q": w["common"]}, None, "v2"),
        Case("v2 search + facets: none", "/api/2/datasets/search/", {}, None, "v2"),
    ]


# --- Running ---------------------------------------------------------------------------------


def _print_results(label: str, results: list[Result]) -> None:
    print(f"\n[{label}] p50 / p95 in ms; the median split into index | database and Python | rendering")
    print(f"  {'case':<30} {'query':<48} {'matches':>9} {'p50':>7} {'p95':>7}  {'target':>6}   split")
    for r in results:
        if not r.total:
            print(f"  {r.case.name:<30} (skipped: no such page in this catalog)")
            continue
        query = " ".join(f"{k}={v[:8] if is_object_id(v) else v}" for k, v in r.case.params.items())
        p95 = r.p(r.total, 0.95)
        target = "" if r.case.target_ms is None else f"{r.case.target_ms:.0f}"
        verdict = "" if r.case.target_ms is None else ("ok" if p95 < r.case.target_ms else "MISS")
        index, rendering = statistics.median(r.index), statistics.median(r.render)
        other = statistics.median(t - i - g for t, i, g in zip(r.total, r.index, r.render, strict=True))
        print(
            f"  {r.case.name:<30} {query[:48]:<48} {r.matches:>9,} {r.p(r.total, 0.5):7.2f} {p95:7.2f}"
            f"  {target:>6} {verdict:<4}  {index:.2f} | {other:.2f} | {rendering:.2f}"
        )


def run_database(
    label: str, data_dir: Path, url: str, chosen: list[Case], rounds: int, profile: str | None
) -> list[Result]:
    settings = Settings(data_dir=data_dir, database_url=url)
    catalog = build_catalog(settings)
    timed = TimedIndex(catalog.search)
    catalog = replace(catalog, search=timed)  # type: ignore[arg-type]
    with catalog.db.read() as conn:
        head = outbox.head(conn)
    applied = catalog.search.current_seq()
    if head != applied:
        raise RuntimeError(f"[{label}] the index is not up to date: outbox {head}, index {applied}")
    indexing.sync(catalog)  # a no-op: nothing to replay
    services = Services(catalog, settings, Urls(settings.base_url, settings.front_url))
    if profile is not None:
        _profile(services, timed, next(c for c in chosen if c.name == profile), rounds)
        return []
    results = measure(services, timed, chosen, rounds)
    _print_results(label, results)
    catalog.db.dispose()
    return results


def _profile(services: Services, timed: TimedIndex, case: Case, rounds: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    measure(services, timed, [case], rounds)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def _summary(all_results: dict[str, list[Result]]) -> None:
    labels = list(all_results)
    print("\n| case | matches | target p95 | " + " | ".join(f"{label} p50 / p95" for label in labels) + " |")
    print("|---|---|---|" + "---|" * len(labels))
    first = all_results[labels[0]]
    for position, result in enumerate(first):
        cells = []
        for label in labels:
            r = all_results[label][position]
            if not r.total:
                cells.append("n/a")
                continue
            cells.append(f"{r.p(r.total, 0.5):.2f} / {r.p(r.total, 0.95):.2f}")
        target = "-" if result.case.target_ms is None else f"< {result.case.target_ms:.0f}"
        print(f"| {result.case.name} | {result.matches:,} | {target} | " + " | ".join(cells) + " |")


@dataclass
class Setup:
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


def _load_all(setup: Setup, generator: Generator) -> None:
    shutil.rmtree(setup.sqlite_dir, ignore_errors=True)
    shutil.rmtree(setup.postgres_dir, ignore_errors=True)
    setup.sqlite_dir.mkdir(parents=True)
    (setup.work / MARKER).unlink(missing_ok=True)
    targets = {"sqlite": Database(setup.sqlite_url)}
    _bulk_sqlite(targets["sqlite"])
    if setup.postgres:
        _recreate_postgres(setup.postgres)
        targets["postgresql"] = Database(setup.postgres)
    started = time.perf_counter()
    report = load(generator, targets, setup.sqlite_dir / "search", targets["sqlite"])
    sizes = {
        "sqlite file": (setup.sqlite_dir / "opencat.db").stat().st_size,
        "index directory": _directory_size(setup.sqlite_dir / "search"),
    }
    if setup.postgres:
        report["seconds"]["index: copy for postgresql"] = _copy_index(setup)
        sizes["postgresql database"] = _postgres_size(targets["postgresql"])
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


def _reindex_if_stale(setup: Setup, generator: Generator) -> None:
    """Kept data whose index another schema version has reset: rebuild the index alone."""
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
    stored["report"]["sizes"]["index directory"] = _directory_size(setup.sqlite_dir / "search")
    marker.write_text(json.dumps(stored, indent=1))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--datasets", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, help="work directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the data (and the PostgreSQL database)")
    parser.add_argument("--reuse", action="store_true", help="reuse the data of a kept --dir if it matches")
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    parser.add_argument("--profile", help="profile this case (exact name) with cProfile instead of timing")
    parser.add_argument("--no-postgres", action="store_true", help="ignore OPENCAT_BENCH_POSTGRES_URL")
    args = parser.parse_args(argv)
    postgres = None if args.no_postgres else os.environ.get("OPENCAT_BENCH_POSTGRES_URL") or None
    work = args.dir or Path(tempfile.mkdtemp(prefix="opencat-bench-search-"))
    work.mkdir(parents=True, exist_ok=True)
    setup = Setup(work, args.datasets, args.seed, postgres)
    generator = Generator(args.datasets, args.seed)
    try:
        marker = work / MARKER
        stored = json.loads(marker.read_text()) if marker.exists() else {}
        if not (args.reuse and {k: stored.get(k) for k in setup.marker()} == setup.marker()):
            print(f"Loading {args.datasets:,} datasets into {work}" + (" and PostgreSQL" if postgres else ""))
            _load_all(setup, generator)
            stored = json.loads(marker.read_text())
        else:
            _reindex_if_stale(setup, generator)
        _print_load(stored["report"], stored["report"]["sizes"])
        index = SearchIndex(setup.sqlite_dir / "search")
        words = choose_words(index, generator)
        del index
        print("\nQuery words:", ", ".join(f"{k}={v!r}" for k, v in words.items()))
        chosen = [case for case in cases(words, generator) if args.only is None or args.only in case.name]
        results = {
            "sqlite": run_database(
                "sqlite", setup.sqlite_dir, setup.sqlite_url, chosen, args.rounds, args.profile
            )
        }
        if postgres:
            results["postgresql"] = run_database(
                "postgresql", setup.postgres_dir, postgres, chosen, args.rounds, args.profile
            )
        if args.profile is None:
            _summary(results)
    finally:
        if not args.keep:
            if postgres:
                _drop_postgres(postgres)
            if args.dir is None:
                shutil.rmtree(work, ignore_errors=True)
            else:
                shutil.rmtree(setup.sqlite_dir, ignore_errors=True)
                shutil.rmtree(setup.postgres_dir, ignore_errors=True)
                (work / MARKER).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
