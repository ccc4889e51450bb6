"""The geozones referential: spatial endpoints, zone checks on write, full objects, zone search
(udata: udata/core/spatial/models.py)."""

import json
from pathlib import Path

import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.db import geozones as db_geozones
from opencat.db.tables import geozones
from opencat.domain.datasets import Spatial
from opencat.domain.spatial import GRANULARITIES, with_ancestors
from tests.conftest import utc
from tests.factories import make_dataset, make_user

REFDATA = Path(__file__).resolve().parents[2] / "src" / "opencat" / "refdata" / "geozones"
FULL = {"X-Get-Datasets-Full-Objects": "True"}
MARSEILLE = {
    "id": "fr:commune:13055",
    "name": "Marseille",
    "slug": "marseille",
    "code": "13055",
    "level": "fr:commune",
    "uri": None,
}


def test_a_zone_is_udata_geojson_feature(client: TestClient) -> None:
    response = client.get("/api/1/spatial/zone/fr:commune:13055/")
    assert response.status_code == 200
    assert response.json() == {
        "id": "fr:commune:13055",
        "type": "Feature",
        "properties": {k: v for k, v in MARSEILLE.items() if k != "id"},
    }


def test_a_zone_answers_to_any_case_and_legacy_spelling(client: TestClient) -> None:
    for spelling in ("fr:departement:2a", "fr/departement/2A", "fr:departement:2A@1976-01-01"):
        response = client.get(f"/api/1/spatial/zone/{spelling}/")
        assert response.status_code == 200, spelling
        assert response.json()["id"] == "fr:departement:2A"
        assert response.json()["properties"]["name"] == "Corse-du-Sud"


def test_an_unknown_zone_is_404(client: TestClient) -> None:
    assert client.get("/api/1/spatial/zone/fr:commune:00000/").status_code == 404


def test_zones_are_a_feature_collection_in_the_order_asked(client: TestClient) -> None:
    response = client.get("/api/1/spatial/zones/fr:departement:13,country:fr/")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [feature["id"] for feature in body["features"]] == ["fr:departement:13", "country:fr"]
    assert body["features"][0]["properties"]["name"] == "Bouches-du-Rhône"
    assert body["features"][0]["geometry"] is None
    assert client.get("/api/1/spatial/zones/fr:departement:13,nowhere:1/").status_code == 404


def test_levels_are_the_first_eleven_granularities(client: TestClient) -> None:
    english = json.loads((REFDATA / "granularities.en.json").read_text())
    french = json.loads((REFDATA / "granularities.json").read_text())
    assert client.get("/api/1/spatial/levels/").json() == english[:11]
    assert client.get("/api/1/spatial/levels/?lang=fr").json() == french[:11]


def test_granularities_in_english_by_default_and_french_on_request(client: TestClient) -> None:
    english = client.get("/api/1/spatial/granularities/").json()
    french = client.get("/api/1/spatial/granularities/?lang=fr").json()
    assert english == json.loads((REFDATA / "granularities.en.json").read_text())
    assert french == json.loads((REFDATA / "granularities.json").read_text())
    assert len(english) == 13
    assert english[-2:] == [{"id": "poi", "name": "POI"}, {"id": "other", "name": "Other"}]
    assert french[4] == {"id": "fr:departement", "name": "Département français"}
    # The write-side check and this list agree.
    assert tuple(item["id"] for item in english) == GRANULARITIES


