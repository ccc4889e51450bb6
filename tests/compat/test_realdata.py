"""Real data.gouv.fr documents loaded with ``load_fixtures`` and read back through API v1.

The 366 documents of ``search-indicator`` are complete 2022 answers of ``GET /api/1/datasets/{id}/``:
our answer for each must keep every key with its JSON type, and the identifying values exactly.
The key sets of a freshly created dataset and resource come from udata 17.18's recorded answers
(``shared/spec/udata-responses.md``, calls 13, 30 and 42), copied here by hand.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.catalog.imports import catalog_is_empty, load_fixtures
from opencat.config import Settings
from opencat.db import tables
from opencat.db.engine import Database
from opencat.db.tables import metadata
from opencat.wiring import build_catalog
from tests import paths
from tests.compat.jsonshape import Problem, json_kind, shape_problems, summary
from tests.conftest import BASE_URL, REFERENCE_TABLES
from tests.factories import Account, make_org, make_user

INDICATOR = paths.INDICATOR / "datasets"
UDATA_FIXTURES = paths.UDATA_FIXTURES
INDICATOR_COUNT = 366
# udata builds `page` from its front-end URL (udata/core/dataset/api_fields.py); opencat answers null
# without one, so the 2022 documents are read with a front end configured.
FRONT_URL = "https://www.data.gouv.fr"

# The only keys of the 2022 documents we do not serve: udata dropped resource `published` after
# 2022 (docs/compatibility.md, deliberate deviations). Anything else missing is a failure.
# Keys the 2022 documents hold that udata 17.18 no longer answers: a resource's ``published``, and
# the backends' own harvest keys (its harvest metadata are fixed models since: udata-behaviour.md
# §2.12, udata/core/dataset/api_fields.py).
REMOVED_FROM_UDATA = frozenset(
    {
        "resources[].published",
        "resources[].harvest.ods_type",
        "harvest.ods_geo",
        "harvest.ods_has_records",
        "harvest.ods_url",
        "harvest.ods_references",
        "harvest.ckan_name",
        "harvest.ckan_source",
    }
)


def _documents(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]


def _instant(text: str) -> datetime:
    """udata wrote naive UTC datetimes in 2022 and ``+00:00`` ones since."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _hidden(doc: dict[str, Any]) -> bool:
    """Documents an anonymous caller could not read back as they were."""
    return bool(doc.get("private") or doc.get("deleted") or doc.get("archived"))


def _empty(database: Database) -> None:
    """What the per-test ``db`` fixture does after each test (reference lists are kept)."""
    with database.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())


@dataclass(frozen=True, slots=True)
class Reading:
    original: dict[str, Any]
    status: int
    body: Any


@dataclass(frozen=True, slots=True)
class Indicator:
    loaded: int
    readings: list[Reading]


def _read(client: TestClient, doc: dict[str, Any], admin: Account) -> Reading:
    headers = admin.headers if _hidden(doc) else {}
    response = client.get(f"/api/1/datasets/{doc['id']}/", headers=headers)
    return Reading(doc, response.status_code, response.json())


@pytest.fixture(scope="module")
def indicator(migrated: Database, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Indicator:
    """Load the 366 documents and read each back once per database.

    Module-scoped so that the load is paid once: it empties the database itself before the
    tests run, since the per-test ``db`` fixture cannot clean up after a module fixture.
    """
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("realdata"),
        database_url=database_url,
        base_url=BASE_URL,
        front_url=FRONT_URL,
    )
    catalog = build_catalog(settings, database=migrated)
    assert catalog_is_empty(catalog), "a previous test left datasets behind"
    documents = _documents(INDICATOR)
    assert len(documents) == INDICATOR_COUNT, f"expected {INDICATOR_COUNT} documents in {INDICATOR}"
    try:
        loaded = load_fixtures(catalog, INDICATOR)
        admin = make_user(catalog, sysadmin=True)
        app = create_app(settings, database=migrated)
        with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
            readings = [_read(client, doc, admin) for doc in documents]
    finally:
        _empty(migrated)
    return Indicator(loaded, readings)


