"""Badges, featured and followers (udata: udata/core/dataset/api.py, udata: udata/core/badges/api.py, udata: udata/core/followers/api.py)."""

import json
import threading
from pathlib import Path

import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog import curation
from opencat.catalog.context import Catalog
from opencat.catalog.imports import load_fixtures
from opencat.db import datasets as db_datasets
from opencat.db.tables import datasets
from tests.factories import make_dataset, make_org, make_user


def test_badges_are_sysadmin_only_and_filterable(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    dataset = make_dataset(catalog, alice, organization=org.id).dataset
    admin = make_user(catalog, sysadmin=True)
    url = f"/api/1/datasets/{dataset.id}/badges/"
    assert client.get("/api/1/datasets/badges/").json()["spd"] == "Reference data public service"
    assert client.post(url, json={"kind": "spd"}, headers=alice.headers).status_code == 403
    assert client.post(url, json={"kind": "spd"}).status_code == 401
    created = client.post(url, json={"kind": "spd"}, headers=admin.headers)
    assert (created.status_code, created.json()) == (201, {"kind": "spd"})
    again = client.post(url, json={"kind": "spd"}, headers=admin.headers)
    assert (again.status_code, again.json()) == (200, {"kind": "spd"})
    unknown = client.post(url, json={"kind": "nope"}, headers=admin.headers)
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"errors": {}, "message": "Unknown badge type for Dataset: nope"},
    )
    assert client.get(f"/api/1/datasets/{dataset.id}/").json()["badges"] == [{"kind": "spd"}]
    assert [item["id"] for item in client.get("/api/1/datasets/?badge=spd").json()["data"]] == [dataset.id]
    assert client.get("/api/1/datasets/?badge=nope").json() == {
        "errors": {"badge": "The value 'nope' is not a valid choice for 'badge'."},
        "message": "Input payload validation failed",
    }
    assert client.delete(f"{url}spd/", headers=admin.headers).status_code == 204
    missing = client.delete(f"{url}spd/", headers=admin.headers)
    assert (missing.status_code, missing.json()) == (404, {"message": "Badge does not exists"})
    assert client.get("/api/1/datasets/?badge=spd").json()["total"] == 0


def test_featured_is_sysadmin_only_and_filterable(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice).dataset
    make_dataset(catalog, alice)
    admin = make_user(catalog, sysadmin=True)
    url = f"/api/1/datasets/{dataset.id}/featured/"
    assert client.post(url, headers=alice.headers).json() == {
        "message": "You do not have the permission to modify that object."
    }
    featured = client.post(url, headers=admin.headers)
    assert (featured.status_code, featured.json()["featured"]) == (200, True)
    assert client.post(url, headers=admin.headers).json()["featured"] is True
    assert [item["id"] for item in client.get("/api/1/datasets/?featured=true").json()["data"]] == [
        dataset.id
    ]
    assert client.get("/api/1/datasets/?featured=false").json()["total"] == 1
    assert client.get("/api/1/datasets/?featured=maybe").status_code == 400
    assert client.delete(url, headers=admin.headers).json()["featured"] is False


def test_follow_unfollow_and_list(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, alice, title="Suivi").dataset
    url = f"/api/1/datasets/{dataset.id}/followers/"
    assert client.post(url).status_code == 401
    assert client.get(f"/api/1/datasets/{dataset.id}/").json()["metrics"]["followers_by_months"] == 0
    first = client.post(url, headers=bob.headers)
    assert (first.status_code, first.json()) == (201, {"followers": 1})
    again = client.post(url, headers=bob.headers)
    assert (again.status_code, again.json()) == (200, {"followers": 1})
    assert client.post("/api/1/datasets/suivi/followers/", headers=bob.headers).status_code == 404  # ids only
    listed = client.get("/api/1/datasets/suivi/followers/").json()
    assert listed["total"] == 1
    assert listed["data"][0]["follower"]["id"] == bob.user.id
    assert set(listed["data"][0]) == {"id", "follower", "since"}
    assert client.get(f"{url}?user={alice.user.id}").json()["total"] == 0
    assert client.get(f"{url}?user=nope").status_code == 404
    assert client.get(f"{url}?user=").json()["total"] == 1  # empty: no filter (udata's ``if``)
    metrics = client.get(f"/api/1/datasets/{dataset.id}/").json()["metrics"]
    assert metrics["followers"] == 1
    by_months = metrics["followers_by_months"]
    this_month = catalog.clock().strftime("%Y-%m")
    assert len(by_months) == 13
    assert list(by_months)[-1] == this_month
    assert by_months == {**dict.fromkeys(by_months, 0), this_month: 1}
    assert [
        item["id"] for item in client.get(f"/api/1/datasets/?followed_by={bob.user.id}").json()["data"]
    ] == [dataset.id]
    assert client.get("/api/1/datasets/?followed_by=nope").status_code == 400
    assert client.delete(url, headers=bob.headers).json() == {"followers": 0}
    not_following = client.delete(url, headers=bob.headers)
    # udata's Follow.objects.get_or_404: werkzeug's own words, as for an unknown URL
    assert (not_following.status_code, not_following.json()) == (404, client.get("/api/1/nope/").json())
    after = client.get(f"/api/2/datasets/{dataset.id}/").json()["metrics"]["followers_by_months"]
    assert after == dict.fromkeys(by_months, 0)  # udata's stock counts active follows only
    assert client.get(f"/api/1/datasets/?followed_by={bob.user.id}").json()["total"] == 0


