"""API v2's extras endpoints, as udata answers them (udata: udata/core/dataset/apiv2.py,
DatasetExtrasAPI and ResourceExtrasAPI): a merge where null removes a key, removal by key,
udata's order of refusals, and the dataset's revision moved by a change and only by one."""

from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from opencat.catalog import datasets as catalog_datasets
from opencat.catalog.context import Catalog
from tests.factories import Account, make_dataset, make_org, make_user

REMOTE = {"title": "r", "url": "https://example.org/r.csv", "filetype": "remote"}


def _extras_url(dataset_id: str) -> str:
    return f"/api/2/datasets/{dataset_id}/extras/"


def _resource_extras_url(dataset_id: str, resource_id: str) -> str:
    return f"/api/2/datasets/{dataset_id}/resources/{resource_id}/extras/"


def _delete(client: TestClient, url: str, body: Any, account: Account | None = None, **headers: str) -> Any:
    sent = {"Content-Type": "application/json", **headers, **(account.headers if account else {})}
    return client.request("DELETE", url, content=_json(body), headers=sent)


def _json(body: Any) -> bytes:
    return body if isinstance(body, bytes) else orjson.dumps(body)


def _etag(client: TestClient, dataset_id: str) -> str:
    return client.get(f"/api/1/datasets/{dataset_id}/").headers["etag"]


def test_a_dataset_extras_merge_removes_null_keys_and_keeps_the_rest(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice, extras={"keep": 1, "drop": "x", "change": "old"}).dataset
    url = _extras_url(dataset.id)
    assert client.get(url).json() == {"keep": 1, "drop": "x", "change": "old"}

    updated = client.put(
        url,
        json={"drop": None, "change": "new", "added": [1, {"a": True}], "absent": None},
        headers=alice.headers,
    )

    assert updated.status_code == 200
    assert updated.json() == {"keep": 1, "change": "new", "added": [1, {"a": True}]}
    assert list(updated.json()) == ["keep", "change", "added"]  # stored order, then the new keys
    assert client.get(f"/api/1/datasets/{dataset.id}/").json()["extras"] == updated.json()
    assert client.get(url).json() == updated.json()


def test_a_dataset_extras_change_moves_the_etag_but_not_the_modification_date(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice).dataset
    before = client.get(f"/api/1/datasets/{dataset.id}/").json()
    etag = _etag(client, dataset.id)

    assert client.put(_extras_url(dataset.id), json={"k": "v"}, headers=alice.headers).status_code == 200

    after = client.get(f"/api/1/datasets/{dataset.id}/", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["last_modified"] == before["last_modified"]
    assert after.json()["internal"] == before["internal"]
    # Sending the same values again changes nothing, not even the ETag.
    moved = after.headers["etag"]
    assert client.put(
        _extras_url(dataset.id), json={"k": "v", "gone": None}, headers=alice.headers
    ).json() == {"k": "v"}
    assert _etag(client, dataset.id) == moved


def test_a_dataset_extras_change_is_in_its_history(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice).dataset
    client.put(_extras_url(dataset.id), json={"k": "v"}, headers=alice.headers)
    activities = client.get("/api/1/activity/", params={"related_to": dataset.id}).json()["data"]
    newest = activities[0]
    assert (newest["key"], newest["changes"]) == ("dataset:updated", ["extras"])


def test_dataset_extras_are_removed_by_key_unknown_keys_ignored(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice, extras={"a": 1, "b": 2}).dataset
    removed = _delete(client, _extras_url(dataset.id), ["a", "unknown", 3], alice)
    assert (removed.status_code, removed.content) == (204, b"")
    assert client.get(_extras_url(dataset.id)).json() == {"b": 2}


@pytest.mark.parametrize("body", [[], "text", 1, None])
def test_a_dataset_extras_update_needs_an_object(client: TestClient, catalog: Catalog, body: Any) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice, extras={"a": 1}).dataset
    response = client.put(
        _extras_url(dataset.id),
        content=_json(body),
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()) == (
        400,
        {"message": "Wrong payload format, dict expected"},
    )
    assert client.get(_extras_url(dataset.id)).json() == {"a": 1}


@pytest.mark.parametrize("body", [{}, "a", {"a": None}])
def test_a_dataset_extras_removal_needs_a_list(client: TestClient, catalog: Catalog, body: Any) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice, extras={"a": 1}).dataset
    response = _delete(client, _extras_url(dataset.id), body, alice)
    assert (response.status_code, response.json()) == (
        400,
        {"message": "Wrong payload format, list expected"},
    )
    assert client.get(_extras_url(dataset.id)).json() == {"a": 1}


