"""API v2 reads: search with facets, one dataset, its resources."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.domain.datasets import Spatial
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


def test_search_pages_past_the_end_and_past_the_result_window(client: TestClient, catalog: Catalog) -> None:
    """udata's ``SearchResult.page`` is 1 when nothing matched; past the last page of a result it
    keeps the page asked (empty, with a link back); no page may end past 10,000 results."""
    _seed(catalog)
    nothing = client.get("/api/2/datasets/search/?tag=nonexistent&page=3").json()
    assert (nothing["page"], nothing["total"], nothing["previous_page"], nothing["next_page"]) == (
        1,
        0,
        None,
        None,
    )
    past = client.get("/api/2/datasets/search/?tag=transport&page=3&page_size=1").json()
    assert (past["page"], past["total"], past["data"]) == (3, 2, [])
    assert past["previous_page"].endswith("/api/2/datasets/search/?tag=transport&page=2&page_size=1")
    assert client.get("/api/2/datasets/search/?page=500&page_size=20").status_code == 200
    too_far = client.get("/api/2/datasets/search/?page=501&page_size=20")
    assert (too_far.status_code, too_far.json()) == (
        400,
        {
            "message": "Result window is too large: page 501 with page_size 20 exceeds the maximum of 10000 "
            "results. Maximum page for this page_size is 500."
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
    # Empty arguments are unused, as udata tests their truth, and left out of the page's links.
    emptied = client.get(f"/api/2/datasets/{first}/resources/?type=&q=&page_size=1&page=1").json()
    assert emptied["total"] == 1
    paged = client.get(f"/api/2/datasets/{first}/resources/?type=&q=&page_size=1&page=2").json()
    assert paged["previous_page"].endswith(f"/api/2/datasets/{first}/resources/?page=1&page_size=1")
    # Every resource at once, as clients ask (udata takes any positive size here; it was a 400).
    whole = client.get(f"/api/2/datasets/{first}/resources/?page=1&page_size=999999")
    assert whole.status_code == 200, whole.text
    assert (whole.json()["total"], len(whole.json()["data"]), whole.json()["next_page"]) == (1, 1, None)
    assert client.get(f"/api/2/datasets/{first}/resources/?page_size=0").status_code == 400


def test_the_v2_list_is_v1s_list_in_v2s_shape(client: TestClient, catalog: Catalog) -> None:
    first_id, org_id = _seed(catalog)
    v1 = client.get("/api/1/datasets/", params={"tag": "transport", "sort": "title"}).json()
    listed = client.get("/api/2/datasets/", params={"tag": "transport", "sort": "title", "page_size": 1})
    assert listed.status_code == 200
    body = listed.json()
    assert (body["total"], body["page"], body["page_size"]) == (2, 1, 1)  # the private one is left out
    assert body["next_page"].endswith("/api/2/datasets/?tag=transport&sort=title&page_size=1&page=2")
    [item] = body["data"]
    assert list(item) == RECORDED_KEYS
    assert item["id"] == v1["data"][0]["id"]
    assert item["resources"]["rel"] == "subsection"
    assert item["resources"]["total"] == len(v1["data"][0]["resources"])
    assert item["community_resources"]["total"] == 0
    organization = client.get("/api/2/datasets/", params={"organization": org_id}).json()["data"]
    assert [d["id"] for d in organization] == [first_id]
    assert client.get("/api/2/datasets/", params={"page": 99}).status_code == 404  # v1's list: its 404
    # udata's search service answers a page past the last one empty, never 404.
    past = client.get("/api/2/datasets/search/", params={"page": 99})
    assert past.status_code == 200
    assert (past.json()["data"], past.json()["total"], past.json()["next_page"]) == ([], 2, None)


def test_the_v2_schemas_are_the_distinct_schemas_of_the_resources(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    first = {"url": "https://example.org/schemas/a.json"}
    second = {"url": "https://example.org/schemas/b.json", "version": "2.0"}
    resources = [
        {"title": "a", "url": "https://example.org/a", "schema": first},
        {"title": "b", "url": "https://example.org/b", "schema": second},
        {"title": "c", "url": "https://example.org/c", "schema": first},
        {"title": "d", "url": "https://example.org/d"},
    ]
    dataset = client.post(
        "/api/1/datasets/",
        json={"title": "t", "description": "d", "resources": resources},
        headers=alice.headers,
    ).json()
    schemas = client.get(f"/api/2/datasets/{dataset['id']}/schemas/")
    assert schemas.status_code == 200
    assert schemas.json() == [
        {"name": None, "version": None, "url": first["url"]},
        {"name": None, "version": "2.0", "url": second["url"]},
    ]
    plain = make_dataset(catalog, alice).dataset
    assert client.get(f"/api/2/datasets/{plain.id}/schemas/").json() == []
    hidden = make_dataset(catalog, alice, private=True).dataset
    assert client.get(f"/api/2/datasets/{hidden.id}/schemas/").status_code == 404
    assert client.get(f"/api/2/datasets/{hidden.id}/schemas/", headers=alice.headers).json() == []
    assert client.get(f"/api/2/datasets/{'5' * 24}/schemas/").status_code == 404


def test_v2_full_objects_are_the_frequency_the_license_and_the_zones(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's v2 renders the frequency and the license as objects with X-Get-Datasets-Full-Objects
    (v1 only the zones and the granularity); a dataset without a license gets the default one."""
    alice = make_user(catalog)
    spatial = Spatial(("fr:commune:13055",), "fr:commune")
    licensed = make_dataset(catalog, alice, frequency="daily", license="lov2", spatial=spatial).dataset
    unlicensed = make_dataset(catalog, alice).dataset
    full = {"X-Get-Datasets-Full-Objects": "1"}

    plain = client.get(f"/api/2/datasets/{licensed.id}/").json()
    assert (plain["frequency"], plain["license"], plain["spatial"]["zones"]) == (
        "daily",
        "lov2",
        ["fr:commune:13055"],
    )
    body = client.get(f"/api/2/datasets/{licensed.id}/?lang=fr", headers=full).json()
    assert body["frequency"] == {"id": "daily", "label": "Quotidienne"}
    # the whole License object, as the reference list gives it
    licenses = client.get("/api/1/datasets/licenses/").json()
    assert body["license"] == next(item for item in licenses if item["id"] == "lov2")
    assert body["spatial"]["zones"][0]["name"] == "Marseille"
    assert body["spatial"]["granularity"] == {"id": "fr:commune", "name": "Commune française"}
    assert list(body) == RECORDED_KEYS

    default = client.get(f"/api/2/datasets/{unlicensed.id}/", headers=full).json()
    assert (default["frequency"]["id"], default["license"]["id"]) == ("unknown", "notspecified")
    listed = client.get("/api/2/datasets/", params={"sort": "created"}, headers=full).json()["data"]
    searched = client.get("/api/2/datasets/search/", headers=full).json()["data"]
    for page in (listed, searched):
        by_id = {item["id"]: item for item in page}
        assert by_id[licensed.id]["license"]["id"] == "lov2"
        assert by_id[unlicensed.id]["license"]["id"] == "notspecified"


