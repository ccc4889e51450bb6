"""A dataset's resources: create, read, edit, delete, reorder, permalink, API v2 (udata: udata/core/dataset/api.py, resources, udata: udata/core/dataset/api.py, ResourceRedirectAPI)."""

import time
import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.catalog import indexing, schemas
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from tests.factories import make_dataset, make_user

REMOTE = {
    "title": "Horaires CSV",
    "url": "https://example.org/horaires.csv",
    "filetype": "remote",
    "format": "csv",
    "type": "main",
    "description": "Export CSV",
}


def _resources_url(dataset_id: str) -> str:
    return f"/api/1/datasets/{dataset_id}/resources/"


def test_create_remote_resource_is_prepended_and_touches_the_dataset(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, resources=[{"title": "old", "url": "https://example.org/old"}])
    before = client.get(f"/api/1/datasets/{view.dataset.id}/").json()
    response = client.post(_resources_url(view.dataset.id), json=REMOTE, headers=alice.headers)
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {
        "checksum", "created_at", "description", "extras", "filesize", "filetype", "format", "geopf",
        "harvest", "id", "internal", "last_modified", "latest", "metrics", "mime", "preview_url",
        "schema", "title", "type", "url",
    }  # fmt: skip
    assert uuid.UUID(created["id"]).version == 4
    after = client.get(f"/api/1/datasets/{view.dataset.id}/").json()
    assert [item["title"] for item in after["resources"]] == ["Horaires CSV", "old"]
    assert after["last_modified"] > before["last_modified"]
    assert after["last_update"] == created["last_modified"]


