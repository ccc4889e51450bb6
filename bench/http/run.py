"""Run the through-HTTP benchmark: per database and worker count, start opencat and the floor,
record opencat's answers for the floor, then run each row with wrk on both, alternating."""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.http import catalog, profile, rows, servers, wrk
from bench.http.floor import key, kind_key, save
from bench.http.report import Outcome, Stats, combine, tables
from bench.http.servers import Client, Server
from bench.http.wrk import Request
from bench.search.loading import Setup


@dataclass(frozen=True)
class Timing:
    warmup: float
    seconds: float
    rounds: int


def _record(server: Server, requests: list[Request], writes: dict[str, Request]) -> dict[str, Any]:
    """opencat's answers to every request of the rows, and one write of each kind made on the fly."""
    recorded = servers.record(server, requests)
    client = Client(server.port)
    try:
        for request in writes.values():
            answer = client.send(request)
            if answer.status not in (200, 201):
                raise RuntimeError(f"{request.method} {request.target}: {answer.status} {answer.body!r}")
            recorded[kind_key(request.method, request.target)] = answer
    finally:
        client.close()
    for name, answer in recorded.items():
        if answer.status >= 400:
            raise RuntimeError(f"opencat answered {name} with {answer.status}: {answer.body[:300]!r}")
    return recorded


def _measure(row: rows.Row, opencat: Server, floor: Server, timing: Timing) -> tuple[Stats, Stats]:
    """Warm both up, then alternate measured runs (who goes first alternates too)."""
    for server in (opencat, floor):
        wrk.run(server.url, row.load, timing.warmup)
    runs: dict[str, list[Stats]] = {opencat.name: [], floor.name: []}
    for number in range(timing.rounds):
        for server in (opencat, floor) if number % 2 == 0 else (floor, opencat):
            before = server.cpu_seconds()
            stats = wrk.run(server.url, row.load, timing.seconds)
            runs[server.name].append(replace(stats, cpu_seconds=server.cpu_seconds() - before))
    return combine(runs[opencat.name]), combine(runs[floor.name])


# The rows whose requests the ceiling reads a row for (a dataset's URL).
CEILING_ROWS = ("GET dataset",)


def _measure_ceiling(row: rows.Row, ceiling: Server, floor: Server, timing: Timing) -> dict[str, Any]:
    """The floor with one database read per request, against the floor, the same way."""
    ceiling_stats, floor_stats = _measure(row, ceiling, floor, timing)
    ratio = ceiling_stats.rps / floor_stats.rps if floor_stats.rps else 0.0
    print(
        f"  {'  ceiling (one row read)':<36} {ceiling_stats.rps:8,.0f} req/s "
        f"({ceiling_stats.cpu_ms:.2f} CPU ms/req, {ceiling_stats.errors} errors), floor "
        f"{floor_stats.rps:8,.0f} = {ratio:.1%}"
    )
    return {"row": row.name, "ceiling_rps": ceiling_stats.rps, "floor_rps": floor_stats.rps, "ratio": ratio}


def _profile(row: rows.Row, opencat: Server, seconds: float, output: Path) -> None:
    worker = opencat.workers()[0]
    wrk.run(opencat.url, row.load, 2)  # warm
    recorder = profile.start(worker, seconds, output)
    time.sleep(1)  # py-spy attaches
    stats = wrk.run(opencat.url, row.load, seconds)
    _, errors = recorder.communicate()
    if recorder.returncode != 0:
        raise RuntimeError(f"py-spy failed: {errors.decode()}")
    print(
        f"\nProfile of worker {worker} (the thread holding the GIL) under '{row.name}': {stats.rps:,.0f} req/s "
        f"meanwhile; raw stacks in {output}\n"
    )
    print(profile.summary(output.read_text()))


@dataclass(frozen=True)
class Options:
    datasets: int
    seed: int
    databases: list[str]
    workers: list[int]
    timing: Timing
    only: str | None
    pool: int
    profile: str | None
    out: Path
    ceiling: bool = False


