"""Concurrent clients against ``opencat serve --workers 2``: nothing lost, nothing duplicated, nothing
slow, nothing private leaked (issue 9). Every response of these tests must be below 500 (the ``api``
fixture checks each one it received; crowds are checked as they come back)."""

import random
import string
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest

from tests.local_http import serving
from tests.system.conftest import Account, Deployment
from tests.system.harness import Crowd, at_once, client, server_errors

# Listings answer in milliseconds; the bound only has to tell "answers" from "waits for a pool".
LISTING_BOUND_SECONDS = 5.0


def word() -> str:
    """A made-up word no other dataset contains, so that a search finds only this test's datasets."""
    return "zq" + "".join(random.choices(string.ascii_lowercase, k=10))


def no_server_errors(crowd: Crowd) -> None:
    errors = server_errors(crowd.outcomes)
    assert not errors, "server errors:\n" + "\n".join(errors)


def create(api: httpx2.Client, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": f"Dataset {word()}", "description": "Made by a system test", **fields}
    response = api.post("/api/1/datasets/", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def revision(etag: str) -> int:
    return int(etag.strip('"').partition("+")[0].rpartition("-")[2])


def test_if_match_lets_exactly_one_of_twenty_concurrent_writes_win(
    deployment: Deployment, api: httpx2.Client
) -> None:
    owner = deployment.new_user()
    dataset = create(api, owner)
    url = f"/api/1/datasets/{dataset['id']}/"
    etag = api.get(url).headers["ETag"]
    titles = [f"Title {index} {word()}" for index in range(20)]
    headers = {**owner.headers, "If-Match": etag}
    crowd = at_once(
        [lambda title=title: api.put(url, json={"title": title}, headers=headers) for title in titles]
    )
    no_server_errors(crowd)
    assert sorted(crowd.statuses) == [200] + [412] * 19, crowd.statuses
    winner = next(outcome for outcome in crowd.outcomes if outcome.status == 200)
    after = api.get(url)
    assert after.json()["title"] == titles[winner.index]
    assert revision(after.headers["ETag"]) == revision(etag) + 1


def test_concurrent_edits_of_different_fields_are_all_kept(
    deployment: Deployment, api: httpx2.Client
) -> None:
    owner = deployment.new_user()
    dataset = create(api, owner)
    url = f"/api/1/datasets/{dataset['id']}/"
    changes = {
        "title": f"Title {word()}",
        "description": f"Description {word()}",
        "acronym": "SYS",
        "frequency": "daily",
        "license": "odc-odbl",
        "tags": ["system-test"],
        "temporal_coverage": {"start": "2020-01-01", "end": "2020-12-31"},
    }
    crowd = at_once(
        [lambda name=name, value=value: api.put(url, json={name: value}, headers=owner.headers) for name, value in changes.items()]
    )  # fmt: skip
    no_server_errors(crowd)
    assert crowd.statuses == [200] * len(changes)
    stored = api.get(url).json()
    kept = {name: stored[name] for name in changes}
    assert kept["temporal_coverage"]["start"].startswith("2020-01-01")
    kept["temporal_coverage"] = changes["temporal_coverage"]
    assert kept == changes


def test_concurrent_resource_additions_are_all_kept(deployment: Deployment, api: httpx2.Client) -> None:
    owner = deployment.new_user()
    dataset = create(api, owner)
    url = f"/api/1/datasets/{dataset['id']}/resources/"
    titles = [f"Resource {index}" for index in range(20)]
    crowd = at_once(
        [
            lambda title=title: api.post(
                url,
                json={"title": title, "url": f"https://example.org/{title.replace(' ', '-')}.csv", "filetype": "remote"},
                headers=owner.headers,
            )
            for title in titles
        ]
    )  # fmt: skip
    no_server_errors(crowd)
    assert crowd.statuses == [201] * len(titles)
    stored = api.get(f"/api/1/datasets/{dataset['id']}/").json()["resources"]
    assert sorted(resource["title"] for resource in stored) == sorted(titles)


def test_concurrent_extras_edits_of_different_keys_are_all_kept(
    deployment: Deployment, api: httpx2.Client
) -> None:
    """API v2's extras merge is a read-modify-write: twenty at once on one dataset, and on one of
    its resources (the analysers' path), each setting a key of its own, must all land."""
    owner = deployment.new_user()
    dataset = create(api, owner, extras={"kept": 1})
    resource = api.post(
        f"/api/1/datasets/{dataset['id']}/resources/",
        json={"title": "r", "url": "https://example.org/r.csv", "filetype": "remote"},
        headers=owner.headers,
    ).json()
    urls = [
        f"/api/2/datasets/{dataset['id']}/extras/",
        f"/api/2/datasets/{dataset['id']}/resources/{resource['id']}/extras/",
    ]
    keys = [f"key-{index}" for index in range(20)]
    crowd = at_once(
        [lambda url=url, key=key: api.put(url, json={key: key}, headers=owner.headers) for url in urls for key in keys]
    )  # fmt: skip
    no_server_errors(crowd)
    assert crowd.statuses == [200] * len(urls) * len(keys)
    expected = {key: key for key in keys}
    assert api.get(urls[0]).json() == {"kept": 1, **expected}
    assert api.get(urls[1]).json() == expected


def test_forty_concurrent_creations_get_forty_distinct_ids(
    deployment: Deployment, api: httpx2.Client
) -> None:
    users = deployment.new_users(40)
    tag = word()
    crowd = at_once(
        [
            lambda user=user: api.post(
                "/api/1/datasets/",
                json={"title": f"Concurrent {word()}", "description": "x", "tags": [tag]},
                headers=user.headers,
            )
            for user in users
        ]
    )
    no_server_errors(crowd)
    assert crowd.statuses == [201] * 40, [
        outcome.json() for outcome in crowd.outcomes if outcome.status != 201
    ]
    ids = {outcome.json()["id"] for outcome in crowd.outcomes}
    assert len(ids) == 40
    listed = api.get("/api/1/datasets/", params={"tag": tag, "page_size": 100}).json()
    assert {item["id"] for item in listed["data"]} == ids


def test_thirty_concurrent_follows_count_thirty_then_zero(deployment: Deployment, api: httpx2.Client) -> None:
    dataset = create(api, deployment.new_user())
    url = f"/api/1/datasets/{dataset['id']}/followers/"
    users = deployment.new_users(30)
    follows = at_once([lambda user=user: api.post(url, headers=user.headers) for user in users])
    no_server_errors(follows)
    assert follows.statuses == [201] * 30, [outcome.body for outcome in follows.outcomes]
    assert api.get(f"/api/1/datasets/{dataset['id']}/").json()["metrics"]["followers"] == 30
    assert api.get(url, params={"page_size": 100}).json()["total"] == 30
    unfollows = at_once([lambda user=user: api.delete(url, headers=user.headers) for user in users])
    no_server_errors(unfollows)
    assert unfollows.statuses == [200] * 30, [outcome.body for outcome in unfollows.outcomes]
    assert api.get(f"/api/1/datasets/{dataset['id']}/").json()["metrics"]["followers"] == 0


def test_listings_right_after_a_burst_of_writes_answer_in_time_and_find_them(
    deployment: Deployment, api: httpx2.Client
) -> None:
    users = deployment.new_users(30)
    common = word()
    burst = at_once(
        [
            lambda user=user: api.post(
                "/api/1/datasets/", json={"title": f"Burst {common} {word()}", "description": "x"}, headers=user.headers
            )
            for user in users
        ]
    )  # fmt: skip
    no_server_errors(burst)
    assert burst.statuses == [201] * 30
    created = {outcome.json()["id"] for outcome in burst.outcomes}
    bound = LISTING_BOUND_SECONDS * 2  # a request waiting for a pool fails here, not after 30 s
    lists = [lambda: api.get("/api/1/datasets/", params={"page_size": 20}, timeout=bound) for _ in range(16)]
    searches = [
        lambda: api.get("/api/1/datasets/", params={"q": common, "page_size": 50}, timeout=bound)
        for _ in range(16)
    ]
    crowd = at_once([*lists, *searches])
    no_server_errors(crowd)
    assert crowd.statuses == [200] * 32
    assert crowd.slowest < LISTING_BOUND_SECONDS, sorted(round(o.seconds, 2) for o in crowd.outcomes)
    missing = [
        len(created - {item["id"] for item in outcome.json()["data"]}) for outcome in crowd.outcomes[16:]
    ]
    assert missing == [0] * 16, "datasets of the burst missing from each search"


def test_a_search_finds_every_dataset_created_before_it_through_either_worker(
    deployment: Deployment, api: httpx2.Client
) -> None:
    """A writer keeps creating while readers list and search, each request on a new connection
    (so it may reach either worker): each search must find every dataset whose creation had
    returned before the search was sent (read-your-writes across workers)."""
    owner = deployment.new_user()
    common = word()
    created: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    misses: list[str] = []
    slow: list[float] = []
    record: list[httpx2.Response] = []

    def writer(http: httpx2.Client) -> None:
        try:
            for _ in range(25):
                body = {"title": f"Live {common} {word()}", "description": "x"}
                response = http.post("/api/1/datasets/", json=body, headers=owner.headers)
                if response.status_code != 201:
                    break
                with lock:
                    created.append(response.json()["id"])
                # The writer's own next searches, whichever worker each one reaches.
                for _ in range(3):
                    found = http.get("/api/1/datasets/", params={"q": common, "page_size": 100})
                    if found.status_code != 200:
                        return
                    misses.extend(sorted(set(created) - {item["id"] for item in found.json()["data"]}))
        finally:
            stop.set()

    def reader(http: httpx2.Client, searching: bool) -> None:
        while not stop.is_set():
            with lock:
                known = set(created)
            started = time.monotonic()
            params: dict[str, Any] = {"q": common, "page_size": 100} if searching else {"page_size": 20}
            response = http.get("/api/1/datasets/", params=params, timeout=LISTING_BOUND_SECONDS * 2)
            slow.append(time.monotonic() - started)
            if response.status_code != 200:
                return
            if searching:
                found = {item["id"] for item in response.json()["data"]}
                misses.extend(sorted(known - found))

    with client(deployment.url, record, keepalive=False) as http:
        threads = [threading.Thread(target=writer, args=(http,))]
        threads += [threading.Thread(target=reader, args=(http, index % 3 != 0)) for index in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    errors = server_errors(record)
    assert not errors, "server errors:\n" + "\n".join(errors)
    assert {response.status_code for response in record} == {200, 201}
    assert len(created) == 25
    assert not misses, f"{len(set(misses))} datasets missing from a search sent after their creation"
    assert max(slow) < LISTING_BOUND_SECONDS


def _publish_formats(
    http: httpx2.Client, owner: Account, dataset_id: str, index: int, misses: list[str]
) -> None:
    """Resources of new formats, each looked for by its format as soon as it was added."""
    for round_ in range(5):
        fmt = f"f{index}x{round_}{word()[2:6]}"
        link = {"title": fmt, "url": f"https://example.org/{fmt}", "format": fmt, "filetype": "remote"}
        added = http.post(f"/api/1/datasets/{dataset_id}/resources/", json=link, headers=owner.headers)
        if added.status_code != 201:
            return
        found = http.get("/api/1/datasets/", params={"format": fmt})
        if [item["id"] for item in found.json()["data"]] != [dataset_id]:
            misses.append(f"format {fmt}")


def _follow_in_turn(
    http: httpx2.Client, fans: list[Account], datasets: list[str], tag: str, misses: list[str]
) -> None:
    """One follow at a time, each dataset by as many fans as ``DATASETS_FOLLOWED`` says: after
    each one, the followers' order is the counts' (no other follow runs meanwhile)."""
    counts = dict.fromkeys(datasets, 0)
    for rank, dataset_id in zip(DATASETS_FOLLOWED, datasets, strict=False):
        for fan in fans[:rank]:
            followed = http.post(f"/api/1/datasets/{dataset_id}/followers/", headers=fan.headers)
            counts[dataset_id] = followed.json()["followers"]
            ranked = http.get("/api/1/datasets/", params={"tag": tag, "sort": "-followers"}).json()["data"]
            shown = [(item["id"], item["metrics"]["followers"]) for item in ranked]
            ordered = [count for _, count in shown] == sorted(counts.values(), reverse=True)
            if not ordered or dict(shown) != counts:
                misses.append(f"followers: {shown} for {counts}")


def _list_by_tag(http: httpx2.Client, tag: str, size: int, going: threading.Event, misses: list[str]) -> None:
    while going.is_set():
        listed = http.get("/api/1/datasets/", params={"tag": tag, "page_size": 20})
        if listed.status_code != 200 or len(listed.json()["data"]) != size:
            misses.append(f"tag listing: {listed.status_code}")
            return


def test_resource_writes_and_follows_are_found_by_the_listings_that_read_them(
    deployment: Deployment, api: httpx2.Client
) -> None:
    """Resources and follows are logged with what they change for search, and listings that do
    not read it do not wait for the index: those that read it (a format filter, the followers'
    order) must still find each write as soon as it returned, through either worker, while other
    listings go on."""
    owner = deployment.new_user()
    fans = deployment.new_users(max(DATASETS_FOLLOWED))
    tag = word()
    datasets = [create(api, owner, title=f"Formats {tag} {n}", tags=[tag])["id"] for n in range(6)]
    going = threading.Event()
    going.set()
    misses: list[str] = []
    record: list[httpx2.Response] = []
    with client(deployment.url, record, keepalive=False) as http:
        readers = [
            threading.Thread(target=_list_by_tag, args=(http, tag, len(datasets), going, misses))
            for _ in range(3)
        ]
        writers = [
            threading.Thread(target=_publish_formats, args=(http, owner, dataset_id, n, misses))
            for n, dataset_id in enumerate(datasets)
        ]
        writers.append(threading.Thread(target=_follow_in_turn, args=(http, fans, datasets, tag, misses)))
        for thread in [*readers, *writers]:
            thread.start()
        for thread in writers:
            thread.join()
        going.clear()
        for thread in readers:
            thread.join()
    errors = server_errors(record)
    assert not errors, "server errors:\n" + "\n".join(errors)
    assert not misses, misses


# How many fans follow each of the test's datasets, in turn (the first ones most).
DATASETS_FOLLOWED = (5, 3, 4, 1)


@pytest.fixture(scope="module")
def private_data(deployment: Deployment) -> dict[str, Any]:
    """A private dataset with a remote resource and an uploaded file, and a public one beside it
    (what a listing must show, so that the absence of the private one means something)."""
    owner = deployment.new_user()
    tag = word()
    with httpx2.Client(base_url=deployment.url, timeout=30) as http:
        hidden = create(http, owner, title=f"Secret {tag}", private=True, tags=[tag])
        shown = create(http, owner, title=f"Public {tag}", tags=[tag])
        resources = f"/api/1/datasets/{hidden['id']}/resources/"
        remote = http.post(
            resources,
            json={"title": "remote", "url": "https://example.org/secret.csv", "filetype": "remote"},
            headers=owner.headers,
        )
        assert remote.status_code == 201, remote.text
        uploaded = http.post(
            f"/api/1/datasets/{hidden['id']}/upload/",
            files={"file": ("secret.csv", b"a,b\n1,2\n")},
            headers=owner.headers,
        )
        assert uploaded.status_code == 201, uploaded.text
    return {
        "owner": owner,
        "tag": tag,
        "hidden": hidden["id"],
        "shown": shown["id"],
        "remote": remote.json()["id"],
        "file": uploaded.json()["id"],
        "file_path": urlsplit(uploaded.json()["url"]).path,
    }


def test_no_worker_calls_a_stale_copy_current_while_writes_go_on(
    deployment: Deployment, api: httpx2.Client
) -> None:
    """Each write is followed at once by readers holding the copy before it, through either worker
    (both answer them before the stack: api/current_copies.py): none may get a 304, and readers
    holding no copy get the written revision, never a worker's kept answer from before it."""
    owner = deployment.new_user()
    dataset = create(api, owner)
    url = f"/api/1/datasets/{dataset['id']}/"
    tag = api.get(url).headers["ETag"]
    for round_number in range(15):
        written = api.put(url, json={"acronym": f"R{round_number}"}, headers=owner.headers)
        assert written.status_code == 200, written.text
        crowd = at_once([lambda held=tag: api.get(url, headers={"If-None-Match": held}) for _ in range(8)])
        no_server_errors(crowd)
        assert crowd.statuses == [200] * 8, crowd.statuses
        plain = at_once([lambda: api.get(url) for _ in range(8)])
        assert plain.statuses == [200] * 8, plain.statuses
        # The owner's answer names its representation too ("id-revision+clock.variant"); an
        # anonymous reader's is the version and the clock's stamp alone.
        tag = written.headers["ETag"].partition(".")[0].removesuffix('"') + '"'
        assert {outcome.headers["etag"] for outcome in plain.outcomes} == {tag}
        assert {outcome.json()["acronym"] for outcome in plain.outcomes} == {f"R{round_number}"}
        current = at_once([lambda held=tag: api.get(url, headers={"If-None-Match": held}) for _ in range(8)])
        assert current.statuses == [304] * 8, current.statuses


@pytest.mark.parametrize("caller", ["anonymous", "outsider"])
def test_private_stays_private_on_every_path(
    deployment: Deployment, api: httpx2.Client, private_data: dict[str, Any], caller: str
) -> None:
    data = private_data
    headers = deployment.new_user().headers if caller == "outsider" else {}
    hidden, rid, fid = data["hidden"], data["remote"], data["file"]
    refused = {
        "dataset": f"/api/1/datasets/{hidden}/",
        "resource": f"/api/1/datasets/{hidden}/resources/{rid}/",
        "permalink of the remote resource": f"/api/1/datasets/r/{rid}",
        "permalink of the file": f"/api/1/datasets/r/{fid}",
        "file": data["file_path"],
        "RDF": f"/api/1/datasets/{hidden}/rdf.ttl",
        "v2 dataset": f"/api/2/datasets/{hidden}/",
        "v2 resource": f"/api/2/datasets/resources/{rid}/",
        "v2 resource of the file": f"/api/2/datasets/resources/{fid}/",
    }
    leaks = []
    for name, path in refused.items():
        response = api.get(path, headers=headers)
        if response.status_code != 404:
            leaks.append(f"{name}: {response.status_code}")
    listings = {
        "list": ("/api/1/datasets/", {"tag": data["tag"]}),
        "search": ("/api/1/datasets/", {"q": data["tag"]}),
        "v2 search": ("/api/2/datasets/search/", {"q": data["tag"]}),
        "suggest": ("/api/1/datasets/suggest/", {"q": f"Secret {data['tag']}"}),
        "suggest the public one": ("/api/1/datasets/suggest/", {"q": f"Public {data['tag']}"}),
        "feed": ("/api/1/datasets/recent.atom", {"page_size": 100}),
        "filtered feed": ("/api/1/datasets/recent.atom", {"tag": data["tag"]}),
        "catalog page": ("/api/1/site/catalog.ttl", {"tag": data["tag"]}),
        "whole catalog": ("/api/1/site/catalog.ttl", {"page_size": 0}),
    }
    for name, (path, params) in listings.items():
        response = api.get(path, params=params, headers=headers)
        assert response.status_code == 200, (name, response.text)
        if name != "suggest":  # the public dataset is listed: the check below can fail
            assert data["shown"] in response.text, f"{name}: the public dataset is missing"
        if any(ident in response.text for ident in (hidden, rid, fid)):
            leaks.append(f"{name} lists the private dataset")
    # Nothing counted a download of the refused permalinks.
    seen = api.get(f"/api/1/datasets/{hidden}/", headers=data["owner"].headers).json()
    counted = [resource["metrics"].get("views", 0) for resource in seen["resources"]]
    if seen["metrics"].get("resources_downloads", 0) or any(counted):
        leaks.append(f"downloads counted: {seen['metrics']}, {counted}")
    assert not leaks


def test_the_owner_still_gets_private_data(api: httpx2.Client, private_data: dict[str, Any]) -> None:
    owner = private_data["owner"].headers
    assert api.get(f"/api/1/datasets/{private_data['hidden']}/", headers=owner).status_code == 200
    permalink = api.get(f"/api/1/datasets/r/{private_data['file']}", headers=owner)
    assert permalink.status_code == 302
    assert urlsplit(permalink.headers["location"]).path == private_data["file_path"]
    file = api.get(private_data["file_path"], headers=owner)
    assert (file.status_code, file.content) == (200, b"a,b\n1,2\n")


def test_an_invalid_key_is_refused_on_files_and_permalinks(
    api: httpx2.Client, private_data: dict[str, Any]
) -> None:
    """As on every other endpoint (udata: udata/api/__init__.py, authentication)."""
    bad = {"X-API-KEY": "opencat_not-a-key"}
    answers = {
        path: (response.status_code, response.text)
        for path in (f"/api/1/datasets/r/{private_data['file']}", private_data["file_path"])
        if (response := api.get(path, headers=bad))
    }
    assert answers == dict.fromkeys(answers, (401, '{"message":"Invalid API token"}'))


class _Target(BaseHTTPRequestHandler):
    hits = 0

    def _answer(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def link_target() -> Iterator[tuple[str, type[_Target]]]:
    """A local web site that counts the requests it receives."""
    handler = type("Target", (_Target,), {"hits": 0})
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        yield f"http://127.0.0.1:{server.server_port}/data.csv", handler


def _point_resource_at(deployment: Deployment, dataset_id: str, rid: str, url: str) -> None:
    """Loopback URLs are refused through the API: the test stores this one directly."""
    from dataclasses import replace

    from opencat.db import resources as db_resources

    with deployment.catalog.db.write() as conn:
        found = db_resources.find(conn, dataset_id, rid)
        assert found is not None
        db_resources.update_one(conn, replace(found, url=url), deployment.catalog.clock())


def test_anonymous_link_checks_neither_edit_the_dataset_nor_hammer_the_target(
    deployment: Deployment, api: httpx2.Client, link_target: tuple[str, type[_Target]]
) -> None:
    target_url, target = link_target
    owner = deployment.new_user()
    dataset = create(
        api, owner, resources=[{"title": "r", "url": "https://example.org/r.csv", "filetype": "remote"}]
    )
    rid = dataset["resources"][0]["id"]
    _point_resource_at(deployment, dataset["id"], rid, target_url)
    url = f"/api/1/datasets/{dataset['id']}/"
    etag = api.get(url).headers["ETag"]
    checks = [api.get(f"{url}resources/{rid}/check/") for _ in range(50)]
    assert {response.status_code for response in checks} <= {200, 429}, {r.status_code for r in checks}
    for response in checks:
        assert isinstance(response.json(), dict)
        if response.status_code == 429:
            assert "message" in response.json()
    assert (api.get(url).headers["ETag"], 1 <= target.hits < 50) == (etag, True), f"{target.hits} checks sent"
    edit = api.put(url, json={"title": f"Edited {word()}"}, headers={**owner.headers, "If-Match": etag})
    assert edit.status_code == 200, edit.text
