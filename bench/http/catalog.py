"""The catalog under test: generated and loaded by bench/search/'s loader (SQLite, and PostgreSQL
when asked, with the search index built once), and what the rows ask of it, chosen from the
generator (which gives every dataset again, deterministically, without reading the database)."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.generate import Catalog as Generator
from bench.http.servers import Client, Server
from bench.http.wrk import Request
from bench.search.loading import MARKER, Setup, load_all, reindex_if_stale
from bench.search.queries import choose_words
from opencat.catalog import accounts
from opencat.config import Settings
from opencat.search.index import SearchIndex
from opencat.wiring import build_catalog

SAMPLE = 4000  # generated datasets to choose from (the first ones: at 1M, generating all is slow)
READ_POOL = 200  # datasets read in turn, so that a cache of one does not flatter anyone
WRITERS = 100  # users with an API key, who follow datasets and add resources to their own
LONG_TAIL = 200  # tags, and organizations, of the search page's cold row
RDF_DATASETS = 5
RDF_RESOURCES = 20
BENCH_DATABASE = "opencat_bench_http"


def postgres_url(url: str) -> str:
    """A database of its own on that server (created afresh): the one named, if its name says
    "bench", else ``opencat_bench_http``."""
    parsed = sa.make_url(url)
    if "bench" in (parsed.database or ""):
        return url
    return parsed.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def load(work: Path, count: int, seed: int, postgres: str | None, reuse: bool) -> tuple[Setup, Generator]:
    """Generate and load the catalog, or reuse what an earlier ``--keep`` left in ``work`` (the same
    layout as ``python -m bench.search --keep``: either can reuse the other's; one kept with
    PostgreSQL serves a run on SQLite alone too)."""
    setup = Setup(work, count, seed, postgres)
    generator = Generator(count, seed)
    marker = work / MARKER
    stored = json.loads(marker.read_text()) if marker.exists() else {}
    wanted = {name: value for name, value in setup.marker().items() if value is not None}
    if reuse and {name: stored.get(name) for name in wanted} == wanted:
        print(f"Reusing the {count:,} datasets kept in {work}")
        reindex_if_stale(setup, generator)
    else:
        print(f"Loading {count:,} datasets into {work}" + (" and PostgreSQL" if postgres else ""))
        load_all(setup, generator)
    return setup, generator


@dataclass(frozen=True)
class Choice:
    """What the rows request, from the generated catalog."""

    readable: list[str]  # public, live datasets: read in turn, and followed
    slugs: dict[str, str]  # their slugs (their pages' addresses)
    owned: list[tuple[str, str]]  # (public dataset owned by a user, that user's email)
    emails: list[str]  # of the writers
    words: dict[str, str]  # bench.search's query words, chosen by their number of matches
    tags: list[str]
    organizations: list[str]
    # Filters seen once in a while, more than the facet counts' cache holds: counted afresh.
    long_tail: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rdf(self) -> list[tuple[str, str]]:
        return self.owned[:RDF_DATASETS]

    @property
    def writable(self) -> list[tuple[str, str]]:
        """Datasets that get resources in the mixed traffic (not the RDF ones: those keep 20)."""
        return self.owned[RDF_DATASETS:]


def choose(setup: Setup, generator: Generator) -> Choice:
    emails = {user.id: user.email for user in generator.users}
    readable, owned, slugs = [], [], {}
    for dataset, _ in generator.datasets(0, min(generator.count, SAMPLE)):
        if dataset.private or dataset.deleted or dataset.archived:
            continue
        readable.append(dataset.id)
        slugs[dataset.id] = dataset.slug
        if dataset.owner_id is not None:
            owned.append((dataset.id, emails[dataset.owner_id]))
    writers = sorted({email for _, email in owned})[:WRITERS]
    owned = [(dataset_id, email) for dataset_id, email in owned if email in writers]
    index = SearchIndex(setup.sqlite_dir / "search")
    words = choose_words(index, generator)
    del index
    return Choice(
        readable=readable,
        slugs=slugs,
        owned=owned,
        emails=writers,
        words=words,
        tags=generator.words.tags.items[:5],
        organizations=[org.id for org in generator.organizations[:5]],
        long_tail=[("tag", tag) for tag in generator.words.tags.items[:LONG_TAIL]]
        + [("organization", org.id) for org in generator.organizations[:LONG_TAIL]],
    )


def issue_keys(data_dir: Path, database_url: str, emails: list[str]) -> dict[str, str]:
    """A new API key for each writer (earlier ones stay valid)."""
    catalog = build_catalog(Settings(data_dir=data_dir, database_url=database_url))
    try:
        return {email: accounts.create_api_key(catalog, email)[1] for email in emails}
    finally:
        catalog.db.dispose()


def resource_body(title: str) -> str:
    return json.dumps(
        {
            "title": title,
            "description": "Ajouté par le banc d'essai",
            "url": "https://static.example.org/bench/mesures.csv",
            "filetype": "remote",
            "type": "main",
            "format": "csv",
            "mime": "text/csv",
        }
    )


def top_up(server: Server, datasets: list[tuple[str, str]]) -> None:
    """Give each dataset (id, owner's API key) its ``RDF_RESOURCES`` resources, once."""
    client = Client(server.port)
    try:
        for dataset_id, key in datasets:
            got = client.send(Request("GET", f"/api/1/datasets/{dataset_id}/"))
            have = len(json.loads(got.body)["resources"])
            for number in range(have, RDF_RESOURCES):
                headers = {"X-API-KEY": key, "Content-Type": "application/json"}
                body = resource_body(f"mesures-{2000 + number}.csv")
                path = f"/api/1/datasets/{dataset_id}/resources/"
                answer = client.send(Request("POST", path, headers, body))
                if answer.status != 201:
                    raise RuntimeError(f"adding a resource to {dataset_id}: {answer.status} {answer.body!r}")
    finally:
        client.close()
