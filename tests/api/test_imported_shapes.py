"""Documents loaded from elsewhere (a 2022 export of data.gouv.fr, hand-made fixtures) keep what
they stored, and are answered in udata's shapes: its harvest models, its schema model, its nine
metrics, GeoJSON's type and coordinates, dates to the millisecond."""

import json
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.imports import load_fixtures

DATASET = "6b00000000000000000000bb"
RESOURCE = "00000000-0000-4000-8000-0000000000bb"
SQUARE = [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]]]


def _load(catalog: Catalog, tmp_path: Path, resource: dict[str, Any], **dataset: Any) -> dict[str, Any]:
    document = {
        "id": DATASET,
        "title": "Imported document",
        "description": "d",
        "created_at": "2025-01-05T00:00:00+00:00",
        "last_modified": "2025-01-06T00:00:00+00:00",
        "resources": [
            {
                "id": RESOURCE,
                "title": "r",
                "url": "https://example.org/r.csv",
                "format": "csv",
                "created_at": "2025-01-05T00:00:00+00:00",
                **resource,
            }
        ],
        **dataset,
    }
    path = tmp_path / "datasets.json"
    path.write_text(json.dumps([document]), encoding="utf-8")
    assert load_fixtures(catalog, path) == 1
    return document


def test_harvest_metadata_is_answered_in_udata_models(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """A 2022 export's OpenDataSoft keys and naive dates: udata's keys only, in its order, in UTC."""
    _load(
        catalog,
        tmp_path,
        {"harvest": {"modified_at": "2022-12-01T23:00:08.466000", "ods_type": "api", "uri": "u"}},
        harvest={
            "remote_id": "r-1",
            "ods_geo": False,
            "modified_at": "2020-01-01T10:00:00+02:00",
            "issued_at": "2019-01-01",
            "backend": "OpenDataSoft",
            "last_update": "2022-12-02T01:05:48.419000",
            "created_at": "not a date",
            "domain": None,
        },
    )
    for path in (f"/api/1/datasets/{DATASET}/", f"/api/2/datasets/{DATASET}/"):
        answer = client.get(path).json()
        assert answer["harvest"] == {
            "backend": "OpenDataSoft",
            "issued_at": "2019-01-01T00:00:00+00:00",
            "modified_at": "2020-01-01T08:00:00+00:00",
            "remote_id": "r-1",
            "last_update": "2022-12-02T01:05:48.419000+00:00",
        }
        if "/api/2/" in path:  # v1 sorts every object's keys, as udata's v1 does; v2 keeps the model's order
            assert list(answer["harvest"]) == [
                "backend",
                "issued_at",
                "modified_at",
                "remote_id",
                "last_update",
            ]
    resource = client.get(f"/api/1/datasets/{DATASET}/resources/{RESOURCE}/").json()
    assert resource["harvest"] == {"modified_at": "2022-12-01T23:00:08.466000+00:00", "uri": "u"}


def test_a_resource_schema_has_udata_three_keys_or_is_null(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    _load(catalog, tmp_path, {"schema": {}}, schema={"name": "scdl/budget"})
    answer = client.get(f"/api/1/datasets/{DATASET}/").json()
    assert answer["resources"][0]["schema"] == {"name": None, "version": None, "url": None}
    assert answer["schema"] == {"name": "scdl/budget", "version": None, "url": None}
    v2 = client.get(f"/api/2/datasets/{DATASET}/resources/").json()["data"][0]
    assert list(v2["schema"]) == ["name", "version", "url"]


def test_no_schema_stays_null(client: TestClient, catalog: Catalog, tmp_path: Path) -> None:
    _load(catalog, tmp_path, {})
    answer = client.get(f"/api/1/datasets/{DATASET}/").json()
    assert answer["schema"] is None
    assert answer["resources"][0]["schema"] is None


def test_metrics_are_exactly_udata_nine(client: TestClient, catalog: Catalog, tmp_path: Path) -> None:
    _load(catalog, tmp_path, {}, metrics={"views": 5, "nb_hits": 3, "reuses": 2})
    for path in (f"/api/1/datasets/{DATASET}/", f"/api/2/datasets/{DATASET}/"):
        metrics = client.get(path).json()["metrics"]
        assert sorted(metrics) == sorted([
            "discussions", "discussions_open", "reuses", "reuses_by_months", "dataservices",
            "followers", "followers_by_months", "views", "resources_downloads",
        ])  # fmt: skip
        assert (metrics["views"], metrics["reuses"], metrics["discussions"]) == (5, 2, 0)


def test_imported_dates_are_kept_to_the_millisecond(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    _load(
        catalog,
        tmp_path,
        {},
        internal={"created_at_internal": "2023-06-02T05:29:30.914685+00:00"},
        frequency_date="2024-01-01T00:00:03.999999+01:00",
    )
    answer = client.get(f"/api/1/datasets/{DATASET}/").json()
    assert answer["internal"]["created_at_internal"] == "2023-06-02T05:29:30.914000+00:00"
    assert answer["frequency_date"] == "2023-12-31T23:00:03.999000+00:00"


def test_a_geometry_answers_its_type_and_coordinates_only(client: TestClient, catalog: Catalog) -> None:
    from tests.factories import make_user

    owner = make_user(catalog)
    geom = {"type": "MultiPolygon", "coordinates": SQUARE, "bbox": [0, 0, 1, 1], "crs": {"type": "name"}}
    created = client.post(
        "/api/1/datasets/",
        json={"title": "Drawn", "description": "d", "spatial": {"geom": geom}},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    expected = {"type": "MultiPolygon", "coordinates": SQUARE}
    assert created.json()["spatial"]["geom"] == expected
    assert client.get(f"/api/1/datasets/{created.json()['id']}/").json()["spatial"]["geom"] == expected


def test_a_dataset_whose_iri_is_its_page_is_not_typed_a_document(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """OpenDataSoft's datasets are their own pages: typing the landing page foaf:Document called
    the dataset itself a web page."""
    from rdflib import RDF, Graph, URIRef
    from rdflib.namespace import DCAT, FOAF

    page = "https://opendata.example.org/explore/dataset/bailleurs/"
    _load(catalog, tmp_path, {}, harvest={"backend": "DCAT", "uri": page, "remote_url": page})
    graph = Graph().parse(data=client.get(f"/api/1/datasets/{DATASET}/rdf.ttl").text, format="turtle")
    node = URIRef(page)
    assert (node, RDF.type, DCAT.Dataset) in graph
    assert (node, RDF.type, FOAF.Document) not in graph


def test_a_document_loaded_again_is_another_version(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """Loaded again, a dataset took revision 1 back: a kept ETag confirmed the new body (304),
    and a write naming an older version passed its If-Match."""
    _load(catalog, tmp_path, {})
    url = f"/api/1/datasets/{DATASET}/"
    first = client.get(url).headers["etag"]
    _load(catalog, tmp_path, {}, title="Imported again")
    second = client.get(url)
    assert second.json()["title"] == "Imported again"
    assert second.headers["etag"] != first
    assert client.get(url, headers={"If-None-Match": first}).status_code == 200
    assert client.get(url, headers={"If-None-Match": second.headers["etag"]}).status_code == 304


def test_a_license_udata_answered_for_none_is_stored_as_none(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """udata answers ``notspecified`` for a dataset without a license too; its quality tells them
    apart. Read as set, 63 of the real documents met a quality criterion they do not."""
    _load(catalog, tmp_path, {}, license="notspecified", quality={"license": False})
    unset = client.get(f"/api/1/datasets/{DATASET}/").json()
    assert (unset["license"], unset["quality"]["license"]) == ("notspecified", False)
    assert client.get(f"/api/2/datasets/{DATASET}/").json()["license"] is None
    _load(catalog, tmp_path, {}, license="notspecified", quality={"license": True})
    chosen = client.get(f"/api/1/datasets/{DATASET}/").json()
    assert (chosen["license"], chosen["quality"]["license"]) == ("notspecified", True)


def test_a_loaded_document_holds_only_what_the_api_takes(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """Tags, a license, a resource's type and file type and a checksum's type were stored as the
    document gave them: ``?tag=eau`` missed a dataset tagged " eau ", and a client reading the
    dataset and writing it back was refused (a 400 on each). They are kept as the API and the
    harvesters keep them."""
    from tests.factories import make_user

    _load(
        catalog,
        tmp_path,
        {"type": "bogus-type", "filetype": "weird", "checksum": {"type": "rot13", "value": "abc"}},
        tags=["Transport Public", " eau ", "x", "eau"],
        license="bogus-license",
    )
    read = client.get(f"/api/1/datasets/{DATASET}/").json()
    assert read["tags"] == ["eau", "transport-public"]
    assert read["license"] == "notspecified"  # none stored, as udata answers it
    resource = read["resources"][0]
    assert (resource["type"], resource["filetype"], resource["checksum"]) == ("other", "remote", None)
    assert client.get("/api/1/datasets/", params={"tag": "eau"}).json()["total"] == 1
    admin = make_user(catalog, sysadmin=True)
    written = client.put(f"/api/1/datasets/{DATASET}/", json=read, headers=admin.headers)
    assert written.status_code == 200, written.text
    _load(catalog, tmp_path, {}, license="Licence Ouverte / Open Licence version 2.0")
    assert client.get(f"/api/1/datasets/{DATASET}/").json()["license"] == "lov2"  # known by its title
