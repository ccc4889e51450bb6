"""Hostile input never yields a 500 nor leaves anything half-written."""

import asyncio
import json
from typing import Any
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.db.tables import organizations
from tests.factories import make_dataset, make_org, make_user

ATOM = "{http://www.w3.org/2005/Atom}"

URL = "/api/1/datasets/"


@pytest.mark.parametrize(
    "path",
    [
        "/api/1/datasets/a%00b/",
        "/api/1/datasets/" + "x" * 5000 + "/",
        "/api/1/datasets/%E2%80%AE%F0%9F%98%80/",
        "/api/1/datasets/..%2F..%2Fetc%2Fpasswd/",
        "/api/1/organizations/%00/",
        "/api/1/users/%00/",
    ],
)
def test_odd_identifiers_are_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_nul_in_the_paths_of_files_and_uploads_is_404(client: TestClient, catalog: Catalog) -> None:
    """These routes stream their bodies outside the JSON adapter, which refused NUL for the
    others: PostgreSQL refused it mid-query (a 500)."""
    owner = make_user(catalog)
    assert client.get("/resources/a%00b").status_code == 404
    for path in (
        "/api/1/datasets/a%00b/upload/",
        "/api/1/datasets/a%00b/upload/community/",
        "/api/1/datasets/a%00b/resources/00000000-0000-4000-8000-000000000000/upload/",
    ):
        answer = client.post(path, files={"file": ("a.csv", b"a\n")}, headers=owner.headers)
        assert answer.status_code == 404, path


@pytest.mark.parametrize(
    "query",
    ["tag=%00", "license=a%00", "page=99999999999999999999", "page_size=100000", "sort=%00", "q=%00"],
)
def test_odd_arguments_are_400(client: TestClient, query: str) -> None:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    "body",
    [
        {"title": "a\u0000b", "description": "d"},
        {"title": "t", "description": "d", "extras": {"k\u0000": 1}},
        {"title": "t", "description": "d", "frequency_date": "9999-12-31T23:00:00-05:00"},
        {"title": "t", "description": "d", "deleted": "not a date"},
        {"title": "t", "description": "d", "temporal_coverage": {"start": 2020}},
        {"title": "t", "description": "d", "temporal_coverage": {"start": "2020-13-45"}},
        {"title": "t", "description": "d", "temporal_coverage": "garbage"},
        {"title": "t", "description": "d", "spatial": {"granularity": "nowhere"}},
        {"title": "t", "description": "d", "spatial": {"geom": {"type": "Point"}}},
        {
            "title": "t",
            "description": "d",
            "spatial": {"zones": ["fr:departement:13"], "geom": {"type": "MultiPolygon"}},
        },
        {"title": "t", "description": "d", "resources": {"title": "not a list"}},
        {"title": "t", "description": "d", "resources": None},
        {"title": "t", "description": "d", "resources": [{"title": "r", "url": "javascript:alert(1)"}]},
        {
            "title": "t",
            "description": "d",
            "resources": [{"title": "r", "url": "https://x.org", "filesize": "big"}],
        },
        {
            "title": "t",
            "description": "d",
            "resources": [
                {"title": "r", "url": "https://x.org", "checksum": {"type": "rot13", "value": "x"}}
            ],
        },
        {"title": "t", "description": "d", "contact_points": ["000000000000000000000000"]},
        {"title": "t", "description": "d", "access_audiences": [{"role": "private", "condition": "yes"}] * 2},
        {"title": "t", "description": "d", "organization": "not-an-id"},
        {"title": "t", "description": "d", "tags": [1, 2]},
        {"title": ["t"], "description": {"d": 1}},
    ],
)
def test_bad_bodies_are_400_and_write_nothing(
    client: TestClient, catalog: Catalog, body: dict[str, object]
) -> None:
    alice = make_user(catalog)
    response = client.post(URL, json=body, headers=alice.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert client.get(URL, headers=alice.headers).json()["total"] == 0


def test_failed_update_leaves_dataset_untouched(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, title="Stable", tags=("keep",))
    url = f"{URL}{view.dataset.id}/"
    before = client.get(url).json()
    bad = client.put(
        url,
        json={
            "title": "Changed",
            "resources": [{"title": "ok", "url": "https://x.org"}, {"title": "no url"}],
        },
        headers=alice.headers,
    )
    assert bad.status_code == 400
    assert client.get(url).json() == before


def test_deeply_nested_json_is_400(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = b'{"title": "t", "description": "d", "extras": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post(URL, content=body, headers={**alice.headers, "Content-Type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/1/datasets/?page=10000000&page_size=1000",
        "/api/1/datasets/?q=horaires&page=10000000&page_size=1000",
        "/api/1/site/catalog.ttl?page=10000000&page_size=1000",
    ],
)  # API v2's search refuses any page past 10,000 results first, as udata's (tests/api/test_v2.py)
def test_the_farthest_page_is_answered_without_sizing_anything_by_its_offset(
    client: TestClient, catalog: Catalog, path: str
) -> None:
    # An offset of 10^10 once made the index allocate its top-k heap for every skipped hit.
    make_dataset(catalog, make_user(catalog), title="Horaires")
    response = client.get(path)
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert response.json()["data"] == []
        assert response.json()["total"] == 1
    assert client.get("/api/1/site/catalog.ttl?page=10000001").status_code == 400


