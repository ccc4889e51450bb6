"""The upload endpoints end to end with the S3 store (parts and files in the bucket)."""

import gzip
import hashlib
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.catalog.preview import Preview, preview
from opencat.config import Settings
from opencat.db.engine import Database
from opencat.domain.accounts import ANONYMOUS
from opencat.wiring import build_catalog
from tests.conftest import BASE_URL
from tests.factories import Account, make_dataset, make_user
from tests.s3 import BUCKET


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str, s3_prefix: str) -> Settings:
    return Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        base_url=BASE_URL,
        storage_url=f"s3://{BUCKET}/{s3_prefix}",
        s3_endpoint_url=s3_endpoint,
    )


@pytest.fixture
def s3_catalog(db: Database, s3_settings: Settings) -> Catalog:
    return build_catalog(s3_settings, database=db)


@pytest.fixture
def s3_client(db: Database, s3_settings: Settings) -> Iterator[TestClient]:
    with TestClient(
        create_app(s3_settings, database=db), base_url=BASE_URL, follow_redirects=False
    ) as client:
        yield client


def _download(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url) as response:
            return bytes(response.read())
    except urllib.error.HTTPError:
        return None


def _upload(
    client: TestClient, url: str, owner: Account, content: bytes, name: str = "data.csv", **fields: object
) -> dict[str, object]:
    response = client.post(
        url,
        files={"file": (name, content)},
        data={k: str(v) for k, v in fields.items()},
        headers=owner.headers,
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, object] = response.json()
    return body


def test_simple_upload_replace_and_delete_in_the_bucket(
    s3_client: TestClient, s3_catalog: Catalog, s3_endpoint: str, s3_prefix: str
) -> None:
    owner = make_user(s3_catalog)
    dataset = make_dataset(s3_catalog, owner, title="Bucket data").dataset
    first = _upload(s3_client, f"/api/1/datasets/{dataset.id}/upload/", owner, b"a,b\n1,2\n")
    url = str(first["url"])
    assert url.startswith(f"{s3_endpoint}/{BUCKET}/{s3_prefix}/bucket-data/")
    assert _download(url) == b"a,b\n1,2\n"
    assert s3_client.get(f"/api/1/datasets/r/{first['id']}").headers["location"] == url
    second = _upload(
        s3_client, f"/api/1/datasets/{dataset.id}/resources/{first['id']}/upload/", owner, b"x\n"
    )
    assert _download(str(second["url"])) == b"x\n"
    assert _download(url) is None, "the replaced object is deleted"
    assert (
        s3_client.delete(
            f"/api/1/datasets/{dataset.id}/resources/{first['id']}/", headers=owner.headers
        ).status_code
        == 204
    )
    assert _download(str(second["url"])) is None


def test_a_compressed_file_is_stored_as_the_archive_it_is(s3_client: TestClient, s3_catalog: Catalog) -> None:
    owner = make_user(s3_catalog)
    dataset = make_dataset(s3_catalog, owner, title="Packed").dataset
    packed = gzip.compress(b"a,b\n1,2\n")
    stored = _upload(s3_client, f"/api/1/datasets/{dataset.id}/upload/", owner, packed, name="data.csv.gz")
    assert stored["mime"] == "text/csv"  # udata's guess, kept
    with urllib.request.urlopen(str(stored["url"])) as response:
        assert response.headers["Content-Type"] == "application/gzip"
        assert response.read() == packed


def test_chunked_upload_keeps_its_parts_in_the_bucket(s3_client: TestClient, s3_catalog: Catalog) -> None:
    owner = make_user(s3_catalog)
    dataset = make_dataset(s3_catalog, owner).dataset
    url = f"/api/1/datasets/{dataset.id}/upload/"
    chunks = [b"1" * 300, b"2" * 300, b"3" * 7]
    common = {"uuid": "7d3c0f7e-2f0e-4d7e-9a39-3b2a3f0c9e55", "filename": "parts.csv", "totalparts": 3}
    for index in (1, 0, 2):
        answer = _upload(
            s3_client, url, owner, chunks[index], partindex=index, chunksize=len(chunks[index]), **common
        )
        assert answer == {"success": True, "error": None}
    whole = b"".join(chunks)
    final = s3_client.post(
        url,
        data={**{k: str(v) for k, v in common.items()}, "checksum": hashlib.sha1(whole).hexdigest()},
        headers=owner.headers,
    )
    assert final.status_code == 201, final.text
    assert _download(final.json()["url"]) == whole
    assert not s3_catalog.files.exists(".uploads/7d3c0f7e-2f0e-4d7e-9a39-3b2a3f0c9e55/0")


def test_a_part_gone_from_the_bucket_is_a_missing_part(s3_client: TestClient, s3_catalog: Catalog) -> None:
    """A part recorded but removed from the bucket (a lifecycle rule, an operator) is said missing
    at the final call (it was S3's NoSuchKey, a 500); sent again, the upload finishes."""
    owner = make_user(s3_catalog)
    dataset = make_dataset(s3_catalog, owner).dataset
    url = f"/api/1/datasets/{dataset.id}/upload/"
    chunks = [b"1" * 300, b"2" * 7]
    common = {"uuid": "5b7e0d2a-1c3f-4e9a-8b6d-2f4a6c8e0b13", "filename": "lost.csv", "totalparts": 2}
    for index, chunk in enumerate(chunks):
        _upload(s3_client, url, owner, chunk, partindex=index, chunksize=len(chunk), **common)
    s3_catalog.files.delete(f".uploads/{common['uuid']}/1")
    final = s3_client.post(url, data={k: str(v) for k, v in common.items()}, headers=owner.headers)
    assert (final.status_code, final.json()) == (400, {"success": False, "error": "Missing parts: [1]"})
    _upload(s3_client, url, owner, chunks[1], partindex=1, chunksize=len(chunks[1]), **common)
    done = s3_client.post(url, data={k: str(v) for k, v in common.items()}, headers=owner.headers)
    assert done.status_code == 201, done.text
    assert _download(done.json()["url"]) == b"".join(chunks)


def test_a_csv_in_the_bucket_is_previewed(s3_client: TestClient, s3_catalog: Catalog) -> None:
    owner = make_user(s3_catalog)
    dataset_id = make_dataset(s3_catalog, owner).dataset.id
    resource = _upload(s3_client, f"/api/1/datasets/{dataset_id}/upload/", owner, b"a;b\n1;2\n")

    shown = preview(s3_catalog, ANONYMOUS, dataset_id, str(resource["id"]))

    assert shown == Preview(("a", "b"), (("1", "2"),), truncated=False)
