"""``GET /api/1/site/``: udata's site-wide variables, which the DCAT catalog names as its publisher."""

from starlette.testclient import TestClient

from opencat import __version__
from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_org, make_user


def test_the_site_says_its_title_and_what_it_holds(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_org(catalog, "Ville", **{alice.user.id: "admin"})
    make_dataset(catalog, alice, title="Public")
    make_dataset(catalog, alice, title="Hidden", private=True)
    site = client.get("/api/1/site/")
    assert site.status_code == 200
    assert site.json() == {
        "feed_size": 20,
        "id": "testserver",
        "keywords": [],
        "metrics": {"datasets": 1, "organizations": 1, "users": 1},
        "title": "opencat",
        "version": __version__,
    }
    assert client.get("/api/1/site/", headers={"X-Fields": "title"}).json() == {"title": "opencat"}


def test_the_catalogs_publisher_resolves(client: TestClient) -> None:
    turtle = client.get("/api/1/site/catalog.ttl").text
    assert "/api/1/site/#publisher>" in turtle
    assert client.get("/api/1/site/").status_code == 200