def test_v2_keeps_udatas_order_inside_too(client: TestClient, catalog: Catalog) -> None:
    """udata-responses calls 101-103: the embedded organization and its permissions, each
    resource, and the resources' page with its links (page, then page_size)."""
    first, _ = _seed(catalog)
    make_dataset(catalog, make_user(catalog), resources=[])
    organization = client.get(f"/api/2/datasets/{first}/").json()["organization"]
    assert list(organization) == [
        "badges", "name", "acronym", "slug", "logo", "logo_thumbnail", "page", "permissions", "uri", "id", "class",
    ]  # fmt: skip
    assert list(organization["permissions"]) == ["edit", "delete", "members", "harvest", "private"]
    client.put(
        f"/api/1/datasets/{first}/",
        json={
            "resources": [
                {"title": f"r{n}", "url": f"https://example.org/{n}", "type": "main"} for n in range(3)
            ]
        },
        headers=make_user(catalog, sysadmin=True).headers,
    )
    page = client.get(f"/api/2/datasets/{first}/resources/?page_size=1&type=main").json()
    assert list(page) == ["data", "next_page", "previous_page", "page", "page_size", "total"]
    assert page["next_page"].endswith(f"/api/2/datasets/{first}/resources/?page=2&page_size=1&type=main")
    # By the dataset's id whatever it was asked by (a rename keeps the links), with udata's
    # filters only (another argument is not carried).
    slug = client.get(f"/api/2/datasets/{first}/").json()["slug"]
    by_slug = client.get(f"/api/2/datasets/{slug}/resources/?page_size=1&q=r&other=x").json()
    assert by_slug["next_page"].endswith(f"/api/2/datasets/{first}/resources/?page=2&page_size=1&q=r")
    repeated = client.get(f"/api/2/datasets/{first}/resources/?type=main&type=documentation").json()
    assert repeated["total"] == 3  # the first value, as reqparse reads it
    resource_keys = list(page["data"][0])
    assert resource_keys[resource_keys.index("harvest") :] == [
        "harvest", "geopf", "extras", "preview_url", "schema", "internal",
    ]  # fmt: skip
    alone = client.get(f"/api/2/datasets/resources/{page['data'][0]['id']}/").json()["resource"]
    assert list(alone) == resource_keys
    # udata marshals it by hand: a mask shapes nothing there.
    masked = client.get(
        f"/api/2/datasets/resources/{page['data'][0]['id']}/", headers={"X-Fields": "resource{id},dataset_id"}
    ).json()
    assert list(masked["resource"]) == resource_keys


def test_v2_answers_vary_as_v1s_on_the_key_the_mask_and_the_objects(
    client: TestClient, catalog: Catalog
) -> None:
    """Their datasets carry the caller's permissions: a shared cache must not give one caller's
    answer to another."""
    first, _ = _seed(catalog)
    for path in (f"/api/2/datasets/{first}/", "/api/2/datasets/", "/api/2/datasets/search/"):
        vary = client.get(path).headers["vary"]
        assert vary.startswith("X-API-KEY, X-Fields, X-Get-Datasets-Full-Objects"), (path, vary)


def test_a_dataset_without_license_is_listed_and_counted_as_the_api_shows_it(
    client: TestClient, catalog: Catalog
) -> None:
    """The API shows no license as ``notspecified``: its filter finds those datasets and its facet
    counts them (the index held null: 2,927 datasets shown so were found 101 times)."""
    _seed(catalog)  # "Horaires des trams" has no license, "Horaires des bus" lov2
    shown = client.get("/api/1/datasets/?q=trams").json()["data"][0]["license"]
    assert shown == "notspecified"
    listed = client.get("/api/1/datasets/?license=notspecified").json()
    assert [item["title"] for item in listed["data"]] == ["Horaires des trams"]
    facets = client.get("/api/2/datasets/search/?tag=transport").json()["facets"]
    assert {(item["name"], item["count"]) for item in facets["license"]} == {("notspecified", 1), ("lov2", 1)}
    searched = client.get("/api/2/datasets/search/?license=notspecified").json()
    assert [item["title"] for item in searched["data"]] == ["Horaires des trams"]
