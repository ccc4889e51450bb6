"""``page`` fields, the feed's alternate links: opencat's own pages by default, an external
front-end's when OPENCAT_FRONT_URL is set (udata's are always the front-end's)."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.db.engine import Database
from tests.conftest import BASE_URL
from tests.factories import make_dataset, make_org, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
FRONT = "https://www.example.org/fr"


@pytest.fixture
def front_client(db: Database, settings: Settings) -> Iterator[TestClient]:
    front = Settings(
        data_dir=settings.data_dir, database_url=settings.database_url, base_url=BASE_URL, front_url=FRONT
    )
    with TestClient(create_app(front, database=db), base_url=BASE_URL) as test_client:
        yield test_client


def published(catalog: Catalog) -> tuple[str, str]:
    """A dataset of an organization and one of a user alone; the organization's and the user's slugs."""
    owner = make_user(catalog)
    org = make_org(catalog, "City of Example", **{owner.user.id: "admin"})
    make_dataset(catalog, owner, title="Bus stops", organization=org.id)
    make_dataset(catalog, owner, title="Bike lanes")
    return org.slug, owner.user.slug


def test_pages_are_ours_by_default(client: TestClient, catalog: Catalog) -> None:
    org_slug, user_slug = published(catalog)

    bus = client.get("/api/1/datasets/bus-stops/").json()
    bike = client.get("/api/1/datasets/bike-lanes/").json()

    assert bus["page"] == f"{BASE_URL}/datasets/bus-stops/"
    assert bus["organization"]["page"] == f"{BASE_URL}/organizations/{org_slug}/"
    assert bike["owner"]["page"] == f"{BASE_URL}/users/{user_slug}/"
    assert (
        client.get(f"/api/1/organizations/{org_slug}/").json()["page"]
        == f"{BASE_URL}/organizations/{org_slug}/"
    )
    assert client.get(f"/api/1/users/{user_slug}/").json()["page"] == f"{BASE_URL}/users/{user_slug}/"
    suggested = client.get("/api/1/datasets/suggest/?q=bus").json()
    assert [item["page"] for item in suggested] == [f"{BASE_URL}/datasets/bus-stops/"]


def test_an_external_front_end_takes_the_pages(front_client: TestClient, catalog: Catalog) -> None:
    org_slug, user_slug = published(catalog)

    bus = front_client.get("/api/1/datasets/bus-stops/").json()
    bike = front_client.get("/api/1/datasets/bike-lanes/").json()

    assert bus["page"] == f"{FRONT}/datasets/bus-stops"
    assert bus["organization"]["page"] == f"{FRONT}/organizations/{org_slug}"
    assert bike["owner"]["page"] == f"{FRONT}/users/{user_slug}"


def test_the_feed_links_to_the_pages(db: Database, settings: Settings, catalog: Catalog) -> None:
    undelayed = replace(catalog, feed_delay=timedelta(0))
    org_slug, user_slug = published(undelayed)
    with TestClient(create_app(settings, catalog=undelayed), base_url=BASE_URL) as client:
        feed = ElementTree.fromstring(client.get("/api/1/datasets/recent.atom").content)

    (alternate,) = [
        link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "alternate"
    ]
    assert alternate == f"{BASE_URL}/"
    links = {
        entry.findtext(f"{ATOM}title"): (
            [link.get("href") for link in entry.findall(f"{ATOM}link") if link.get("rel") == "alternate"],
            entry.findtext(f"{ATOM}author/{ATOM}uri"),
        )
        for entry in feed.findall(f"{ATOM}entry")
    }
    assert links == {
        "Bus stops": ([f"{BASE_URL}/datasets/bus-stops/"], f"{BASE_URL}/organizations/{org_slug}/"),
        "Bike lanes": ([f"{BASE_URL}/datasets/bike-lanes/"], f"{BASE_URL}/users/{user_slug}/"),
    }