def test_indicator_folder_loads_all_documents_and_each_reads_back(indicator: Indicator) -> None:
    assert indicator.loaded == INDICATOR_COUNT
    failed = {r.original["id"]: r.status for r in indicator.readings if r.status != 200}
    assert failed == {}


def test_indicator_documents_keep_every_key_with_its_json_type(indicator: Indicator) -> None:
    problems: list[Problem] = []
    for reading in indicator.readings:
        found = shape_problems(reading.original, reading.body, may_be_absent=REMOVED_FROM_UDATA)
        problems += [Problem(p.path, p.detail, reading.original["id"]) for p in found]
    if problems:
        pytest.fail(f"{len(problems)} differences:\n{summary(problems)}", pytrace=False)


def test_indicator_identity_fields_round_trip_exactly(indicator: Indicator) -> None:
    mismatches: list[str] = []
    for reading in indicator.readings:
        doc, ours = reading.original, reading.body
        for name in ("id", "slug", "title", "tags", "license"):
            if ours.get(name) != doc[name]:
                mismatches.append(f"{doc['id']} {name}: {doc[name]!r} became {ours.get(name)!r}")
        ours_ids = [item["id"] for item in ours.get("resources", [])]
        if ours_ids != [item["id"] for item in doc["resources"]]:
            mismatches.append(f"{doc['id']} resource ids or order changed")
        if _instant(ours["created_at"]) != _instant(doc["created_at"]):
            mismatches.append(f"{doc['id']} created_at: {doc['created_at']} became {ours['created_at']}")
    assert mismatches == []


def test_shape_comparison_flags_what_it_must_and_only_that() -> None:
    # The checks above pass vacuously if the comparison is too lenient: pin its verdicts.
    original = {
        "a": 1,
        "b": None,
        "c": {"d": "x"},
        "published": "2014-01-01",
        "resources": [{"id": "r1", "published": "2014-01-01", "harvest": {}}],
    }
    same = {
        "a": 1.5,
        "b": {"any": "thing"},
        "c": {"d": "y", "extra": True},
        "published": "2015-01-01",
        "resources": [{"id": "r2", "harvest": {"k": 1}}],
        "new": [],
    }
    assert shape_problems(original, same, may_be_absent=REMOVED_FROM_UDATA) == []
    broken = {
        "a": "1",
        "b": None,
        "c": {},
        "resources": [{"id": "r1", "published": None, "harvest": None}],
    }
    found = {(p.path, p.detail) for p in shape_problems(original, broken, may_be_absent=REMOVED_FROM_UDATA)}
    assert found == {
        ("a", "number became string"),
        ("c.d", "missing"),
        ("published", "missing"),  # only the resource field is excused
        ("resources[].published", "string became null"),  # excused when absent, not when retyped
        ("resources[].harvest", "object became null"),
    }
    assert shape_problems([1, 2], [1]) == [Problem("", "2 items became 1")]
    assert [json_kind(v) for v in (True, 0, 0.5, "", [], {}, None)] == [
        "boolean", "number", "number", "string", "array", "object", "null",
    ]  # fmt: skip


def _counts(catalog: Catalog) -> dict[str, int]:
    counted = (
        tables.datasets,
        tables.resources,
        tables.dataset_tags,
        tables.dataset_slugs,
        tables.organizations,
        tables.organization_members,
        tables.users,
        tables.contact_points,
    )
    with catalog.db.engine.connect() as conn:
        return {
            table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in counted
        }


