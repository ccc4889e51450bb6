"""Listing, filtering, search and suggest on a large synthetic catalog (default 1M datasets).

Generates the catalog (``bench/generate.py``), bulk-loads it into a migrated SQLite database, and
into PostgreSQL when ``OPENCAT_BENCH_POSTGRES_URL`` is set (its database is dropped and created
again: its name must contain "bench"), and builds the search index once, straight from the
documents (both databases hold the same rows, so each gets a copy of the same index). Then, per
database, runs the handlers of ``GET /api/1/datasets/``, the suggest and the v2 search without the
HTTP framing (their reply rendered with its mask and orjson). Each case runs warm, ``--rounds``
times, the cases taking turns round by round so that a shared machine's noise spreads evenly; p50
and p95 in ms, with the median split between the index, the database (the use case's Python
within its transactions included) and the rest (arguments, serializers, envelope, mask, orjson).
Kept data (``--keep``, then ``--reuse``) whose index a schema change has reset gets its index
rebuilt alone.

    python -m bench.search                      # 1M datasets, SQLite (+ PostgreSQL if set)
    python -m bench.search --datasets 100000    # a quicker run
    python -m bench.search --dir /work/big --keep       # keep the loaded data...
    python -m bench.search --dir /work/big --reuse      # ...and time it again without reloading
    python -m bench.search --dir /work/big --reuse --profile "q: common word"
"""

import argparse
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bench.generate import Catalog as Generator
from bench.search import loading, queries, report, timing
from opencat.api.endpoint import Services
from opencat.catalog import indexing
from opencat.config import Settings
from opencat.db import outbox
from opencat.domain.urls import Urls
from opencat.search.index import SearchIndex
from opencat.wiring import build_catalog


def run_database(
    label: str, data_dir: Path, url: str, chosen: list[queries.Case], rounds: int, profile: str | None
) -> list[timing.Result]:
    settings = Settings(data_dir=data_dir, database_url=url)
    catalog = build_catalog(settings)
    with catalog.db.read() as conn:
        head = outbox.head(conn)
    applied = catalog.search.current_seq()
    if head != applied:
        raise RuntimeError(f"[{label}] the index is not up to date: outbox {head}, index {applied}")
    indexing.sync(catalog)  # a no-op: nothing to replay
    spent = timing.Spent()
    timed = replace(
        catalog,
        search=timing.TimedIndex(catalog.search, spent),  # type: ignore[arg-type]
        db=timing.TimedDatabase(catalog.db, spent),  # type: ignore[arg-type]
    )
    services = Services(timed, settings, Urls(settings.base_url, settings.front_url))
    if profile is not None:
        timing.profile(services, spent, next(c for c in chosen if c.name == profile), rounds)
        return []
    results = timing.measure(services, spent, chosen, rounds)
    report.print_results(label, results)
    catalog.db.dispose()
    return results


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
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
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    postgres = None if args.no_postgres else os.environ.get("OPENCAT_BENCH_POSTGRES_URL") or None
    work = args.dir or Path(tempfile.mkdtemp(prefix="opencat-bench-search-"))
    work.mkdir(parents=True, exist_ok=True)
    setup = loading.Setup(work, args.datasets, args.seed, postgres)
    generator = Generator(args.datasets, args.seed)
    try:
        marker = work / loading.MARKER
        stored = json.loads(marker.read_text()) if marker.exists() else {}
        if not (args.reuse and {k: stored.get(k) for k in setup.marker()} == setup.marker()):
            print(f"Loading {args.datasets:,} datasets into {work}" + (" and PostgreSQL" if postgres else ""))
            loading.load_all(setup, generator)
            stored = json.loads(marker.read_text())
        else:
            loading.reindex_if_stale(setup, generator)
        report.print_load(stored["report"], stored["report"]["sizes"])
        index = SearchIndex(setup.sqlite_dir / "search")
        words = queries.choose_words(index, generator)
        del index
        print("\nQuery words:", ", ".join(f"{k}={v!r}" for k, v in words.items()))
        chosen = [
            case for case in queries.cases(words, generator) if args.only is None or args.only in case.name
        ]
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
            report.print_summary(results)
    finally:
        if not args.keep:
            loading.remove(setup, own_work=args.dir is None)


if __name__ == "__main__":
    main()
