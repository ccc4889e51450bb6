"""GET /api/1/datasets/: visibility, filters, sorts, pagination (udata: udata/core/dataset/api.py, udata: udata/api/fields.py, pagination)."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_org, make_user

URL = "/api/1/datasets/"


def _ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["id"] for item in response.json()["data"]]


def test_anonymous_sees_only_public_datasets_newest_first(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    public = [make_dataset(catalog, alice) for _ in range(3)]
    make_dataset(catalog, alice, private=True)
    make_dataset(catalog, alice, archived=catalog.clock())
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    assert body["page"] == 1
    assert body["page_size"] == 20
    assert body["next_page"] is None
    assert body["previous_page"] is None
    created = [item["created_at"] for item in body["data"]]
    assert created == sorted(created, reverse=True)
    assert set(_ids(response)) == {view.dataset.id for view in public}
    assert "community_resources" not in body["data"][0]


def test_members_see_their_hidden_datasets_and_sysadmins_everything(
    client: TestClient, catalog: Catalog
) -> None:
    alice, bob, carol = make_user(catalog), make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{carol.user.id: "editor"})
    mine = make_dataset(catalog, alice, private=True)
    theirs = make_dataset(catalog, bob, private=True)
    org_private = make_dataset(catalog, make_user(catalog, sysadmin=True), organization=org.id, private=True)
    assert set(_ids(client.get(URL, headers=alice.headers))) == {mine.dataset.id}
    assert set(_ids(client.get(URL, headers=carol.headers))) == {org_private.dataset.id}
    admin = make_user(catalog, sysadmin=True)
    assert set(_ids(client.get(URL, headers=admin.headers))) >= {mine.dataset.id, theirs.dataset.id}


def test_hidden_state_filters_need_authentication(client: TestClient, catalog: Catalog) -> None:
    for query in ("private=true", "archived=false", "deleted=true"):
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 401
    bob = make_user(catalog)
    draft = make_dataset(catalog, bob, private=True)
    make_dataset(catalog, bob)
    assert _ids(client.get(f"{URL}?private=true", headers=bob.headers)) == [draft.dataset.id]
    assert len(_ids(client.get(f"{URL}?private=false", headers=bob.headers))) == 1


def test_filters_combine_with_and(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    both = make_dataset(catalog, alice, organization=org.id, tags=("bus", "transport"), license="cc-by")
    make_dataset(catalog, alice, organization=org.id, tags=("bus",), license="lov2")
    owned = make_dataset(catalog, bob, tags=("transport",))
    assert _ids(client.get(f"{URL}?tag=bus&tag=transport")) == [both.dataset.id]
    assert len(_ids(client.get(f"{URL}?tag=bus"))) == 2
    assert _ids(client.get(f"{URL}?organization={org.id}&license=cc-by")) == [both.dataset.id]
    assert _ids(client.get(f"{URL}?owner={bob.user.id}")) == [owned.dataset.id]
    assert _ids(client.get(f"{URL}?tag=Bus")) == []


def test_filter_and_page_errors_use_reqparse_shape(client: TestClient) -> None:
    assert client.get(f"{URL}?organization=not-an-id").json() == {
        "message": "Organization arg must be an identifier"
    }
    assert client.get(f"{URL}?owner=x").json() == {"message": "Owner arg must be an identifier"}
    zero = client.get(f"{URL}?page_size=0")
    assert zero.status_code == 400
    assert zero.json() == {
        "errors": {
            "page_size": "The page size to fetch Invalid page_size: 0. page_size must be a positive integer"
        },
        "message": "Input payload validation failed",
    }
    assert client.get(f"{URL}?page=-1").status_code == 400
    assert client.get(f"{URL}?page=abc").status_code == 400
    sort = client.get(f"{URL}?sort=nope")
    assert sort.json()["errors"] == {
        "sort": "The field (and direction) on which sorting apply The value 'nope' is not a valid choice for 'sort'."
    }
    featured = client.get(f"{URL}?featured=maybe").json()
    assert featured["errors"]["featured"].startswith(
        "If set to true, it will filter on featured datasets only."
    )
    assert featured["errors"]["featured"].endswith(" Invalid literal for boolean(): maybe")
    followed = client.get(f"{URL}?followed_by=nope")
    assert (followed.status_code, followed.json()) == (
        400,
        {"message": "`followed_by` arg must be an identifier"},
    )


def test_pagination_links_are_absolute_and_keep_arguments(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    for _ in range(3):
        make_dataset(catalog, alice, tags=("bus",))
    body = client.get(f"{URL}?page=2&page_size=1&tag=bus").json()
    assert body["next_page"] == "http://testserver/api/1/datasets/?page=3&page_size=1&tag=bus"
    assert body["previous_page"] == "http://testserver/api/1/datasets/?page=1&page_size=1&tag=bus"
    first = client.get(f"{URL}?page_size=2").json()
    assert first["next_page"] == "http://testserver/api/1/datasets/?page_size=2&page=2"
    assert client.get(f"{URL}?page=9").status_code == 404
    # Encoded as werkzeug's url_for encodes a query (udata's links): ":", "," and "@" stay as they
    # are, a space is "+", "&" and non-ASCII letters are escaped.
    odd = client.get(f"{URL}?page_size=1&tag=bus&q=bus:a,b@c%26d+é").json()
    assert (
        odd["next_page"]
        == "http://testserver/api/1/datasets/?page_size=1&tag=bus&q=bus:a,b@c%26d+%C3%A9&page=2"
    )
    # A repeated key's values stand together where the key first stood (udata's multi_to_dict,
    # then url_for), and a repeated page is one value in the first one's place.
    repeated = client.get(f"{URL}?tag=bus&page_size=1&credit=x&tag=bus&page=1&page=5").json()
    assert (
        repeated["next_page"]
        == "http://testserver/api/1/datasets/?tag=bus&tag=bus&page_size=1&credit=x&page=2"
    )


def test_sorts(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    for title in ("Bravo", "alpha", "Élus", "Charlie", "Zones"):
        make_dataset(catalog, alice, title=title)
    titles = [item["title"] for item in client.get(f"{URL}?sort=title").json()["data"]]
    # Case- and accent-insensitive, unlike MongoDB's binary order (É after Z).
    assert titles == ["alpha", "Bravo", "Charlie", "Élus", "Zones"]
    reverse = [item["title"] for item in client.get(f"{URL}?sort=-title").json()["data"]]
    assert reverse == titles[::-1]
    for key in ("created", "last_update", "reuses", "followers", "views"):
        assert client.get(f"{URL}?sort=-{key}").status_code == 200


def test_list_mask_replaces_default(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    only = client.get(URL, headers={"X-Fields": "data{id,title}"}).json()
    assert only == {"data": [{"id": view.dataset.id, "title": view.dataset.title}]}
    with_page = client.get(URL, headers={"X-Fields": "data{id},*"}).json()
    assert with_page["total"] == 1
    assert with_page["data"] == [{"id": view.dataset.id}]


def test_a_page_selected_whole_lists_each_dataset_with_its_default_fields(
    client: TestClient, catalog: Catalog
) -> None:
    """flask-restx marshals a nested model with its own mask: ``*`` or ``data`` without braces
    keep the dataset's default fields (no ``community_resources``); ``data{*}`` asks for all."""
    alice = make_user(catalog)
    make_dataset(catalog, alice)
    default = client.get(URL).json()["data"][0]
    assert "community_resources" not in default
    for mask in ("*", "data,total", "data"):
        item = client.get(URL, headers={"X-Fields": mask}).json()["data"][0]
        assert item == default, mask
    every = client.get(URL, headers={"X-Fields": "data{*}"}).json()["data"][0]
    assert every["community_resources"] == []
    assert set(every) == {*default, "community_resources"}


