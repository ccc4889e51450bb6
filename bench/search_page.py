"""The search page's context in-process, on a kept catalog (``bench.http --keep``): each search seen
for the first time (nothing remembered), then again (remembered), then right after a write; wall
and CPU milliseconds (CPU of the whole process: a facet recount in the background counts too), and
how the first time splits between the page of ids with its total and the facet counts.

    python -m bench.search_page /tmp/ocb1m/sqlite --word eau
"""

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

import sqlalchemy as sa

from opencat.catalog import faceted_search, listing
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import update_dataset
from opencat.config import Settings
from opencat.db import accounts as db_accounts
from opencat.db.tables import users
from opencat.domain import periods
from opencat.domain.accounts import Actor
from opencat.domain.changes import DatasetChanges, Submitted
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters, Visibility
from opencat.search.index import Remembered
from opencat.wiring import build_catalog


def _page(catalog: Catalog, query: DatasetQuery) -> faceted_search.SearchResult:
    """What the search page asks for (web/pages._search), for an anonymous visitor."""
    return faceted_search.search(
        catalog,
        query,
        more_facets={"geozone": "zones"},
        periods=periods.offered(query.filters.period, catalog.clock().date()),
        fresh_counts=False,
        sampled_counts=True,
    )


def _forget(catalog: Catalog) -> None:
    """Nothing remembered: as for a search seen for the first time."""
    index = catalog.search
    index._found, index._counted, index._latest_counts, index._bounds = (
        Remembered(),
        Remembered(),
        Remembered(),
        Remembered(),
    )


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def _write(catalog: Catalog, actor: Actor, dataset_id: str, number: int) -> None:
    update_dataset(catalog, actor, dataset_id, Submitted.of(DatasetChanges(description=f"Changed {number}")))


def _line(label: str, values: Sequence[tuple[float, float]]) -> str:
    walls, cpus = [v[0] for v in values], [v[1] for v in values]
    return (
        f"  {label:34s} wall p50 {statistics.median(walls):6.1f} max {max(walls):6.1f}"
        f"   CPU p50 {statistics.median(cpus):6.1f} max {max(cpus):6.1f} ms"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir", type=Path, help="a kept catalog's directory (opencat.db and search/)")
    parser.add_argument("--word", default="donnees", help="a common word")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    settings = Settings(data_dir=args.data_dir, database_url=f"sqlite:///{args.data_dir / 'opencat.db'}")
    catalog = build_catalog(settings)
    searches = {
        "unfiltered": DatasetQuery(),
        f"q={args.word}": DatasetQuery(q=args.word),
        "a period (1980 on)": DatasetQuery(
            filters=SearchFilters(period=(date(1980, 1, 1), date(2099, 12, 31)))
        ),
        "a decade (2010s)": DatasetQuery(
            filters=SearchFilters(period=(date(2010, 1, 1), date(2019, 12, 31)))
        ),
        "page 2": DatasetQuery(page=2),
    }
    with catalog.db.read() as conn:
        first = listing.search_request(conn, DatasetQuery(page_size=1), Visibility(), public=True)
        dataset_id = catalog.search.search(first).ids[0]
        user_id = conn.execute(sa.select(users.c.id).limit(1)).scalar_one()
        user = db_accounts.find_user(conn, user_id)
    assert user is not None
    actor = Actor(user=replace(user, sysadmin=True))  # may edit any dataset
    _page(catalog, DatasetQuery())  # the process warmed up: references read, templates aside
    for label, query in searches.items():
        cold, warm, written = [], [], []
        for round_number in range(args.rounds):
            _forget(catalog)
            page = partial(_page, catalog, query)
            cold.append(_timed(page))
            warm.append(_timed(page))
            _write(catalog, actor, dataset_id, round_number)
            written.append(_timed(page))
            time.sleep(0.5)  # the background recount ends before the next round
        result = _page(catalog, query)
        print(
            f"{label}: {result.page.total:,} matches, counts {'estimated' if result.estimated else 'exact'}"
        )
        print(_line("seen for the first time", cold))
        print(_line("again (remembered)", warm))
        print(_line("right after a write", written))
        ids, counts = [], []
        names = [*faceted_search.FACETS.values(), "zones"]
        cuts = periods.cuts(periods.offered(query.filters.period, catalog.clock().date()))
        for _ in range(args.rounds):
            _forget(catalog)
            with catalog.db.read() as conn:
                request = listing.search_request(conn, query, Visibility(), public=True)
            ids.append(_timed(partial(catalog.search.search, request)))
            total = catalog.search.search(request).total
            count = partial(
                catalog.search.counts, request, names, coverage_cuts=cuts, sample=True, matches=total
            )
            counts.append(_timed(count))
        print(_line("  of which page of ids and total", ids))
        print(_line("  of which facet counts", counts))
    catalog.db.dispose()


if __name__ == "__main__":
    main()
