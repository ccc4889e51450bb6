"""DcatInputs for the DCAT tests: a minimal dataset, one with every field, a harvested one, real ones."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from opencat.catalog.import_documents import dataset_from_udata, resource_from_udata
from opencat.dcat.inputs import DcatInput
from opencat.domain.accounts import ContactPoint, Organization, User
from opencat.domain.datasets import Badge, Checksum, Dataset, Resource, Spatial, TemporalCoverage
from opencat.domain.references import License
from opencat.domain.spatial import Zone
from opencat.domain.urls import Urls
from tests.paths import INDICATOR, UDATA_FIXTURES

URLS = Urls("https://opencat.example", "https://www.example.fr")
API_ONLY = Urls("https://opencat.example")
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
CREATED = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
MODIFIED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
DATASET_ID = "6b08d1c536877ad9cd54924c"
ORG_ID = "6b08d1c436877ad9cd54924b"
USER_ID = "6b08d1c436877ad9cd549240"
SHA1 = "20cc4226684dceabd18ec070bf704ce2e01b573d"


def licenses() -> dict[str, License]:
    items = json.loads((files("opencat") / "refdata" / "licenses.json").read_text("utf-8"))
    return {
        item["id"]: License(
            item["id"],
            item["title"],
            item["url"],
            item.get("maintainer"),
            tuple(item.get("flags") or ()),
            tuple(item.get("alternate_urls") or ()),
            tuple(item.get("alternate_titles") or ()),
        )
        for item in items
    }


LICENSES = licenses()
ZONES = {
    "country:fr": Zone("country:fr", "France", "france", "fr", "country", None),
    "country-group:ue": Zone(
        "country-group:ue",
        "Union Européenne",
        "union-europeenne",
        "ue",
        "country-group",
        "http://id.insee.fr/geo/europe",
    ),
}


MINIMAL_ID = "6b08d1c536877ad9cd549999"
HARVESTED_ID = "6b08d1c536877ad9cd549888"
TWIN_ID = "6b08d1c536877ad9cd549899"


def minimal() -> DcatInput:
    dataset = Dataset(MINIMAL_ID, "horaires", "Horaires", "", CREATED, CREATED)
    return DcatInput(dataset, (), None, None, (), {})


def resource(number: int, **fields: Any) -> Resource:
    values: dict[str, Any] = {
        "id": f"30ee6453-bbbd-4261-9c83-d93c95d8c5{number:02d}",
        "title": f"file-{number}.csv",
        "url": f"https://static.example.fr/resources/horaires/file-{number}.csv",
        "created_at_internal": CREATED,
        "last_modified_internal": MODIFIED,
        "filetype": "file",
        "type": "main",
        "description": "Stop times, one row per stop.",
        "format": "csv",
        "checksum": Checksum("sha1", SHA1),
        "filesize": 42,
        "mime": "text/csv",
    }
    return Resource(**(values | fields))


def organization() -> Organization:
    return Organization(
        ORG_ID,
        "Oracle Org",
        "oracle-org",
        CREATED,
        CREATED,
        url="https://oracle.example.fr",
        badges=("certified", "local-authority"),
    )


def user() -> User:
    return User(
        USER_ID, "jane@example.fr", "Jane", "Doe", "jane-doe", CREATED, website="https://jane.example"
    )


def contacts(first: int, *roles: str) -> tuple[ContactPoint, ...]:
    return tuple(
        ContactPoint(f"6b08d1c436877ad9cd5492{index:02d}", f"Desk {role}", f"{role}@example.fr",
                     "https://example.fr/contact", role, None, ORG_ID)
        for index, role in enumerate(roles, start=first)
    )  # fmt: skip


def full() -> DcatInput:
    """Every field set: udata's whole mapping and what we add beyond it."""
    dataset = Dataset(
        DATASET_ID,
        "horaires-des-bus-2024",
        "Horaires des bus 2024",
        "Horaires théoriques du réseau de **bus**.\n\nMis à jour chaque mois.",
        CREATED,
        MODIFIED,
        acronym="HB",
        license="lov2",
        frequency="monthly",
        temporal_coverage=TemporalCoverage(date(2024, 1, 1), date(2024, 12, 31)),
        spatial=Spatial(("country:fr", "country-group:ue", "fr:commune:56098@1943-01-01"), "country"),
        tags=("bus", "mobilite", "transport"),
        badges=(Badge("hvd"),),
        organization_id=ORG_ID,
        extras={"language": "fr"},
    )
    resources = (
        resource(1),
        resource(2, format="ogc:wms", title="Carte des lignes", checksum=None, filesize=None, mime=None,
                 url="https://geo.example.fr/wms?SERVICE=WMS&REQUEST=GetCapabilities", filetype="remote"),
        resource(3, format="shp (wgs84)", checksum=Checksum("sha2", "ab" * 32), description=None),
        resource(4, format="arcgis geoservices rest api", checksum=Checksum("crc", "1f2e3d4c")),
    )  # fmt: skip
    roles = ("contact", "creator", "rightsHolder", "custodian", "user")
    return DcatInput(
        dataset,
        resources,
        organization(),
        None,
        contacts(0, *roles),
        LICENSES,
        ZONES,
        NOW,
        ("TRAN",),
    )