def _rows(
    choice: catalog.Choice, opencat: Server, keys: dict[str, str], workers: int, pool: int
) -> list[rows.Row]:
    """The rows this worker count runs, once the RDF datasets have their 20 resources and the
    read datasets' ETags are known (for the 304 row)."""
    catalog.top_up(opencat, [(dataset_id, keys[email]) for dataset_id, email in choice.rdf])
    paths = rows.dataset_paths(choice, pool)
    got = servers.record(opencat, [Request("GET", path) for path in paths])
    etags = {path: got[key("GET", path, None)].headers["etag"] for path in paths}
    return [row for row in rows.rows(choice, etags, keys, pool) if workers >= row.min_workers]


def _writes(choice: catalog.Choice, keys: dict[str, str]) -> dict[str, Request]:
    """One write of each kind the mixed traffic makes, for the floor to answer them with."""
    owned_id, owner = choice.writable[0]
    return {
        "follow": Request(
            "POST", f"/api/1/datasets/{choice.readable[-1]}/followers/", {"X-API-KEY": keys[owner]}
        ),
        "resource": Request(
            "POST",
            f"/api/1/datasets/{owned_id}/resources/",
            {"X-API-KEY": keys[owner], "Content-Type": "application/json"},
            catalog.resource_body("mesures-bench.csv"),
        ),
    }


def _print(row: rows.Row, opencat: Stats, floor: Stats) -> None:
    ratio = f" = {opencat.rps / floor.rps:.1%}" if floor.rps else ""
    print(
        f"  {row.name:<38} opencat {opencat.rps:8,.0f} req/s (p50 {opencat.p50_ms:.1f}, "
        f"p99 {opencat.p99_ms:.1f} ms, {opencat.cpu_ms:.2f} CPU ms/req, {opencat.errors} errors), "
        f"floor {floor.rps:8,.0f} ({floor.cpu_ms:.2f} CPU ms/req){ratio}",
        flush=True,
    )


def run_database(
    label: str, setup: Setup, choice: catalog.Choice, options: Options, logs: Path, ceilings: list[Any]
) -> list[Outcome]:
    data_dir = setup.sqlite_dir if label == "sqlite" else setup.postgres_dir
    url = setup.sqlite_url if label == "sqlite" else str(setup.postgres)
    keys = catalog.issue_keys(data_dir, url, choice.emails)
    outcomes: list[Outcome] = []
    for workers in options.workers:
        with servers.opencat(data_dir, url, workers, logs) as opencat:
            available = _rows(choice, opencat, keys, workers, options.pool)
            if options.profile is not None:
                named = {row.name: row for row in available}
                if options.profile not in named:
                    raise SystemExit(f"--profile: no row named {options.profile!r}; rows: {', '.join(named)}")
                output = options.out / f"profile-{label}-{workers}w-{datetime.now(UTC):%Y%m%d-%H%M%S}.txt"
                _profile(named[options.profile], opencat, options.timing.seconds, output)
                continue
            only = options.only.split(",") if options.only else None
            chosen = [row for row in available if only is None or any(part in row.name for part in only)]
            requests = [request for row in chosen for request in row.load.static()]
            recorded = _record(opencat, requests, _writes(choice, keys))
            responses = logs / f"floor-{label}-{workers}.json"
            save(responses, recorded)
            with contextlib.ExitStack() as stack:
                floor = stack.enter_context(servers.floor(responses, workers, logs))
                servers.check(floor, requests, recorded)
                ceiling = None
                if options.ceiling:
                    ceiling = stack.enter_context(servers.floor(responses, workers, logs, url))
                    servers.check(ceiling, requests, recorded)
                print(f"\n[{label}, {workers} worker(s)] load average {os.getloadavg()[0]:.2f} at the start")
                for row in chosen:
                    opencat_stats, floor_stats = _measure(row, opencat, floor, options.timing)
                    outcomes.append(Outcome(label, workers, row.name, opencat_stats, floor_stats, row.target))
                    _print(row, opencat_stats, floor_stats)
                    if ceiling is not None and row.name.startswith(CEILING_ROWS):
                        figures = _measure_ceiling(row, ceiling, floor, options.timing)
                        ceilings.append({"database": label, "workers": workers, **figures})
                print(f"[{label}, {workers} worker(s)] load average {os.getloadavg()[0]:.2f} at the end")
    return outcomes


