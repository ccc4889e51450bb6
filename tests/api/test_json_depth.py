"""JSON bodies nested too deeply are a 400 at decoding time, on every endpoint; what is accepted
(up to ``MAX_DEPTH`` levels) is stored, and read back everywhere it is served."""

import json
from pathlib import Path

import orjson
import pytest
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.imports import load_fixtures
from opencat.domain.documents import MAX_DEPTH, document_problem
from opencat.domain.errors import Invalid
from tests.factories import Account, make_dataset, make_user

URL = "/api/1/datasets/"
DECODE_ERROR = "Failed to decode JSON object"
TOO_DEEP = f"{DECODE_ERROR}: arrays and objects may not be nested more than {MAX_DEPTH} levels deep"


def nested(levels: int, kind: str) -> str:
    """JSON text of exactly ``levels`` nested arrays or objects."""
    if kind == "array":
        return "[" * levels + "]" * levels
    return '{"a":' * levels + "1" + "}" * levels


def _post(client: TestClient, url: str, body: str, account: Account) -> int:
    headers = {**account.headers, "Content-Type": "application/json"}
    response = client.post(url, content=body.encode(), headers=headers)
    return response.status_code


# Each endpoint's body, with the levels around the nested value counted: `{N}` is replaced by a
# value nested ``depth - around`` levels, so that the whole body nests ``depth`` levels.
ENDPOINTS = {
    "dataset extras": (
        "POST",
        "{datasets}",
        2,
        '{{"title": "t", "description": "d", "extras": {{"x": {N}}}}}',
    ),
    "dataset resource extras": (
        "POST",
        "{datasets}",
        4,
        '{{"title": "t", "description": "d", "resources": [{{"title": "r", "url": "https://example.org/r",'
        ' "extras": {{"x": {N}}}}}]}}',
    ),
    "dataset PUT extras": ("PUT", "{dataset}", 2, '{{"extras": {{"x": {N}}}}}'),
    "resource": (
        "POST",
        "{dataset}resources/",
        2,
        '{{"title": "r", "url": "https://example.org/r", "filetype": "remote", "extras": {{"x": {N}}}}}',
    ),
    "resource PUT": ("PUT", "{resource}", 2, '{{"extras": {{"x": {N}}}}}'),
    "reorder": ("PUT", "{dataset}resources/", 3, '[{{"id": "{rid}", "extras": {{"x": {N}}}}}]'),
    "community resource": (
        "POST",
        "{datasets}community_resources/",
        2,
        '{{"dataset": "{id}", "title": "c", "url": "https://example.org/c", "filetype": "remote",'
        ' "extras": {{"x": {N}}}}}',
    ),
    "badge": ("POST", "{dataset}badges/", 1, '{{"kind": {N}}}'),
    "bare array": ("POST", "{datasets}", 0, "{N}"),
}
ACCEPTED = {"badge": 400, "bare array": 400}  # valid JSON, refused for what it says, not its depth


def _send(client: TestClient, catalog: Catalog, name: str, depth: int, kind: str) -> tuple[int, str]:
    admin = make_user(catalog, sysadmin=True)
    view = make_dataset(
        catalog, admin, resources=[{"title": "r", "url": "https://example.org/r", "filetype": "remote"}]
    )
    method, target, around, template = ENDPOINTS[name]
    dataset_url = f"{URL}{view.dataset.id}/"
    rid = view.resources[0].id
    url = target.format(datasets=URL, dataset=dataset_url, resource=f"{dataset_url}resources/{rid}/")
    body = template.format(N=nested(depth - around, kind), rid=rid, id=view.dataset.id)
    if depth <= 1000:  # the body nests exactly ``depth`` levels
        assert document_problem(orjson.loads(body), depth) is None
        assert document_problem(orjson.loads(body), depth - 1) is not None
    headers = {**admin.headers, "Content-Type": "application/json"}
    response = client.request(method, url, content=body.encode(), headers=headers)
    return response.status_code, response.text


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("name", list(ENDPOINTS))
@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH])
def test_a_body_up_to_the_limit_is_accepted(
    client: TestClient, catalog: Catalog, name: str, kind: str, depth: int
) -> None:
    status, text = _send(client, catalog, name, depth, kind)
    assert status == ACCEPTED.get(name, 200 if "PUT" in name or name == "reorder" else 201), text
    assert DECODE_ERROR not in text


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("name", list(ENDPOINTS))
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 331, 1024, 5000])
def test_a_body_past_the_limit_is_a_400_at_decoding(
    client: TestClient, catalog: Catalog, name: str, kind: str, depth: int
) -> None:
    status, text = _send(client, catalog, name, depth, kind)
    assert status == 400, text
    # The same words past orjson's own bound (1024), which refuses the deepest bodies itself
    assert json.loads(text) == {"message": TOO_DEEP}


