"""``/api/1/tags/suggest/``, ``/api/1/spatial/zones/suggest/`` (udata's suggest endpoints, which
the dataset form's script calls) and ``/api/1/organizations/suggest/``, on both databases."""

import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.db.tables import organizations
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


def test_organizations_by_name_or_acronym_most_followed_first(client: TestClient, catalog: Catalog) -> None:
    """udata's ``/organizations/suggest/`` (data.gouv.fr's components pick an organization with
    it): name or acronym containing q, any case, deleted ones left out, most followed first."""
    city = accounts.create_organization(catalog, name="Ville de Lyon")
    metro = accounts.create_organization(catalog, name="Métropole de Lyon", acronym="ML")
    region = accounts.create_organization(catalog, name="Région Île-de-France", acronym="IDF")
    gone = accounts.create_organization(catalog, name="Lyon d'avant")
    with catalog.db.write() as conn:
        conn.execute(
            sa.update(organizations).where(organizations.c.id == metro.id).values(metrics={"followers": 3})
        )
        conn.execute(
            sa.update(organizations)
            .where(organizations.c.id == city.id)
            .values(
                logo="https://img.example.org/l-original.png",
                logo_thumbnail="https://img.example.org/l-100.png",
            )
        )
        conn.execute(
            sa.update(organizations).where(organizations.c.id == gone.id).values(deleted=catalog.clock())
        )

    found = client.get("/api/1/organizations/suggest/?q=LYON")
    assert found.status_code == 200
    assert [item["id"] for item in found.json()] == [metro.id, city.id]
    assert found.json()[0] == {
        "id": metro.id,
        "name": "Métropole de Lyon",
        "acronym": "ML",
        "slug": metro.slug,
        "image_url": None,
        "page": f"http://testserver/organizations/{metro.slug}/",
    }
    # The logo's 100-pixel thumbnail, as udata's ImageField(size=100) gives it.
    assert found.json()[1]["image_url"] == "https://img.example.org/l-100.png"
    assert [item["id"] for item in client.get("/api/1/organizations/suggest/?q=idf").json()] == [region.id]
    assert [item["id"] for item in client.get("/api/1/organizations/suggest/?q=île").json()] == [region.id]
    assert [item["id"] for item in client.get("/api/1/organizations/suggest/?q=lyon&size=1").json()] == [
        metro.id
    ]
    assert client.get("/api/1/organizations/suggest/?q=%25").json() == []  # LIKE's wildcards are text
    missing = client.get("/api/1/organizations/suggest/")
    assert missing.status_code == 400
    assert "q" in missing.json()["errors"]