def test_a_private_datasets_followers_are_its_readers_business(client: TestClient, catalog: Catalog) -> None:
    """udata has no visibility check here: its followers answered 200 for a private dataset whose
    page answered 404 (a probe of which private datasets exist), and anyone could follow it."""
    owner, stranger, fan = make_user(catalog), make_user(catalog), make_user(catalog)
    view = make_dataset(catalog, owner, title="Hidden plans")
    url = f"/api/1/datasets/{view.dataset.id}/followers/"
    assert client.post(url, headers=fan.headers).status_code == 201
    client.put(f"/api/1/datasets/{view.dataset.id}/", json={"private": True}, headers=owner.headers)
    for who in ({}, stranger.headers):
        assert client.get(url, headers=who).status_code == 404
        assert client.get(f"/api/1/datasets/{view.dataset.slug}/followers/", headers=who).status_code == 404
    assert client.post(url, headers=stranger.headers).status_code == 404
    # Leaving it says what leaving an unknown id says: "not following" would confirm the id.
    unknown = client.delete(f"/api/1/datasets/{'0' * 24}/followers/", headers=stranger.headers)
    left = client.delete(url, headers=stranger.headers)
    assert unknown.status_code == 404
    assert (left.status_code, left.json()) == (404, unknown.json())
    listed = client.get(url, headers=owner.headers)
    assert (listed.status_code, listed.json()["total"]) == (200, 1)
    assert client.delete(url, headers=fan.headers).status_code == 200  # a follower may still leave


def test_follower_count_is_exact_under_concurrent_follows(catalog: Catalog) -> None:
    dataset = make_dataset(catalog, make_user(catalog)).dataset
    users = [make_user(catalog) for _ in range(12)]
    actors = [user.actor(catalog) for user in users]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            curation.follow(catalog, actors[index], dataset.id)
            curation.follow(catalog, actors[index], dataset.id)  # a double click
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    count, _ = curation.follow(catalog, actors[0], dataset.id)
    assert count == len(users)
    with catalog.db.read() as conn:  # the monthly stock is recounted under the same row lock
        series = db_datasets.find_by_id(conn, dataset.id)
    assert series is not None
    assert series.followers_by_months is not None
    assert list(series.followers_by_months.values())[-1] == len(users)


def test_sort_by_followers(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    quiet = make_dataset(catalog, alice).dataset
    popular = make_dataset(catalog, alice).dataset
    for _ in range(2):
        follower = make_user(catalog)
        client.post(f"/api/1/datasets/{popular.id}/followers/", headers=follower.headers)
    ids = [item["id"] for item in client.get("/api/1/datasets/?sort=-followers").json()["data"]]
    assert ids == [popular.id, quiet.id]


def test_a_document_loaded_again_never_counts_fewer_than_the_follows_made_here(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """A dataset's document (followers 0) loaded again after two follows here set the count to 0,
    and the two unfollows then took it to -2."""
    owner, first, second = make_user(catalog), make_user(catalog), make_user(catalog)
    view = make_dataset(catalog, owner)
    url = f"/api/1/datasets/{view.dataset.id}/followers/"
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps([client.get(f"/api/1/datasets/{view.dataset.id}/").json()]))
    for follower in (first, second):
        assert client.post(url, headers=follower.headers).json() == {
            "followers": 2 if follower is second else 1
        }
    load_fixtures(catalog, fixture)
    assert client.get(f"/api/1/datasets/{view.dataset.id}/").json()["metrics"]["followers"] == 2
    assert [client.delete(url, headers=f.headers).json()["followers"] for f in (first, second)] == [1, 0]
    # a document counting more (udata's follows, before a migration) keeps its count, and the
    # unfollows of people who follow here no more never take it below zero
    doc = client.get(f"/api/1/datasets/{view.dataset.id}/").json()
    fixture.write_text(json.dumps([{**doc, "metrics": {**doc["metrics"], "followers": 5}}]))
    load_fixtures(catalog, fixture)
    assert client.get(f"/api/1/datasets/{view.dataset.id}/").json()["metrics"]["followers"] == 5
    assert client.post(url, headers=first.headers).json() == {"followers": 6}
    with catalog.db.write() as conn:  # a count however it came to be lower than the follows
        conn.execute(sa.update(datasets).where(datasets.c.id == view.dataset.id).values(followers=0))
    assert client.delete(url, headers=first.headers).json() == {"followers": 0}  # not -1
