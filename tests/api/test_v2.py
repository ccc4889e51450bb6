"""API v2 reads: search with facets, one dataset, its resources."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_org, make_user

RECORDED_KEYS = [
    "id",
    "title",
    "acronym",
    "slug",
    "description",
    "description_short",
    "created_at",
    "last_modified",
    "deleted",
    "private",
    "tags",
    "badges",
    "resources",
    "community_resources",
    "frequency",
    "frequency_date",
    "extras",
    "metrics",
    "organization",
    "owner",
    "temporal_coverage",
    "spatial",
    "license",
    "access_type",
    "access_audiences",
    "access_type_reason_category",
    "access_type_reason",
    "authorization_request_url",
    "uri",
    "page",
    "last_update",
    "archived",
    "doi",
    "quality",
    "harvest",
    "geopf",
    "internal",
    "contact_points",
    "featured",
    "permissions",
]  # fmt: skip  (udata-responses call 101, in its order)


def _seed(catalog: Catalog) -> tuple[str, str]:
    alice = make_user(catalog)
    org = make_org(catalog, "Oracle Org", **{alice.user.id: "admin"})
    csv = [{"title": "a", "url": "https://example.org/a", "format": "csv"}]
    first = make_dataset(
        catalog,
        alice,
        title="Horaires des bus",
        organization=org.id,
        tags=("transport", "bus"),
        license="lov2",
        resources=csv,
    )
    make_dataset(
        catalog,
        alice,
        title="Horaires des trams",
        tags=("transport",),
        resources=[{"title": "j", "url": "https://example.org/j", "format": "json"}],
    )
    make_dataset(catalog, alice, title="Caché", private=True, tags=("transport",))
    return first.dataset.id, org.id


def test_search_shape_and_facets_on_the_filtered_set(client: TestClient, catalog: Catalog) -> None:
    first, org_id = _seed(catalog)
    body = client.get("/api/2/datasets/search/?tag=transport").json()
    assert list(body) == ["data", "page", "page_size", "total", "next_page", "previous_page", "facets"]
    assert body["total"] == 2
    assert list(body["data"][0]) == RECORDED_KEYS
    facets = body["facets"]
    assert {(item["name"], item["count"]) for item in facets["tag"]} == {("transport", 2), ("bus", 1)}
    assert facets["organization"] == [{"id": org_id, "name": "Oracle Org", "count": 1}]
    assert {(item["name"], item["count"]) for item in facets["format"]} == {("csv", 1), ("json", 1)}
    narrowed = client.get("/api/2/datasets/search/?q=bus").json()
    assert [item["id"] for item in narrowed["data"]] == [first]
    assert {(item["name"], item["count"]) for item in narrowed["facets"]["tag"]} == {
        ("transport", 1),
        ("bus", 1),
    }
    by_title = client.get("/api/2/datasets/search/?sort=-title")
    assert (by_title.status_code, by_title.json()) == (
        400,
        {
            "errors": {
                "sort": "The field (and direction) on which sorting apply The value '-title' is not a valid choice for 'sort'."
            },
            "message": "Input payload validation failed",
        },
    )


def test_dataset_and_resources_links_resolve(client: TestClient, catalog: Catalog) -> None:
    first, _ = _seed(catalog)
    dataset = client.get(f"/api/2/datasets/{first}/").json()
    assert list(dataset) == RECORDED_KEYS
    assert dataset["resources"]["rel"] == "subsection"
    assert dataset["resources"]["total"] == 1
    assert dataset["license"] == "lov2"
    resources = client.get(dataset["resources"]["href"].removeprefix("http://testserver")).json()
    assert resources["total"] == 1
    assert resources["page_size"] == 50
    assert client.get(f"/api/2/datasets/{first}/resources/?type=documentation").json()["total"] == 0
    assert client.get(f"/api/2/datasets/{first}/resources/?q=A").json()["total"] == 1
