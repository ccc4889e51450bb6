"""``/api/1/me/datasets/`` and ``/api/1/me/org_datasets/`` (udata's MyDatasetsAPI and
MyOrgDatasetsAPI): whole lists of the caller's datasets, private ones included, on both databases."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from tests.factories import make_dataset, make_org, make_user


def test_my_datasets_and_my_organizations_datasets(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "editor"})
    own = make_dataset(catalog, alice, title="Budget personnel").dataset
    draft = make_dataset(catalog, alice, title="Brouillon", private=True).dataset
    gone = make_dataset(catalog, alice, title="Supprimé").dataset
    delete_dataset(catalog, alice.actor(catalog), gone.id)
    shared = make_dataset(
        catalog, alice, title="Budget de la ville", organization=org.id, private=True
    ).dataset
    make_dataset(catalog, bob, title="Budget de Bob")

    mine = client.get("/api/1/me/datasets/", headers=alice.headers)
    assert mine.status_code == 200
    assert mine.headers["vary"].lower().count("x-api-key") == 1
    assert [item["id"] for item in mine.json()] == [draft.id, own.id]  # newest change first
    assert mine.json()[0]["private"] is True
    assert "community_resources" not in mine.json()[0]  # a dataset's default mask

    related = client.get("/api/1/me/org_datasets/", headers=alice.headers).json()
    assert [item["id"] for item in related] == [shared.id, draft.id, own.id]
    found = client.get("/api/1/me/org_datasets/", params={"q": "BUDGET"}, headers=alice.headers).json()
    assert [item["id"] for item in found] == [shared.id, own.id]
    assert client.get("/api/1/me/org_datasets/", params={"q": "%"}, headers=alice.headers).json() == []
    état = make_dataset(catalog, alice, title="État des routes", organization=org.id).dataset
    for typed in ("ÉTAT", "état"):  # any letter's case, on SQLite too (its lower() is ASCII's)
        found = client.get("/api/1/me/org_datasets/", params={"q": typed}, headers=alice.headers).json()
        assert [item["id"] for item in found] == [état.id], typed
    masked = client.get("/api/1/me/datasets/", headers={**alice.headers, "X-Fields": "id,title"}).json()
    assert masked == [{"id": draft.id, "title": "Brouillon"}, {"id": own.id, "title": "Budget personnel"}]
    # A write is listed at once (the database answers, not the search index).
    made = make_dataset(catalog, alice, title="Tout neuf").dataset
    assert client.get("/api/1/me/datasets/", headers=alice.headers).json()[0]["id"] == made.id

    for path in ("/api/1/me/datasets/", "/api/1/me/org_datasets/"):
        refused = client.get(path)
        assert refused.status_code == 401
        assert client.get(path, headers=bob.headers).json()[0]["title"] == "Budget de Bob"
