"""Private stays private on the download paths: the permalink, the stored files, community resources."""

import json

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from tests.factories import Account, make_dataset, make_user

CSV = b"a,b\n1,2\n"
INVALID_KEY = {"X-API-KEY": "udata_not-a-key"}


def _upload(client: TestClient, dataset_id: str, owner: Account) -> dict[str, str]:
    response = client.post(
        f"/api/1/datasets/{dataset_id}/upload/", files={"file": ("data.csv", CSV)}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _file_path(resource: dict[str, str]) -> str:
    return "/resources/" + resource["url"].split("/resources/", 1)[1]


def _downloads(client: TestClient, dataset_id: str, resource_id: str, owner: Account) -> int:
    url = f"/api/1/datasets/{dataset_id}/resources/{resource_id}/"
    return int(client.get(url, headers=owner.headers).json()["metrics"].get("views", 0))


def test_files_of_a_private_dataset_are_served_to_those_who_may_read_it(
    client: TestClient, catalog: Catalog
) -> None:
    owner, outsider = make_user(catalog), make_user(catalog)
    dataset_id = make_dataset(catalog, owner, private=True).dataset.id
    path = _file_path(_upload(client, dataset_id, owner))
    for headers in ({}, outsider.headers):
        refused = client.get(path, headers=headers)
        assert (refused.status_code, refused.json()) == (404, {"message": "Resource not found"})
    invalid = client.get(path, headers=INVALID_KEY)
    assert (invalid.status_code, invalid.json()) == (401, {"message": "Invalid API token"})
    served = client.get(path, headers=owner.headers)
    assert (served.status_code, served.content) == (200, CSV)
    # No shared cache keeps it, whatever it makes of Vary (it said "no-cache" alone).
    assert served.headers["cache-control"] == "private, no-cache"
    tag = served.headers["etag"]
    again = client.get(path, headers={**owner.headers, "If-None-Match": tag})
    assert (again.status_code, again.headers["cache-control"]) == (304, "private, no-cache")


def test_files_of_public_datasets_are_served_to_anyone_and_deleted_ones_are_gone(
    client: TestClient, catalog: Catalog
) -> None:
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner).dataset.id
    path = _file_path(_upload(client, dataset_id, owner))
    assert client.get(path).content == CSV
    # Anyone's: a shared cache may keep it (revalidating), for its owner as for anyone.
    assert client.get(path, headers=owner.headers).headers["cache-control"] == "no-cache"
    delete_dataset(catalog, owner.actor(catalog), dataset_id)
    assert client.get(path).status_code == 410
    assert client.get(path, headers=owner.headers).status_code == 200


def test_a_stored_file_no_resource_holds_is_not_served(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner).dataset.id
    resource = _upload(client, dataset_id, owner)
    stray = catalog.files.spool_dir.parent / "stray" / "file.csv"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(CSV)
    assert client.get("/resources/stray/file.csv", headers=owner.headers).status_code == 404
    client.delete(f"/api/1/datasets/{dataset_id}/resources/{resource['id']}/", headers=owner.headers)
    assert client.get(_file_path(resource), headers=owner.headers).status_code == 404


def test_the_permalink_of_a_private_resource_neither_redirects_nor_counts(
    client: TestClient, catalog: Catalog
) -> None:
    owner, outsider = make_user(catalog), make_user(catalog)
    dataset_id = make_dataset(catalog, owner, private=True).dataset.id
    resource = _upload(client, dataset_id, owner)
    permalink = f"/api/1/datasets/r/{resource['id']}"
    for headers in ({}, outsider.headers):
        refused = client.get(permalink, headers=headers)
        assert (refused.status_code, refused.json()) == (404, {"message": "Resource not found"})
    assert client.get(permalink, headers=INVALID_KEY).status_code == 401
    assert _downloads(client, dataset_id, resource["id"], owner) == 0
    followed = client.get(permalink, headers=owner.headers)
    assert (followed.status_code, followed.headers["location"]) == (302, resource["url"])
    assert _downloads(client, dataset_id, resource["id"], owner) == 1