def test_list_costs_a_bounded_number_of_queries(client: TestClient, catalog: Catalog) -> None:
    import sqlalchemy as sa

    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    for number in range(12):
        make_dataset(
            catalog,
            alice,
            organization=org.id if number % 2 else None,
            resources=[{"title": "r", "url": f"https://example.org/{number}"}],
        )
    client.get(URL)  # the first listing brings the search index up to date
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    # A mask takes the full path: an anonymous answer may be kept (api/current_copies.py).
    full_path = {"X-Fields": "data{id,resources{id}}"}
    sa.event.listen(catalog.db.engine, "before_cursor_execute", record)
    try:
        client.get(URL, headers=full_path)
        small = len(statements)
        statements.clear()
        client.get(f"{URL}?page_size=3", headers=full_path)
    finally:
        sa.event.remove(catalog.db.engine, "before_cursor_execute", record)
    assert small == len(statements) <= 8


def test_argument_errors_read_as_reqparse_writes_them(client: TestClient) -> None:
    page = client.get(f"{URL}?page=abc")
    assert page.json()["errors"] == {"page": "The page to fetch abc is not a valid integer"}
    empty_sort = client.get(f"{URL}?sort=")
    assert (empty_sort.status_code, empty_sort.json()["errors"]) == (
        400,
        {
            "sort": "The field (and direction) on which sorting apply The value '' is not a valid choice for 'sort'."
        },
    )
    upper = client.get(f"{URL}?featured=YES").json()["errors"]["featured"]
    assert upper.endswith(" Invalid literal for boolean(): yes")  # reqparse lower-cases first
    assert client.get(f"{URL}?featured=%20true").status_code == 400  # and does not trim
    assert client.get(f"{URL}?featured=TRUE").status_code == 200


def test_every_repeated_value_is_checked_and_the_first_used(client: TestClient, catalog: Catalog) -> None:
    for query in (
        "sort=title&sort=bad",
        "featured=true&featured=bogus",
        "badge=spd&badge=nope",
        "page=1&page=abc",
    ):
        assert client.get(f"{URL}?{query}").status_code == 400, query
    alice = make_user(catalog)
    csv = make_dataset(catalog, alice, resources=[{"title": "r", "url": "https://x.org/a", "format": "csv"}])
    make_dataset(catalog, alice, resources=[{"title": "r", "url": "https://x.org/b", "format": "pdf"}])
    assert _ids(client.get(f"{URL}?format=csv&format=pdf")) == [csv.dataset.id]  # one value in v1


def test_a_query_without_any_word_finds_nothing(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Horaires des bus")
    for q in ("*", "%F0%9F%98%80", "--", "%22%22"):
        assert client.get(f"{URL}?q={q}").json()["total"] == 0, q
    assert client.get(f"{URL}?q=%20%20").json()["total"] == 1  # blank: ignored, as udata
    assert client.get(f"{URL}?q=bus!").json()["total"] == 1


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