def harvested() -> DcatInput:
    """Harvested from a remote DCAT catalog, owned by a user, restricted, with a publisher contact."""
    dataset = replace(
        full().dataset,
        id=HARVESTED_ID,
        organization_id=None,
        owner_id=USER_ID,
        license=None,
        access_type="restricted",
        access_type_reason_category="confidentiality_of_personal_data",
        badges=(),
        spatial=Spatial(geom={"type": "MultiPolygon", "coordinates": [[[[0, 0], [0, 1], [1, 1], [0, 0]]]]}),
        harvest={
            "backend": "DCAT",
            "uri": "https://remote.example.eu/dataset/horaires",
            "dct_identifier": "urn:remote:horaires",
            "remote_url": "https://remote.example.eu/catalog/horaires",
            "created_at": "2020-01-01T00:00:00",
            "issued_at": "2020-02-01T00:00:00+00:00",
            "modified_at": "2023-12-24T10:00:00+01:00",
        },
    )
    resources = (resource(11, harvest={"modified_at": "2099-01-01T00:00:00"}), resource(12, description=None))
    roles = ("publisher", "publisher", "contact")
    return DcatInput(dataset, resources, None, user(), contacts(10, *roles), LICENSES, {}, NOW)


def harvested_twin() -> DcatInput:
    """Another dataset harvested with the same IRI (a second source reaching the same catalog),
    with another title and frequency."""
    item = harvested()
    dataset = replace(
        item.dataset, id=TWIN_ID, slug="horaires-bis", title="Horaires (bis)", frequency="daily"
    )
    return replace(item, dataset=dataset, resources=(resource(13),))


def _organization_document(ref: dict[str, Any] | None) -> dict[str, Any] | None:
    if not ref:
        return None
    path = INDICATOR / "organizations" / f"{ref['id']}.json"
    return {**ref, **(json.loads(path.read_text("utf-8")) if path.exists() else {})}


def _real_organization(doc: dict[str, Any] | None, when: datetime) -> Organization | None:
    if doc is None:
        return None
    badges = tuple(badge["kind"] for badge in doc.get("badges") or () if "kind" in badge)
    return Organization(doc["id"], doc.get("name") or doc["id"], doc.get("slug") or doc["id"], when, when,
                        url=doc.get("url"), badges=badges)  # fmt: skip


def real_item(doc: dict[str, Any], resources: list[dict[str, Any]], org: dict[str, Any] | None) -> DcatInput:
    """A real udata document through the importer's own conversion (catalog/import_documents.py)."""
    dataset = dataset_from_udata(doc, None, org["id"] if org else None, ())
    items = [resource_from_udata(item) for item in resources]
    owner = None
    if org is None and isinstance(doc.get("owner"), dict):
        ref = doc["owner"]
        owner = User(ref["id"], "", ref.get("first_name") or "", ref.get("last_name") or "",
                     ref.get("slug") or ref["id"], dataset.created_at_internal)  # fmt: skip
    return DcatInput(
        dataset,
        items,
        _real_organization(_organization_document(org), dataset.created_at_internal),
        owner,
        (),
        LICENSES,
        ZONES,
        NOW,
    )


def real_indicator(count: int) -> list[DcatInput]:
    """The first ``count`` API v1 documents saved from www.data.gouv.fr (2022-12-02)."""
    paths = sorted(Path(INDICATOR / "datasets").glob("*.json"))[:count]
    docs = [json.loads(path.read_text("utf-8")) for path in paths]
    return [real_item(doc, doc.get("resources") or [], doc.get("organization")) for doc in docs]


def real_fixtures() -> list[DcatInput]:
    """udata's own fixture file: datasets with their resources and organizations."""
    entries = json.loads(UDATA_FIXTURES.read_text("utf-8"))["datasets"]
    return [real_item(entry["dataset"], entry["resources"] or [], entry["organization"]) for entry in entries]