def test_coverage_of_any_year_is_indexed_and_filtered(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    created = []
    for start, end in (("1500-01-01", "9999-12-31"), ("2020-01-01", "2020-12-31")):
        body = {"title": start, "description": "d", "temporal_coverage": {"start": start, "end": end}}
        response = client.post("/api/1/datasets/", json=body, headers=alice.headers)
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])

    def found(bounds: str) -> list[str]:
        response = client.get(f"/api/1/datasets/?temporal_coverage={bounds}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["data"]]

    assert len(found("0001-01-01-9999-12-31")) == 2
    assert found("1400-01-01-1600-01-01") == [created[0]]
    assert found("1600-01-01-1700-01-01") == []
    with client.stream(
        "GET", "/api/1/site/catalog.nt?page_size=0&temporal_coverage=0001-01-01-9999-12-31"
    ) as r:
        assert r.status_code == 200
        assert b"".join(r.iter_bytes()).count(b"<http://www.w3.org/ns/dcat#Dataset>") == 2


def _scope(
    method: str, path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    """An HTTP request's ASGI scope, for what no HTTP client sends (a body cut short, raw bytes)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


def test_a_body_cut_short_is_a_400_not_a_500(client: TestClient, catalog: Catalog) -> None:
    follower = make_user(catalog)
    view = make_dataset(catalog, make_user(catalog))
    scope = _scope(
        "POST",
        f"/api/1/datasets/{view.dataset.id}/followers/",
        headers=[
            (b"content-type", b"application/json"),
            (b"content-length", b"100"),
            (b"x-api-key", follower.headers["X-API-KEY"].encode()),  # a caller's: the body is read
        ],
    )
    incoming = [{"type": "http.request", "body": b'{"kind"', "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    asyncio.run(client.app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 400


def test_the_feed_is_well_formed_whatever_the_text(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, "Org\x02", **{alice.user.id: "admin"})
    with catalog.db.write() as conn:  # a certified publisher's datasets appear at once
        conn.execute(organizations.update().where(organizations.c.id == org.id).values(badges=["certified"]))
    make_dataset(catalog, alice, organization=org.id, title="Contrôle\x01\x0bx", description="a\x08b\ufffe")
    for query in ("", "?q=%01", "?q=a%0Bb", "?q=x%EF%BF%BE"):
        response = client.get(f"/api/1/datasets/recent.atom{query}")
        assert response.status_code == 200
        feed = ElementTree.fromstring(response.content)  # well-formed
        if not query:
            assert feed.find(f"{ATOM}entry/{ATOM}title").text == "Contrôle??x"  # type: ignore[union-attr]


def test_a_format_longer_than_any_is_a_400_wherever_it_is_sent(client: TestClient, catalog: Catalog) -> None:
    """A format is stored in a bounded, indexed column: PostgreSQL refused a longer one with a 500."""
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, resources=[{"title": "r", "url": "https://example.org/r.csv"}])
    url = f"/api/1/datasets/{view.dataset.id}/"
    rid = view.resources[0].id
    long = "x" * 256
    remote = {"title": "t", "url": "https://example.org/t", "filetype": "remote", "format": long}
    refused = "Field cannot be longer than 255 characters."

    created = client.post(f"{url}resources/", json=remote, headers=alice.headers)
    assert created.status_code == 400, created.text
    assert created.json()["errors"] == {"format": [refused]}
    updated = client.put(f"{url}resources/{rid}/", json={"format": long}, headers=alice.headers)
    assert updated.status_code == 400, updated.text
    in_list = client.put(url, json={"resources": [{"id": rid}, remote]}, headers=alice.headers)
    assert in_list.status_code == 400, in_list.text
    assert in_list.json()["errors"] == {"resources": [{}, {"format": [refused]}]}
    new = client.post(
        "/api/1/datasets/",
        json={"title": "T", "description": "D", "resources": [remote]},
        headers=alice.headers,
    )
    assert new.status_code == 400, new.text

    body = client.get(url).json()
    assert [r["format"] for r in body["resources"]] == [None]
    fitting = client.post(f"{url}resources/", json={**remote, "format": "y" * 255}, headers=alice.headers)
    assert fitting.status_code == 201, fitting.text
    assert fitting.json()["format"] == "y" * 255


def test_emptying_a_listed_resources_title_or_url_is_reported_at_its_place(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    view = make_dataset(
        catalog,
        alice,
        resources=[
            {"title": "a", "url": "https://example.org/a"},
            {"title": "b", "url": "https://example.org/b"},
        ],
    )
    url = f"/api/1/datasets/{view.dataset.id}/"
    first, second = (resource.id for resource in view.resources)
    required = ["This field is required."]
    for sent, errors in (
        ({"id": second, "title": ""}, {"title": required}),
        ({"id": second, "url": None}, {"url": required}),
    ):
        for method in (client.put, client.patch):
            answer = method(url, json={"resources": [{"id": first}, sent]}, headers=alice.headers)
            assert answer.status_code == 400, answer.text
            assert answer.json()["errors"] == {"resources": [{}, errors]}
    assert [r["title"] for r in client.get(url).json()["resources"]] == ["a", "b"]


def test_digits_int_cannot_read_are_refused_not_a_500(client: TestClient, catalog: Catalog) -> None:
    """``"²".isdigit()`` holds but ``int("²")`` fails: the search page's ``page=²`` was a 500."""
    alice = make_user(catalog, sysadmin=True)
    view = make_dataset(catalog, alice)
    for path in ("/datasets/?page=%C2%B2", f"/datasets/{view.dataset.slug}/?page=%E2%91%A0"):
        assert client.get(path).status_code == 200, path
    stale = client.put(
        f"/api/1/datasets/{view.dataset.id}/",
        json={"acronym": "A"},
        headers={**alice.headers, "If-Match": '"x-²"'.encode("latin-1")},
    )
    assert stale.status_code == 412
    from opencat.domain.cron import parse_cron

    with pytest.raises(ValueError, match="is not a number"):
        parse_cron("² * * * *")


def test_numbers_longer_than_python_reads_are_refused_not_a_500(client: TestClient, catalog: Catalog) -> None:
    """``int`` refuses text of more than 4,300 digits (a ValueError): a hostile page or revision
    of 5,000 digits answered 500."""
    alice = make_user(catalog, sysadmin=True)
    view = make_dataset(catalog, alice)
    huge = "9" * 5000
    for path in (f"/api/1/datasets/?page={huge}", f"/api/2/datasets/search/?page={huge}"):
        assert client.get(path).status_code in (200, 400), path
    # the pages: past any page they show, the 404 that leads back to the first
    assert client.get(f"/datasets/?page={huge}").status_code == 404
    stale = client.put(
        f"/api/1/datasets/{view.dataset.id}/",
        json={"acronym": "A"},
        headers={**alice.headers, "If-Match": f'"{view.dataset.id}-{huge}"'},
    )
    assert stale.status_code == 412


def _answered(client: TestClient, scope: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages the app sends for a request of this scope and no body."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(client.app(scope, receive, send))  # type: ignore[arg-type]
    return sent


def _raw_get(client: TestClient, path: str, query: bytes) -> tuple[int, bytes]:
    """A GET whose query string is sent as these bytes (an HTTP client would encode them)."""
    sent = _answered(client, _scope("GET", path, query, [(b"accept", b"application/json")]))
    return sent[0]["status"], b"".join(message.get("body", b"") for message in sent[1:])


def test_unencoded_utf8_in_a_query_reads_as_utf8(client: TestClient, catalog: Catalog) -> None:
    """curl sends ``?q=données`` as it is typed: werkzeug (udata) reads those bytes as UTF-8;
    read as Latin-1 they were ``donnÃ©es``, which matched nothing."""
    make_dataset(catalog, make_user(catalog), title="Données de la Métropole")
    status, body = _raw_get(client, "/api/1/datasets/", "q=données&page_size=5".encode())
    assert status == 200
    assert [item["title"] for item in json.loads(body)["data"]] == ["Données de la Métropole"]
    status, body = _raw_get(client, "/api/1/datasets/suggest/", "q=Métropole".encode())
    assert (status, [item["title"] for item in json.loads(body)]) == (200, ["Données de la Métropole"])
    status, body = _raw_get(client, "/api/1/datasets/", b"tag=\xff\xfe")  # no UTF-8: replaced, not a 500
    assert (status, json.loads(body)["total"]) == (200, 0)
    status, _ = _raw_get(client, "/api/1/datasets/", b"q=\xc3\xa9\x00")
    assert status == 400  # NUL, however it came


def test_tags_and_extras_are_bounded(client: TestClient, catalog: Catalog) -> None:
    """udata has no bound: one PUT of 500,000 tags made a 12 MB dataset, in every list page holding it."""
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner, resources=[{"title": "r", "url": "https://example.org/r"}])
    url = f"{URL}{dataset.dataset.id}/"
    many_tags = [f"tag-{n}" for n in range(1001)]
    refused = client.put(url, json={"tags": many_tags}, headers=owner.headers)
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"tags": ["At most 1000 tags are allowed"]},
    )
    assert client.put(url, json={"tags": many_tags[:1000]}, headers=owner.headers).status_code == 200
    many_extras = {f"k{n}": n for n in range(1001)}
    refused = client.put(url, json={"extras": many_extras}, headers=owner.headers)
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"extras": ["At most 1000 extras are allowed"]},
    )
    # Grown by merges (API v2) as by a whole object.
    extras_url = f"/api/2/datasets/{dataset.dataset.id}/extras/"
    assert (
        client.put(extras_url, json={f"k{n}": n for n in range(1000)}, headers=owner.headers).status_code
        == 200
    )
    assert client.put(extras_url, json={"one-more": 1}, headers=owner.headers).status_code == 400
    resource = f"{url}resources/{dataset.resources[0].id}/"
    refused = client.put(resource, json={"extras": many_extras}, headers=owner.headers)
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"extras": ["At most 1000 extras are allowed"]},
    )
    assert client.get(url).json()["tags"] == sorted(many_tags[:1000])
    too_big = client.put(resource, json={"filesize": 2**64 - 1}, headers=owner.headers)
    assert too_big.status_code == 400  # served back as is, it broke int64 clients


