"""Community resources: CRUD, permissions, uploads, permalinks (udata: udata/core/dataset/api.py, community resources)."""

import uuid

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.conftest import BASE_URL
from tests.factories import make_dataset, make_org, make_user

URL = "/api/1/datasets/community_resources/"
BODY = {
    "title": "Version nettoyée",
    "url": "https://example.org/clean.csv",
    "filetype": "remote",
    "format": "csv",
}
KEYS = {
    "checksum", "created_at", "dataset", "description", "extras", "filesize", "filetype", "format", "geopf",
    "harvest", "id", "internal", "last_modified", "latest", "metrics", "mime", "organization", "owner",
    "permissions", "preview_url", "schema", "title", "type", "url",
}  # fmt: skip


def test_create_get_list_update_delete(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, alice, title="Horaires des bus", acronym="HB").dataset
    created = client.post(URL, json={**BODY, "dataset": {"id": dataset.id}}, headers=bob.headers)
    assert created.status_code == 201, created.text
    data = created.json()
    assert set(data) == KEYS
    assert data["type"] == "other"
    assert data["dataset"] == {
        "acronym": "HB", "class": "Dataset", "id": dataset.id, "title": "Horaires des bus",
        "page": f"{BASE_URL}/datasets/horaires-des-bus/",
        "uri": f"{BASE_URL}/api/1/datasets/horaires-des-bus/",
    }  # fmt: skip
    assert data["owner"]["id"] == bob.user.id
    assert data["permissions"] == {"delete": True, "edit": True}
    item = f"{URL}{data['id']}/"
    assert client.get(item).json()["permissions"] == {"delete": False, "edit": False}
    listed = client.get(f"{URL}?dataset={dataset.id}").json()
    assert [entry["id"] for entry in listed["data"]] == [data["id"]]
    assert client.get(f"{URL}?owner={alice.user.id}").json()["total"] == 0
    updated = client.put(item, json={"title": "v2", "filetype": "file"}, headers=bob.headers)
    assert updated.status_code == 200
    assert (updated.json()["title"], updated.json()["filetype"]) == ("v2", "remote")
    assert client.put(item, json={"title": "nope"}, headers=alice.headers).status_code == 403
    assert client.delete(item, headers=alice.headers).status_code == 403
    assert client.delete(item, headers=bob.headers).status_code == 204
    # udata's CommunityResourceConverter: werkzeug's NotFound, the words of an unknown URL
    generic = client.get("/api/1/nope/").json()
    for gone in (item, f"{URL}nope/", f"{URL}{uuid.uuid4()}/"):
        assert (client.get(gone).status_code, client.get(gone).json()) == (404, generic)
    assert client.put(f"{URL}{uuid.uuid4()}/", json={"title": "x"}, headers=bob.headers).json() == generic


def test_creation_errors_follow_udata(client: TestClient, catalog: Catalog) -> None:
    bob = make_user(catalog)
    dataset = make_dataset(catalog, make_user(catalog)).dataset
    assert client.post(URL, json=BODY).status_code == 401
    no_dataset = client.post(URL, json=BODY, headers=bob.headers)
    assert no_dataset.json() == {"errors": {"dataset": "A dataset identifier is required"}}
    hosted = client.post(URL, json={**BODY, "filetype": "file", "dataset": dataset.id}, headers=bob.headers)
    assert hosted.json() == {"message": "This endpoint only supports remote community resources"}
    malformed = client.post(URL, json={**BODY, "dataset": "nope"}, headers=bob.headers)
    assert malformed.status_code == 400
    assert "dataset" in malformed.json()["errors"]
    unknown = client.post(URL, json={**BODY, "dataset": "0" * 24}, headers=bob.headers)
    assert unknown.status_code == 400
    no_url = client.post(
        URL, json={"title": "x", "filetype": "remote", "dataset": dataset.id}, headers=bob.headers
    )
    assert no_url.json() == {"errors": {"url": ["This field is required."]}}


def test_organization_members_edit_their_organizations_community_resources(
    client: TestClient, catalog: Catalog
) -> None:
    alice, editor, dataset_owner = make_user(catalog), make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin", editor.user.id: "editor"})
    dataset = make_dataset(catalog, dataset_owner).dataset
    data = client.post(
        URL, json={**BODY, "dataset": dataset.id, "organization": org.id}, headers=alice.headers
    ).json()
    assert (data["owner"], data["organization"]["id"]) == (None, org.id)
    item = f"{URL}{data['id']}/"
    assert client.put(item, json={"description": "by editor"}, headers=editor.headers).status_code == 200
    # the dataset's owner has no right on proposals made on their dataset
    assert client.put(item, json={"description": "x"}, headers=dataset_owner.headers).status_code == 403
    stranger_org = make_org(catalog)
    refused = client.post(
        URL, json={**BODY, "dataset": dataset.id, "organization": stranger_org.id}, headers=editor.headers
    )
    assert refused.json() == {"errors": {"organization": ["Permission denied for this organization"]}}


