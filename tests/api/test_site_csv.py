"""udata's CSV exports of the catalog (``/api/1/site/datasets.csv``, ``/site/resources.csv``):
udata's columns, written as udata writes them (udata/core/csv.py), read as udata-hydra reads them."""

import csv
import io
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.catalog import rdf as catalog_rdf
from opencat.catalog.context import Catalog
from tests.factories import Account, make_org, make_user

# udata's columns (udata/core/dataset/csv.py, DatasetCsvAdapter and its metrics, ResourcesCsvAdapter).
DATASET_HEADER = [
    "id",
    "title",
    "slug",
    "acronym",
    "url",
    "organization",
    "organization_id",
    "owner",
    "owner_id",
    "description",
    "description_short",
    "frequency",
    "license",
    "temporal_coverage.start",
    "temporal_coverage.end",
    "spatial.granularity",
    "spatial.zones",
    "spatial.geom",
    "featured",
    "created_at",
    "last_modified",
    "badges",
    "tags",
    "archived",
    "resources_count",
    "main_resources_count",
    "resources_formats",
    "harvest.backend",
    "harvest.domain",
    "harvest.remote_id",
    "harvest.remote_url",
    "harvest.uri",
    "harvest.created_at",
    "harvest.issued_at",
    "harvest.modified_at",
    "harvest.last_update",
    "harvest.dct_identifier",
    "quality_score",
    "metric.discussions",
    "metric.discussions_open",
    "metric.reuses",
    "metric.reuses_by_months",
    "metric.dataservices",
    "metric.followers",
    "metric.followers_by_months",
    "metric.views",
    "metric.resources_downloads",
]
RESOURCE_HEADER = [
    "dataset.id",
    "dataset.title",
    "dataset.slug",
    "dataset.url",
    "dataset.organization",
    "dataset.organization_id",
    "dataset.license",
    "dataset.private",
    "dataset.archived",
    "id",
    "url",
    "title",
    "description",
    "filetype",
    "type",
    "format",
    "mime",
    "filesize",
    "checksum.type",
    "checksum.value",
    "created_at",
    "modified",
    "downloads",
    "harvest.issued_at",
    "harvest.modified_at",
    "harvest.last_update",
    "schema_name",
    "schema_version",
    "preview_url",
    "extras",
]