def test_a_resources_extras_are_bounded_in_a_dataset_write_too(client: TestClient, catalog: Catalog) -> None:
    """The bound held on the resource's own routes; a dataset's POST or PUT bringing the resource
    took 200,000 extras (a 3 MB resource and as much history)."""
    owner = make_user(catalog)
    many = {f"k{n}": n for n in range(1001)}
    link = {"title": "r", "url": "https://example.org/r", "extras": many}
    body = {
        "title": "Extras",
        "description": "d",
        "resources": [{"title": "ok", "url": "https://example.org/ok"}, link],
    }
    refused = client.post(URL, json=body, headers=owner.headers)
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"resources": [{}, {"extras": ["At most 1000 extras are allowed"]}]},
    )
    dataset = make_dataset(catalog, owner, resources=[{"title": "r", "url": "https://example.org/r"}])
    url = f"{URL}{dataset.dataset.id}/"
    kept = {"id": dataset.resources[0].id, "title": "r", "url": "https://example.org/r"}
    refused = client.put(url, json={"resources": [link, kept]}, headers=owner.headers)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"resources": [{"extras": ["At most 1000 extras are allowed"]}, {}]}
    refused = client.put(url, json={"resources": [{**kept, "extras": many}]}, headers=owner.headers)
    assert refused.json()["errors"] == {"resources": [{"extras": ["At most 1000 extras are allowed"]}]}
    assert len(client.get(url).json()["resources"]) == 1