def test_bodies_that_are_not_json_are_refused_as_flask_refuses_them(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice).dataset
    url = _extras_url(dataset.id)
    plain = client.put(url, content=b'{"a": 1}', headers={**alice.headers, "Content-Type": "text/plain"})
    assert plain.status_code == 415
    assert plain.json() == {
        "message": "Did not attempt to load JSON data because the request Content-Type was not 'application/json'."
    }
    broken = client.put(url, content=b"{nope", headers={**alice.headers, "Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("Failed to decode JSON object")
    # A vendor type ending in +json is JSON to werkzeug.
    vendor = client.put(
        url, content=b'{"a": 1}', headers={**alice.headers, "Content-Type": "application/merge-patch+json"}
    )
    assert (vendor.status_code, vendor.json()) == (200, {"a": 1})


def test_refusals_come_in_udatas_order(client: TestClient, catalog: Catalog) -> None:
    alice, mallory = make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, alice, extras={"a": 1}).dataset
    url = _extras_url(dataset.id)
    # 401 before anything else, 404 for an unknown dataset before the body's 400.
    assert client.put(url, json=[]).status_code == 401
    assert client.put(_extras_url("5" * 24), json=[], headers=alice.headers).status_code == 404
    # The body's 400 before 403: udata reads the payload first.
    assert client.put(url, json=[], headers=mallory.headers).status_code == 400
    assert client.put(url, json={"a": 2}, headers=mallory.headers).status_code == 403
    assert _delete(client, url, ["a"], mallory).status_code == 403
    assert client.get(url).json() == {"a": 1}


def test_a_deleted_dataset_answers_410_to_reads_and_edits(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice, extras={"a": 1}).dataset
    catalog_datasets.delete_dataset(catalog, alice.actor(catalog), dataset.id)
    url = _extras_url(dataset.id)
    assert client.get(url).status_code == 410
    gone = client.put(url, json={"a": 2}, headers=alice.headers)
    assert (gone.status_code, gone.json()) == (410, {"message": "Dataset has been deleted"})
    assert _delete(client, url, ["a"], alice).status_code == 410


def test_a_private_datasets_extras_are_for_its_editors_only(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice, private=True, extras={"secret": 1}).dataset
    assert client.get(_extras_url(dataset.id)).status_code == 404
    assert client.get(_extras_url(dataset.id), headers=alice.headers).json() == {"secret": 1}


def test_undeclared_custom_extras_are_refused_as_in_a_dataset_update(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    dataset = make_dataset(catalog, alice, organization=org.id).dataset
    response = client.put(_extras_url(dataset.id), json={"custom:key": "v"}, headers=alice.headers)
    message = "Dataset's organization did not define the requested custom metadata."
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"__all__": message},
        "message": f"ValidationError (Dataset:{dataset.id}) ({message}: ['__all__'])",
    }
    assert client.get(_extras_url(dataset.id)).json() == {}


def _with_resource(client: TestClient, catalog: Catalog, extras: dict[str, Any]) -> tuple[Account, str, str]:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice).dataset
    created = client.post(
        f"/api/1/datasets/{dataset.id}/resources/", json={**REMOTE, "extras": extras}, headers=alice.headers
    )
    assert created.status_code == 201
    return alice, dataset.id, created.json()["id"]


def test_a_resource_extras_merge(client: TestClient, catalog: Catalog) -> None:
    alice, dataset_id, resource_id = _with_resource(client, catalog, {"keep": 1, "drop": 2})
    url = _resource_extras_url(dataset_id, resource_id)
    before = client.get(f"/api/1/datasets/{dataset_id}/resources/{resource_id}/").json()
    etag = _etag(client, dataset_id)

    updated = client.put(
        url, json={"drop": None, "check:available": False, "check:status": 404}, headers=alice.headers
    )

    assert (updated.status_code, updated.json()) == (
        200,
        {"keep": 1, "check:available": False, "check:status": 404},
    )
    assert client.get(url).json() == updated.json()
    after = client.get(f"/api/1/datasets/{dataset_id}/resources/{resource_id}/").json()
    assert after["extras"] == updated.json()
    assert after["last_modified"] == before["last_modified"]
    assert after["internal"] == before["internal"]
    assert _etag(client, dataset_id) != etag  # the dataset's answer embeds its resources


@pytest.mark.parametrize(
    ("sent", "errors"),
    [
        ({"check:available": "yes"}, {"check:available": "BooleanField only accepts boolean values"}),
        ({"check:status": "abc"}, {"check:status": "abc could not be converted to int"}),
        ({"check:status": [1]}, {"check:status": "[1] could not be converted to int"}),
        # What the v1 API refuses, so that the dataset that carries it can be sent back through v1.
        ({"check:status": True}, {"check:status": "True could not be converted to int"}),
        ({"check:status": 2**63}, {"check:status": "9223372036854775808 could not be converted to int"}),
        ({"check:status": 1e300}, {"check:status": "1e+300 could not be converted to int"}),
        ({"check:date": "not a date"}, {"check:date": 'cannot parse date "not a date"'}),
        ({"check:date": 3}, {"check:date": 'cannot parse date "3"'}),
    ],
)
def test_a_resource_extras_typed_keys_are_checked(
    client: TestClient, catalog: Catalog, sent: dict[str, Any], errors: dict[str, str]
) -> None:
    alice, dataset_id, resource_id = _with_resource(client, catalog, {"a": 1})
    url = _resource_extras_url(dataset_id, resource_id)
    response = client.put(url, json=sent, headers=alice.headers)
    assert (response.status_code, response.json()) == (
        400,
        {"errors": errors, "message": "Unsupported types"},
    )
    assert client.get(url).json() == {"a": 1}