def _commit() -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return found.stdout.strip()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--datasets", type=int, default=12_000, help="catalog size (page 500 needs 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--databases", help="sqlite,postgresql (default: sqlite, and postgresql if a URL is set)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("OPENCAT_BENCH_POSTGRES_URL"),
        help="a PostgreSQL server (default: $OPENCAT_BENCH_POSTGRES_URL); a database of its own is created",
    )
    parser.add_argument("--workers", default="1,2", help="worker counts, in turn (default 1,2)")
    parser.add_argument("--seconds", type=float, default=2, help="each measured run (default 2)")
    parser.add_argument("--warmup", type=float, default=1, help="each warm-up run (default 1)")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per side and row (default 2)")
    parser.add_argument(
        "--only", help="run only the rows whose name contains one of these texts (comma-separated)"
    )
    parser.add_argument("--pool", type=int, default=catalog.READ_POOL, help="datasets read in turn")
    parser.add_argument("--dir", type=Path, help="work directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the data (and the PostgreSQL database)")
    parser.add_argument("--reuse", action="store_true", help="reuse the data of a kept --dir if it matches")
    parser.add_argument("--out", type=Path, default=Path("var/bench"), help="where the JSON figures go")
    parser.add_argument("--profile", help="profile a worker with py-spy under this row (exact name) instead")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also run the dataset rows on the floor reading one row per request (docs/performance.md)",
    )
    args = parser.parse_args(argv)
    wrk.require()
    if args.profile is not None:
        profile.require()
    postgres = catalog.postgres_url(args.postgres) if args.postgres else None
    databases = (args.databases or ("sqlite,postgresql" if postgres else "sqlite")).split(",")
    if "postgresql" in databases and postgres is None:
        raise SystemExit("PostgreSQL asked for, but no server: --postgres URL or OPENCAT_BENCH_POSTGRES_URL")
    options = Options(
        datasets=args.datasets,
        seed=args.seed,
        databases=databases,
        workers=[int(n) for n in args.workers.split(",")],
        timing=Timing(args.warmup, args.seconds, args.rounds),
        only=args.only,
        pool=args.pool,
        profile=args.profile,
        out=args.out,
        ceiling=args.ceiling,
    )
    options.out.mkdir(parents=True, exist_ok=True)
    work = args.dir or Path(tempfile.mkdtemp(prefix="opencat-bench-http-"))
    work.mkdir(parents=True, exist_ok=True)
    loaded_postgres = postgres if "postgresql" in databases else None
    started = datetime.now(UTC)
    load_at_start = os.getloadavg()
    try:
        setup, generator = catalog.load(work, args.datasets, args.seed, loaded_postgres, args.reuse)
        choice = catalog.choose(setup, generator)
        outcomes = []
        ceilings: list[Any] = []
        for label in databases:
            outcomes += run_database(label, setup, choice, options, options.out / "logs", ceilings)
    finally:
        if not args.keep:
            if loaded_postgres:
                from bench.search import postgres

                postgres.drop(loaded_postgres)
            shutil.rmtree(work, ignore_errors=True)
    if options.profile is not None:
        return
    print("\n" + tables([outcome.as_json() for outcome in outcomes]))
    report = {
        "date": started.isoformat(timespec="seconds"),
        "commit": _commit(),
        "datasets": args.datasets,
        "cores": os.cpu_count(),
        "load_average": {"start": load_at_start, "end": os.getloadavg()},
        "timing": {"warmup_s": args.warmup, "seconds": args.seconds, "rounds": args.rounds},
        "load_generator": f"wrk, {wrk.THREADS} threads, {wrk.CONNECTIONS} connections",
        "results": [outcome.as_json() for outcome in outcomes],
        "ceilings": ceilings,
    }
    path = options.out / f"http-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=1))
    print(f"\nFigures written to {path}")
