"""Datasets exported by opencat's DCAT writer, through the real API, read back as the same datasets."""

from datetime import date
from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.dcat.reading import read_catalog_page
from opencat.domain.harvest import ItemFailure, RemoteDataset
from tests.factories import make_user

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LICENSE_URLS = {"https://www.etalab.gouv.fr/licence-ouverte-open-licence": "lov2"}
ZONE_URIS = {"http://id.insee.fr/geo/world": "country-group:world"}

DATASETS: list[dict[str, Any]] = [
    {
        "title": "Horaires des bus",
        "description": "Les horaires **théoriques**\n\ndu réseau, ligne à ligne.",
        "acronym": "HB",
        "tags": ["bus", "mobilite", "transport-public"],
        "license": "lov2",
        "frequency": "weekly",
        "temporal_coverage": {"start": "2023-01-01", "end": "2024-06-30"},
        "spatial": {"zones": ["fr:departement:13", "country-group:world"]},
        "resources": [
            {
                "title": "Horaires (CSV)",
                "description": "Un fichier par ligne",
                "url": "https://example.org/horaires.csv",
                "filetype": "remote",
                "format": "csv",
                "mime": "text/csv",
                "filesize": 12345,
                "checksum": {"type": "sha256", "value": "ab" * 32},
            },
            {
                "title": "Carte",
                "url": "https://example.org/carte.geojson",
                "filetype": "remote",
                "format": "geojson",
            },
            {
                "title": "Notice",
                "url": "https://example.org/notice.odd",
                "filetype": "remote",
                "format": "odd",
            },
        ],
    },
    {
        "title": "Qualité de l'eau",
        "description": "Prélèvements mensuels.",
        "tags": ["eau"],
        "license": "notspecified",
        "frequency": "monthly",
        "temporal_coverage": {"start": "2020-01-01"},
        "resources": [
            {
                "title": "Mesures",
                "url": "https://example.org/eau.xlsx",
                "filetype": "remote",
                "format": "xlsx",
            }
        ],
    },
    {"title": "Sans rien", "description": "Un jeu presque vide."},
]


def _create(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/1/datasets/", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = client.get(f"/api/1/datasets/{response.json()['id']}/").json()
    return created


def _known(name: str) -> bool:
    return name in LICENSE_URLS or name == "License Not Specified"


def _license_id(name: str | None) -> str | None:
    """The license read, as the catalog's id; no license read stays None (a lost license shows)."""
    if name == "License Not Specified":
        return "notspecified"
    return None if name is None else LICENSE_URLS.get(name, name)


@pytest.mark.parametrize("suffix", ["ttl", "xml", "json", "nt"])
def test_what_opencat_writes_reads_back_the_same(client: TestClient, catalog: Catalog, suffix: str) -> None:
    alice = make_user(catalog)
    created = {body["title"]: _create(client, alice.headers, body) for body in DATASETS}

    response = client.get(f"/api/1/site/catalog.{suffix}?page=1&page_size=10")
    assert response.status_code == 200
    page = read_catalog_page(
        response.content,
        response.headers["content-type"],
        str(response.url),
        known_license=_known,
        zone_uris=ZONE_URIS,
    )

    assert page.next_url is None  # one page holds them all
    read = {item.title: item for item in page.items if isinstance(item, RemoteDataset)}
    assert not [item for item in page.items if isinstance(item, ItemFailure)]
    assert set(read) == set(created)
    sent = {body["title"]: body for body in DATASETS}
    for title, original in created.items():
        _assert_same(original, read[title], sent[title].get("license"))


def _assert_same(original: dict[str, Any], remote: RemoteDataset, license: str | None) -> None:
    """``license``: the one the dataset was given (the API answers notspecified for none too)."""
    assert remote.remote_id == original["id"]
    assert remote.description == original["description"]
    assert remote.acronym == original["acronym"]
    assert sorted(remote.tags) == sorted(original["tags"])
    assert original["license"] == (license or "notspecified")
    assert _license_id(remote.license) == license
    assert remote.frequency == original["frequency"]
    coverage = original["temporal_coverage"] or {}
    assert remote.temporal_start == (date.fromisoformat(coverage["start"]) if coverage else None)
    end = coverage.get("end")
    assert remote.temporal_end == (date.fromisoformat(end) if end else None)
    assert sorted(remote.zones) == sorted((original["spatial"] or {}).get("zones") or [])
    assert (remote.remote_url or "").endswith(original["slug"] + "/")
    expected = {
        resource["url"]: (
            resource["title"],
            resource["description"],
            resource["format"],
            resource["mime"],
            resource["filesize"],
            (resource["checksum"]["type"], resource["checksum"]["value"]) if resource["checksum"] else None,
        )
        for resource in original["resources"]
    }
    actual = {
        resource.url: (
            resource.title,
            resource.description,
            resource.format,
            resource.mime,
            resource.filesize,
            resource.checksum,
        )
        for resource in remote.resources
    }
    assert actual == expected