def test_extras_are_bounded_in_bytes_and_their_history_keeps_the_keys_changed(
    client: TestClient, catalog: Catalog
) -> None:
    """Merges of values up to the body's 10 MB made a 54 MB dataset, and each change of one key
    kept the whole extras twice in the history (a 324 MB page of activity)."""
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner)
    extras_url = f"/api/2/datasets/{dataset.dataset.id}/extras/"
    big = "x" * 600_000
    assert client.put(extras_url, json={"a": big}, headers=owner.headers).status_code == 200
    refused = client.put(extras_url, json={"b": big}, headers=owner.headers)
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"extras": ["Extras may hold at most 1000000 bytes of JSON"]},
    )
    url = f"{URL}{dataset.dataset.id}/"
    refused = client.put(url, json={"extras": {"a": big, "b": big}}, headers=owner.headers)
    assert refused.status_code == 400
    assert client.put(extras_url, json={"small": 1}, headers=owner.headers).status_code == 200
    history = client.get("/api/1/activity/", params={"related_to": dataset.dataset.id}).json()["data"]
    assert history[0]["extras"]["diff"]["extras"] == {"old": {"small": None}, "new": {"small": 1}}
    assert len(str(history[0])) < 10_000
    removed = client.request("DELETE", extras_url, json=["small"], headers=owner.headers)
    assert removed.status_code == 204, removed.text
    latest = client.get("/api/1/activity/", params={"related_to": dataset.dataset.id}).json()["data"][0]
    assert latest["extras"]["diff"]["extras"] == {"old": {"small": 1}, "new": {"small": None}}