def test_the_referential_is_seeded_whole(catalog: Catalog) -> None:
    with catalog.db.read() as conn:
        levels = db_geozones.fetch_levels(conn)
        zones = db_geozones.fetch_zones(conn, ["fr:commune:13055", "fr:departement:2A", "fr:epci:200054807"])
        # What a search document holds for a dataset in Marseille (catalog/search.documents).
        asked = ("fr:commune:13055", "nowhere:1")
        around = set(with_ancestors(asked, db_geozones.fetch_zones_ignoring_case(conn, asked)))
        seeded = conn.execute(sa.select(sa.func.count()).select_from(geozones)).scalar_one()
        populated = conn.execute(sa.select(sa.func.sum(geozones.c.population))).scalar_one()
    exported = json.loads((REFDATA / "zones.json").read_text("utf-8"))
    kept = [item for item in exported if not item.get("is_deleted")]
    # Every record but the deleted ones, whole (the migration loads them in batches).
    assert (seeded, populated) == (len(kept), sum(item.get("population") or 0 for item in kept))
    assert len(levels) == 11
    assert (levels[4].id, levels[4].admin_level) == ("fr:departement", 60)
    assert zones["fr:commune:13055"].parents == ("fr:arrondissement:133", "fr:epci:200054807")
    assert zones["fr:departement:2A"].slug == "corse-du-sud"
    assert zones["fr:epci:200054807"].level == "fr:epci"
    assert around == {
        "fr:commune:13055",
        "nowhere:1",
        "country:fr",
        "fr:arrondissement:133",
        "fr:departement:13",
        "fr:epci:200054807",
        "fr:region:93",
    }


def test_create_refuses_unknown_zones_with_udata_message(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {
        "title": "Air",
        "description": "Mesures",
        "spatial": {"zones": ["fr:departement:13", "fr:commune:99999", "xx:1"]},
    }
    response = client.post("/api/1/datasets/", json=body, headers=alice.headers)
    assert response.status_code == 400
    assert response.json() == {"errors": {"spatial": {"zones": ["Unknown geoid(s): fr:commune:99999, xx:1"]}}}


def test_create_stores_the_referential_spelling(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {
        "title": "Air",
        "description": "Mesures",
        "spatial": {
            "zones": ["FR:Departement:2a", "fr/commune/13055@1943-01-01"],
            "granularity": "fr:commune",
        },
    }
    response = client.post("/api/1/datasets/", json=body, headers=alice.headers)
    assert response.status_code == 201
    assert response.json()["spatial"] == {
        "geom": None,
        "zones": ["fr:departement:2A", "fr:commune:13055"],
        "granularity": "fr:commune",
    }


def test_update_checks_zones_and_keeps_the_dataset_on_refusal(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    refused = client.put(url, json={"spatial": {"zones": ["fr:region:00"]}}, headers=alice.headers)
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"spatial": {"zones": ["Unknown geoid(s): fr:region:00"]}}}
    assert client.get(url).json()["spatial"] is None
    accepted = client.put(url, json={"spatial": {"zones": ["fr:departement:2b"]}}, headers=alice.headers)
    assert accepted.status_code == 200
    assert accepted.json()["spatial"]["zones"] == ["fr:departement:2B"]


def test_full_objects_render_zones_and_granularity(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, **_covering("fr:commune:13055", granularity="fr:commune"))
    url = f"/api/1/datasets/{view.dataset.id}/"

    assert client.get(url).json()["spatial"]["zones"] == ["fr:commune:13055"]
    full = client.get(url, headers=FULL).json()["spatial"]
    assert full == {
        "geom": None,
        "zones": [MARSEILLE],
        "granularity": {"id": "fr:commune", "name": "French town"},
    }
    french = client.get(f"{url}?lang=fr", headers=FULL).json()["spatial"]
    assert french["granularity"] == {"id": "fr:commune", "name": "Commune française"}

    listed = client.get("/api/1/datasets/", headers=FULL).json()["data"]
    assert [item["spatial"] for item in listed] == [full]
    updated = client.put(url, json={"title": "Renamed"}, headers={**alice.headers, **FULL})
    assert updated.json()["spatial"] == full


def test_full_objects_without_granularity_name_other(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, **_covering("country:fr"))
    full = client.get(f"/api/1/datasets/{view.dataset.id}/", headers=FULL).json()["spatial"]
    assert full["granularity"] == {"id": "other", "name": "Other"}
    assert full["zones"][0]["name"] == "France"


def test_a_departement_filter_finds_datasets_of_its_communes(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    marseille = make_dataset(catalog, alice, **_covering("fr:commune:13055", granularity="fr:commune"))
    corsica = make_dataset(catalog, alice, **_covering("fr:departement:2A", granularity="fr:departement"))
    make_dataset(catalog, alice)

    def found(query: str) -> list[str]:
        return [item["id"] for item in client.get(f"/api/1/datasets/?{query}").json()["data"]]

    assert found("geozone=fr:departement:13") == [marseille.dataset.id]
    assert found("geozone=fr:region:93") == [marseille.dataset.id]
    assert found("geozone=fr:commune:13055") == [marseille.dataset.id]
    assert found("geozone=fr:departement:2A") == [corsica.dataset.id]
    assert set(found("geozone=country:fr")) == {marseille.dataset.id, corsica.dataset.id}
    assert found("geozone=fr:departement:84") == []
    assert found("granularity=fr:commune") == [marseille.dataset.id]
    assert found("granularity=fr:departement") == [corsica.dataset.id]
    assert found("granularity=fr:commune&geozone=fr:departement:2A") == []


def _covering(*zones: str, granularity: str | None = None) -> dict[str, Spatial]:
    """The change the API makes of a ``spatial`` body."""
    return {"spatial": Spatial(zones, granularity)}


def test_geometry_must_be_a_real_multipolygon(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    good = {"type": "MultiPolygon", "coordinates": [[ring]]}
    made = client.post(
        "/api/1/datasets/",
        json={"title": "a", "description": "d", "spatial": {"geom": good}},
        headers=alice.headers,
    )
    assert made.status_code == 201
    assert made.json()["spatial"]["geom"] == good
    for geom in (
        {"type": "MultiPolygon"},
        {"type": "MultiPolygon", "coordinates": "x"},
        {"type": "MultiPolygon", "coordinates": [[[["a", "b"], [1, 2], [3, 4], [5, 6]]]]},
        {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 1]]]]},
        {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 1]]]]},  # not closed
    ):
        response = client.post(
            "/api/1/datasets/",
            json={"title": "a", "description": "d", "spatial": {"geom": geom}},
            headers=alice.headers,
        )
        assert response.status_code == 400, geom