def test_dataset_shows_community_resources_only_when_asked(client: TestClient, catalog: Catalog) -> None:
    bob = make_user(catalog)
    dataset = make_dataset(catalog, make_user(catalog)).dataset
    data = client.post(URL, json={**BODY, "dataset": dataset.id}, headers=bob.headers).json()
    default = client.get(f"/api/1/datasets/{dataset.id}/").json()
    assert "community_resources" not in default
    asked = client.get(
        f"/api/1/datasets/{dataset.id}/", headers={"X-Fields": "id,community_resources{id,title,type}"}
    )
    assert asked.json() == {
        "community_resources": [{"id": data["id"], "title": "Version nettoyée", "type": "other"}],
        "id": dataset.id,
    }


def test_permalink_follows_community_resources(client: TestClient, catalog: Catalog) -> None:
    bob = make_user(catalog)
    dataset = make_dataset(catalog, make_user(catalog)).dataset
    data = client.post(URL, json={**BODY, "dataset": dataset.id}, headers=bob.headers).json()
    response = client.get(f"/api/1/datasets/r/{data['id']}")
    assert response.status_code == 302
    assert response.headers["location"] == BODY["url"]
    assert client.get(f"{URL}{data['id']}/").json()["metrics"]["views"] == 1


def test_community_uploads(client: TestClient, catalog: Catalog) -> None:
    bob, alice = make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, alice, title="Horaires").dataset
    created = client.post(
        f"/api/1/datasets/{dataset.id}/upload/community/",
        files={"file": ("extra.json", b'{"a": 1}')},
        headers=bob.headers,
    )
    assert created.status_code == 201, created.text
    data = created.json()
    assert (data["success"], data["type"], data["filetype"], data["format"], data["filesize"]) == (
        True,
        "main",
        "file",
        "json",
        8,
    )
    assert data["owner"]["id"] == bob.user.id
    assert client.get(data["url"].removeprefix(BASE_URL)).content == b'{"a": 1}'
    replace = client.post(
        f"{URL}{data['id']}/upload/", files={"file": ("v2.csv", b"a\n")}, headers=bob.headers
    )
    assert replace.status_code == 200
    assert replace.json()["title"] == "v2.csv"
    assert client.get(data["url"].removeprefix(BASE_URL)).status_code == 404
    forbidden = client.post(
        f"{URL}{data['id']}/upload/", files={"file": ("v3.csv", b"a\n")}, headers=alice.headers
    )
    assert forbidden.status_code == 403
    assert (
        client.post(
            f"{URL}{uuid.uuid4()}/upload/", files={"file": ("v3.csv", b"a\n")}, headers=bob.headers
        ).status_code
        == 404
    )
    anonymous = client.post(
        f"/api/1/datasets/{dataset.id}/upload/community/", files={"file": ("x.csv", b"a")}
    )
    assert anonymous.status_code == 401
    assert client.delete(f"{URL}{data['id']}/", headers=bob.headers).status_code == 204
    assert client.get(replace.json()["url"].removeprefix(BASE_URL)).status_code == 404


def test_organization_null_takes_a_proposal_back_to_its_editor(client: TestClient, catalog: Catalog) -> None:
    alice, editor = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin", editor.user.id: "editor"})
    dataset = make_dataset(catalog, make_user(catalog)).dataset
    data = client.post(
        URL, json={**BODY, "dataset": dataset.id, "organization": org.id}, headers=alice.headers
    ).json()
    item = f"{URL}{data['id']}/"
    kept = client.put(item, json={"description": "same owner"}, headers=editor.headers).json()
    assert (kept["owner"], kept["organization"]["id"]) == (None, org.id)
    taken = client.put(item, json={"organization": None}, headers=editor.headers)
    assert taken.status_code == 200
    assert (taken.json()["organization"], taken.json()["owner"]["id"]) == (None, editor.user.id)
    # A sysadmin taking one from its organization names the user it goes to.
    admin, bob = make_user(catalog, sysadmin=True), make_user(catalog)
    again = client.post(
        URL, json={**BODY, "dataset": dataset.id, "organization": org.id}, headers=alice.headers
    )
    moved = client.put(
        f"{URL}{again.json()['id']}/",
        json={"organization": None, "owner": bob.user.id},
        headers=admin.headers,
    )
    assert (moved.json()["organization"], moved.json()["owner"]["id"]) == (None, bob.user.id)