def test_a_deep_body_sent_to_follow_is_ignored(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    assert _post(client, f"{URL}{view.dataset.id}/followers/", nested(5000, "array"), alice) == 201


def _deep_extras(kind: str, levels: int) -> object:
    return orjson.loads(nested(levels, kind))


@pytest.mark.parametrize("kind", ["array", "object"])
def test_a_dataset_at_the_limit_round_trips_everywhere(
    client: TestClient, catalog: Catalog, kind: str
) -> None:
    alice = make_user(catalog)
    dataset_extras = {"x": _deep_extras(kind, MAX_DEPTH - 2)}  # body, extras, then the value
    resource_extras = {"x": _deep_extras(kind, MAX_DEPTH - 4)}  # body, resources, resource, extras
    body = {
        "title": "Deep",
        "description": "d",
        "extras": dataset_extras,
        "resources": [{"title": "r", "url": "https://example.org/r", "extras": resource_extras}],
    }
    assert document_problem(body) is None
    assert document_problem(body, MAX_DEPTH - 1) is not None
    created = client.post(URL, json=body, headers=alice.headers)
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]
    url = f"{URL}{dataset_id}/"

    read = client.get(url)
    assert read.status_code == 200
    assert read.json()["extras"] == dataset_extras
    assert read.json()["resources"][0]["extras"] == resource_extras
    # What is read can be sent back as it is.
    assert client.put(url, json=read.json(), headers=alice.headers).status_code == 200

    listed = client.get(URL)
    assert listed.status_code == 200
    assert listed.json()["data"][0]["resources"][0]["extras"] == resource_extras
    rid = read.json()["resources"][0]["id"]
    for path in (
        f"{url}resources/{rid}/",
        f"/api/2/datasets/{dataset_id}/",
        f"/api/2/datasets/{dataset_id}/resources/",
        f"/api/2/datasets/resources/{rid}/",
        "/api/2/datasets/search/",
        "/api/1/site/datasets.jsonl",
        f"{url}rdf.jsonld",
        f"{url}rdf.ttl",
        f"{url}rdf.xml",
        "/api/1/site/catalog.jsonld",
        "/api/1/site/catalog.nt",
    ):
        response = client.get(path, headers=alice.headers)
        assert response.status_code == 200, (path, response.text[:200])
    resource = client.get(f"{url}resources/{rid}/").json()
    assert client.put(f"{url}resources/{rid}/", json=resource, headers=alice.headers).status_code == 200
    reorder = client.put(f"{url}resources/", json=[resource], headers=alice.headers)
    assert reorder.status_code == 200, reorder.text


def _fixture(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fixtures.json"
    path.write_text(text)
    return path


def _document(extras: str, resource_extras: str = "{}") -> str:
    return (
        '[{"id": "5a5a5a5a5a5a5a5a5a5a5a5a", "title": "Deep", "created_at": "2020-01-01T00:00:00+00:00",'
        ' "last_modified": "2020-01-01T00:00:00+00:00",'
        f' "extras": {extras}, "resources": [{{"id": "0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b", "title": "r",'
        ' "url": "https://example.org/r", "created_at": "2020-01-01T00:00:00+00:00", "last_modified": "2020-01-01",'
        f' "extras": {resource_extras}}}]}}]'
    )


@pytest.mark.parametrize("kind", ["array", "object"])
def test_load_fixtures_takes_documents_at_the_limit(
    client: TestClient, catalog: Catalog, tmp_path: Path, kind: str
) -> None:
    # In a dataset document: the dataset, extras, then x; its resources list, a resource, extras, x.
    text = _document(f'{{"x": {nested(MAX_DEPTH - 2, kind)}}}', f'{{"x": {nested(MAX_DEPTH - 4, kind)}}}')
    assert load_fixtures(catalog, _fixture(tmp_path, text)) == 1
    read = client.get(f"{URL}5a5a5a5a5a5a5a5a5a5a5a5a/")
    assert read.status_code == 200
    assert read.json()["extras"] == {"x": _deep_extras(kind, MAX_DEPTH - 2)}
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize(
    "extras",
    [
        pytest.param(lambda kind: f'{{"x": {nested(MAX_DEPTH - 1, kind)}}}', id="dataset-extras"),
        pytest.param(lambda kind: nested(300, kind), id="orjson-cannot-write-it"),
        pytest.param(lambda kind: nested(5000, kind), id="json-cannot-read-it"),
    ],
)
@pytest.mark.parametrize("kind", ["array", "object"])
def test_load_fixtures_refuses_deeper_documents_with_a_clear_error(
    client: TestClient, catalog: Catalog, tmp_path: Path, kind: str, extras: object
) -> None:
    assert callable(extras)
    with pytest.raises(Invalid) as refused:
        load_fixtures(catalog, _fixture(tmp_path, _document(extras(kind))))
    assert f"nested more than {MAX_DEPTH} levels deep" in str(refused.value.errors)
    assert client.get(URL).json()["total"] == 0


def test_load_fixtures_refuses_deep_resource_extras(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    text = _document("{}", f'{{"x": {nested(MAX_DEPTH - 3, "array")}}}')
    with pytest.raises(Invalid) as refused:
        load_fixtures(catalog, _fixture(tmp_path, text))
    assert refused.value.errors == {
        "dataset": [
            f"5a5a5a5a5a5a5a5a5a5a5a5a: arrays and objects may not be nested more than {MAX_DEPTH} levels deep"
        ]
    }
    assert client.get(URL).json()["total"] == 0