def test_tags_and_extras_loaded_past_their_bound_stay_editable(client: TestClient, catalog: Catalog) -> None:
    """An import or a harvest may bring more: such a dataset is edited as long as it does not grow
    (the pages resend every tag with any change)."""
    from dataclasses import replace

    from opencat.catalog.resources import store_dataset

    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    tags = tuple(f"tag-{n:04}" for n in range(1100))
    with catalog.db.write() as conn:  # as a load of real data leaves it
        store_dataset(conn, replace(dataset, tags=tags, extras={f"k{n}": n for n in range(1100)}))
    url = f"{URL}{dataset.id}/"
    kept = client.put(url, json={"title": "Renamed", "tags": list(tags)}, headers=owner.headers)
    assert kept.status_code == 200, kept.text
    assert client.put(url, json={"tags": [*tags, "one-more"]}, headers=owner.headers).status_code == 400
    extras_url = f"/api/2/datasets/{dataset.id}/extras/"
    assert client.request("DELETE", extras_url, json=["k0"], headers=owner.headers).status_code == 204
    assert client.put(extras_url, json={"k1": None}, headers=owner.headers).status_code == 200
    assert client.put(extras_url, json={"new": 1, "k2": None}, headers=owner.headers).status_code == 200


def _ring(points: int) -> list[list[float]]:
    """A closed ring of ``points`` positions (GeoJSON: it ends where it starts)."""
    ring = [[2.0 + n * 1e-6, 48.0 + (n % 2) * 1e-3] for n in range(points - 1)]
    return [*ring, ring[0]]


def test_a_coverage_is_bounded_in_zones_and_geometry(client: TestClient, catalog: Catalog) -> None:
    """udata has no bound: one PUT of 400,000 zones made an 8 MB dataset (every list page holding
    it as big), and 400,000 unknown ones held a worker 14 s for a 9 MB refusal naming each."""
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner)
    url = f"{URL}{dataset.dataset.id}/"
    many = {"spatial": {"zones": ["fr:departement:13"] * 10_001}}
    refused = client.put(url, json=many, headers=owner.headers)
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"spatial": {"zones": ["At most 10000 zones are allowed"]}},
    )
    created = client.post(URL, json={"title": "t", "description": "d", **many}, headers=owner.headers)
    assert created.status_code == 400
    unknown = [f"xx:zone-{n:02}" for n in range(25)]
    refused = client.put(url, json={"spatial": {"zones": unknown}}, headers=owner.headers)
    said = ", ".join(unknown[:20])
    assert refused.json()["errors"] == {"spatial": {"zones": [f"Unknown geoid(s): {said} and 5 more"]}}
    heavy = {"type": "MultiPolygon", "coordinates": [[_ring(60_000)]]}  # ~1.3 MB of JSON
    refused = client.put(url, json={"spatial": {"geom": heavy}}, headers=owner.headers)
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"spatial": {"geom": ["A geometry may hold at most 1000000 bytes of JSON"]}},
    )
    light = {"type": "MultiPolygon", "coordinates": [[_ring(1_000)]]}
    assert client.put(url, json={"spatial": {"geom": light}}, headers=owner.headers).status_code == 200
    assert client.get(url).json()["spatial"]["geom"] == light


