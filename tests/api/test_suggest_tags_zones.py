"""``/api/1/tags/suggest/`` and ``/api/1/spatial/zones/suggest/`` (udata's suggest endpoints, which
the dataset form's script calls), on both databases."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_user


def test_tags_of_public_datasets_most_used_first(client: TestClient, catalog: Catalog) -> None:
    account = make_user(catalog)
    make_dataset(catalog, account, title="A", tags=["velo", "mobilite"])
    make_dataset(catalog, account, title="B", tags=["velo", "velos-libre-service"])
    make_dataset(catalog, account, title="Hidden", tags=["velo-secret"], private=True)
    old = make_dataset(catalog, account, title="Old", tags=["velo-archive"]).dataset.id
    archived = client.put(
        f"/api/1/datasets/{old}/", json={"archived": "2024-01-01T00:00:00"}, headers=account.headers
    )
    assert archived.status_code == 200, archived.text
    found = client.get("/api/1/tags/suggest/", params={"q": "Vélo"})
    assert found.status_code == 200
    assert found.json() == [{"text": "velo"}, {"text": "velos-libre-service"}]
    assert client.get("/api/1/tags/suggest/", params={"q": "vel", "size": 1}).json() == [{"text": "velo"}]
    assert client.get("/api/1/tags/suggest/", params={"q": "%"}).json() == []  # no wildcard
    assert client.get("/api/1/tags/suggest/", params={"q": "  "}).json() == []
    refused = client.get("/api/1/tags/suggest/")
    assert refused.status_code == 400
    assert "q" in refused.json()["errors"]
    assert client.get("/api/1/tags/suggest/", params={"q": "v", "size": "x"}).status_code == 400


def test_zones_by_name_code_or_id_most_populated_first(client: TestClient) -> None:
    by_name = client.get("/api/1/spatial/zones/suggest/", params={"q": "lyon", "size": 2}).json()
    assert [zone["id"] for zone in by_name] == ["fr:epci:200046977", "fr:commune:69123"]
    assert set(by_name[1]) == {"id", "name", "code", "level", "uri"}
    assert by_name[1]["name"] == "Lyon"
    by_code = client.get("/api/1/spatial/zones/suggest/", params={"q": "69123"}).json()
    assert [zone["id"] for zone in by_code] == ["fr:commune:69123"]
    by_id = client.get("/api/1/spatial/zones/suggest/", params={"q": "country:f"}).json()
    assert by_id[0]["id"] == "country:fr"
    assert client.get("/api/1/spatial/zones/suggest/", params={"q": "_"}).json() == []
    assert client.get("/api/1/spatial/zones/suggest/").status_code == 400
    # An accented capital in the name: SQLite's lower() kept "Évry", which no query reached.
    for typed in ("évry", "ÉVRY", "Évry"):
        found = client.get("/api/1/spatial/zones/suggest/", params={"q": typed, "size": 50}).json()
        assert "Évry" in [zone["name"] for zone in found], typed