def test_a_resource_extras_typed_keys_take_what_mongoengine_takes(
    client: TestClient, catalog: Catalog
) -> None:
    alice, dataset_id, resource_id = _with_resource(client, catalog, {})
    sent = {"check:status": "200", "check:date": "2024-06-01T10:00:00+00:00", "check:available": True}
    response = client.put(_resource_extras_url(dataset_id, resource_id), json=sent, headers=alice.headers)
    # The date kept as the v1 API keeps it, as udata's reads say a date MongoDB stored.
    assert (response.status_code, response.json()) == (200, {**sent, "check:date": "2024-06-01T10:00:00"})
    for spelling in ("2024-01-01T00:30:00.123456+01:00", "Sat, 01 Jun 2024 10:00:00 GMT"):
        client.put(
            _resource_extras_url(dataset_id, resource_id),
            json={"check:date": spelling},
            headers=alice.headers,
        )
        stored = client.get(f"/api/1/datasets/{dataset_id}/resources/{resource_id}/").json()["extras"][
            "check:date"
        ]
        assert stored == {"2": "2023-12-31T23:30:00.123000", "S": "2024-06-01T10:00:00"}[spelling[0]]


def test_a_resource_extras_removal_is_all_or_nothing(client: TestClient, catalog: Catalog) -> None:
    alice, dataset_id, resource_id = _with_resource(client, catalog, {"a": 1, "b": 2})
    url = _resource_extras_url(dataset_id, resource_id)
    for keys in (["a", "nope"], ["a", "a"]):
        missing = _delete(client, url, keys, alice)
        assert (missing.status_code, missing.json()) == (404, {"message": "Key not found in existing extras"})
    assert client.get(url).json() == {"a": 1, "b": 2}
    removed = _delete(client, url, ["a"], alice)
    assert (removed.status_code, removed.content) == (204, b"")
    assert client.get(url).json() == {"b": 2}


def test_a_resource_extras_unknown_resource_and_permissions(client: TestClient, catalog: Catalog) -> None:
    alice, dataset_id, resource_id = _with_resource(client, catalog, {"a": 1})
    mallory = make_user(catalog)
    unknown = _resource_extras_url(dataset_id, "00000000-0000-4000-8000-000000000000")
    assert client.get(unknown).json() == {"message": "Resource does not exist"}
    assert client.put(unknown, json={"a": 2}, headers=alice.headers).status_code == 404
    url = _resource_extras_url(dataset_id, resource_id)
    assert client.put(url, json={"a": 2}).status_code == 401
    assert client.put(url, json={"a": 2}, headers=mallory.headers).status_code == 403
    assert _delete(client, url, {"a": 1}, alice).json() == {"message": "Wrong payload format, list expected"}
    assert client.get(url).json() == {"a": 1}


def test_a_fields_mask_leaves_the_extras_whole(client: TestClient, catalog: Catalog) -> None:
    """flask-restx masks only what it marshals: udata sends the extras dict whole."""
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice, extras={"a": 1, "b": 2}).dataset
    masked = {"X-Fields": "a", **alice.headers}
    assert client.get(_extras_url(dataset.id), headers=masked).json() == {"a": 1, "b": 2}
    assert client.put(_extras_url(dataset.id), json={"c": 3}, headers=masked).json() == {
        "a": 1,
        "b": 2,
        "c": 3,
    }
    # A marshalled answer still takes it.
    assert client.get(f"/api/1/datasets/{dataset.id}/", headers={"X-Fields": "id"}).json() == {
        "id": dataset.id
    }


def test_a_status_loaded_as_udata_took_it_does_not_stop_other_extras(
    client: TestClient, catalog: Catalog
) -> None:
    """A ``true`` status, which MongoEngine's IntField takes, stored by an import: the new check
    of what v2 writes made every later write of the resource's other extras a 400."""
    import sqlalchemy as sa

    from opencat.db.tables import resources

    alice, dataset_id, resource_id = _with_resource(client, catalog, {"a": 1})
    with catalog.db.write() as conn:
        doc = conn.execute(sa.select(resources.c.doc).where(resources.c.id == resource_id)).scalar_one()
        conn.execute(
            sa.update(resources)
            .where(resources.c.id == resource_id)
            .values(doc={**doc, "extras": {"a": 1, "check:status": True}})
        )
    url = _resource_extras_url(dataset_id, resource_id)
    kept = client.put(url, json={"b": 2}, headers=alice.headers)
    assert (kept.status_code, kept.json()) == (200, {"a": 1, "check:status": True, "b": 2})
    sent = client.put(url, json={"check:status": True}, headers=alice.headers)  # sent again: v1's rule
    assert sent.status_code == 200  # the same value as stored: kept as udata keeps it
    refused = client.put(url, json={"check:status": False}, headers=alice.headers)
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"check:status": "False could not be converted to int"},
    )