def test_create_resource_errors_follow_udata(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    view = make_dataset(catalog, alice)
    url = _resources_url(view.dataset.id)
    assert client.post(url, json=REMOTE).status_code == 401
    assert client.post(url, json=REMOTE, headers=bob.headers).status_code == 403
    hosted = client.post(
        url,
        json={"title": "f", "url": "https://example.org/f.csv", "filetype": "file"},
        headers=alice.headers,
    )
    assert hosted.json() == {"message": "This endpoint only supports remote resources"}
    default_filetype = client.post(
        url, json={"title": "f", "url": "https://example.org/f.csv"}, headers=alice.headers
    )
    assert default_filetype.status_code == 400
    no_url = client.post(url, json={"title": "no url", "filetype": "remote"}, headers=alice.headers)
    assert no_url.json() == {"errors": {"url": ["This field is required."]}}
    listed = client.post(url, json=[REMOTE], headers=alice.headers)
    assert listed.json() == {"errors": {"request": "expecting a JSON object"}}
    assert client.post(_resources_url("0" * 24), json=REMOTE, headers=alice.headers).status_code == 404


def test_get_update_delete_one_resource(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    rid = client.post(_resources_url(view.dataset.id), json=REMOTE, headers=alice.headers).json()["id"]
    url = f"{_resources_url(view.dataset.id)}{rid}/"
    assert client.get(url).json()["title"] == "Horaires CSV"
    update = {
        "title": "Horaires CSV (v2)",
        "url": "https://example.org/horaires-v2.csv",
        "type": "documentation",
    }
    updated = client.put(url, json=update, headers=alice.headers)
    assert updated.status_code == 200
    data = updated.json()
    assert (data["title"], data["type"], data["url"], data["description"]) == (
        "Horaires CSV (v2)", "documentation", "https://example.org/horaires-v2.csv", "Export CSV",
    )  # fmt: skip
    refused = client.put(url, json={"filetype": "file"}, headers=alice.headers)
    assert refused.json() == {"message": "Cannot modify filetype after creation"}
    assert client.patch(url, json={"description": None}, headers=alice.headers).json()["description"] is None
    assert client.delete(url, headers=alice.headers).status_code == 204
    missing = client.get(url)
    assert missing.status_code == 404
    assert missing.json() == {"message": "Resource does not exist"}
    # udata's ``<uuid:rid>`` routes: werkzeug's 404 words, whatever comes before in the path.
    generic = client.get("/api/1/nope/").json()
    for path in (
        f"{_resources_url(view.dataset.id)}not-a-uuid/",
        f"{_resources_url('000000000000000000000000')}not-a-uuid/",
        "/api/1/datasets/r/not-a-uuid",
        "/api/2/datasets/resources/not-a-uuid/",
    ):
        assert (client.get(path).status_code, client.get(path).json()) == (404, generic), path
    # Routing refuses the id before anyone is asked for a key: a write without one is 404 too.
    malformed = f"{_resources_url(view.dataset.id)}not-a-uuid/"
    for method in ("PUT", "PATCH", "DELETE"):
        answer = client.request(method, malformed, json={"title": "t"})
        assert (answer.status_code, answer.json()) == (404, generic), method


def test_hosted_file_fields_cannot_be_overwritten(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(
        catalog,
        alice,
        resources=[
            {
                "title": "f",
                "url": "https://example.org/f.csv",
                "filetype": "file",
                "format": "csv",
                "mime": "text/csv",
            }
        ],
    )
    rid = view.resources[0].id
    url = f"{_resources_url(view.dataset.id)}{rid}/"
    body = {
        "title": "renamed",
        "url": "https://evil.example.org/x",
        "format": "exe",
        "mime": "x/y",
        "filesize": 9,
    }
    data = client.put(url, json=body, headers=alice.headers).json()
    assert (data["title"], data["url"], data["format"], data["mime"], data["filesize"]) == (
        "renamed", "https://example.org/f.csv", "csv", "text/csv", None,
    )  # fmt: skip


def test_resources_of_private_and_deleted_datasets(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    private = make_dataset(catalog, alice, private=True, resources=[REMOTE])
    gone = make_dataset(catalog, alice, resources=[REMOTE])
    delete_dataset(catalog, alice.actor(catalog), gone.dataset.id)
    assert client.get(f"{_resources_url(private.dataset.id)}{private.resources[0].id}/").status_code == 404
    deleted = client.get(f"{_resources_url(gone.dataset.id)}{gone.resources[0].id}/")
    assert deleted.status_code == 410
    assert deleted.json() == {"message": "Dataset has been deleted"}
    # udata's permalinks ignore visibility (udata: udata/core/dataset/api.py, ResourceRedirectAPI); ours follow the dataset's (compatibility.md).
    hidden = client.get(f"/api/1/datasets/r/{private.resources[0].id}")
    assert (hidden.status_code, hidden.json()) == (404, {"message": "Resource not found"})
    assert client.get(f"/api/1/datasets/r/{gone.resources[0].id}").status_code == 410
    for dataset in (private, gone):
        found = client.get(f"/api/1/datasets/r/{dataset.resources[0].id}", headers=alice.headers)
        assert (found.status_code, found.headers["location"]) == (302, REMOTE["url"])


def test_reorder_with_ids_and_objects(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(
        catalog, alice, resources=[{"title": t, "url": f"https://example.org/{t}"} for t in "abc"]
    )
    a, b, c = (item.id for item in view.resources)
    url = _resources_url(view.dataset.id)
    before = client.get(f"/api/1/datasets/{view.dataset.id}/")
    reordered = client.put(url, json=[c, a, b], headers=alice.headers)
    assert reordered.status_code == 200
    assert [item["id"] for item in reordered.json()] == [c, a, b]
    after = client.get(f"/api/1/datasets/{view.dataset.id}/")
    assert [item["id"] for item in after.json()["resources"]] == [c, a, b]
    assert after.json()["last_modified"] == before.json()["last_modified"]
    assert after.headers["ETag"] != before.headers["ETag"]
    objects = client.put(
        url, json=[{"id": b, "title": "B!"}, {"id": c}, {"id": a}], headers=alice.headers
    ).json()
    assert [(item["id"], item["title"]) for item in objects] == [(b, "B!"), (c, "c"), (a, "a")]


def test_reorder_errors_follow_udata(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(
        catalog, alice, resources=[{"title": t, "url": f"https://example.org/{t}"} for t in "abc"]
    )
    a, b, c = (item.id for item in view.resources)
    url = _resources_url(view.dataset.id)
    short = client.put(url, json=[a], headers=alice.headers)
    assert short.json() == {"message": "All resources must be reordered, you provided 1 out of 3"}
    no_id = client.put(url, json=[a, b, {"title": "x"}], headers=alice.headers)
    assert no_id.json() == {"message": "Each resource must have an 'id' field"}
    for wrong in ([a, a, b], [a, b, str(uuid.uuid4())], [a, b, "not-a-uuid"]):
        response = client.put(url, json=wrong, headers=alice.headers)
        assert response.status_code == 400
        assert response.json()["message"].startswith("Resource ids must match existing ones in dataset, ie: ")
    invalid = client.put(url, json=[{"id": a, "url": "javascript:x"}, b, c], headers=alice.headers)
    assert invalid.status_code == 400
    assert invalid.json() == {"errors": [{"url": [invalid.json()["errors"][0]["url"][0]]}, {}, {}]}
    # A typed extra refused is at its place in that list too (it was in a dataset's shape).
    typed = client.put(url, json=[a, {"id": b, "extras": {"check:status": "abc"}}, c], headers=alice.headers)
    assert (typed.status_code, typed.json()) == (
        400,
        {"errors": [{}, {"extras": {"check:status": ["Not a valid value."]}}, {}]},
    )
    bad_id = client.put(url, json=[a, b, {"id": "not-a-uuid"}], headers=alice.headers)
    assert bad_id.json()["message"].startswith("Resource ids must match existing ones in dataset, ie: ")
    # A filetype changed is refused here too (a remote link made "file" would lock its address).
    stored = client.get(f"{url}{b}/").json()["filetype"]
    other = {"file": "remote", "remote": "file"}[stored]
    retyped = client.put(url, json=[a, {"id": b, "filetype": other, "title": "B"}, c], headers=alice.headers)
    assert (retyped.status_code, retyped.json()) == (
        400,
        {"message": "Cannot modify filetype after creation"},
    )
    same_type = client.put(url, json=[a, {"id": b, "filetype": stored}, c], headers=alice.headers)
    assert same_type.status_code == 200
    not_list = client.put(url, json={"id": a}, headers=alice.headers)
    assert not_list.status_code == 400
    untouched = client.get(f"/api/1/datasets/{view.dataset.id}/").json()
    assert [item["id"] for item in untouched["resources"]] == [a, b, c]
    # And in a dataset's body: a link is not made a hosted file there either.
    linked = make_dataset(catalog, alice, resources=[REMOTE])
    link = linked.resources[0].id
    dataset_url = f"/api/1/datasets/{linked.dataset.id}/"
    made_file = client.put(
        dataset_url, json={"resources": [{"id": link, "filetype": "file"}]}, headers=alice.headers
    )
    assert (made_file.status_code, made_file.json()) == (
        400,
        {"errors": {"resources": [{"filetype": ["Cannot modify filetype after creation"]}]}},
    )
    assert client.get(f"{_resources_url(linked.dataset.id)}{link}/").json()["filetype"] == "remote"


def test_permalink_redirects_and_counts_downloads(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, resources=[{**REMOTE, "url": " https://example.org/x.csv "}])
    rid = view.resources[0].id
    response = client.get(f"/api/1/datasets/r/{rid}")
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.org/x.csv"
    client.get(f"/api/1/datasets/r/{rid}")
    checked = client.head(f"/api/1/datasets/r/{rid}")  # a link checker: redirected, not counted
    assert (checked.status_code, checked.headers["location"]) == (302, "https://example.org/x.csv")
    data = client.get(f"/api/1/datasets/{view.dataset.id}/").json()
    assert data["resources"][0]["metrics"]["views"] == 2
    assert data["metrics"]["resources_downloads"] == 2
    unknown = client.get(f"/api/1/datasets/r/{uuid.uuid4()}")
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "Resource not found"}
    assert client.get("/api/1/datasets/r/not-a-uuid").status_code == 404


def test_a_permalink_to_an_address_outside_ascii_is_sent_as_a_uri(
    client: TestClient, catalog: Catalog
) -> None:
    """A header holds ASCII only: such a link answered 500 (after counting the download); udata's
    werkzeug sends the IDNA host and percent-encoded UTF-8."""
    alice = make_user(catalog)
    links = {
        "https://example.org/données/日本 l\u2019été.csv?q=ä€": (
            "https://example.org/donn%C3%A9es/%E6%97%A5%E6%9C%AC%20l%E2%80%99%C3%A9t%C3%A9.csv?q=%C3%A4%E2%82%AC"
        ),
        "https://例え.jp/x.csv": "https://xn--r8jz45g.jp/x.csv",
        "https://example.org/a%20b.csv": "https://example.org/a%20b.csv",  # escapes stay as made
        # ASCII a URI may not hold as is: escaped too (an HTML-looking Location reaches a browser).
        'https://example.org/a.csv?x=<b>"{}|^`': "https://example.org/a.csv?x=%3Cb%3E%22%7B%7D%7C%5E%60",
    }
    view = make_dataset(catalog, alice, resources=[{**REMOTE, "url": url} for url in links])
    for resource, expected in zip(view.resources, links.values(), strict=True):
        followed = client.get(f"/api/1/datasets/r/{resource.id}")
        assert (followed.status_code, followed.headers["location"]) == (302, expected)
    counted = client.get(f"/api/1/datasets/{view.dataset.id}/").json()["resources"]
    assert [item["metrics"]["views"] for item in counted] == [1, 1, 1, 1]


def test_a_permalink_sends_no_browser_to_an_address_it_should_not_follow(
    client: TestClient, catalog: Catalog
) -> None:
    """The API refuses such links, but a load of documents (``opencat load-fixtures``) stored
    them: the permalink answered ``302 Location: javascript:…``."""
    alice = make_user(catalog)
    refused = [
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
        "//evil.example/x.csv",
        "https://example.org/a\r\nSet-Cookie: x=1",
        "mailto:someone@example.org",
    ]
    followed = {"/datasets/other/": "/datasets/other/", "ftp://example.org/x.csv": "ftp://example.org/x.csv"}
    view = make_dataset(catalog, alice, resources=[{**REMOTE, "url": url} for url in [*refused, *followed]])
    for resource in view.resources[: len(refused)]:
        answer = client.get(f"/api/1/datasets/r/{resource.id}")
        assert (answer.status_code, answer.json()) == (404, {"message": "Resource not found"}), resource.url
    for resource, expected in zip(view.resources[len(refused) :], followed.values(), strict=True):
        answer = client.get(f"/api/1/datasets/r/{resource.id}")
        assert (answer.status_code, answer.headers["location"]) == (302, expected)
    counted = client.get(f"/api/1/datasets/{view.dataset.id}/").json()["resources"]
    assert [item["metrics"].get("views", 0) for item in counted] == [0] * len(refused) + [1, 1]


def test_a_dead_permalink_is_a_page_for_browsers_and_json_for_scripts(
    client: TestClient, catalog: Catalog
) -> None:
    """udata-responses call 49: ``Accept: text/html`` gets the site's 404 page, in the visitor's
    language (it was a bare English page); ``*/*`` and JSON the JSON one."""
    alice = make_user(catalog)
    hidden = make_dataset(catalog, alice, private=True, resources=[REMOTE]).resources[0].id
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for rid in (str(uuid.uuid4()), hidden, "not-a-uuid"):
        for accept, language, title in (
            ("text/html", "en", "Page not found"),
            (browser, "fr", "Page introuvable"),
        ):
            page = client.get(
                f"/api/1/datasets/r/{rid}", headers={"Accept": accept, "Accept-Language": language}
            )
            assert page.status_code == 404
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert f'<html lang="{language}"' in page.text
            assert f"<h1>{title}</h1>" in page.text
            assert "Accept" in page.headers["vary"]
        for accept in ("*/*", "application/json", "application/json, text/html", "text/html;q=0.5, */*"):
            plain = client.get(f"/api/1/datasets/r/{rid}", headers={"Accept": accept})
            assert plain.status_code == 404
            expected = (
                client.get("/api/1/nope/").json()
                if rid == "not-a-uuid"
                else {"message": "Resource not found"}
            )
            assert plain.json() == expected, accept
    gone = make_dataset(catalog, alice, resources=[REMOTE])
    assert client.delete(f"/api/1/datasets/{gone.dataset.id}/", headers=alice.headers).status_code == 204
    page = client.get(f"/api/1/datasets/r/{gone.resources[0].id}", headers={"Accept": "text/html"})
    assert page.status_code == 410
    assert "text/html" in page.headers["content-type"]


def test_best_match_chooses_as_werkzeug() -> None:
    from opencat.domain.accept import best_match

    offered = ("application/json", "text/html")
    assert best_match(None, offered) is None
    assert best_match("*/*", offered) == "application/json"
    assert best_match("text/*", offered) == "text/html"
    assert best_match("text/html;q=0", offered) is None
    assert best_match("text/html;q=x, application/json;q=0.1", offered) == "application/json"
    assert best_match("image/png", offered) is None


def test_api_v2_resource_by_id(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, resources=[REMOTE])
    rid = view.resources[0].id
    response = client.get(f"/api/2/datasets/resources/{rid}/")
    assert response.status_code == 200
    assert list(response.json()) == ["resource", "dataset_id"]
    assert response.json()["dataset_id"] == view.dataset.id
    assert response.json()["resource"]["id"] == rid
    hidden = make_dataset(catalog, alice, private=True, resources=[REMOTE])
    assert client.get(f"/api/2/datasets/resources/{hidden.resources[0].id}/").status_code == 404
    assert (
        client.get(f"/api/2/datasets/resources/{hidden.resources[0].id}/", headers=alice.headers).status_code
        == 200
    )
    # A deleted dataset's resource is gone as its dataset is (udata's 410; it was a 404).
    gone = make_dataset(catalog, alice, resources=[REMOTE])
    assert client.delete(f"/api/1/datasets/{gone.dataset.id}/", headers=alice.headers).status_code == 204
    deleted = client.get(f"/api/2/datasets/resources/{gone.resources[0].id}/")
    assert (deleted.status_code, deleted.json()) == (410, {"message": "Dataset has been deleted"})
    # A community resource is found by its id too (datagouv-client opens resources so).
    proposed = client.post(
        "/api/1/datasets/community_resources/",
        json={**REMOTE, "dataset": view.dataset.id},
        headers=alice.headers,
    ).json()
    found = client.get(f"/api/2/datasets/resources/{proposed['id']}/")
    assert found.status_code == 200
    assert (found.json()["dataset_id"], found.json()["resource"]["id"]) == (view.dataset.id, proposed["id"])
    assert "owner" not in found.json()["resource"]  # marshalled as a resource, as udata does
    hidden_proposal = client.post(
        "/api/1/datasets/community_resources/",
        json={**REMOTE, "dataset": hidden.dataset.id},
        headers=alice.headers,
    ).json()
    assert client.get(f"/api/2/datasets/resources/{hidden_proposal['id']}/").status_code == 404


def test_typed_check_extras_are_validated(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    url = _resources_url(view.dataset.id)
    good = {
        **REMOTE,
        "extras": {
            "check:available": False,
            "check:status": 404,
            "check:date": "2024-01-01T00:00:00Z",
            "free": [1],
        },
    }
    assert client.post(url, json=good, headers=alice.headers).status_code == 201
    made = client.get(f"/api/1/datasets/{view.dataset.id}/").json()["resources"][0]
    # a date, as udata's JSON says one MongoDB gave back: naive UTC, to the millisecond (the real
    # catalog's ``"check:date": "2021-07-05T02:22:58.827000"``)
    assert made["extras"]["check:date"] == "2024-01-01T00:00:00"
    offset = {**REMOTE, "extras": {"check:date": "2024-01-01T02:30:00.123456+02:00"}}
    assert client.post(url, json=offset, headers=alice.headers).status_code == 201
    made = client.get(f"/api/1/datasets/{view.dataset.id}/").json()["resources"][0]
    assert made["extras"]["check:date"] == "2024-01-01T00:30:00.123000"
    beyond_64_bits = ("100000000000000000000", "-18446744073709551616", 2**64)
    refused = [{"check:available": "yes"}, {"check:status": "four"}, {"check:date": "yesterday"}]
    for extras in [*refused, *({"check:status": big} for big in beyond_64_bits)]:
        response = client.post(url, json={**REMOTE, "extras": extras}, headers=alice.headers)
        assert response.status_code == 400, extras
        assert list(response.json()["errors"]["extras"]) == list(extras)
    # udata's v1 form coerces them: what v2 stored ("200") and a GET gave can be sent back.
    coerced = client.post(
        url,
        json={**REMOTE, "extras": {"check:status": "200", "check:available": "true"}},
        headers=alice.headers,
    )
    assert coerced.status_code == 201, coerced.text
    assert coerced.json()["extras"] == {"check:status": 200, "check:available": True}
    rid = coerced.json()["id"]
    stored_by_v2 = {"check:status": "301"}
    extras_url = f"/api/2/datasets/{view.dataset.id}/resources/{rid}/extras/"
    assert client.put(extras_url, json=stored_by_v2, headers=alice.headers).status_code == 200
    read = client.get(f"{url}{rid}/").json()
    again = client.put(f"{url}{rid}/", json=read, headers=alice.headers)
    assert again.status_code == 200, again.text
    assert again.json()["extras"]["check:status"] == 301


def test_schemas_are_checked_against_the_catalog(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    url = _resources_url(view.dataset.id)

    def post(schema: object) -> object:
        return client.post(url, json={**REMOTE, "schema": schema}, headers=alice.headers)

    by_url = post({"url": "https://schema.data.gouv.fr/schemas/etalab/schema-bal/1.4.0/schema.yml"}).json()
    assert by_url["schema"] == {"name": "etalab/schema-bal", "url": None, "version": "1.4.0"}
    assert post({"name": "etalab/schema-bal", "version": "latest"}).json()["schema"]["version"] == "latest"
    outside = post({"url": "https://example.org/my-schema.json", "name": "mine"}).json()["schema"]
    assert outside == {"name": "mine", "url": "https://example.org/my-schema.json", "version": None}
    unknown = post({"name": "nope/nope"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"]["schema"]["name"][0].startswith(
        'Schema name "nope/nope" is not an allowed value.'
    )
    # udata lists the names in the catalog's order (the bal schema comes first in it).
    assert (
        unknown.json()["errors"]["schema"]["name"][0]
        .split("Allowed values: ")[1]
        .startswith("etalab/schema-bal, ")
    )
    bad_version = post({"name": "etalab/schema-bal", "version": "9.9"})
    assert bad_version.json()["errors"]["schema"]["version"][0].startswith(
        'Version "9.9" is not an allowed value for the schema "etalab/schema-bal". Allowed versions: '
    )
    assert post({"version": "1.0"}).json()["errors"]["schema"] == {
        "version": ["A schema must contains a name or an URL when a version is provided."]
    }
    # A catalog URL names its version, whatever version is sent with it (a version's URL, or
    # the main URL: no version).
    bal_1_3 = "https://schema.data.gouv.fr/schemas/etalab/schema-bal/1.3.0/schema.yml"
    assert post({"url": bal_1_3, "version": "9.9"}).json()["schema"]["version"] == "1.3.0"
    main_url = next(u for u, (n, v) in schemas.catalog_of(catalog.schemas).urls.items() if v is None)
    assert post({"url": main_url, "version": "1.1.0"}).json()["schema"]["version"] is None
    # Empty strings are no value (udata's truth tests): no schema, or no version.
    assert post({"name": ""}).json()["schema"] is None
    assert post({"url": "", "name": "", "version": ""}).json()["schema"] is None
    assert post({"name": "etalab/schema-bal", "version": ""}).json()["schema"] == {
        "name": "etalab/schema-bal",
        "url": None,
        "version": None,
    }
    assert post({"url": "javascript:alert(1)"}).json()["errors"] == {
        "schema": {"url": ['Invalid URL "javascript:alert(1)"']}
    }
    nested = client.put(
        f"/api/1/datasets/{view.dataset.id}/",
        json={"resources": [{"title": "x", "url": "https://example.org/x", "schema": {"name": "nope"}}]},
        headers=alice.headers,
    )
    assert nested.json()["errors"]["resources"][0]["schema"]["name"]


def test_a_null_schema_in_a_datasets_body_keeps_the_schema(client: TestClient, catalog: Catalog) -> None:
    """udata's quirk (the nested form leaves a null schema alone); a name and version of null
    remove it, as does null on the resource's own endpoint."""
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    dataset_url = f"/api/1/datasets/{view.dataset.id}/"
    schema = {"name": "etalab/schema-bal", "version": "1.4.0"}
    created = client.post(
        _resources_url(view.dataset.id), json={**REMOTE, "schema": schema}, headers=alice.headers
    )
    resource = {**REMOTE, "id": created.json()["id"]}

    def put(sent: object) -> Any:
        answer = client.put(
            dataset_url, json={"resources": [{**resource, "schema": sent}]}, headers=alice.headers
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["resources"][0]["schema"]

    assert put(None) == {**schema, "url": None}
    assert client.get(dataset_url).json()["resources"][0]["schema"] == {**schema, "url": None}
    # The keys an entry leaves out are the stored ones (udata's nested form fills them).
    assert put({}) == {**schema, "url": None}
    assert put({"version": "1.3.0"}) == {"name": "etalab/schema-bal", "url": None, "version": "1.3.0"}
    assert put({"version": "1.4.0"}) == {**schema, "url": None}
    assert put({"name": None, "version": None}) in (None, {})
    assert put(schema) == {**schema, "url": None}
    own = client.put(
        f"{_resources_url(view.dataset.id)}{created.json()['id']}/",
        json={"schema": None},
        headers=alice.headers,
    )
    assert own.json()["schema"] in (None, {})


def test_required_resource_fields_cannot_be_emptied(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(
        catalog, alice, resources=[{"title": t, "url": f"https://example.org/{t}"} for t in "ab"]
    )
    first, second = (item.id for item in view.resources)
    url = f"{_resources_url(view.dataset.id)}{first}/"
    for body in ({"title": None}, {"title": ""}, {"url": None}, {"type": None}):
        response = client.put(url, json=body, headers=alice.headers)
        assert response.status_code == 400, body
        assert response.json()["errors"]
    reorder = client.put(
        _resources_url(view.dataset.id),
        json=[{"id": second, "url": None}, {"id": first, "title": None}],
        headers=alice.headers,
    )
    # udata answers the list form's errors themselves: one entry per element, all reported
    assert reorder.status_code == 400
    assert reorder.json() == {
        "errors": [{"url": ["This field is required."]}, {"title": ["This field is required."]}]
    }
    nested = client.put(
        f"/api/1/datasets/{view.dataset.id}/",
        json={"resources": [{"id": first, "url": ""}]},
        headers=alice.headers,
    )
    assert nested.status_code == 400
    assert list(nested.json()["errors"]["resources"][0]) == ["url"]
    # listings, search and the permalink keep working
    assert client.get("/api/1/datasets/?q=a").status_code == 200
    assert client.get(f"/api/1/datasets/r/{first}").status_code == 302


def test_a_failed_index_update_does_not_lock_the_index(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Before")
    with pytest.raises(RuntimeError), catalog.search.writing():
        raise RuntimeError("a crash in the middle of an index update")
    make_dataset(catalog, alice, title="After")
    indexing.sync(catalog)
    assert {item["title"] for item in client.get("/api/1/datasets/").json()["data"]} == {"Before", "After"}


def test_a_dataset_sent_back_whole_leaves_its_unchanged_resources_as_they_were(
    client: TestClient, catalog: Catalog
) -> None:
    """A script's GET, one field edited, PUT: the resources it sends back unchanged keep their
    modification date, and the dataset's last update with them (udata's dataset PUT does not
    touch them); a resource really changed is modified now."""
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, resources=[REMOTE, {**REMOTE, "url": "https://example.org/g.csv"}])
    url = f"/api/1/datasets/{view.dataset.id}/"
    before = client.get(url).json()
    time.sleep(0.01)
    body = {**before, "title": "Renamed"}
    after = client.put(url, json=body, headers=alice.headers).json()
    assert [r["last_modified"] for r in after["resources"]] == [
        r["last_modified"] for r in before["resources"]
    ]
    assert after["last_update"] == before["last_update"]
    only_ids = client.put(
        url, json={"resources": [{"id": r["id"]} for r in before["resources"]]}, headers=alice.headers
    )
    assert [r["last_modified"] for r in only_ids.json()["resources"]] == [
        r["last_modified"] for r in before["resources"]
    ]
    edited = [{**before["resources"][0], "title": "Nouveau titre"}, before["resources"][1]]
    changed = client.put(url, json={"resources": edited}, headers=alice.headers).json()["resources"]
    assert changed[0]["last_modified"] > before["resources"][0]["last_modified"]
    assert changed[1]["last_modified"] == before["resources"][1]["last_modified"]


def test_a_stale_if_match_is_refused_on_every_write_of_a_datasets_resources_and_extras(
    client: TestClient, catalog: Catalog
) -> None:
    """A dataset's ETag names its resources and extras too: an edit made on a version another
    writer changed since is a 412 (it overwrote the other's edit, silently), and a current one,
    or none, goes through."""
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, resources=[REMOTE, {**REMOTE, "title": "second"}])
    dataset_id, rid = view.dataset.id, view.resources[0].id
    url = f"/api/1/datasets/{dataset_id}/"
    stale = client.get(url).headers["etag"]
    assert (
        client.put(f"{url}resources/{rid}/", json={"title": "B's"}, headers=alice.headers).status_code == 200
    )
    stale_headers = {**alice.headers, "If-Match": stale}
    writes = [
        ("PUT", f"{url}resources/{rid}/", {"title": "A's"}),
        ("POST", f"{url}resources/", REMOTE),
        ("PUT", f"{url}resources/", [view.resources[1].id, rid]),
        ("DELETE", f"{url}resources/{rid}/", None),
        ("PUT", f"/api/2/datasets/{dataset_id}/extras/", {"k": 1}),
        ("DELETE", f"/api/2/datasets/{dataset_id}/extras/", ["k"]),
        ("PUT", f"/api/2/datasets/{dataset_id}/resources/{rid}/extras/", {"k": 1}),
        ("DELETE", f"/api/2/datasets/{dataset_id}/resources/{rid}/extras/", ["k"]),
    ]
    for method, path, body in writes:
        refused = client.request(method, path, json=body, headers=stale_headers)
        assert refused.status_code == 412, (method, path, refused.text)
    assert client.get(url).json()["resources"][0]["title"] == "B's"
    current = client.get(url).headers["etag"]
    fresh = client.put(
        f"{url}resources/{rid}/", json={"title": "A's"}, headers={**alice.headers, "If-Match": current}
    )
    assert fresh.status_code == 200, fresh.text


@pytest.mark.parametrize("prefix", ["", "/fr", "/en", "/de"])
def test_the_sites_own_permalink_is_the_apis(client: TestClient, catalog: Catalog, prefix: str) -> None:
    """``/datasets/r/{id}`` (with or without a language) is the permalink data.gouv.fr gives
    people and scripts (its front-end's): opencat is the front-end, it was a 404."""
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, resources=[REMOTE])
    hidden = make_dataset(catalog, alice, private=True, resources=[REMOTE]).resources[0].id
    rid = view.resources[0].id
    followed = client.get(f"{prefix}/datasets/r/{rid}")
    assert (followed.status_code, followed.headers["location"]) == (302, REMOTE["url"])
    assert client.get(f"/api/1/datasets/{view.dataset.id}/").json()["resources"][0]["metrics"]["views"] == 1
    for unknown in (str(uuid.uuid4()), hidden):
        plain = client.get(f"{prefix}/datasets/r/{unknown}")
        assert (plain.status_code, plain.json()) == (404, {"message": "Resource not found"})
        page = client.get(f"{prefix}/datasets/r/{unknown}", headers={"Accept": "text/html"})
        assert (page.status_code, page.headers["content-type"]) == (404, "text/html; charset=utf-8")
    assert (
        client.get(f"{prefix}/datasets/r/{rid}", headers={"Origin": "https://re.use"}).headers[
            "access-control-allow-origin"
        ]
        == "*"
    )  # udata's CORS names this path: front-ends fetch it
    assert client.get(f"/xx/datasets/r/{rid}").status_code == 404  # no such language here


def test_a_reorder_sent_as_objects_reads_the_resources_once(client: TestClient, catalog: Catalog) -> None:
    """Each object entry was one query: 3,000 round trips (12 s on PostgreSQL) for a dataset of
    3,000 resources. The number of statements no longer grows with the entries."""
    from sqlalchemy import event

    owner = make_user(catalog)
    links = [{"title": f"r{n}", "url": f"https://example.org/{n}"} for n in range(60)]
    view = make_dataset(catalog, owner, resources=links)
    ids = [resource.id for resource in view.resources]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(catalog.db.engine, "before_cursor_execute", count)
    try:
        entries = [{"id": resource_id} for resource_id in reversed(ids)]
        entries[0]["title"] = "renamed"
        response = client.put(
            f"/api/1/datasets/{view.dataset.id}/resources/", json=entries, headers=owner.headers
        )
    finally:
        event.remove(catalog.db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()] == list(reversed(ids))
    assert response.json()[0]["title"] == "renamed"
    assert len(statements) < 30, len(statements)


def test_a_blank_title_is_said_beside_another_fields_error(client: TestClient, catalog: Catalog) -> None:
    """udata's form reports every field at once: a title left empty is said with a URL refused,
    made or changed, on a resource and a community resource alike."""
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    both = {"title": ["This field is required."], "url": ['Invalid URL "bad"']}
    sent = {"title": "", "url": "bad", "filetype": "remote"}
    added = client.post(_resources_url(dataset.id), json=sent, headers=owner.headers)
    assert (added.status_code, added.json()) == (400, {"errors": both})
    untitled = client.post(_resources_url(dataset.id), json={"url": "bad"}, headers=owner.headers)
    assert untitled.json() == {"errors": both}  # a new resource's title is required, sent or not
    community = "/api/1/datasets/community_resources/"
    proposed = client.post(community, json={**sent, "dataset": dataset.id}, headers=owner.headers)
    assert (proposed.status_code, proposed.json()) == (400, {"errors": both})
    link = {"title": "kept", "url": "https://example.org/a.csv", "filetype": "remote"}
    made = client.post(_resources_url(dataset.id), json=link, headers=owner.headers).json()
    changed = client.put(f"{_resources_url(dataset.id)}{made['id']}/", json=sent, headers=owner.headers)
    assert (changed.status_code, changed.json()) == (400, {"errors": both})
    # An update keeps the title it does not send.
    url_only = client.put(
        f"{_resources_url(dataset.id)}{made['id']}/", json={"url": "bad"}, headers=owner.headers
    )
    assert url_only.json() == {"errors": {"url": both["url"]}}
    proposal = client.post(community, json={**link, "dataset": dataset.id}, headers=owner.headers).json()
    edited = client.put(f"{community}{proposal['id']}/", json=sent, headers=owner.headers)
    assert (edited.status_code, edited.json()) == (400, {"errors": both})


def test_a_new_resource_titled_with_spaces_alone_has_no_title(client: TestClient, catalog: Catalog) -> None:
    """udata's ``DataRequired``: spaces alone are no title, for a resource and a community
    resource alike, made or changed."""
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    link = {"url": "https://example.org/a.csv", "filetype": "remote"}
    required = {"errors": {"title": ["This field is required."]}}
    for title in (" ", "\t\n"):
        added = client.post(_resources_url(dataset.id), json={**link, "title": title}, headers=owner.headers)
        assert (added.status_code, added.json()) == (400, required)
        proposed = client.post(
            "/api/1/datasets/community_resources/",
            json={**link, "title": title, "dataset": dataset.id},
            headers=owner.headers,
        )
        assert (proposed.status_code, proposed.json()) == (400, required)
        in_body = client.put(
            f"/api/1/datasets/{dataset.id}/",
            json={"resources": [{**link, "title": title}]},
            headers=owner.headers,
        )
        assert (in_body.status_code, in_body.json()) == (400, {"errors": {"resources": [required["errors"]]}})
    assert client.get(f"/api/1/datasets/{dataset.id}/").json()["resources"] == []
    made = client.post(
        _resources_url(dataset.id), json={**link, "title": "kept"}, headers=owner.headers
    ).json()
    proposal = client.post(
        "/api/1/datasets/community_resources/",
        json={**link, "title": "kept", "dataset": dataset.id},
        headers=owner.headers,
    ).json()
    for title in (" ", "\t\n"):
        renamed = client.put(
            f"{_resources_url(dataset.id)}{made['id']}/", json={"title": title}, headers=owner.headers
        )
        assert (renamed.status_code, renamed.json()) == (400, required)
        in_list = client.put(
            f"/api/1/datasets/{dataset.id}/",
            json={"resources": [{**link, "id": made["id"], "title": title}]},
            headers=owner.headers,
        )
        assert (in_list.status_code, in_list.json()) == (400, {"errors": {"resources": [required["errors"]]}})
        changed = client.put(
            f"/api/1/datasets/community_resources/{proposal['id']}/",
            json={**link, "title": title, "dataset": dataset.id},
            headers=owner.headers,
        )
        assert (changed.status_code, changed.json()) == (400, required)
    assert [r["title"] for r in client.get(f"/api/1/datasets/{dataset.id}/").json()["resources"]] == ["kept"]


def test_an_empty_url_is_missing_and_an_empty_format_or_mime_is_none(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's resource fields are ``EmptyNone``: an empty URL is a required field left out (it
    was an invalid URL "with no scheme"), an empty format or media type is null (it was ``""``)."""
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, resources=[{**REMOTE, "format": "csv", "mime": "text/csv"}])
    rid = view.resources[0].id
    url = f"/api/1/datasets/{view.dataset.id}/"
    required = {"errors": {"url": ["This field is required."]}}
    for blank in ("", "   "):
        edited = client.put(f"{url}resources/{rid}/", json={"url": blank}, headers=alice.headers)
        assert (edited.status_code, edited.json()) == (400, required)
        added = client.post(f"{url}resources/", json={**REMOTE, "url": blank}, headers=alice.headers)
        assert (added.status_code, added.json()) == (400, required)
        proposed = client.post(
            "/api/1/datasets/community_resources/",
            json={**REMOTE, "url": blank, "dataset": view.dataset.id},
            headers=alice.headers,
        )
        assert (proposed.status_code, proposed.json()) == (400, required)
    body = {"resources": [{"id": rid, "url": ""}, {"title": "new", "url": " "}]}
    listed = client.put(url, json=body, headers=alice.headers)
    assert listed.json() == {"errors": {"resources": [required["errors"], required["errors"]]}}
    cleared = client.put(f"{url}resources/{rid}/", json={"format": "", "mime": ""}, headers=alice.headers)
    assert (cleared.status_code, cleared.json()["format"], cleared.json()["mime"]) == (200, None, None)
    named = client.put(f"{url}resources/{rid}/", json={"format": " CSV "}, headers=alice.headers).json()
    assert named["format"] == "csv"
    # A schema's empty URL is none too, on the resource's PUT as in the dataset's.
    for path, body in (
        (f"{url}resources/{rid}/", {"schema": {"url": ""}}),
        (url, {"resources": [{"id": rid, "schema": {"url": ""}}]}),
    ):
        assert client.put(path, json=body, headers=alice.headers).status_code == 200, path