def test_a_coverage_loaded_past_its_bounds_stays_editable(client: TestClient, catalog: Catalog) -> None:
    """A harvest or a load of real data may bring a finer outline: the dataset is edited as long
    as its coverage does not grow (the pages send the zones again with any change)."""
    from dataclasses import replace

    from opencat.catalog.resources import store_dataset
    from opencat.domain.datasets import Spatial

    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    heavy = {"type": "MultiPolygon", "coordinates": [[_ring(60_000)]]}
    with catalog.db.write() as conn:
        store_dataset(conn, replace(dataset, spatial=Spatial(geom=heavy)))
    url = f"{URL}{dataset.id}/"
    kept = client.put(url, json={"title": "Renamed", "spatial": {"geom": heavy}}, headers=owner.headers)
    assert kept.status_code == 200, kept.text
    assert client.put(url, json={"description": "Again"}, headers=owner.headers).status_code == 200
    heavier = {"type": "MultiPolygon", "coordinates": [[_ring(60_100)]]}
    assert client.put(url, json={"spatial": {"geom": heavier}}, headers=owner.headers).status_code == 400
    assert client.get(url).json()["spatial"]["geom"] == heavy


def test_an_extras_key_starting_with_a_dollar_is_refused_as_udatas_model_refuses_it(
    client: TestClient, catalog: Catalog
) -> None:
    """MongoEngine's ``DictField`` refuses it (a catalog exported to udata, or harvested by it,
    failed on such a key); one loaded with it stays editable."""
    from dataclasses import replace

    from opencat.catalog.resources import store_dataset

    owner = make_user(catalog)
    view = make_dataset(catalog, owner, resources=[{"title": "r", "url": "https://example.org/r"}])
    said = {"extras": ['Invalid dictionary key name - keys may not startswith "$" characters']}
    for method, path, body in (
        ("PUT", f"{URL}{view.dataset.id}/", {"extras": {"$x": 1}}),
        ("PUT", f"/api/2/datasets/{view.dataset.id}/extras/", {"$x": 1}),
        ("PUT", f"{URL}{view.dataset.id}/resources/{view.resources[0].id}/", {"extras": {"$x": 1}}),
        ("PUT", f"/api/2/datasets/{view.dataset.id}/resources/{view.resources[0].id}/extras/", {"$x": 1}),
    ):
        refused = client.request(method, path, json=body, headers=owner.headers)
        assert (refused.status_code, refused.json().get("errors")) == (400, said), path
    nested = client.put(
        f"{URL}{view.dataset.id}/", json={"extras": {"a": {"b": {"$x": 1}}}}, headers=owner.headers
    )
    assert (nested.status_code, nested.json().get("errors")) == (400, said)  # MongoEngine looks inside
    assert client.get(f"{URL}{view.dataset.id}/").json()["extras"] == {}
    with catalog.db.write() as conn:  # as a load of documents leaves it
        store_dataset(conn, replace(view.dataset, extras={"$loaded": 1}))
    kept = client.put(
        f"{URL}{view.dataset.id}/", json={"title": "Again", "extras": {"$loaded": 2}}, headers=owner.headers
    )
    assert kept.status_code == 200, kept.text


def test_a_resource_has_one_address_as_werkzeugs_uuid_routes_give_it(
    client: TestClient, catalog: Catalog
) -> None:
    """``<uuid:rid>`` matches the dashed form only (any case): braces or no dashes answered the
    resource at several addresses (a cache keyed by the URL kept each)."""
    owner = make_user(catalog)
    view = make_dataset(catalog, owner, resources=[{"title": "r", "url": "https://example.org/r"}])
    rid = view.resources[0].id
    variants = {rid: 200, rid.upper(): 200, "{" + rid + "}": 404, rid.replace("-", ""): 404}
    for asked, status in variants.items():
        for path in (
            f"/api/2/datasets/resources/{asked}/",
            f"{URL}{view.dataset.id}/resources/{asked}/",
            f"/api/2/datasets/{view.dataset.id}/resources/{asked}/extras/",
        ):
            assert client.get(path).status_code == status, path
        assert client.get(f"/api/1/datasets/r/{asked}").status_code == (302 if status == 200 else 404)


def test_a_raw_utf8_path_without_its_slash_is_redirected_encoded_once(client: TestClient) -> None:
    """A client that sends UTF-8 unencoded: the Location held its bytes encoded twice (a 404)."""
    sent = _answered(client, _scope("GET", "/api/1/datasets/café-crème-1"))
    assert sent[0]["status"] == 308
    location = dict(sent[0]["headers"])[b"location"]
    assert location == b"http://testserver/api/1/datasets/caf%C3%A9-cr%C3%A8me-1/"
    assert client.get(location.decode().removeprefix("http://testserver")).status_code in (
        308,
        404,
    )  # the slug's own answer