def test_owner_sent_is_the_caller_unless_a_sysadmin_names_another(
    client: TestClient, catalog: Catalog
) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    admin = make_user(catalog, sysadmin=True)
    dataset = make_dataset(catalog, alice).dataset
    refused = {"errors": {"owner": ["You can only set yourself as owner"]}}
    body = {**BODY, "dataset": dataset.id, "owner": alice.user.id}
    answer = client.post(URL, json=body, headers=bob.headers)
    assert (answer.status_code, answer.json()) == (400, refused)
    assert client.get(f"{URL}?dataset={dataset.id}").json()["total"] == 0
    own = client.post(URL, json={**body, "owner": bob.user.id}, headers=bob.headers)
    assert own.status_code == 201
    assert own.json()["owner"]["id"] == bob.user.id
    item = f"{URL}{own.json()['id']}/"
    changed = client.put(item, json={"owner": alice.user.id}, headers=bob.headers)
    transfer = {"errors": {"owner": ["Cannot change owner after creation. Please use transfer feature."]}}
    assert (changed.status_code, changed.json()) == (400, transfer)
    assert client.get(item).json()["owner"]["id"] == bob.user.id
    by_admin = client.post(URL, json=body, headers=admin.headers)
    assert by_admin.status_code == 201
    assert by_admin.json()["owner"]["id"] == alice.user.id
    moved = client.put(item, json={"owner": alice.user.id}, headers=admin.headers)
    assert moved.status_code == 200
    assert moved.json()["owner"]["id"] == alice.user.id


def test_a_proposal_hidden_from_the_caller_is_not_there_for_writes_either(
    client: TestClient, catalog: Catalog
) -> None:
    """On a private dataset a proposal answered 404 to a stranger's GET but 403 to their PUT,
    PATCH, DELETE and upload: a probe of which hidden proposals exist."""
    owner, author, stranger = make_user(catalog), make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    created = client.post(URL, json={**BODY, "dataset": {"id": dataset.id}}, headers=author.headers)
    item = f"{URL}{created.json()['id']}/"
    client.put(f"/api/1/datasets/{dataset.id}/", json={"private": True}, headers=owner.headers)
    unknown = f"{URL}{uuid.uuid4()}/"
    for target in (item, unknown):
        assert client.get(target, headers=stranger.headers).status_code == 404
        assert client.put(target, json={"title": "x"}, headers=stranger.headers).status_code == 404
        assert client.delete(target, headers=stranger.headers).status_code == 404
        upload = client.post(f"{target}upload/", files={"file": ("x.csv", b"a\n")}, headers=stranger.headers)
        assert upload.status_code == 404
    assert client.put(item, json={"title": "mine"}, headers=author.headers).status_code == 200
    public = make_dataset(catalog, owner).dataset
    visible = client.post(URL, json={**BODY, "dataset": {"id": public.id}}, headers=author.headers).json()
    assert (
        client.put(f"{URL}{visible['id']}/", json={"title": "x"}, headers=stranger.headers).status_code == 403
    )


def test_the_list_sorts_by_any_stored_field_then_by_id(client: TestClient, catalog: Catalog) -> None:
    """udata's ``order_by(sort, "id")``: a title, a size; an unknown field orders by id alone."""
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice).dataset
    made = {}
    for title, size in (("Bravo", 30), ("alpha", 200), ("Charlie", 4)):
        body = {**BODY, "title": title, "filesize": size, "dataset": dataset.id}
        made[title] = client.post(URL, json=body, headers=alice.headers).json()["id"]

    def titles(sort: str) -> list[str]:
        listed = client.get(f"{URL}?dataset={dataset.id}&sort={sort}")
        assert listed.status_code == 200
        return [entry["title"] for entry in listed.json()["data"]]

    assert titles("title") == ["Bravo", "Charlie", "alpha"]  # MongoDB's binary order of texts
    assert titles("-title") == ["alpha", "Charlie", "Bravo"]
    # MongoEngine's "+": ascending (two orders: the ids, random, cannot follow both)
    assert titles("%2Btitle") == ["Bravo", "Charlie", "alpha"]
    assert titles("%2Bfilesize") == ["Charlie", "Bravo", "alpha"]
    assert titles("filesize") == ["Charlie", "Bravo", "alpha"]
    by_id = sorted(made, key=made.__getitem__)
    assert titles("nothing") == by_id
    assert titles("-nothing") == by_id  # the id stays ascending: ``order_by("-nothing", "id")``
    paged = client.get(f"{URL}?dataset={dataset.id}&sort=title&page=2&page_size=2").json()
    assert ([entry["title"] for entry in paged["data"]], paged["total"]) == (["alpha"], 3)


