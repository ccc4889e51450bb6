"""Whole runs of the CKAN, data.json and DCAT backends into the database, on real payloads served
on loopback (tests/data/harvest, with their provenance), and a source read in one request that
answers 304 to the next runs: the job ends done with every dataset unchanged, run after run."""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from rdflib import Graph

from opencat.catalog.context import Catalog
from opencat.catalog.harvest_sources import SourceFields, create_source
from opencat.catalog.harvesting import run_source
from opencat.db import resources as db_resources
from opencat.domain.harvest_jobs import JobStatus
from tests.factories import make_org, make_user
from tests.harvest.backends.conftest import SAMPLES
from tests.harvest.site import Document, Site, SiteServer
from tests.harvest.test_run import OPTIONS, harvested

CKAN_SEARCH = "/api/3/action/package_search"


def _ckan_envelope() -> bytes:
    """The three real packages in one package_search answer (the backend asks 1,000 rows)."""
    packages = json.loads((SAMPLES / "ckan-packages.json").read_text("utf-8"))
    result = {"count": len(packages), "sort": "metadata_created asc", "results": packages}
    return json.dumps({"success": True, "result": result}).encode()


def _dcat_file() -> bytes:
    """One big DCAT file: the datos.gob.es and Rostock samples in one N-Triples document."""
    graph = Graph()
    for name, syntax in (("datos-gob-es.ttl", "turtle"), ("opendata-hro-de.rdf", "xml")):
        graph.parse(SAMPLES / name, format=syntax)
    return graph.serialize(format="nt", encoding="utf-8")


@dataclass(frozen=True)
class Source:
    backend: str
    path: str  # where the site serves it
    source_path: str  # the source's URL's path, as a publisher enters it
    body: bytes
    content_type: str
    titles: frozenset[str]  # some of the titles the run must store


SOURCES = {
    "ckan": Source(
        "ckan",
        CKAN_SEARCH,
        "/",
        _ckan_envelope(),
        "application/json",
        frozenset({"Afghanistan - Subnational Administrative Boundaries", "Testdatensatz"}),
    ),
    "datajson": Source(
        "datajson",
        "/data.json",
        "/data.json",
        (SAMPLES / "usda-gov.data.json").read_bytes(),
        "application/json",
        frozenset({"Department of Agriculture Congressional Logs for Fiscal Year 2014"}),
    ),
    "dcat": Source(
        "dcat",
        "/catalog.nt",
        "/catalog.nt",
        _dcat_file(),
        "application/n-triples",
        frozenset(),
    ),
}
EXPECTED = {"ckan": 3, "datajson": 3, "dcat": 2}
LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"


def _source(catalog: Catalog, remote: SiteServer, source: Source) -> str:
    admin = make_user(catalog, sysadmin=True)
    org = make_org(catalog, "Aggregators", **{admin.user.id: "admin"})
    fields = SourceFields(
        name=f"Remote {source.backend}",
        url=remote.url(source.source_path),
        backend=source.backend,
        organization=org.id,
        config={},
    )
    return create_source(catalog, admin.actor(catalog), fields).source.id


def _remote_files(catalog: Catalog, stored: dict[str, Any]) -> set[str]:
    with catalog.db.read() as conn:
        return {
            resource.filetype
            for dataset in stored.values()
            for resource in db_resources.fetch_for_dataset(conn, dataset.id)
        }


@pytest.mark.parametrize("backend", sorted(SOURCES))
@pytest.mark.parametrize("validator", ["etag", "last_modified"])
def test_a_whole_source_is_harvested_then_answers_304_run_after_run(
    catalog: Catalog, site: Site, remote: SiteServer, backend: str, validator: str
) -> None:
    source = SOURCES[backend]
    document = Document(source.body, source.content_type)
    if validator == "etag":
        document.etag = '"v1"'
    else:
        document.last_modified = LAST_MODIFIED
    site.documents[source.path] = document
    source_id = _source(catalog, remote, source)

    first = run_source(catalog, source_id, OPTIONS)

    assert first.status == JobStatus.DONE, first.errors
    assert first.counts.created == EXPECTED[backend]
    stored = harvested(catalog, source_id)
    assert len(stored) == EXPECTED[backend]
    assert source.titles <= {dataset.title for dataset in stored.values()}
    assert all(dataset.harvest is not None for dataset in stored.values())
    files = _remote_files(catalog, stored)
    assert files == {"remote"}  # resources stay where the source keeps them

    # The next runs send the validator back; the source answers 304 with no body.
    for _ in range(2):
        again = run_source(catalog, source_id, OPTIONS)
        conditional = site.requests[-1]
        assert (conditional.if_none_match or conditional.if_modified_since) is not None
        assert again.status == JobStatus.DONE, again.errors
        assert (again.counts.unchanged, again.counts.created, again.counts.archived) == (
            EXPECTED[backend],
            0,
            0,
        )
    assert harvested(catalog, source_id) == stored

    # A new version of the file is read again.
    site.documents[source.path] = Document(
        source.body.replace(b"Testdatensatz", b"Testdatensatz (neu)") if backend == "ckan" else source.body,
        source.content_type,
        etag='"v2"',
    )
    changed = run_source(catalog, source_id, OPTIONS)
    assert changed.status == JobStatus.DONE, changed.errors
    # Asked with the first version's validator, answered in full: the new version was read.
    asked = site.requests[-1]
    assert (asked.if_none_match, asked.if_modified_since) in {('"v1"', None), (None, LAST_MODIFIED)}
    updated = 1 if backend == "ckan" else 0
    assert (changed.counts.updated, changed.counts.unchanged) == (updated, EXPECTED[backend] - updated)