def test_an_edit_sending_part_of_the_coverage_keeps_the_rest(client: TestClient, catalog: Catalog) -> None:
    """udata's nested form: a sub-field left out keeps its stored value (the whole coverage was
    replaced, zones or granularity lost); zones sent beside a stored drawing are refused."""
    alice = make_user(catalog)
    made = client.post(
        "/api/1/datasets/",
        json={
            "title": "a",
            "description": "d",
            "spatial": {"zones": ["fr:departement:75"], "granularity": "fr:departement"},
        },
        headers=alice.headers,
    ).json()
    url = f"/api/1/datasets/{made['id']}/"
    granularity = client.put(
        url, json={"spatial": {"granularity": "fr:commune"}}, headers=alice.headers
    ).json()
    assert (granularity["spatial"]["zones"], granularity["spatial"]["granularity"]) == (
        ["fr:departement:75"],
        "fr:commune",
    )
    zones = client.put(url, json={"spatial": {"zones": ["fr:departement:13"]}}, headers=alice.headers).json()
    assert (zones["spatial"]["zones"], zones["spatial"]["granularity"]) == (
        ["fr:departement:13"],
        "fr:commune",
    )
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    drawing = {"type": "MultiPolygon", "coordinates": [[ring]]}
    refused = client.put(url, json={"spatial": {"geom": drawing}}, headers=alice.headers)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"spatial": ["Spatial zones and geometry are mutually exclusive"]}
    assert client.get(url).json()["spatial"] == zones["spatial"]  # nothing written
    drawn = client.put(url, json={"spatial": {"zones": [], "geom": drawing}}, headers=alice.headers).json()
    assert drawn["spatial"] == {"zones": [], "granularity": "fr:commune", "geom": drawing}
    for kept in ({"spatial": {}}, {"spatial": None}, {"title": "b"}):
        assert client.put(url, json=kept, headers=alice.headers).json()["spatial"] == drawn["spatial"]


