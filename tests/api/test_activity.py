"""The history of changes, served as udata's activity stream (udata: udata/core/activity/api.py)."""

from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import update_dataset
from opencat.domain.changes import Submitted
from tests.conftest import BASE_URL
from tests.factories import Account, dataset_changes, make_dataset, make_org, make_user

URL = "/api/1/activity/"
DATASETS = "/api/1/datasets/"
KEYS = {
    "id", "actor", "organization", "related_to", "related_to_id", "related_to_kind", "related_to_url",
    "created_at", "label", "key", "icon", "changes", "extras",
}  # fmt: skip
REMOTE = {"title": "Horaires", "url": "https://example.org/h.csv", "filetype": "remote", "format": "csv"}


def _stream(client: TestClient, query: str = "", account: Account | None = None) -> dict[str, Any]:
    response = client.get(f"{URL}?{query}", headers=account.headers if account else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _keys(body: dict[str, Any]) -> list[str]:
    return [item["key"] for item in body["data"]]


def test_a_datasets_life_is_recorded_field_by_field(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    created = client.post(
        DATASETS, json={"title": "Bus", "description": "Lignes", "tags": ["bus"]}, headers=alice.headers
    )
    assert created.status_code == 201, created.text
    dataset_id, url = created.json()["id"], f"{DATASETS}{created.json()['id']}/"
    assert (
        client.put(url, json={"title": "Bus et cars", "tags": ["bus"]}, headers=alice.headers).status_code
        == 200
    )
    first = client.post(f"{url}resources/", json=REMOTE, headers=alice.headers).json()["id"]
    second = client.post(
        f"{url}resources/", json={**REMOTE, "title": "Arrêts"}, headers=alice.headers
    ).json()["id"]
    changed = client.put(f"{url}resources/{first}/", json={"title": "Horaires 2026"}, headers=alice.headers)
    assert changed.status_code == 200
    assert client.put(f"{url}resources/", json=[first, second], headers=alice.headers).status_code == 200
    assert client.delete(f"{url}resources/{second}/", headers=alice.headers).status_code == 204
    assert client.delete(url, headers=alice.headers).status_code == 204

    body = _stream(client, f"related_to={dataset_id}", alice)  # deleted: its owner's to see
    assert set(body) == {"data", "page", "page_size", "total", "next_page", "previous_page"}
    assert body["total"] == 8
    assert _keys(body) == [
        "dataset:deleted",
        "dataset:resource:deleted",
        "dataset:resources:reordered",
        "dataset:resource:updated",
        "dataset:resource:added",
        "dataset:resource:added",
        "dataset:updated",
        "dataset:created",
    ]
    deleted, removed, reordered, renamed, _, added, updated, new = body["data"]
    assert set(updated) == KEYS
    assert updated["changes"] == ["slug", "title"]
    assert updated["extras"]["diff"] == {
        "slug": {"old": "bus", "new": "bus-et-cars"},
        "title": {"old": "Bus", "new": "Bus et cars"},
    }
    assert updated["actor"]["id"] == alice.user.id
    assert updated["actor"]["class"] == "User"
    assert updated["organization"] is None
    assert updated["related_to"] == "Bus et cars"  # the dataset's name now
    assert updated["related_to_kind"] == "Dataset"
    assert updated["related_to_url"] == f"{BASE_URL}/datasets/bus-et-cars/"
    assert (updated["label"], updated["icon"]) == ("updated a dataset", "fa fa-pencil")
    assert new["extras"]["diff"]["title"] == {"old": None, "new": "Bus"}
    assert new["extras"]["diff"]["tags"] == {"old": None, "new": ["bus"]}
    assert added["extras"]["resource_id"] == first
    assert added["extras"]["diff"]["url"] == {"old": None, "new": "https://example.org/h.csv"}
    assert renamed["changes"] == ["title"]
    assert renamed["extras"] == {
        "resource_id": first,
        "diff": {"title": {"old": "Horaires", "new": "Horaires 2026"}},
    }
    assert reordered["extras"]["diff"] == {"resources": {"old": [second, first], "new": [first, second]}}
    assert removed["extras"]["resource_id"] == second
    assert removed["extras"]["diff"]["title"] == {"old": "Arrêts", "new": None}
    # udata emits a creation, a deletion, an addition and a removal with no changed fields: what
    # they made or removed is in the diff.
    assert [deleted["changes"], removed["changes"], added["changes"], new["changes"]] == [[], [], [], []]
    assert deleted["extras"]["diff"]["deleted"]["old"] is None
    assert deleted["created_at"] == deleted["extras"]["diff"]["deleted"]["new"]


def test_a_deletion_sent_in_a_put_is_a_deletion_too(client: TestClient, catalog: Catalog) -> None:
    """A reader of ``dataset:deleted`` entries missed the datasets deleted by a PUT of ``deleted``;
    the fields changed beside it are an update, as udata audits no ``deleted`` field."""
    alice = make_user(catalog)
    made = client.post(DATASETS, json={"title": "Bus", "description": "Lignes"}, headers=alice.headers).json()
    url = f"{DATASETS}{made['id']}/"
    body = {"deleted": "2024-01-01T00:00:00+00:00", "acronym": "BUS"}
    assert client.put(url, json=body, headers=alice.headers).status_code == 200
    entries = _stream(client, f"related_to={made['id']}", alice)["data"]
    assert [(entry["key"], entry["changes"]) for entry in entries] == [
        ("dataset:deleted", []),
        ("dataset:updated", ["acronym"]),
        ("dataset:created", []),
    ]
    assert entries[0]["extras"]["diff"]["deleted"] == {"old": None, "new": "2024-01-01T00:00:00+00:00"}
    deletions = _stream(client, "key=dataset:deleted", alice)["data"]
    assert [entry["related_to_id"] for entry in deletions] == [made["id"]]


def test_a_private_datasets_history_is_seen_by_those_who_may_see_it(
    client: TestClient, catalog: Catalog
) -> None:
    alice, bob, member = make_user(catalog), make_user(catalog), make_user(catalog)
    admin = make_user(catalog, sysadmin=True)
    org = make_org(catalog, **{alice.user.id: "admin", member.user.id: "editor"})
    hidden = make_dataset(catalog, alice, private=True, organization=org.id).dataset
    public = make_dataset(catalog, alice, organization=org.id).dataset
    for account in (None, bob):
        assert _stream(client, f"related_to={hidden.id}", account)["total"] == 0
        assert _stream(client, f"related_to={public.id}", account)["total"] == 1
        assert hidden.id not in {item["related_to_id"] for item in _stream(client, "", account)["data"]}
    for account in (alice, member, admin):
        assert _keys(_stream(client, f"related_to={hidden.id}", account)) == ["dataset:created"]
    # Made public, its history is everyone's; made private again, it is hidden again.
    url = f"{DATASETS}{hidden.id}/"
    assert client.put(url, json={"private": False}, headers=member.headers).status_code == 200
    assert _stream(client, f"related_to={hidden.id}")["total"] == 2
    assert client.put(url, json={"private": True}, headers=member.headers).status_code == 200
    assert _stream(client, f"related_to={hidden.id}")["total"] == 0
    assert _stream(client, f"related_to={hidden.id}", alice)["total"] == 3


def test_a_deleted_datasets_history_is_seen_only_by_those_who_may_see_it(
    client: TestClient, catalog: Catalog
) -> None:
    """Its diffs would keep publishing the title, description and files the deletion withdrew."""
    alice, bob = make_user(catalog), make_user(catalog)
    admin = make_user(catalog, sysadmin=True)
    dataset = make_dataset(catalog, alice, title="Secret withdrawn").dataset
    url = f"{DATASETS}{dataset.id}/"
    assert client.delete(url, headers=alice.headers).status_code == 204
    for account in (None, bob):
        assert _stream(client, f"related_to={dataset.id}", account)["total"] == 0
        assert dataset.id not in {item["related_to_id"] for item in _stream(client, "", account)["data"]}
    for account in (alice, admin):
        assert _keys(_stream(client, f"related_to={dataset.id}", account)) == [
            "dataset:deleted", "dataset:created",
        ]  # fmt: skip
    # Restored, its history is everyone's again.
    assert client.put(url, json={"deleted": None}, headers=alice.headers).status_code == 200
    assert _stream(client, f"related_to={dataset.id}")["total"] == 3


def test_filters_by_user_organization_and_key_with_pages(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    org = make_org(catalog, name="Ville", **{alice.user.id: "admin"})
    other = make_org(catalog, name="Région")
    in_org = make_dataset(catalog, alice, organization=org.id).dataset
    make_dataset(catalog, alice)
    make_dataset(catalog, bob)

    by_org = _stream(client, f"organization={org.id}")
    assert _keys(by_org) == ["dataset:created", "organization:updated", "organization:created"]
    assert by_org["data"][0]["related_to_id"] == in_org.id
    assert by_org["data"][0]["organization"]["id"] == org.id
    created_org = by_org["data"][2]
    assert created_org["actor"] is None  # the command line
    assert created_org["related_to"] == "Ville"
    assert created_org["related_to_kind"] == "Organization"
    assert created_org["related_to_url"] == f"{BASE_URL}/organizations/ville/"
    assert by_org["data"][1]["extras"]["diff"] == {
        "members": {"old": None, "new": {"user": alice.user.id, "role": "admin"}}
    }
    assert _stream(client, f"organization={other.id}")["total"] == 1
    assert _stream(client, f"user={alice.user.id}")["total"] == 2
    assert _stream(client, f"user={bob.user.id}")["total"] == 1
    assert _stream(client, "key=organization:created&key=organization:updated")["total"] == 3
    assert _stream(client, "key=dataset:created")["total"] == 3

    everything = _stream(client)
    assert everything["total"] == 6
    first = _stream(client, "page_size=4")
    assert first["next_page"] == f"{BASE_URL}{URL}?page_size=4&page=2"
    second = client.get(first["next_page"]).json()
    assert second["previous_page"] == f"{BASE_URL}{URL}?page_size=4&page=1"
    assert second["next_page"] is None
    assert [item["id"] for item in first["data"] + second["data"]] == [i["id"] for i in everything["data"]]
    oldest = _stream(client, "sort=created_at")
    assert [item["id"] for item in oldest["data"]] == [i["id"] for i in reversed(everything["data"])]
    assert client.get(f"{URL}?page=3&page_size=4").status_code == 404


def test_bad_arguments_are_udata_400s(client: TestClient) -> None:
    not_an_id = client.get(f"{URL}?related_to=nope")
    assert not_an_id.status_code == 400
    assert not_an_id.json() == {"message": "`related_to` arg must be an identifier"}
    assert client.get(f"{URL}?page=0").status_code == 400
    sort = client.get(f"{URL}?sort=title")
    assert sort.status_code == 400
    assert "sort" in sort.json()["errors"]


def _count(client: TestClient, dataset_id: str, account: Account | None = None) -> int:
    return int(_stream(client, f"related_to={dataset_id}", account)["total"])


def test_refused_writes_leave_no_history(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, alice).dataset
    url = f"{DATASETS}{dataset.id}/"
    etag = client.get(url).headers["ETag"]
    assert client.put(url, json={"title": "Mine"}, headers=bob.headers).status_code == 403
    assert client.put(url, json={"title": ""}, headers=alice.headers).status_code == 400
    assert (
        client.put(
            url, json={"title": "Cap", "resources": [{"title": "x"}]}, headers=alice.headers
        ).status_code
        == 400
    )
    assert (
        client.put(url, json={"acronym": "A"}, headers={**alice.headers, "If-Match": etag}).status_code == 200
    )
    stale = client.put(url, json={"acronym": "B"}, headers={**alice.headers, "If-Match": etag})
    assert stale.status_code == 412
    assert client.post(f"{url}resources/", json={"title": "no url"}, headers=alice.headers).status_code == 400
    assert client.post(f"{url}resources/", json=REMOTE, headers=bob.headers).status_code == 403
    assert (
        client.post(
            f"{DATASETS}{dataset.id}/badges/", json={"kind": "spd"}, headers=alice.headers
        ).status_code
        == 403
    )
    assert _keys(_stream(client, f"related_to={dataset.id}")) == ["dataset:updated", "dataset:created"]
    assert client.delete(url, headers=alice.headers).status_code == 204
    assert client.put(url, json={"title": "Gone"}, headers=alice.headers).status_code == 410
    assert client.delete(url, headers=alice.headers).status_code == 410
    assert _count(client, dataset.id, alice) == 3


def test_a_change_whose_history_fails_is_not_committed(client: TestClient, catalog: Catalog) -> None:
    """The change and its history are one transaction: when the history row cannot be written (an
    activity id already taken), the dataset is left as it was and no row is added."""
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice, title="Avant").dataset
    taken = _stream(client, f"related_to={dataset.id}")["data"][0]["id"]
    colliding = replace(catalog, new_object_id=lambda: taken)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        update_dataset(
            colliding, alice.actor(catalog), dataset.id, Submitted.of(dataset_changes(title="Après"))
        )
    after = client.get(f"{DATASETS}{dataset.id}/").json()
    assert (after["title"], after["slug"]) == ("Avant", dataset.slug)
    assert _count(client, dataset.id) == 1
    # The same change with a free activity id goes through, with its history.
    update_dataset(catalog, alice.actor(catalog), dataset.id, Submitted.of(dataset_changes(title="Après")))
    assert _keys(_stream(client, f"related_to={dataset.id}")) == ["dataset:updated", "dataset:created"]


def test_uploads_badges_and_community_resources_are_recorded(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    admin = make_user(catalog, sysadmin=True)
    dataset = make_dataset(catalog, alice).dataset
    url = f"{DATASETS}{dataset.id}/"
    upload = client.post(f"{url}upload/", files={"file": ("a.csv", b"a,b\n1,2\n")}, headers=alice.headers)
    assert upload.status_code == 201, upload.text
    resource_id = upload.json()["id"]
    again = client.post(
        f"{url}resources/{resource_id}/upload/",
        files={"file": ("a.csv", b"a,b\n3,4\n")},
        headers=alice.headers,
    )
    assert again.status_code == 200, again.text
    assert client.post(f"{url}badges/", json={"kind": "spd"}, headers=admin.headers).status_code == 201
    assert client.post(f"{url}featured/", headers=admin.headers).status_code == 200
    community = client.post(
        "/api/1/datasets/community_resources/", json={**REMOTE, "dataset": dataset.id}, headers=bob.headers
    )
    assert community.status_code == 201
    item = f"/api/1/datasets/community_resources/{community.json()['id']}/"
    assert client.put(item, json={"title": "Propre"}, headers=bob.headers).status_code == 200
    assert client.delete(item, headers=bob.headers).status_code == 204

    body = _stream(client, f"related_to={dataset.id}")
    assert _keys(body) == [
        "dataset:community_resource:deleted",
        "dataset:community_resource:updated",
        "dataset:community_resource:added",
        "dataset:updated",
        "dataset:updated",
        "dataset:resource:updated",
        "dataset:resource:added",
        "dataset:created",
    ]
    gone, renamed, proposed, featured, badged, replaced, uploaded, _ = body["data"]
    assert uploaded["extras"]["diff"]["title"] == {"old": None, "new": "a.csv"}
    assert replaced["changes"] == ["url", "checksum"]  # the same size: filesize did not change
    old_sum, new_sum = (
        replaced["extras"]["diff"]["checksum"]["old"],
        replaced["extras"]["diff"]["checksum"]["new"],
    )
    assert old_sum["type"] == new_sum["type"] == "sha1"
    assert old_sum["value"] != new_sum["value"]
    assert badged["changes"] == ["badges"]
    assert badged["actor"]["id"] == admin.user.id
    assert badged["extras"]["diff"]["badges"]["new"][0]["kind"] == "spd"
    assert featured["extras"]["diff"] == {"featured": {"old": False, "new": True}}
    assert proposed["actor"]["id"] == bob.user.id
    assert proposed["extras"]["community_resource_id"] == community.json()["id"]
    assert renamed["extras"]["diff"]["title"] == {"old": "Horaires", "new": "Propre"}
    assert gone["extras"]["diff"]["title"] == {"old": "Propre", "new": None}
    assert _stream(client, f"user={bob.user.id}")["total"] == 3


def test_membership_changes_are_recorded_once(catalog: Catalog, client: TestClient) -> None:
    alice, admin = make_user(catalog), make_user(catalog, sysadmin=True)
    org = make_org(catalog)
    accounts.add_member(catalog, org.id, alice.user.id, "editor", actor=admin.actor(catalog))
    accounts.add_member(catalog, org.id, alice.user.id, "editor")  # the same role: nothing changed
    accounts.add_member(catalog, org.id, alice.user.id, "admin")
    body = _stream(client, f"organization={org.id}&key=organization:updated")
    diffs = [item["extras"]["diff"]["members"] for item in body["data"]]
    assert diffs == [
        {"old": {"user": alice.user.id, "role": "editor"}, "new": {"user": alice.user.id, "role": "admin"}},
        {"old": None, "new": {"user": alice.user.id, "role": "editor"}},
    ]
    assert [item["actor"] and item["actor"]["id"] for item in body["data"]] == [None, admin.user.id]


def test_an_ownership_move_names_the_apis_fields(client: TestClient, catalog: Catalog) -> None:
    """The history said ``owner_id`` and ``organization_id``, the database's names; udata's are
    the API's, ``owner`` and ``organization``."""
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    view = make_dataset(catalog, alice, title="Moving")
    moved = client.put(f"{DATASETS}{view.dataset.id}/", json={"organization": org.id}, headers=alice.headers)
    assert moved.status_code == 200
    updated = _stream(client, f"related_to={view.dataset.id}&key=dataset:updated")["data"][0]
    assert updated["changes"] == ["owner", "organization"]
    assert set(updated["extras"]["diff"]) >= {"owner", "organization"}
