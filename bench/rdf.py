"""DCAT: one dataset's RDF in every serialization, and the streamed export of the whole catalog.

1. A dataset with 20 resources (organization, coverage, checksums, sizes): ``GET …/rdf.{format}``
   through the ASGI app, p50 / p95 per format.
2. ``opencat export dcat`` (N-Triples and Turtle) and ``opencat export jsonl`` run as child
   processes on a catalog: datasets/s and peak resident memory (``ru_maxrss`` of the child).

By default part 2 exports N synthetic datasets loaded by ``bench.reads`` into a temporary SQLite
database. ``--database-url`` (with ``--data-dir``) exports an existing catalog instead, for instance
the 1M-dataset one that ``python -m bench.search --keep`` leaves behind.
Usage: ``python -m bench.rdf [--datasets N] [--database-url URL --data-dir DIR] [--exports nt,ttl,jsonl]``.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from bench.reads import _load
from opencat.app import create_app
from opencat.config import Settings
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db.engine import Database
from opencat.db.migrate import upgrade
from opencat.domain.accounts import Organization
from opencat.domain.datasets import Checksum, Dataset, Resource, Spatial, TemporalCoverage
from opencat.domain.ids import new_object_id, new_resource_id

FORMATS = ("ttl", "nt", "xml", "json", "n3", "trig")
RESOURCES = 20


def _rich_dataset(database: Database) -> str:
    """A dataset with everything the DCAT mapping emits, and 20 resources."""
    now = datetime.now(UTC)
    org_id, dataset_id = new_object_id(), new_object_id()
    org = Organization(org_id, "Ministère de la Transition écologique", f"mte-{org_id}", now, now, "MTE")
    dataset = Dataset(
        id=dataset_id,
        slug=f"qualite-de-l-air-{dataset_id}",
        title="Qualité de l'air : mesures horaires des stations",
        description="Mesures horaires (NO2, O3, PM10, PM2.5) de toutes les stations.\n" * 20,
        created_at_internal=now - timedelta(days=400),
        last_modified_internal=now,
        tags=("air", "pollution", "qualite-de-l-air", "environnement"),
        license="lov2",
        frequency="hourly",
        organization_id=org_id,
        temporal_coverage=TemporalCoverage(date(2020, 1, 1), date(2025, 12, 31)),
        spatial=Spatial(("country:fr",), "fr:commune"),
        extras={"language": "fr"},
    )
    resources = [
        Resource(
            id=new_resource_id(),
            title=f"mesures-{2006 + index}.csv",
            url=f"https://static.example.org/resources/air/{2006 + index}.csv",
            created_at_internal=now - timedelta(days=index),
            last_modified_internal=now - timedelta(days=index),
            filetype="file",
            type="main",
            description=f"Mesures de l'année {2006 + index}",
            format="csv",
            mime="text/csv",
            filesize=1_000_000 + index,
            checksum=Checksum("sha1", f"{index:040x}"),
        )
        for index in range(RESOURCES)
    ]
    with database.write() as conn:
        db_accounts.insert_organization(conn, org)
        db_datasets.insert(conn, dataset, now)
        db_resources.replace_all(conn, dataset.id, [], resources, now)
    return dataset.id


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def one_dataset(label: str, url: str, data_dir: Path, rounds: int) -> None:
    database = Database(url)
    upgrade(database)
    dataset_id = _rich_dataset(database)
    settings = Settings(data_dir=data_dir, database_url=url)
    with TestClient(create_app(settings, database=database)) as client:
        for fmt in FORMATS:
            path = f"/api/1/datasets/{dataset_id}/rdf.{fmt}"
            samples = []
            size = 0
            for _ in range(rounds):
                started = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
                size = len(response.content)
            p50, p95 = _percentiles(samples)
            print(
                f"[{label}] rdf.{fmt:<5} {RESOURCES} resources  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {size:,} bytes"
            )
    database.dispose()


# The child reports its own peak: RUSAGE_CHILDREN would give the largest of all children so far.
_CHILD = """
import resource, sys, time
from opencat.cli import main
started = time.perf_counter()
code = main(sys.argv[1:])
print("seconds", time.perf_counter() - started, file=sys.stderr)
print("peak_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def export(label: str, url: str, data_dir: Path, kind: str, fmt: str | None) -> None:
    """One export in a child process, its output thrown away: datasets/s and peak memory."""
    command = [sys.executable, "-c", _CHILD, "export", kind, "--output", os.devnull]
    if fmt is not None:
        command += ["--format", fmt]
    environment = {**os.environ, "OPENCAT_DATABASE_URL": url, "OPENCAT_DATA_DIR": str(data_dir)}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    words = done.stderr.split()  # timed inside the child: interpreter start-up and imports excluded
    elapsed = float(words[words.index("seconds") + 1])
    count = int(words[words.index("Exported") + 1])
    peak_kib = int(words[words.index("peak_kib") + 1])
    print(
        f"[{label}] export {kind} {fmt or '':<3} {count:,} datasets in {elapsed:,.1f} s"
        f"  {count / elapsed:,.0f} datasets/s  peak RSS {peak_kib / 1024:,.0f} MiB"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=20_000, help="synthetic datasets to export")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", help="export this existing catalog instead")
    parser.add_argument("--data-dir", type=Path, help="its data directory")
    parser.add_argument("--exports", default="nt,ttl,jsonl", help="which exports to time (comma-separated)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        one_dataset("sqlite", f"sqlite:///{tmp}/one.db", Path(tmp), args.rounds)
        postgres = os.environ.get("OPENCAT_BENCH_POSTGRES_URL")
        if postgres:
            one_dataset("postgresql", postgres, Path(tmp), args.rounds)
        if args.database_url:
            url, data_dir = args.database_url, args.data_dir or Path(tmp)
        else:
            url, data_dir = f"sqlite:///{tmp}/catalog.db", Path(tmp)
            database = Database(url)
            upgrade(database)
            _load(database, args.datasets)
            database.dispose()
        label = url.split(":", 1)[0].split("+", 1)[0]
        chosen = args.exports.split(",")
        for kind, fmt in (("dcat", "nt"), ("dcat", "ttl"), ("jsonl", None)):
            if (fmt or kind) in chosen:
                export(label, url, data_dir, kind, fmt)


if __name__ == "__main__":
    main()
