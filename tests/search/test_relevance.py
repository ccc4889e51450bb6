"""Search relevance on real data: the gold dataset queries of datagouv-search-indicator, replayed.

About 3,200 real datasets are loaded: the 2,862 rows of the 2020 catalogue export, then the 366
complete 2022 documents (loaded last, so that the 47 datasets in both keep their richer 2022
version). Each row of ``search-indicator/datasets.csv`` (``query,params,expected``) is asked of
``GET /api/1/datasets/?q=<query>&page_size=10`` (plus its params), and the expected dataset's rank
in that first page is recorded. Queries whose expected dataset is not in the loaded data are
skipped. Production's run of 2022-12-02 (``queries.json``) is the reference.

``pytest -s`` prints the per-query table and a summary per database; docs/search.md holds the
figures and a diagnosis of each miss.
"""

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.imports import catalog_is_empty, load_fixtures
from opencat.catalog.indexing import sync
from opencat.config import Settings
from opencat.db.engine import Database
from opencat.db.tables import metadata
from opencat.wiring import build_catalog
from tests import paths
from tests.conftest import BASE_URL, REFERENCE_TABLES

EXPORT = paths.REALDATA / "catalog-export-2020-subset" / "export.csv"
DOCUMENTS = paths.INDICATOR / "datasets"
GOLD = paths.REALDATA / "search-indicator" / "datasets.csv"
PRODUCTION = paths.INDICATOR / "queries.json"
PAGE_SIZE = 10

# What we measure today, on both databases (one Tantivy index answers either way, so they agree).
# Raise these when relevance improves; a drop below them fails the test.
MIN_TOP_3 = 38
MIN_TOP_10 = 42


@dataclass(frozen=True, slots=True)
class Query:
    query: str
    params: str
    expected: str

    @property
    def label(self) -> str:
        return f"{self.query} [{self.params}]".strip() if self.params else self.query


@dataclass(frozen=True, slots=True)
class Outcome:
    query: Query
    rank: int | None  # 1-based rank in the first page, None when absent from it
    total: int
    production: int | None  # production's 2022 rank, None when not found there
    recorded: bool  # whether production's run has a result for this query


@dataclass(frozen=True, slots=True)
class Relevance:
    dialect: str
    outcomes: list[Outcome]
    skipped: list[Query]
    seconds: dict[str, float]

    def top(self, limit: int, *, recorded_only: bool = False) -> int:
        return sum(
            1
            for o in self.outcomes
            if o.rank is not None and o.rank <= limit and (o.recorded or not recorded_only)
        )

    def production_top(self, limit: int) -> int:
        return sum(
            1 for o in self.outcomes if o.recorded and o.production is not None and o.production <= limit
        )

    @property
    def recorded(self) -> int:
        return sum(1 for o in self.outcomes if o.recorded)


def gold_queries() -> list[Query]:
    with GOLD.open(encoding="utf-8", newline="") as handle:
        return [Query(row["query"], row["params"], row["expected"]) for row in csv.DictReader(handle)]


def production_ranks() -> dict[tuple[str, str, str], int | None]:
    """Production's 2022 rank by (query, params, expected); rows it did not record are absent."""
    results = json.loads(PRODUCTION.read_text(encoding="utf-8"))["queries"]
    found: dict[tuple[str, str, str], int | None] = {}
    for item in results:
        if item.get("model") != "Dataset" or item.get("error"):
            continue
        key = (item["query"], urlencode(item["params"]), item["expected"])
        found[key] = item["rank"] if item["found"] else None
    return found


def _empty(database: Database) -> None:
    """What the per-test ``db`` fixture does after each test (reference lists are kept)."""
    with database.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())


def _ask(client: TestClient, query: Query) -> tuple[int | None, int]:
    params = [("q", query.query), ("page_size", str(PAGE_SIZE)), *parse_qsl(query.params)]
    response = client.get(f"/api/1/datasets/?{urlencode(params)}")
    assert response.status_code == 200, (query, response.text)
    body = response.json()
    ids = [item["id"] for item in body["data"]]
    return (ids.index(query.expected) + 1 if query.expected in ids else None), int(body["total"])