def test_an_edit_keeps_the_stored_zones_it_sends_again_even_unknown_ones(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """Imported data.gouv.fr datasets hold zones of udata's older referential
    (``fr:collectivite:987@2004-02-27``): the edit form sends them back as shown, and the save was
    refused for a field the publisher never touched, or rewrote ``…@1943-01-01`` without its date."""
    from importlib.resources import files

    from opencat.catalog.imports import load_fixtures

    demo = json.loads((files("opencat") / "demo" / "datasets.json").read_text())
    document = {
        **demo[0],
        "spatial": {"zones": ["fr:collectivite:987@2004-02-27", "fr:commune:13055@1943-01-01"]},
    }
    (tmp_path / "one.json").write_text(json.dumps([document]))
    assert load_fixtures(catalog, tmp_path / "one.json") == 1
    alice = make_user(catalog, sysadmin=True)
    url = f"/api/1/datasets/{document['id']}/"
    stored = client.get(url).json()["spatial"]["zones"]
    assert stored == ["fr:collectivite:987@2004-02-27", "fr:commune:13055@1943-01-01"]
    for sent in (stored, ["fr:collectivite:987", "FR/commune/13055"]):
        again = client.put(url, json={"title": "Renamed", "spatial": {"zones": sent}}, headers=alice.headers)
        assert again.status_code == 200, again.text
        assert again.json()["spatial"]["zones"] == stored
    added = client.put(
        url, json={"spatial": {"zones": [*stored, "fr:departement:2a"]}}, headers=alice.headers
    )
    assert added.json()["spatial"]["zones"] == [*stored, "fr:departement:2A"]
    unknown = client.put(url, json={"spatial": {"zones": ["fr:collectivite:988"]}}, headers=alice.headers)
    assert unknown.status_code == 400
    assert unknown.json() == {"errors": {"spatial": {"zones": ["Unknown geoid(s): fr:collectivite:988"]}}}


def test_a_zones_datasets_are_the_public_ones_naming_it_exactly(client: TestClient, catalog: Catalog) -> None:
    """udata's ``/spatial/zone/{id}/datasets/``: ``spatial__zones=zone`` on visible datasets,
    as DatasetReference, at most ``size``."""
    alice = make_user(catalog)
    first = make_dataset(catalog, alice, **_covering("fr:departement:13", granularity="fr:departement"))
    second = make_dataset(catalog, alice, **_covering("fr:departement:13", "fr:departement:84"))
    make_dataset(catalog, alice, **_covering("fr:commune:13055"))  # inside, but not the zone itself
    make_dataset(catalog, alice, private=True, **_covering("fr:departement:13"))
    url = "/api/1/spatial/zone/fr:departement:13/datasets/"
    found = client.get(url)
    assert found.status_code == 200
    assert [item["id"] for item in found.json()] == [second.dataset.id, first.dataset.id]
    assert found.json()[0] == {
        "id": second.dataset.id,
        "class": "Dataset",
        "title": second.dataset.title,
        "acronym": None,
        "uri": f"http://testserver/api/1/datasets/{second.dataset.slug}/",
        "page": f"http://testserver/datasets/{second.dataset.slug}/",
    }
    assert [item["id"] for item in client.get(f"{url}?size=1&dynamic=true").json()] == [second.dataset.id]
    assert client.get("/api/1/spatial/zone/FR:Departement:13/datasets/").json() == found.json()
    assert client.get("/api/1/spatial/zone/fr:departement:84/datasets/").json()[0]["id"] == second.dataset.id
    assert client.get("/api/1/spatial/zone/fr:departement:2A/datasets/").json() == []
    assert client.get("/api/1/spatial/zone/fr:nowhere:1/datasets/").status_code == 404
    bad = client.get(f"{url}?size=many")
    assert (bad.status_code, bad.json()["errors"]) == (
        400,
        {"size": "The amount of datasets to fetch invalid literal for int() with base 10: 'many'"},
    )
    assert client.get(f"{url}?dynamic=perhaps").status_code == 400


def test_a_levels_coverage_counts_the_public_datasets_of_each_zone(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's ``/spatial/coverage/{level}/``: every zone of the level, its datasets counted."""
    alice = make_user(catalog)
    make_dataset(catalog, alice, **_covering("fr:departement:13"))
    make_dataset(catalog, alice, **_covering("fr:departement:13", "fr:departement:2A"))
    make_dataset(catalog, alice, **_covering("fr:commune:13055"))
    make_dataset(catalog, alice, archived=utc(2024, 1, 1), **_covering("fr:departement:13"))
    answer = client.get("/api/1/spatial/coverage/fr:departement/")
    assert answer.status_code == 200
    collection = answer.json()
    assert collection["type"] == "FeatureCollection"
    features = {feature["id"]: feature for feature in collection["features"]}
    with catalog.db.read() as conn:
        expected = {zone.id for zone in db_geozones.fetch_zones_of_level(conn, "fr:departement")}
    assert set(features) == expected
    assert len(expected) > 90
    assert features["fr:departement:13"] == {
        "id": "fr:departement:13",
        "type": "Feature",
        "geometry": None,
        "properties": {
            "name": "Bouches-du-Rhône",
            "code": "13",
            "uri": features["fr:departement:13"]["properties"]["uri"],
            "datasets": 2,
        },
    }
    assert features["fr:departement:2A"]["properties"]["datasets"] == 1
    assert features["fr:departement:84"]["properties"]["datasets"] == 0
    assert client.get("/api/1/spatial/coverage/fr:nowhere/").status_code == 404


def test_an_overseas_collectivitys_older_id_names_its_zone_when_read(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """data.gouv.fr's exports hold ``fr:collectivite:987@2004-02-27`` (the older referential's
    level of the overseas collectivities), which its geozones now file as ``fr:departement:987``:
    pages, full objects and the geozone filter read it as Polynésie française; it is stored as
    imported, and a write naming a zone of that older level is still refused (no such zone here)."""
    from importlib.resources import files

    from opencat.catalog.imports import load_fixtures

    demo = json.loads((files("opencat") / "demo" / "datasets.json").read_text())
    older = "fr:collectivite:987@2004-02-27"
    document = {**demo[0], "private": False, "deleted": None, "spatial": {"zones": [older]}}
    (tmp_path / "one.json").write_text(json.dumps([document]))
    assert load_fixtures(catalog, tmp_path / "one.json") == 1
    url = f"/api/1/datasets/{document['id']}/"
    assert client.get(url).json()["spatial"]["zones"] == [older]
    [zone] = client.get(url, headers=FULL).json()["spatial"]["zones"]
    assert (zone["id"], zone["name"]) == ("fr:departement:987", "Polynésie française")
    for geozone in ("fr:departement:987", "country:fr"):
        found = client.get("/api/1/datasets/", params={"geozone": geozone}).json()
        assert [item["id"] for item in found["data"]] == [document["id"]], geozone
    page = client.get(f"/datasets/{document['slug']}/", headers={"Accept-Language": "fr"})
    assert "Polynésie française" in page.text
    assert "fr:collectivite" not in page.text
    alice = make_user(catalog, sysadmin=True)
    refused = client.put(url, json={"spatial": {"zones": ["fr:collectivite:988"]}}, headers=alice.headers)
    assert refused.status_code == 400