def test_an_edit_sending_a_dataset_moves_the_proposal(client: TestClient, catalog: Catalog) -> None:
    """udata's form writes the ``dataset`` it is sent: the proposal goes to that dataset, if the
    caller may read it."""
    alice, bob = make_user(catalog), make_user(catalog)
    first = make_dataset(catalog, alice).dataset
    second = make_dataset(catalog, alice).dataset
    hidden = make_dataset(catalog, alice, private=True).dataset
    made = client.post(URL, json={**BODY, "dataset": first.id}, headers=bob.headers).json()
    item = f"{URL}{made['id']}/"
    for refused in (hidden.id, "5" * 24):
        answer = client.put(item, json={"dataset": refused}, headers=bob.headers)
        assert (answer.status_code, answer.json()) == (
            400,
            {"errors": {"dataset": ["Dataset does not exists"]}},
        )
    moved = client.put(item, json={"dataset": {"id": second.id}}, headers=bob.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["dataset"]["id"] == second.id
    assert client.get(f"{URL}?dataset={first.id}").json()["total"] == 0
    assert client.get(f"{URL}?dataset={second.id}").json()["total"] == 1
    kept = client.put(item, json={"title": "v2"}, headers=bob.headers).json()
    assert (kept["dataset"]["id"], kept["title"]) == (second.id, "v2")


def test_a_community_upload_with_a_mask_that_does_not_fit_is_refused_before_it_is_made(
    client: TestClient, catalog: Catalog
) -> None:
    """Its answer's model extends the community resource's (``allOf``): read whole for the check."""
    alice, bob = make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, alice).dataset
    masked = {**bob.headers, "X-Fields": "id,title{x}"}
    refused = client.post(
        f"/api/1/datasets/{dataset.id}/upload/community/",
        files={"file": ("a.csv", b"a\n1\n")},
        headers=masked,
    )
    assert refused.status_code == 400
    assert client.get(f"{URL}?dataset={dataset.id}").json()["total"] == 0
    fitting = {**bob.headers, "X-Fields": "id,title,owner{slug}"}
    made = client.post(
        f"/api/1/datasets/{dataset.id}/upload/community/",
        files={"file": ("a.csv", b"a\n1\n")},
        headers=fitting,
    )
    assert made.status_code == 201, made.text


def test_a_proposers_upload_to_a_dataset_made_private_since_does_not_name_it(
    client: TestClient, catalog: Catalog
) -> None:
    """The file's address was made of the dataset's current slug: renamed and made private after
    a proposal, its new title came back to the proposer in their own upload's URL."""
    owner, author = make_user(catalog), make_user(catalog)
    admin = make_user(catalog, sysadmin=True)
    dataset = make_dataset(catalog, owner, title="Public name").dataset
    created = client.post(URL, json={**BODY, "dataset": dataset.id}, headers=author.headers).json()
    hidden = {"title": "Plan social confidentiel", "private": True}
    assert client.put(f"/api/1/datasets/{dataset.id}/", json=hidden, headers=owner.headers).status_code == 200
    upload = client.post(
        f"{URL}{created['id']}/upload/", files={"file": ("a.csv", b"a\n1\n")}, headers=author.headers
    )
    assert upload.status_code == 200, upload.text
    assert "confidentiel" not in upload.text
    assert f"/{dataset.id}/" in upload.json()["url"]
    read_back = client.get(f"{URL}{created['id']}/", headers=author.headers).json()
    assert "confidentiel" not in str(read_back)
    # Its file uploaded again by someone who may read the dataset (its owner, a sysadmin) goes
    # where the proposer reads its address too.
    again = client.post(
        f"{URL}{created['id']}/upload/", files={"file": ("c.csv", b"c\n3\n")}, headers=admin.headers
    )
    assert again.status_code == 200, again.text
    assert "confidentiel" not in str(client.get(f"{URL}{created['id']}/", headers=author.headers).json())
    # Its editors' own uploads keep the slug, as udata's do.
    own = client.post(
        f"/api/1/datasets/{dataset.id}/upload/", files={"file": ("b.csv", b"b\n2\n")}, headers=owner.headers
    )
    assert own.status_code == 201, own.text
    assert "/plan-social-confidentiel/" in own.json()["url"]
