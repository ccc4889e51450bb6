"""URLs of our own file store are valid resource URLs, even on a server whose base URL is local:
a resource read from the API can be sent back as it is."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.db.engine import Database
from opencat.wiring import build_catalog
from tests.conftest import BASE_URL
from tests.factories import Account, make_dataset, make_user
from tests.s3 import BUCKET

LOCAL = "http://127.0.0.1:8000"  # the embedded default base URL
URL = "/api/1/datasets/"


@pytest.fixture(params=["local", "s3"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    if request.param == "local":
        return Settings(data_dir=tmp_path, database_url=database_url, base_url=LOCAL)
    endpoint = request.getfixturevalue("s3_endpoint")
    prefix = request.getfixturevalue("s3_prefix")
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        base_url=LOCAL,
        storage_url=f"s3://{BUCKET}/{prefix}",
        s3_endpoint_url=endpoint,  # on loopback: its files' URLs are local too
    )


@pytest.fixture
def catalog(db: Database, settings: Settings) -> Catalog:
    return build_catalog(settings, database=db)


@pytest.fixture
def client(db: Database, settings: Settings, catalog: Catalog) -> Iterator[TestClient]:
    with TestClient(create_app(settings, catalog=catalog), base_url=BASE_URL, follow_redirects=False) as test:
        yield test


@pytest.fixture
def owner(catalog: Catalog) -> Account:
    return make_user(catalog)


def _upload(client: TestClient, url: str, owner: Account) -> dict[str, Any]:
    response = client.post(url, files={"file": ("data.csv", b"a,b\n1,2\n")}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _fixed(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource but for what any PUT changes: its modification dates."""
    internal = {k: v for k, v in resource["internal"].items() if k != "last_modified_internal"}
    return {**{k: v for k, v in resource.items() if k != "last_modified"}, "internal": internal}


def _same(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert _fixed(after) == _fixed(before)


def _hosted(client: TestClient, catalog: Catalog, owner: Account) -> tuple[str, str]:
    """A dataset with a remote resource and an uploaded one; the uploaded file's resource URL."""
    remote = {"title": "remote", "url": "https://example.org/r.csv", "filetype": "remote"}
    dataset_id = make_dataset(catalog, owner, resources=[remote]).dataset.id
    uploaded = _upload(client, f"{URL}{dataset_id}/upload/", owner)
    assert uploaded["url"].startswith(catalog.files.public_url + "/")
    assert uploaded["url"].startswith("http://127.0.0.1:")
    return dataset_id, f"{URL}{dataset_id}/resources/{uploaded['id']}/"


def test_an_uploaded_resource_sent_back_unchanged_is_accepted(
    client: TestClient, catalog: Catalog, owner: Account
) -> None:
    _, resource_url = _hosted(client, catalog, owner)
    read = client.get(resource_url).json()
    sent_back = client.put(resource_url, json=read, headers=owner.headers)
    assert sent_back.status_code == 200, sent_back.text
    _same(read, sent_back.json())
    _same(read, client.get(resource_url).json())


def test_a_dataset_sent_back_with_its_resources_unchanged_is_accepted(
    client: TestClient, catalog: Catalog, owner: Account
) -> None:
    dataset_id, _ = _hosted(client, catalog, owner)
    url = f"{URL}{dataset_id}/"
    read = client.get(url).json()
    sent_back = client.put(url, json={"resources": read["resources"]}, headers=owner.headers)
    assert sent_back.status_code == 200, sent_back.text
    for before, after in zip(read["resources"], client.get(url).json()["resources"], strict=True):
        _same(before, after)
    whole = client.put(url, json=read, headers=owner.headers)
    assert whole.status_code == 200, whole.text


def test_reorder_with_fields_and_a_new_dataset_take_our_file_urls(
    client: TestClient, catalog: Catalog, owner: Account
) -> None:
    dataset_id, resource_url = _hosted(client, catalog, owner)
    resources = client.get(f"{URL}{dataset_id}/").json()["resources"]
    reordered = client.put(f"{URL}{dataset_id}/resources/", json=resources[::-1], headers=owner.headers)
    assert reordered.status_code == 200, reordered.text
    # A file of ours linked from another dataset, and a remote resource pointing at it.
    file_url = client.get(resource_url).json()["url"]
    body = {"title": "t", "description": "d", "resources": [{"title": "copy", "url": file_url}]}
    assert client.post(URL, json=body, headers=owner.headers).status_code == 201
    remote = {"title": "link", "url": file_url, "filetype": "remote"}
    assert client.post(f"{URL}{dataset_id}/resources/", json=remote, headers=owner.headers).status_code == 201


def test_a_community_resource_sent_back_unchanged_is_accepted(
    client: TestClient, catalog: Catalog, owner: Account
) -> None:
    dataset_id = make_dataset(catalog, owner).dataset.id
    uploaded = _upload(client, f"{URL}{dataset_id}/upload/community/", owner)
    url = f"{URL}community_resources/{uploaded['id']}/"
    read = client.get(url, headers=owner.headers).json()
    sent_back = client.put(url, json=read, headers=owner.headers)
    assert sent_back.status_code == 200, sent_back.text
    _same(read, sent_back.json())


@pytest.mark.parametrize(
    "refused",
    [
        f"{LOCAL}/other",
        "http://127.0.0.1:9999/resources/x",
        f"{LOCAL}/resourcesx/data.csv",
        "http://localhost:8000/resources/x",
    ],
)
def test_other_local_urls_stay_refused(
    client: TestClient, catalog: Catalog, owner: Account, settings: Settings, refused: str
) -> None:
    dataset_id, resource_url = _hosted(client, catalog, owner)
    message = f'Invalid URL "{refused}": is a local URL'
    remote = {"title": "r", "url": refused, "filetype": "remote"}
    answers = [
        client.put(resource_url, json={"url": refused}, headers=owner.headers),
        client.post(f"{URL}{dataset_id}/resources/", json=remote, headers=owner.headers),
        client.post(
            URL, json={"title": "t", "description": "d", "resources": [remote]}, headers=owner.headers
        ),
        client.post(
            f"{URL}community_resources/", json={**remote, "dataset": dataset_id}, headers=owner.headers
        ),
        client.put(f"{URL}{dataset_id}/", json={"authorization_request_url": refused}, headers=owner.headers),
    ]
    assert [answer.status_code for answer in answers] == [400] * len(answers)
    assert answers[0].json() == {"errors": {"url": [message]}}
    assert answers[2].json() == {"errors": {"resources": [{"url": [message]}]}}
    if settings.storage_url is None:  # the S3 store's public root is elsewhere: the URL is refused anyway
        own = f"{catalog.files.public_url}/x.csv"
        assert client.put(resource_url, json={"url": own}, headers=owner.headers).status_code == 200