@pytest.fixture(scope="module")
def relevance(
    dialect: str, migrated: Database, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Relevance:
    """Load both corpora and replay the gold queries, once per database.

    Module-scoped so that the load is paid once: it empties the database itself afterwards, since
    the per-test ``db`` fixture cannot clean up after a module fixture.
    """
    data_dir: Path = tmp_path_factory.mktemp("relevance")
    settings = Settings(data_dir=data_dir, database_url=database_url, base_url=BASE_URL)
    catalog = build_catalog(settings, database=migrated)
    assert catalog_is_empty(catalog), "a previous test left datasets behind"
    production = production_ranks()
    try:
        started = time.perf_counter()
        load_fixtures(catalog, EXPORT)
        load_fixtures(catalog, DOCUMENTS)
        loaded = time.perf_counter()
        sync(catalog)  # the first search would build the index: time it on its own
        indexed = time.perf_counter()
        outcomes: list[Outcome] = []
        skipped: list[Query] = []
        with TestClient(create_app(settings, catalog=catalog), base_url=BASE_URL) as client:
            for query in gold_queries():
                if client.get(f"/api/1/datasets/{query.expected}/").status_code == 404:
                    skipped.append(query)
                    continue
                rank, total = _ask(client, query)
                key = (query.query, query.params, query.expected)
                outcomes.append(Outcome(query, rank, total, production.get(key), key in production))
        replayed = time.perf_counter()
    finally:
        _empty(migrated)
    seconds = {"load": loaded - started, "index": indexed - loaded, "replay": replayed - indexed}
    return Relevance(dialect, outcomes, skipped, seconds)


def _rank(value: int | None) -> str:
    return "-" if value is None else str(value)


def report(result: Relevance) -> str:
    width = max(len(o.query.label) for o in result.outcomes)
    lines = [f"{'query':<{width}}  ours  2022  total"]
    for o in result.outcomes:
        production = _rank(o.production) if o.recorded else "n/a"
        lines.append(f"{o.query.label:<{width}}  {_rank(o.rank):>4}  {production:>4}  {o.total:>5}")
    n, m = len(result.outcomes), result.recorded
    seconds = ", ".join(f"{name} {value:.1f}s" for name, value in result.seconds.items())
    lines.append(
        f"relevance [{result.dialect}]: top-3 {result.top(3)}/{n}, top-10 {result.top(10)}/{n} "
        f"({len(result.skipped)} skipped: target absent) | on the {m} queries production recorded: "
        f"ours top-3 {result.top(3, recorded_only=True)}/{m}, top-10 {result.top(10, recorded_only=True)}/{m}; "
        f"production 2022 top-3 {result.production_top(3)}/{m}, top-10 {result.production_top(10)}/{m} "
        f"| {seconds}"
    )
    return "\n".join(lines)


def test_production_run_is_read_as_the_readme_describes_it() -> None:
    # README section 2: 50 dataset results, 30 found; 4 of them errors (target gone from production).
    results = json.loads(PRODUCTION.read_text(encoding="utf-8"))["queries"]
    datasets = [item for item in results if item.get("model") == "Dataset"]
    assert (len(datasets), sum(1 for item in datasets if item["found"])) == (50, 30)
    # 46 results without error, of 45 distinct queries: "élus" is twice in the gold set.
    assert len(production_ranks()) == 45
    assert len(gold_queries()) == 55


def test_only_the_queries_whose_target_is_absent_are_skipped(relevance: Relevance) -> None:
    # README section 2 names four expected ids that neither corpus holds.
    assert sorted({q.expected for q in relevance.skipped}) == [
        "53699058a3a729239d2039a3",
        "53699f06a3a729239d20601c",
        "5a0effeac751df5832ded865",
        "5a4e847cb59508409d014056",
    ]
    assert len(relevance.skipped) == 4
    assert len(relevance.outcomes) == len(gold_queries()) - 4


def test_relevance_does_not_drop_below_what_we_measured(relevance: Relevance) -> None:
    print(f"\n{report(relevance)}")  # shown by pytest -s
    assert relevance.top(3) >= MIN_TOP_3, report(relevance)
    assert relevance.top(10) >= MIN_TOP_10, report(relevance)
