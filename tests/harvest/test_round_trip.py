"""opencat harvesting opencat's DCAT: a rich dataset made in one catalog, its DCAT catalog
(``/api/1/site/catalog.nt``, hydra-paged) served on loopback from that catalog's answers,
harvested by the ``dcat`` backend into a second catalog on the same kind of database, then read
back through each catalog's API and compared field by field."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.catalog.harvest_sources import SourceFields, create_source
from opencat.catalog.harvesting import RunOptions, run_source
from opencat.config import Settings
from opencat.db import accounts as db_accounts
from opencat.db.engine import Database
from opencat.db.migrate import upgrade
from opencat.dcat.reading import read_catalog_page
from opencat.domain.accounts import ContactPoint
from opencat.domain.harvest_jobs import JobStatus
from opencat.links.harvest_fetch import HarvestPolicy
from opencat.wiring import build_catalog
from tests.conftest import empty_database
from tests.factories import make_org, make_user
from tests.harvest.site import Document, Site, SiteServer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

OPTIONS = RunOptions(policy=HarvestPolicy(timeout=5, allow_private=True), batch_size=2)

RICH: dict[str, Any] = {
    "title": "Horaires des bus",
    "description": "Les horaires **théoriques**\n\ndu réseau, ligne à ligne.",
    "acronym": "HB",
    "extras": {"source": "régie"},
    "tags": ["bus", "mobilite", "transport-public"],
    "license": "lov2",
    "frequency": "weekly",
    "temporal_coverage": {"start": "2023-01-01", "end": "2024-06-30"},
    "spatial": {"zones": ["fr:departement:13", "country-group:world"], "granularity": "fr:departement"},
    "resources": [
        {
            "title": "Horaires (CSV)",
            "description": "Un fichier par ligne",
            "url": "https://example.org/horaires.csv",
            "filetype": "remote",
            "type": "main",
            "format": "csv",
            "mime": "text/csv",
            "filesize": 12345,
            "checksum": {"type": "sha256", "value": "ab" * 32},
        },
        {
            "title": "Documentation",
            "url": "https://example.org/notice.pdf",
            "filetype": "remote",
            "type": "documentation",
            "format": "pdf",
            "checksum": {"type": "md5", "value": "cd" * 16},
        },
        {
            "title": "Carte",
            "url": "https://example.org/carte.geojson",
            "filetype": "remote",
            "format": "geojson",
        },
    ],
}
# Others on the pages, so that the catalog is paged (two datasets a page).
PLAIN: list[dict[str, Any]] = [
    {
        "title": "Qualité de l'eau",
        "description": "Prélèvements mensuels.",
        "tags": ["eau"],
        "frequency": "monthly",
    },
    {"title": "Sans rien", "description": "Un jeu presque vide."},
]


@contextmanager
def _other_database(dialect: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[Database]:
    """A migrated database of its own, of the session's kind: the exporting catalog's."""
    with empty_database(dialect, request, folder, "exporter") as database:
        upgrade(database)
        yield database


@dataclass(frozen=True)
class Exporter:
    client: TestClient
    catalog: Catalog


@pytest.fixture
def exporter(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path, remote: SiteServer
) -> Iterator[Exporter]:
    """The exporting catalog's API, on its own database, its base URL the loopback site's: the
    links it writes (hydra pages, dataset pages) are where the site serves them."""
    folder = tmp_path / "exporter"
    folder.mkdir()
    with _other_database(dialect, request, folder) as database:
        settings = Settings(data_dir=folder, database_url=database.url, base_url=remote.url(""))
        catalog = build_catalog(settings, database=database)
        with TestClient(create_app(settings, catalog=catalog), base_url=remote.url("")) as client:
            yield Exporter(client, catalog)


def _serve_catalog(exporter: TestClient, site: Site, first: str) -> int:
    """Every page of the exporter's DCAT catalog, as it answers them, put on the site at its own
    address; the number of pages."""
    url: str | None = first
    pages = 0
    while url is not None:
        answer = exporter.get(url)
        assert answer.status_code == 200, answer.text
        parts = urlsplit(url)
        site.documents[f"{parts.path}?{parts.query}"] = Document(
            answer.content, answer.headers["content-type"], etag=answer.headers["etag"]
        )
        # The exporter itself answers 304 to its page's ETag, as the site will.
        again = exporter.get(url, headers={"If-None-Match": answer.headers["etag"]})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", answer.headers["etag"])
        page = read_catalog_page(answer.content, answer.headers["content-type"], url)
        url = page.next_url
        pages += 1
    return pages


def test_a_dataset_exported_and_harvested_by_another_opencat_is_the_same(
    client: TestClient, catalog: Catalog, exporter: Exporter, site: Site, remote: SiteServer
) -> None:
    author = make_user(exporter.catalog)
    contact = ContactPoint(
        exporter.catalog.new_object_id(),
        "Service SIG",
        "sig@example.org",
        None,
        "contact",
        author.user.id,
        None,
    )
    with exporter.catalog.db.write() as conn:
        db_accounts.insert_contact_point(conn, contact)
    made = {}
    for body in ({**RICH, "contact_points": [contact.id]}, *PLAIN):
        answer = exporter.client.post("/api/1/datasets/", json=body, headers=author.headers)
        assert answer.status_code == 201, answer.text
        made[body["title"]] = exporter.client.get(f"/api/1/datasets/{answer.json()['id']}/").json()
    first = remote.url("/api/1/site/catalog.nt?page=1&page_size=2")
    assert _serve_catalog(exporter.client, site, first) == 2

    root = make_user(catalog, sysadmin=True)
    org = make_org(catalog, "Aggregator")
    fields = SourceFields(name="Other opencat", url=first, backend="dcat", organization=org.id)
    source_id = create_source(catalog, root.actor(catalog), fields).source.id
    job = run_source(catalog, source_id, OPTIONS)

    assert (job.status, job.counts.created, job.counts.failed) == (JobStatus.DONE, 3, 0), job.errors
    harvested = {d["title"]: d for d in client.get("/api/1/datasets/?page_size=10").json()["data"]}
    assert set(harvested) == set(made)
    for title, original in made.items():
        copy = client.get(f"/api/1/datasets/{harvested[title]['id']}/").json()
        _assert_same_dataset(original, copy)
        _assert_harvest_metadata(original, copy, source_id)
        _assert_contact_points(original, copy, org.id)
    asked = len(site.requests)
    again = run_source(catalog, source_id, OPTIONS)
    assert (again.status, again.counts.unchanged, again.counts.updated) == (JobStatus.DONE, 3, 0)
    # The second run asked for each page with the ETag the exporter gave it: every answer a 304.
    etags = {path: document.etag for path, document in site.documents.items()}
    assert [(r.path, r.if_none_match) for r in site.requests[asked:]] == list(etags.items())


# The keys of a dataset that legitimately differ in the harvested copy: the harvesting catalog's
# own identity and links (``id``, ``slug``, ``page``, ``uri``), its owner (the source's
# organization), ``harvest`` (checked apart) and ``internal`` (its own write times; the remote's
# dates are kept in ``harvest`` and make ``created_at``, ``last_modified`` and ``last_update``,
# which are compared). ``extras``: free keys DCAT has no term for (neither writer says them).
# ``resources`` and ``spatial`` are compared apart, below.
DATASET_DIFFERS = {"id", "slug", "page", "uri", "organization", "owner", "harvest", "internal", "extras"}
DATASET_DIFFERS |= {"resources", "spatial", "contact_points"}
# A resource's: its id and ``latest`` link (the harvesting catalog's), ``harvest`` and ``internal``;
# ``type`` (DCAT has no term for it: read as main). ``filetype`` stays ``remote``: a harvested
# resource is never downloaded (these ones were remote already).
RESOURCE_DIFFERS = {"id", "latest", "harvest", "internal", "type"}


def _assert_same_dataset(original: dict[str, Any], copy: dict[str, Any]) -> None:
    assert set(copy) == set(original)
    for key in set(original) - DATASET_DIFFERS:
        assert copy[key] == original[key], key
    # Zones are a set in RDF: their order is not kept. DCAT has no term for udata's granularity:
    # the copy's is udata's default, ``other``.
    assert copy["extras"] == {}
    theirs_spatial, ours_spatial = original["spatial"] or {}, copy["spatial"] or {}
    assert sorted(ours_spatial.get("zones") or []) == sorted(theirs_spatial.get("zones") or [])
    assert ours_spatial.get("geom") == theirs_spatial.get("geom")
    if theirs_spatial:
        assert ours_spatial["granularity"] == "other"
    # Nor is the order of the distributions (read in a stable order, by their IRIs): matched by URL.
    copies = {resource["url"]: resource for resource in copy["resources"]}
    assert sorted(copies) == sorted(resource["url"] for resource in original["resources"])
    for theirs in original["resources"]:
        ours = copies[theirs["url"]]
        assert set(ours) == set(theirs)
        for key in set(theirs) - RESOURCE_DIFFERS:
            assert ours[key] == theirs[key], (theirs["title"], key)
        assert ours["type"] == "main"
        assert ours["filetype"] == "remote"


def _assert_contact_points(original: dict[str, Any], copy: dict[str, Any], org_id: str) -> None:
    """The original's contact points, and its owner, named as its publisher (``dct:publisher``),
    as udata's harvester reads them: contact points of the source's organization."""
    owner = original["owner"]
    publisher = {"name": f"{owner['first_name']} {owner['last_name']}", "email": None, "contact_form": None}
    expected = [
        *(
            {key: point[key] for key in ("name", "email", "contact_form", "role")}
            for point in original["contact_points"]
        ),
        {**publisher, "role": "publisher"},
    ]
    assert [
        {key: point[key] for key in ("name", "email", "contact_form", "role")}
        for point in copy["contact_points"]
    ] == expected
    assert {point["organization"]["id"] for point in copy["contact_points"]} == {org_id}


def _assert_harvest_metadata(original: dict[str, Any], copy: dict[str, Any], source_id: str) -> None:
    """The copy remembers where it comes from, in udata's shape, with the remote's dates."""
    harvest = copy["harvest"]
    assert (harvest["backend"], harvest["source_id"]) == ("dcat", source_id)
    assert harvest["remote_id"] == harvest["dct_identifier"] == original["id"]
    assert harvest["domain"] == "127.0.0.1"
    assert harvest["remote_url"] == original["page"]  # dcat:landingPage
    assert harvest["uri"].endswith(f"/datasets/{original['id']}/")  # the DCAT subject, by id
    assert harvest["issued_at"] == original["created_at"]
    assert harvest["modified_at"] == original["last_modified"]