def test_community_resources_of_a_private_dataset_stay_hidden(client: TestClient, catalog: Catalog) -> None:
    owner, proposer, outsider = make_user(catalog), make_user(catalog), make_user(catalog)
    public_id = make_dataset(catalog, owner).dataset.id
    private_id = make_dataset(catalog, owner, private=True).dataset.id
    body = {"title": "Proposal", "url": "https://example.org/p.csv", "filetype": "remote"}
    refused = client.post(
        "/api/1/datasets/community_resources/", json={**body, "dataset": private_id}, headers=proposer.headers
    )
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"dataset": ["Dataset does not exists"]}}
    created = client.post(
        "/api/1/datasets/community_resources/", json={**body, "dataset": public_id}, headers=proposer.headers
    ).json()
    # The dataset turns private after the proposal: its owner and the proposer still see it.
    secret = {"private": True, "title": "Secret merger plans"}
    client.put(f"/api/1/datasets/{public_id}/", json=secret, headers=owner.headers)
    item = f"/api/1/datasets/community_resources/{created['id']}/"
    listing = f"/api/1/datasets/community_resources/?dataset={public_id}"
    for headers in ({}, outsider.headers):
        assert client.get(item, headers=headers).status_code == 404
        assert client.get(listing, headers=headers).json()["total"] == 0
        assert client.get(f"/api/1/datasets/r/{created['id']}", headers=headers).status_code == 404
    for account in (owner, proposer):
        assert client.get(item, headers=account.headers).status_code == 200
        assert client.get(listing, headers=account.headers).json()["total"] == 1
        assert client.get(f"/api/1/datasets/r/{created['id']}", headers=account.headers).status_code == 302
    # The proposer keeps their resource, not the titles and slugs the dataset takes since.
    for answer in (
        client.get(item, headers=proposer.headers).json(),
        client.get(listing, headers=proposer.headers).json()["data"][0],
    ):
        assert answer["dataset"]["id"] == public_id
        assert (answer["dataset"]["title"], answer["dataset"]["acronym"]) == (None, None)
        assert "secret" not in json.dumps(answer).lower()
    assert client.get(item, headers=owner.headers).json()["dataset"]["title"] == "Secret merger plans"


def test_a_shared_cache_keys_files_and_uploads_by_the_key_too(client: TestClient, catalog: Catalog) -> None:
    """A private dataset's file answered the anonymous 404 and the member's 200 with ``Vary:
    Origin`` only (a cache could give the one to the other); uploads' answers lacked the key too,
    unlike every other answer of the API."""
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner, private=True).dataset.id
    uploaded = client.post(
        f"/api/1/datasets/{dataset_id}/upload/", files={"file": ("data.csv", CSV)}, headers=owner.headers
    )
    assert "x-api-key" in uploaded.headers["vary"].lower()
    path = _file_path(uploaded.json())
    for answer in (client.get(path), client.get(path, headers=owner.headers)):
        assert answer.status_code in (200, 404)
        assert "x-api-key" in answer.headers["vary"].lower(), answer.status_code
    beyond = client.get(path, headers={**owner.headers, "Range": "bytes=500-600"})
    assert beyond.status_code == 416
    assert "x-api-key" in beyond.headers["vary"].lower()  # Starlette's own 416 had none
    tag = client.get(path, headers=owner.headers).headers["etag"]
    again = client.get(path, headers={**owner.headers, "If-None-Match": tag})
    assert again.status_code == 304
    assert "x-api-key" in again.headers["vary"].lower()


def test_a_community_file_is_shared_cache_material_only_while_anyone_may_read_it(
    client: TestClient, catalog: Catalog
) -> None:
    owner, proposer = make_user(catalog), make_user(catalog)
    dataset_id = make_dataset(catalog, owner).dataset.id
    proposed = client.post(
        f"/api/1/datasets/{dataset_id}/upload/community/",
        files={"file": ("x.csv", CSV)},
        headers=proposer.headers,
    ).json()
    path = _file_path(proposed)
    assert client.get(path, headers=proposer.headers).headers["cache-control"] == "no-cache"
    client.put(f"/api/1/datasets/{dataset_id}/", json={"private": True}, headers=owner.headers)
    assert client.get(path).status_code == 404
    kept = client.get(path, headers=proposer.headers)  # its proposer still reads it
    assert (kept.status_code, kept.headers["cache-control"]) == (200, "private, no-cache")