def test_loading_the_same_folder_twice_replaces_instead_of_duplicating(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    assert load_fixtures(catalog, INDICATOR) == INDICATOR_COUNT
    first = _counts(catalog)
    assert first["datasets"] == INDICATOR_COUNT
    assert load_fixtures(catalog, INDICATOR) == INDICATOR_COUNT
    assert _counts(catalog) == first
    assert client.get("/api/1/datasets/?page_size=1").json()["total"] == INDICATOR_COUNT

    # A changed document replaces the stored one: new title, its resources exactly as sent.
    doc = next(d for d in _documents(INDICATOR) if len(d["resources"]) >= 3)
    kept = list(reversed(doc["resources"][1:]))
    folder = tmp_path / "datasets"
    folder.mkdir()
    metrics = {**doc["metrics"], "followers": doc["metrics"].get("followers", 0) + 41}
    changed = {**doc, "title": "Titre remplacé", "resources": kept, "metrics": metrics}
    (folder / f"{doc['id']}.json").write_text(json.dumps(changed), encoding="utf-8")
    assert load_fixtures(catalog, folder) == 1
    ours = client.get(f"/api/1/datasets/{doc['id']}/").json()
    assert ours["title"] == "Titre remplacé"
    # Its follower count too (it kept the first load's: the row's counter is written apart).
    assert ours["metrics"]["followers"] == metrics["followers"]
    assert ours["slug"] == doc["slug"]
    assert [r["id"] for r in ours["resources"]] == [r["id"] for r in kept]
    after = _counts(catalog)
    assert after["datasets"] == INDICATOR_COUNT
    assert after["resources"] == first["resources"] - 1


def test_udata_fixture_file_loads_each_dataset_with_its_resources_and_organization(
    client: TestClient, catalog: Catalog
) -> None:
    entries = json.loads(UDATA_FIXTURES.read_text(encoding="utf-8"))["datasets"]
    assert len(entries) == 15
    assert load_fixtures(catalog, UDATA_FIXTURES) == 15
    assert sum(len(entry["community_resources"]) for entry in entries) == 25
    problems: list[Problem] = []
    for entry in entries:
        doc, org = entry["dataset"], entry["organization"]
        response = client.get(f"/api/1/datasets/{doc['id']}/")
        assert response.status_code == 200, doc["id"]
        ours = response.json()
        assert (ours["id"], ours["slug"], ours["title"]) == (doc["id"], doc["slug"], doc["title"])
        assert [r["id"] for r in ours["resources"]] == [r["id"] for r in entry["resources"]]
        # The file's resources are full API v1 resources: hold them to the same shape rule.
        found = shape_problems(entry["resources"], ours["resources"])
        problems += [Problem(p.path, p.detail, doc["id"]) for p in found]
        reference = ours["organization"]
        assert (reference["id"], reference["name"], reference["slug"]) == (
            org["id"],
            org["name"],
            org["slug"],
        )
        full = client.get(f"/api/1/organizations/{org['id']}/").json()
        assert [m["user"]["id"] for m in full["members"]] == [m["user"]["id"] for m in org["members"]]
        # Its community resources (25 in the file were dropped), with their files' fields.
        proposed = client.get(
            f"/api/1/datasets/community_resources/?dataset={doc['id']}&page_size=100"
        ).json()
        expected = {item["id"]: item for item in entry["community_resources"]}
        assert {item["id"] for item in proposed["data"]} == set(expected), doc["id"]
        for item in proposed["data"]:
            source = expected[item["id"]]
            assert (item["title"], item["url"], item["filesize"]) == (
                source["title"],
                source["url"],
                source["filesize"],
            )
    if problems:
        pytest.fail(f"{len(problems)} differences:\n{summary(problems)}", pytrace=False)


# udata 17.18, call 13 (POST /api/1/datasets/ as an org admin), top level and nested key sets.
CREATED_DATASET_KEYS = frozenset({
    "access_audiences", "access_type", "access_type_reason", "access_type_reason_category",
    "acronym", "archived", "authorization_request_url", "badges", "contact_points", "created_at",
    "deleted", "description", "description_short", "doi", "extras", "featured", "frequency",
    "frequency_date", "geopf", "harvest", "id", "internal", "last_modified", "last_update",
    "license", "metrics", "organization", "owner", "page", "permissions", "private", "quality",
    "resources", "schema", "slug", "spatial", "tags", "temporal_coverage", "title", "uri",
})  # fmt: skip
CREATED_NESTED_KEYS = {
    "organization": frozenset({
        "acronym", "badges", "class", "id", "logo", "logo_thumbnail", "name", "page",
        "permissions", "slug", "uri",
    }),
    "metrics": frozenset({
        "dataservices", "discussions", "discussions_open", "followers", "followers_by_months",
        "resources_downloads", "reuses", "reuses_by_months", "views",
    }),
    "internal": frozenset({"created_at_internal", "last_modified_internal"}),
    "permissions": frozenset({"delete", "edit", "edit_resources"}),
    "quality": frozenset({
        "dataset_description_quality", "license", "score", "spatial", "temporal_coverage",
        "update_frequency", "update_fulfilled_in_time",
    }),
}  # fmt: skip
CREATED_ORG_PERMISSION_KEYS = frozenset({"delete", "edit", "harvest", "members", "private"})
# Call 30 (POST .../resources/, a remote resource).
CREATED_RESOURCE_KEYS = frozenset({
    "checksum", "created_at", "description", "extras", "filesize", "filetype", "format", "geopf",
    "harvest", "id", "internal", "last_modified", "latest", "metrics", "mime", "preview_url",
    "schema", "title", "type", "url",
})  # fmt: skip
# Call 42 (the same dataset once it has resources): quality gains the resource criteria.
QUALITY_WITH_RESOURCES_KEYS = CREATED_NESTED_KEYS["quality"] | {
    "all_resources_available", "has_open_format", "has_resources", "resources_documentation",
}  # fmt: skip


def _call_13_body(org_id: str) -> dict[str, Any]:
    return {
        "title": "Horaires des bus",
        "description": "Horaires théoriques du réseau de bus.",
        "organization": org_id,
        "license": "lov2",
        "frequency": "monthly",
        "tags": ["transport", "Bus"],
        "acronym": "HB",
        "temporal_coverage": {"start": "2024-01-01", "end": "2024-12-31"},
        "extras": {"source": "gtfs"},
    }


@pytest.fixture
def org_admin(catalog: Catalog) -> tuple[Account, str]:
    """Alice, admin of "Oracle Org", as in the recorded session."""
    alice = make_user(catalog)
    org = make_org(catalog, "Oracle Org", **{alice.user.id: "admin"})
    return alice, org.id


def test_created_org_dataset_has_udata_key_sets(client: TestClient, org_admin: tuple[Account, str]) -> None:
    alice, org_id = org_admin
    response = client.post("/api/1/datasets/", json=_call_13_body(org_id), headers=alice.headers)
    assert response.status_code == 201
    data = response.json()
    assert set(data) == CREATED_DATASET_KEYS
    assert {name: set(data[name]) for name in CREATED_NESTED_KEYS} == CREATED_NESTED_KEYS
    assert set(data["organization"]["permissions"]) == CREATED_ORG_PERMISSION_KEYS


def test_resource_created_inline_has_udata_key_set(
    client: TestClient, org_admin: tuple[Account, str]
) -> None:
    alice, org_id = org_admin
    resource = {
        "title": "Horaires CSV",
        "url": "https://example.org/horaires.csv",
        "filetype": "remote",
        "format": "csv",
        "type": "main",
        "description": "Export CSV",
    }
    body = {**_call_13_body(org_id), "resources": [resource]}
    response = client.post("/api/1/datasets/", json=body, headers=alice.headers)
    assert response.status_code == 201
    data = response.json()
    assert [set(item) for item in data["resources"]] == [CREATED_RESOURCE_KEYS]
    assert set(data["quality"]) == QUALITY_WITH_RESOURCES_KEYS
