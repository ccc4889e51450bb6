"""Behaviours pinned after a black-box review against udata's recorded answers."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_org, make_user

URL = "/api/1/datasets/"


def test_anonymous_create_is_401_whatever_the_body(client: TestClient) -> None:
    for body in ({}, {"title": "a", "description": "b", "frequency": "zzz"}):
        assert client.post(URL, json=body).status_code == 401
    assert client.post(URL, content=b"x", headers={"Content-Type": "text/plain"}).status_code == 401


def test_slug_redirect_location_is_encoded_and_complete(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Qualité de l'air")
    rid = "00000000-0000-4000-8000-000000000000"
    response = client.get(f"/api/1/datasets/Qualit%C3%A9%20de%20l%27air/resources/{rid}/?x=1")
    assert response.status_code == 308
    assert response.headers["location"] == f"/api/1/datasets/qualite-de-lair/resources/{rid}/"
    slashless = client.get("/api/1/datasets/Qualit%C3%A9%20de%20l%27air")
    assert slashless.status_code == 308
    assert slashless.headers["location"] == "/api/1/datasets/Qualit%C3%A9%20de%20l%27air/"


def test_null_access_type_means_open(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    created = client.post(
        URL,
        json={"title": "a", "description": "d", "access_type": None, "license": "cc-by"},
        headers=alice.headers,
    ).json()
    assert created["access_type"] == "open"
    updated = client.put(f"{URL}{created['id']}/", json={"access_type": None}, headers=alice.headers).json()
    assert (updated["access_type"], updated["license"]) == ("open", "cc-by")


def test_custom_extras_messages_are_udatas(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    personal = client.post(
        URL, json={"title": "a", "description": "d", "extras": {"custom:x": 1}}, headers=alice.headers
    )
    assert personal.json()["errors"] == {
        "__all__": "Custom metadatas are only accessible to dataset owned by on organization."
    }


def test_empty_identifier_filters_are_ignored_and_first_values_win(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    for _ in range(3):
        make_dataset(catalog, alice)
    assert client.get(f"{URL}?organization=&owner=").json()["total"] == 3
    body = client.get(f"{URL}?page=1&page=2&page_size=2").json()
    assert body["page"] == 1
    assert body["next_page"] == "http://testserver/api/1/datasets/?page=2&page_size=2"


def test_format_filter_matches_resources(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    csv = make_dataset(
        catalog,
        alice,
        organization=org.id,
        resources=[{"title": "r", "url": "https://x.org/a", "format": "csv"}],
    )
    make_dataset(catalog, alice, resources=[{"title": "r", "url": "https://x.org/b", "format": "json"}])
    ids = [item["id"] for item in client.get(f"{URL}?format=csv").json()["data"]]
    assert ids == [csv.dataset.id]
    assert client.get(f"{URL}?format=CSV").json()["total"] == 0


def test_client_dates_are_lenient_and_kept_to_the_millisecond(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {
        "title": "a",
        "description": "d",
        "frequency_date": "2025-01-05T10:00:00.123456Z",
        "archived": "Jan 5 2025",
    }
    data = client.post(URL, json=body, headers=alice.headers).json()
    assert data["frequency_date"] == "2025-01-05T10:00:00.123000+00:00"
    assert data["archived"] == "2025-01-05T00:00:00+00:00"
    wrong = client.post(URL, json={"title": "a", "description": "d", "deleted": True}, headers=alice.headers)
    assert wrong.json() == {"errors": {"deleted": ["Not a valid datetime value."]}}


def test_geometry_must_be_a_real_multipolygon(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    good = {"type": "MultiPolygon", "coordinates": [[ring]]}
    made = client.post(
        URL, json={"title": "a", "description": "d", "spatial": {"geom": good}}, headers=alice.headers
    )
    assert made.status_code == 201
    assert made.json()["spatial"]["geom"] == good
    for geom in (
        {"type": "MultiPolygon"},
        {"type": "MultiPolygon", "coordinates": "x"},
        {"type": "MultiPolygon", "coordinates": [[[["a", "b"], [1, 2], [3, 4], [5, 6]]]]},
        {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 1]]]]},
    ):
        response = client.post(
            URL, json={"title": "a", "description": "d", "spatial": {"geom": geom}}, headers=alice.headers
        )
        assert response.status_code == 400, geom