def _rows(client: TestClient, path: str) -> tuple[str, list[dict[str, str]]]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    text = response.content.decode()
    return text, list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _create(client: TestClient, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": "Horaires", "description": "Des horaires", **fields}
    response = client.post("/api/1/datasets/", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def published(client: TestClient, catalog: Catalog) -> dict[str, Any]:
    owner = make_user(catalog)
    org = make_org(catalog, "Métropole de Lyon", **{owner.user.id: "admin"})
    dataset = _create(
        client,
        owner,
        title="Horaires des bus",
        acronym="HB",
        organization={"id": org.id},
        tags=["bus", "transport"],
        license="lov2",
        frequency="monthly",
        temporal_coverage={"start": "2020-01-01", "end": "2020-12-31"},
        spatial={"zones": ["fr:commune:69123"], "granularity": "fr:commune"},
        resources=[
            {
                "title": "Horaires",
                "url": "https://example.org/h.csv",
                "filetype": "remote",
                "format": "csv",
                "type": "main",
            },
            {
                "title": "Notice",
                "url": "https://example.org/n.pdf",
                "filetype": "remote",
                "format": "pdf",
                "type": "documentation",
                "filesize": 1234,
                "extras": {"check:status": 200, "note": "été"},
            },
        ],
    )
    _create(client, owner, title="Privé", private=True)
    deleted = _create(client, owner, title="Supprimé")
    assert client.delete(f"/api/1/datasets/{deleted['id']}/", headers=owner.headers).status_code == 204
    archived = _create(client, owner, title="Archivé", archived="2024-05-01T10:00:00+00:00")
    return {"dataset": dataset, "archived": archived, "org": org, "owner": owner}


def test_datasets_export_has_udatas_columns_and_cells(client: TestClient, published: dict[str, Any]) -> None:
    text, rows = _rows(client, "/api/1/site/datasets.csv")
    assert text.splitlines()[0].split(";") == [f'"{name}"' for name in DATASET_HEADER]
    assert text.endswith("\r\n")
    # public datasets only, archived ones included (udata: private and deleted left out)
    assert {row["title"] for row in rows} == {"Horaires des bus", "Archivé"}
    dataset = published["dataset"]
    row = next(row for row in rows if row["id"] == dataset["id"])
    assert row["slug"] == dataset["slug"]
    assert row["url"] == dataset["page"]
    assert (row["acronym"], row["organization"], row["organization_id"]) == (
        "HB",
        "Métropole de Lyon",
        published["org"].id,
    )
    assert (row["owner"], row["owner_id"]) == ("", "")
    assert row["license"] == "Licence Ouverte / Open Licence version 2.0"  # the title, as udata's str()
    assert row["frequency"] == "monthly"
    assert (row["temporal_coverage.start"], row["temporal_coverage.end"]) == ("2020-01-01", "2020-12-31")
    assert row["spatial.granularity"] == "fr:commune"
    assert row["spatial.zones"] == "Lyon"  # the zone's name
    assert row["tags"] == "bus,transport"
    assert (row["resources_count"], row["main_resources_count"], row["resources_formats"]) == (
        "2",
        "1",
        "csv,pdf",
    )
    assert row["archived"] == "False"
    assert row["created_at"] == dataset["created_at"].removesuffix("+00:00")  # udata's naive dates
    assert row["quality_score"] == format(dataset["quality"]["score"], ".2f")
    assert row["metric.followers"] == "0"
    archived = next(row for row in rows if row["title"] == "Archivé")
    assert archived["archived"] == "2024-05-01T10:00:00"
    # QUOTE_NONNUMERIC: texts quoted, numbers and booleans bare, as udata writes them
    line = next(line for line in text.splitlines() if line.startswith(f'"{dataset["id"]}"'))
    assert ';False;"' in line
    assert ';2;1;"csv,pdf";' in line


def test_resources_export_reads_as_hydra_reads_it(client: TestClient, published: dict[str, Any]) -> None:
    text, rows = _rows(client, "/api/1/site/resources.csv")
    assert text.splitlines()[0].split(";") == [f'"{name}"' for name in RESOURCE_HEADER]
    dataset = published["dataset"]
    mine = [row for row in rows if row["dataset.id"] == dataset["id"]]
    assert [row["title"] for row in mine] == ["Horaires", "Notice"]
    # udata-hydra's catalog loader keeps the rows of datasets not archived: ``== "False"``
    assert {row["dataset.archived"] for row in mine} == {"False"}
    assert {row["dataset.private"] for row in mine} == {"False"}
    notice = mine[1]
    resource = dataset["resources"][1]
    assert (notice["id"], notice["url"], notice["type"], notice["format"]) == (
        resource["id"],
        "https://example.org/n.pdf",
        "documentation",
        "pdf",
    )
    assert notice["filesize"] == "1234"
    assert notice["dataset.license"] == "Licence Ouverte / Open Licence version 2.0"
    assert notice["modified"] == resource["last_modified"].removesuffix("+00:00")
    assert json.loads(notice["extras"]) == resource["extras"]
    assert "\\u00e9t\\u00e9" in notice["extras"]  # json.dumps's ASCII, as udata's
    assert notice["harvest.modified_at"] == ""
    assert notice["downloads"] == "0"


def test_the_lists_filters_apply(client: TestClient, catalog: Catalog, published: dict[str, Any]) -> None:
    _, rows = _rows(client, "/api/1/site/datasets.csv?tag=bus")
    assert [row["title"] for row in rows] == ["Horaires des bus"]
    _, rows = _rows(client, f"/api/1/site/resources.csv?organization={published['org'].id}&format=pdf")
    assert [row["title"] for row in rows] == ["Horaires", "Notice"]
    _, rows = _rows(client, "/api/1/site/resources.csv?tag=nothing")
    assert rows == []
    # paging and order are not the export's: every match is written
    _, rows = _rows(client, "/api/1/site/datasets.csv?page=2&page_size=1&sort=title")
    assert len(rows) == 2
    refused = client.get("/api/1/site/datasets.csv?organization=lyon")
    assert refused.status_code == 400
    assert refused.json() == {"message": "Organization arg must be an identifier"}


def test_every_batch_is_written(
    client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export walks the catalog batch by batch: none is lost between two."""
    monkeypatch.setattr(catalog_rdf, "EXPORT_BATCH", 2)
    owner = make_user(catalog)
    made = {_create(client, owner, title=f"Jeu {number}")["id"] for number in range(5)}
    _, rows = _rows(client, "/api/1/site/datasets.csv")
    assert [row["id"] for row in rows] == sorted(made)  # by id, as udata's natural order
    _, rows = _rows(client, "/api/1/site/datasets.csv?q=jeu")
    assert {row["id"] for row in rows} == made


def test_a_dataset_hidden_while_the_export_runs_is_left_out(
    client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index's matches were read once, then each batch by id without a second look: a
    dataset made private meanwhile was exported, with its new title."""
    from opencat.domain.queries import DatasetQuery
    from opencat.domain.search import SearchFilters

    monkeypatch.setattr(catalog_rdf, "EXPORT_BATCH", 1)
    owner = make_user(catalog)
    first = _create(client, owner, title="Premier", tags=["xyz"])
    second = _create(client, owner, title="Second", tags=["xyz"])
    batches = catalog_rdf.export_batches(catalog, DatasetQuery(filters=SearchFilters(tags=("xyz",))))
    [seen] = [view.dataset.id for view in next(batches).views]
    other = second["id"] if seen == first["id"] else first["id"]  # the one of the next batch
    hidden = client.put(
        f"/api/1/datasets/{other}/", json={"private": True, "title": "Caché"}, headers=owner.headers
    )
    assert hidden.status_code == 200
    assert [view.dataset.id for batch in batches for view in batch.views] == []


def test_udatas_cells_for_no_license_and_its_ignored_arguments(
    client: TestClient, catalog: Catalog, published: dict[str, Any]
) -> None:
    owner = make_user(catalog)
    _create(client, owner, title="Sans licence")
    _, rows = _rows(client, "/api/1/site/datasets.csv?q=licence")
    assert [(row["title"], row["license"]) for row in rows] == [("Sans licence", "")]  # udata's None
    # udata's exports read no visibility argument: archived ones stay, hidden ones stay out
    _, rows = _rows(client, "/api/1/site/datasets.csv?archived=false&tag=bus")
    assert [row["title"] for row in rows] == ["Horaires des bus"]
    _, rows = _rows(client, "/api/1/site/datasets.csv?archived=true&q=archive")
    assert [row["title"] for row in rows] == ["Archivé"]


def test_an_organizations_exports_hold_its_visible_datasets(
    client: TestClient, catalog: Catalog, published: dict[str, Any]
) -> None:
    """udata's ``/organizations/{org}/datasets.csv`` and ``datasets-resources.csv`` (a 404 here):
    its datasets neither private, deleted nor archived, in the site export's columns, named after
    its slug."""
    org, owner = published["org"], published["owner"]
    _create(client, owner, title="Archivé de Lyon", organization=org.id, archived="2024-05-01T10:00:00+00:00")
    _create(client, owner, title="Privé de Lyon", organization=org.id, private=True)
    for ident in (org.id, org.slug):
        response = client.get(f"/api/1/organizations/{ident}/datasets.csv")
        assert response.headers["content-disposition"].startswith(
            f"attachment; filename={org.slug}-datasets-"
        )
        text, rows = _rows(client, f"/api/1/organizations/{ident}/datasets.csv")
        assert text.splitlines()[0] == ";".join(f'"{name}"' for name in DATASET_HEADER)
        assert [row["title"] for row in rows] == ["Horaires des bus"]
        resources = client.get(f"/api/1/organizations/{ident}/datasets-resources.csv")
        assert resources.headers["content-disposition"].startswith(
            f"attachment; filename={org.slug}-datasets-resources-"
        )
        _, rows = _rows(client, f"/api/1/organizations/{ident}/datasets-resources.csv")
        assert [row["title"] for row in rows] == ["Horaires", "Notice"]
    assert client.get("/api/1/organizations/000000000000000000000000/datasets.csv").status_code == 404
