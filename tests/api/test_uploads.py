"""Uploads: simple and chunked, served files, limits and hostile input (udata: udata/core/storages/api.py)."""

import gzip
import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.db.engine import Database
from opencat.db.tables import pending_files
from tests.conftest import BASE_URL
from tests.factories import Account, make_dataset, make_user

CSV = b"stop_id,stop_name\n1,Gare\n2,Mairie\n"


def _upload(
    client: TestClient,
    url: str,
    account: Account,
    name: str = "Arrêts bus.csv",
    content: bytes = CSV,
    **fields: Any,
) -> Any:
    return client.post(
        url,
        files={"file": (name, content)},
        data={k: str(v) for k, v in fields.items()},
        headers=account.headers,
    )


@pytest.fixture
def owner(catalog: Catalog) -> Account:
    return make_user(catalog)


@pytest.fixture
def dataset_id(catalog: Catalog, owner: Account) -> str:
    return make_dataset(catalog, owner, title="Horaires des bus").dataset.id


def _files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file() and ".spool" not in p.parts)


def test_simple_upload_creates_a_hosted_main_resource(
    client: TestClient, owner: Account, dataset_id: str
) -> None:
    response = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner)
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["success"] is True
    assert (data["title"], data["filetype"], data["type"], data["format"], data["mime"]) == (
        "arrets-bus.csv", "file", "main", "csv", "text/csv",
    )  # fmt: skip
    assert data["filesize"] == len(CSV)
    assert data["checksum"] == {"type": "sha1", "value": hashlib.sha1(CSV).hexdigest()}
    assert data["url"].startswith(f"{BASE_URL}/resources/horaires-des-bus/")
    assert data["url"].endswith("/arrets-bus.csv")
    listed = client.get(f"/api/1/datasets/{dataset_id}/").json()["resources"]
    assert [item["id"] for item in listed] == [data["id"]]


def test_a_files_address_holds_a_random_part(client: TestClient, owner: Account, dataset_id: str) -> None:
    """On S3 a file is served to whoever names it: its key, made of the slug, the second and the
    file's name, was guessable for a private dataset. Two uploads of one name in one second get
    two addresses, neither guessable."""
    first = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner).json()["url"]
    second = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner).json()["url"]
    pattern = re.compile(
        rf"{re.escape(BASE_URL)}/resources/horaires-des-bus/\d{{8}}-\d{{6}}-[0-9a-f]{{16}}/arrets-bus\.csv"
    )
    assert pattern.fullmatch(first), first
    assert pattern.fullmatch(second), second
    assert first != second


def test_a_store_that_says_every_key_is_taken_gets_a_503_not_a_loop(
    client: TestClient, catalog: Catalog, owner: Account, dataset_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new key is tried while the store holds the last one drawn: a store answering "taken"
    to every key (or a database whose INSERT counted no row) held the request for ever."""
    asked: list[str] = []

    def always_taken(key: str) -> bool:
        asked.append(key)
        return True

    monkeypatch.setattr(catalog.files, "exists", always_taken)
    answer = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner)
    assert answer.status_code == 503, answer.text
    assert 1 < len(asked) <= 8
    with catalog.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(pending_files)).scalar_one() == 0
    assert client.get(f"/api/1/datasets/{dataset_id}/").json()["resources"] == []


def test_a_simple_upload_is_named_after_its_file_part(
    client: TestClient, owner: Account, dataset_id: str
) -> None:
    """udata reads the form's ``filename`` for chunked uploads only: it neither renames a simple
    upload nor lets ``x.exe`` past the allow-list."""
    url = f"/api/1/datasets/{dataset_id}/upload/"
    named = _upload(client, url, owner, "a.csv", filename="override.json")
    assert (named.status_code, named.json()["title"], named.json()["format"]) == (201, "a.csv", "csv")
    disguised = _upload(client, url, owner, "x.exe", filename="x.csv")
    assert disguised.status_code == 400
    assert disguised.json()["message"].startswith("This file type is not allowed.")


def test_a_file_part_without_a_name_is_no_file_and_the_first_file_is_read(
    client: TestClient, owner: Account, dataset_id: str
) -> None:
    """werkzeug's: a file part whose name is empty (a browser's empty file input) is no file, and
    of two file parts the first is read (the nameless one was stored under the form's
    ``filename``; two were refused)."""
    url = f"/api/1/datasets/{dataset_id}/upload/"
    nameless = client.post(
        url, files={"file": ("", b"a,b\n")}, data={"filename": "ok.csv"}, headers=owner.headers
    )
    assert (nameless.status_code, nameless.json()) == (
        400,
        {"success": False, "error": "Missing file parameter"},
    )
    two = client.post(
        url, files=[("file", ("first.csv", b"1\n")), ("file", ("second.csv", b"2\n"))], headers=owner.headers
    )
    assert (two.status_code, two.json()["title"], two.json()["filesize"]) == (201, "first.csv", 2)


def test_uploaded_file_is_served_with_range_etag_and_disposition(
    client: TestClient, owner: Account, dataset_id: str
) -> None:
    url = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner).json()["url"]
    path = url.removeprefix(BASE_URL)
    whole = client.get(path)
    assert whole.status_code == 200
    assert whole.content == CSV
    assert whole.headers["content-type"].startswith("text/csv")
    assert whole.headers["content-length"] == str(len(CSV))
    assert whole.headers["content-disposition"].startswith("inline;")
    assert whole.headers["cache-control"] == "no-cache"
    assert whole.headers["content-security-policy"] == "sandbox"
    partial = client.get(path, headers={"Range": "bytes=0-6"})
    assert partial.status_code == 206
    assert partial.content == CSV[:7]
    for unreadable in ("bytes=5-2", "garbage", "items=0-3", "bytes=,"):  # ignored: the whole file
        ignored = client.get(path, headers={"Range": unreadable})
        assert (ignored.status_code, ignored.content) == (200, CSV), unreadable
    beyond = client.get(path, headers={"Range": f"bytes={len(CSV) + 10}-"})
    assert beyond.status_code == 416
    described = client.get("/api/1/swagger.json").json()["paths"]["/resources/{key}"]["get"]["responses"]
    assert "416" in described  # the OpenAPI document says it
    etag, modified = whole.headers["etag"], whole.headers["last-modified"]
    # The client's copy is current: by its tag (weakly compared, or "*"), else by its date.
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f"W/{etag}"},
        {"If-None-Match": f'"other", {etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
    ):
        current = client.get(path, headers=headers)
        assert (current.status_code, current.content) == (304, b""), headers
        assert (current.headers["etag"], current.headers["cache-control"]) == (etag, "no-cache")
    for headers in (
        {"If-None-Match": '"other"'},
        {"If-None-Match": '"other"', "If-Modified-Since": modified},  # the tag decides
        {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
        {"If-Modified-Since": "yesterday"},
    ):
        assert client.get(path, headers=headers).status_code == 200, headers
    permalink = client.get(
        f"/api/1/datasets/r/{client.get(f'/api/1/datasets/{dataset_id}/').json()['resources'][0]['id']}"
    )
    assert permalink.headers["location"] == url


def test_a_compressed_file_is_served_as_the_archive_it_is(
    client: TestClient, owner: Account, dataset_id: str
) -> None:
    """``x.csv.gz`` was served as text/csv without a Content-Encoding: browsers showed its
    compressed bytes as text. Its ``mime`` stays udata's guess."""
    packed = gzip.compress(CSV)
    created = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner, "horaires.csv.gz", packed)
    assert created.json()["mime"] == "text/csv"
    served = client.get(created.json()["url"].removeprefix(BASE_URL))
    assert served.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in served.headers
    assert served.content == packed
    archive = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner, "all.tar.gz", packed)
    assert (
        client.get(archive.json()["url"].removeprefix(BASE_URL)).headers["content-type"] == "application/gzip"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("data.csv.tar.gz", "csv.tar.gz"),
        ("x.2022.csv.tar.gz", "csv.tar.gz"),
        ("x.geojson.csv", "csv"),
        ("Test.TXT", "txt"),
    ],
)
def test_formats_keep_compound_archive_extensions(
    client: TestClient, owner: Account, dataset_id: str, name: str, expected: str
) -> None:
    assert _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner, name).json()["format"] == expected


def test_refusals_follow_udata(
    client: TestClient, catalog: Catalog, owner: Account, dataset_id: str, settings: Settings
) -> None:
    url = f"/api/1/datasets/{dataset_id}/upload/"
    forbidden = _upload(client, url, owner, "tool.exe")
    assert forbidden.status_code == 400
    assert forbidden.json() == {
        "message": f"This file type is not allowed.The allowed file type list is available at {BASE_URL}/api/1/datasets/extensions/"
    }
    assert _upload(client, url, owner, "page.html", b"<html></html>").status_code == 400
    missing = client.post(url, data={"filename": "x.csv"}, headers=owner.headers)
    assert missing.json() == {"success": False, "error": "Missing file parameter"}
    not_multipart = client.post(url, json={"file": "x"}, headers=owner.headers)
    assert not_multipart.status_code == 400
    assert not_multipart.json() == {"success": False, "error": "Missing file parameter"}
    assert _upload(client, url, make_user(catalog)).status_code == 403
    assert client.post(url, files={"file": ("a.csv", CSV)}).status_code == 401
    assert _upload(client, "/api/1/datasets/000000000000000000000000/upload/", owner).status_code == 404
    assert _files(settings) == []
    assert list((settings.data_dir / "files" / ".spool").iterdir()) == []


def test_html_content_type_is_415_when_html_extensions_are_allowed(
    db: Database, settings: Settings, catalog: Catalog
) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    relaxed = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        base_url=BASE_URL,
        allowed_extensions=("csv", "html"),
    )
    with TestClient(create_app(relaxed, database=db), base_url=BASE_URL) as client:
        response = _upload(
            client, f"/api/1/datasets/{dataset.id}/upload/", owner, "page.html", b"<html></html>"
        )
    assert response.status_code == 415
    assert response.json() == {"message": "Incorrect file content type: HTML"}
    assert _files(settings) == []


def test_file_names_cannot_escape(
    client: TestClient, owner: Account, dataset_id: str, settings: Settings
) -> None:
    data = _upload(
        client, f"/api/1/datasets/{dataset_id}/upload/", owner, "../../../etc/évil name.csv"
    ).json()
    assert data["title"] == "evil-name.csv"
    (stored,) = _files(settings)
    assert stored.is_relative_to(settings.data_dir / "files" / "horaires-des-bus")
    for path in (
        "/resources/../opencat.db",
        "/resources/.spool/x",
        "/resources/.uploads/x/0",
        "/resources/nothing.csv",
    ):
        assert client.get(path).status_code == 404


def test_reupload_replaces_the_file_and_deletes_the_old_one(
    client: TestClient, owner: Account, dataset_id: str, settings: Settings
) -> None:
    first = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner).json()
    client.put(
        f"/api/1/datasets/{dataset_id}/resources/{first['id']}/",
        json={"type": "documentation"},
        headers=owner.headers,
    )
    response = _upload(
        client, f"/api/1/datasets/{dataset_id}/resources/{first['id']}/upload/", owner, "v2.json", b'{"a": 1}'
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["title"], data["format"], data["type"], data["filesize"]) == (
        first["id"],
        "v2.json",
        "json",
        "documentation",
        8,
    )
    assert data["url"] != first["url"]
    assert [path.name for path in _files(settings)] == ["v2.json"]
    assert client.get(first["url"].removeprefix(BASE_URL)).status_code == 404
    missing = _upload(
        client, f"/api/1/datasets/{dataset_id}/resources/00000000-0000-4000-8000-000000000000/upload/", owner
    )
    assert missing.status_code == 404


def test_same_name_twice_in_one_second_keeps_both(
    client: TestClient, owner: Account, dataset_id: str, settings: Settings
) -> None:
    urls = {_upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner).json()["url"] for _ in range(2)}
    assert len(urls) == 2
    assert len(_files(settings)) == 2


@pytest.mark.parametrize("removal", ["replaced", "deleted"])
def test_a_url_given_out_never_serves_another_file(
    removal: str, settings: Settings, catalog: Catalog, owner: Account, dataset_id: str
) -> None:
    """In one second: a file, then its removal (replaced, or its resource deleted), then another
    upload of the same name. The removal freed the first file's key, the next upload took it, and
    the first URL served the other file."""
    from dataclasses import replace

    instant = catalog.clock()
    frozen = replace(catalog, clock=lambda: instant)
    with TestClient(create_app(settings, catalog=frozen), base_url=BASE_URL) as frozen_client:
        uploads = f"/api/1/datasets/{dataset_id}/upload/"
        first = _upload(frozen_client, uploads, owner, "same.csv", b"first\n").json()
        resource = f"/api/1/datasets/{dataset_id}/resources/{first['id']}/"
        if removal == "replaced":
            replaced = _upload(frozen_client, f"{resource}upload/", owner, "same.csv", b"second\n")
            assert replaced.status_code == 200
        else:
            assert frozen_client.delete(resource, headers=owner.headers).status_code == 204
        other = _upload(frozen_client, uploads, owner, "same.csv", b"someone else's\n").json()
        assert other["url"] != first["url"]
        assert frozen_client.get(first["url"].removeprefix(BASE_URL)).status_code == 404


@pytest.mark.parametrize("edit", ["resource", "reorder", "dataset"])
def test_a_link_given_a_file_then_pointed_elsewhere_lets_the_file_go(
    edit: str, client: TestClient, owner: Account, dataset_id: str, settings: Settings
) -> None:
    """An upload to a remote resource stores a file and keeps the filetype (udata's); a new
    address for the link then leaves the file no resource's: it was kept and served for good."""
    resources = f"/api/1/datasets/{dataset_id}/resources/"
    hosted = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner, "hosted.csv").json()
    link = client.post(
        resources,
        json={"title": "L", "url": "https://example.org/a.csv", "filetype": "remote"},
        headers=owner.headers,
    ).json()
    given = _upload(client, f"{resources}{link['id']}/upload/", owner, "given.csv").json()
    assert (given["filetype"], client.get(given["url"].removeprefix(BASE_URL)).status_code) == ("remote", 200)
    other = {"id": link["id"], "url": "https://example.org/other.csv"}
    if edit == "resource":
        moved = client.put(f"{resources}{link['id']}/", json=other, headers=owner.headers)
    elif edit == "reorder":  # the other resource sent by its id alone, as udata's client reorders
        moved = client.put(resources, json=[hosted["id"], other], headers=owner.headers)
    else:  # the dataset's PUT, the other resource sent back by its id
        dataset = f"/api/1/datasets/{dataset_id}/"
        moved = client.put(dataset, json={"resources": [{"id": hosted["id"]}, other]}, headers=owner.headers)
    assert moved.status_code == 200, moved.text
    assert client.get(f"{resources}{link['id']}/").json()["url"] == "https://example.org/other.csv"
    assert client.get(given["url"].removeprefix(BASE_URL)).status_code == 404
    assert client.get(hosted["url"].removeprefix(BASE_URL)).status_code == 200  # the other file stays
    assert [path.name for path in _files(settings)] == ["hosted.csv"]


def test_deleting_a_resource_deletes_its_file(
    client: TestClient, owner: Account, dataset_id: str, settings: Settings
) -> None:
    data = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner).json()
    assert (
        client.delete(
            f"/api/1/datasets/{dataset_id}/resources/{data['id']}/", headers=owner.headers
        ).status_code
        == 204
    )
    assert _files(settings) == []


def test_extensions_endpoint_serves_the_sorted_allow_list(client: TestClient) -> None:
    extensions = client.get("/api/1/datasets/extensions/").json()
    assert extensions == sorted(extensions)
    assert {"csv", "zip", "geojson", "other"} <= set(extensions)
    assert len(extensions) == 64


def _part(client: TestClient, url: str, owner: Account, index: int, content: bytes, **extra: Any) -> Any:
    fields = {
        "uuid": "0f6e3c55-6c4c-4f3b-9d55-4f8c2a0b8e11",
        "filename": "big file.csv",
        "partindex": index,
        "totalparts": 3,
        "chunksize": len(content),
    }
    fields.update(extra)
    return _upload(client, url, owner, "blob", content, **fields)


def _final(client: TestClient, url: str, owner: Account, **extra: Any) -> Any:
    fields = {
        "uuid": "0f6e3c55-6c4c-4f3b-9d55-4f8c2a0b8e11",
        "filename": "big file.csv",
        "totalparts": 3,
        **extra,
    }
    return client.post(url, data={k: str(v) for k, v in fields.items()}, headers=owner.headers)


@pytest.fixture
def parts() -> list[bytes]:
    return [b"a" * 1000, b"b" * 1000, b"c" * 10]


def test_chunked_upload_out_of_order_with_retries_and_resume(
    client: TestClient, owner: Account, dataset_id: str, settings: Settings, parts: list[bytes]
) -> None:
    url = f"/api/1/datasets/{dataset_id}/upload/"
    assert _part(client, url, owner, 2, parts[2]).json() == {"success": True, "error": None}
    assert _part(client, url, owner, 0, parts[0]).status_code == 200
    assert _part(client, url, owner, 0, parts[0]).status_code == 200  # udata answers 500 here
    status = client.get("/api/1/uploads/0f6e3c55-6c4c-4f3b-9d55-4f8c2a0b8e11/", headers=owner.headers).json()
    assert (status["received"], status["totalparts"], status["bytes_received"]) == ([0, 2], 3, 1010)
    incomplete = _final(client, url, owner)
    assert incomplete.json() == {"success": False, "error": "Missing parts: [1]"}
    assert _part(client, url, owner, 1, parts[1]).status_code == 200
    whole = b"".join(parts)
    wrong = _final(client, url, owner, checksum="0" * 40)
    assert wrong.status_code == 400
    assert wrong.json()["error"].startswith("Checksum mismatch")
    assert client.get(f"/api/1/datasets/{dataset_id}/").json()["resources"] == []
    done = _final(client, url, owner, checksum=hashlib.sha1(whole).hexdigest())
    assert done.status_code == 201, done.text
    data = done.json()
    assert (data["title"], data["filesize"]) == ("big-file.csv", len(whole))
    assert client.get(data["url"].removeprefix(BASE_URL)).content == whole
    assert [p.name for p in _files(settings)] == ["big-file.csv"]
    assert (
        client.get("/api/1/uploads/0f6e3c55-6c4c-4f3b-9d55-4f8c2a0b8e11/", headers=owner.headers).status_code
        == 404
    )


def test_the_final_call_names_the_chunked_file(
    client: TestClient, owner: Account, dataset_id: str, settings: Settings, parts: list[bytes]
) -> None:
    url = f"/api/1/datasets/{dataset_id}/upload/"
    for index, content in enumerate(parts):
        assert _part(client, url, owner, index, content).status_code == 200
    done = _final(client, url, owner, filename="Renamed Export.csv")
    assert done.status_code == 201, done.text
    assert done.json()["title"] == "renamed-export.csv"
    assert [p.name for p in _files(settings)] == ["renamed-export.csv"]


def test_a_final_call_with_an_empty_file_input_is_the_final_call(
    client: TestClient, owner: Account, dataset_id: str, parts: list[bytes]
) -> None:
    """A browser's form sends its empty file input as a part named "" with no bytes: that is no
    file, so the call is the final one."""
    url = f"/api/1/datasets/{dataset_id}/upload/"
    for index, content in enumerate(parts):
        assert _part(client, url, owner, index, content).status_code == 200
    fields = {"uuid": "0f6e3c55-6c4c-4f3b-9d55-4f8c2a0b8e11", "filename": "big file.csv", "totalparts": "3"}
    done = client.post(url, data=fields, files={"file": ("", b"")}, headers=owner.headers)
    assert done.status_code == 201, done.text
    assert done.json()["filesize"] == sum(len(part) for part in parts)


def test_chunk_errors_are_clear_400s(
    client: TestClient, owner: Account, dataset_id: str, parts: list[bytes]
) -> None:
    url = f"/api/1/datasets/{dataset_id}/upload/"
    assert _part(client, url, owner, 0, parts[0], chunksize=999).json() == {
        "success": False,
        "error": "Chunk size mismatch",
    }
    assert _part(client, url, owner, 3, parts[0]).status_code == 400
    assert _part(client, url, owner, -1, parts[0]).status_code == 400
    assert _part(client, url, owner, 0, parts[0], uuid="../../etc").status_code == 400
    assert _part(client, url, owner, 0, parts[0], partindex="x").status_code == 400
    assert _final(client, url, owner, uuid="ffffffff-ffff-4fff-bfff-ffffffffffff").json() == {
        "success": False,
        "error": "Unknown upload uuid",
    }


def test_unfinished_uploads_expire(
    client: TestClient,
    catalog: Catalog,
    owner: Account,
    dataset_id: str,
    parts: list[bytes],
    settings: Settings,
) -> None:
    from dataclasses import replace

    from opencat.catalog.upload_sessions import purge_expired_uploads

    url = f"/api/1/datasets/{dataset_id}/upload/"
    # Part 2 of 3, then part 0 saying 2 parts: the count went down, part 2 is still stored.
    _part(client, url, owner, 2, parts[2])
    _part(client, url, owner, 0, parts[0], totalparts=2)
    assert purge_expired_uploads(catalog) == 0
    later = replace(
        catalog, clock=lambda: catalog.clock() + catalog.upload_retention + catalog.upload_retention
    )
    spooled = settings.data_dir / "files" / ".uploads" / "0f6e3c55-6c4c-4f3b-9d55-4f8c2a0b8e11"
    (spooled / "1").write_bytes(parts[1])  # a part whose file was written, its commit failed: no row
    assert sorted(path.name for path in spooled.iterdir()) == ["0", "1", "2"]
    assert purge_expired_uploads(later) == 1
    assert not spooled.exists() or not any(spooled.iterdir())  # every part gone, the one past the count too
    assert _final(client, url, owner).status_code == 400


def test_the_index_keeper_purges_expired_uploads_without_another_part(
    client: TestClient,
    catalog: Catalog,
    owner: Account,
    dataset_id: str,
    parts: list[bytes],
    settings: Settings,
) -> None:
    """Only a part's arrival purged them: a catalog that got no more chunked uploads kept an
    abandoned upload's parts and session for good (a review, after 65 s and simple uploads)."""
    import threading
    import time
    from dataclasses import replace

    from opencat import index_keeper
    from opencat.catalog.context import UPLOAD_PURGE_INTERVAL, Throttle

    url = f"/api/1/datasets/{dataset_id}/upload/"
    _part(client, url, owner, 0, parts[0])
    spooled = settings.data_dir / "files" / ".uploads" / "0f6e3c55-6c4c-4f3b-9d55-4f8c2a0b8e11"
    assert sorted(path.name for path in spooled.iterdir()) == ["0"]
    later = replace(
        catalog,
        clock=lambda: catalog.clock() + 3 * catalog.upload_retention,
        upload_purge=Throttle(UPLOAD_PURGE_INTERVAL),
    )
    stopping = threading.Event()
    keeper = threading.Thread(target=index_keeper.keep_index, args=(later, stopping))
    keeper.start()
    try:
        deadline = time.monotonic() + 30  # ends as soon as purged; a loaded machine needs the margin
        while spooled.exists() and any(spooled.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stopping.set()
        keeper.join()
    assert not spooled.exists() or not any(spooled.iterdir())
    assert _final(client, url, owner).status_code == 400  # the session is gone too


@pytest.fixture
def small_client(db: Database, settings: Settings) -> Iterator[TestClient]:
    limited = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        base_url=BASE_URL,
        max_upload_bytes=1500,
    )
    with TestClient(create_app(limited, database=db), base_url=BASE_URL) as client:
        yield client


def test_size_limit_is_413_and_leaves_nothing(
    small_client: TestClient, owner: Account, dataset_id: str, settings: Settings, parts: list[bytes]
) -> None:
    url = f"/api/1/datasets/{dataset_id}/upload/"
    too_big = _upload(small_client, url, owner, "big.csv", b"x" * 5000)
    assert too_big.status_code == 413
    assert _part(small_client, url, owner, 0, parts[0]).status_code == 200
    assert _part(small_client, url, owner, 1, parts[1]).status_code == 413
    assert small_client.get(f"/api/1/datasets/{dataset_id}/").json()["resources"] == []
    assert _files(settings) == [] or all(".uploads" in p.parts for p in _files(settings))
    assert list((settings.data_dir / "files" / ".spool").iterdir()) == []


def test_a_very_long_file_name_is_shortened_not_refused(
    client: TestClient, owner: Account, dataset_id: str, settings: Settings
) -> None:
    response = _upload(client, f"/api/1/datasets/{dataset_id}/upload/", owner, "é" * 400 + ".csv")
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "csv"
    assert client.get(response.json()["url"].removeprefix(BASE_URL)).content == CSV


def test_a_final_call_whose_parts_another_one_published_meanwhile_is_a_400(
    client: TestClient,
    owner: Account,
    dataset_id: str,
    settings: Settings,
    parts: list[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Final calls sent again at once: the first one publishes the file and removes the parts
    while another one, past its checks, reads them. That one is told the upload is unknown,
    as it would be had it come a moment later (it answered a 500)."""
    from opencat.catalog import uploads
    from opencat.db import uploads as db_uploads

    url = f"/api/1/datasets/{dataset_id}/upload/"
    for index, content in enumerate(parts):
        assert _part(client, url, owner, index, content).status_code == 200
    assemble = uploads._assemble

    def finished_meanwhile(catalog: Catalog, session_id: str, total_parts: int) -> Any:
        with catalog.db.write() as conn:  # what the winning call's commit and clean-up did
            db_uploads.delete_session(conn, session_id)
        for index in range(total_parts):
            catalog.files.delete(uploads.part_key(session_id, index))
        return assemble(catalog, session_id, total_parts)

    monkeypatch.setattr(uploads, "_assemble", finished_meanwhile)
    late = _final(client, url, owner)
    assert late.status_code == 400, late.text
    assert late.json() == {"success": False, "error": "Unknown upload uuid"}
    assert client.get(f"/api/1/datasets/{dataset_id}/").json()["resources"] == []
    assert _files(settings) == []


@pytest.mark.parametrize("community", [False, True])
def test_a_body_ending_inside_the_file_keeps_nothing(
    client: TestClient, catalog: Catalog, owner: Account, dataset_id: str, settings: Settings, community: bool
) -> None:
    """No closing boundary: the file's part never ends, and its bytes stayed in the spool until
    the sweep, a day later (any signed-in user could fill the disk through community uploads)."""
    url = f"/api/1/datasets/{dataset_id}/upload/" + ("community/" if community else "")
    caller = make_user(catalog) if community else owner
    head = b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    for content in (b"abc", b"x" * 300_000):
        answer = client.post(
            url,
            content=head + content,
            headers={**caller.headers, "Content-Type": "multipart/form-data; boundary=zz"},
        )
        assert answer.status_code == 400, answer.text
        assert answer.json() == {"success": False, "error": "Missing file parameter"}
    assert list((settings.data_dir / "files" / ".spool").iterdir()) == []
    assert _files(settings) == []
    assert client.get(f"/api/1/datasets/{dataset_id}/").json()["resources"] == []


def test_a_store_failing_after_the_commit_does_not_fail_the_committed_write(
    client: TestClient,
    owner: Account,
    dataset_id: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Deleting a resource, replacing a file: the database commits, then the old file goes. A
    store failing then (S3 down) answered 500 for a write that was done, and its retry a 404."""
    from opencat.domain.errors import Reason, Unavailable
    from opencat.files.local import LocalFileStore

    url = f"/api/1/datasets/{dataset_id}/upload/"
    first = _upload(client, url, owner, "a.csv", b"a\n").json()
    replace_url = f"/api/1/datasets/{dataset_id}/resources/{first['id']}/upload/"

    def unavailable(_store: object, _key: str) -> None:
        raise Unavailable(Reason.FILE_STORE_UNAVAILABLE)

    monkeypatch.setattr(LocalFileStore, "delete", unavailable)
    replaced = _upload(client, replace_url, owner, "b.csv", b"b\n")
    assert replaced.status_code == 200, replaced.text
    deleted = client.delete(f"/api/1/datasets/{dataset_id}/resources/{first['id']}/", headers=owner.headers)
    assert deleted.status_code == 204
    assert client.get(f"/api/1/datasets/{dataset_id}/").json()["resources"] == []
    assert sum("left in the store" in record.getMessage() for record in caplog.records) == 2


def test_a_store_that_does_not_answer_holds_no_deletion(
    client: TestClient, owner: Account, dataset_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that does not answer (S3 paused) held a deletion's 204 for its two 20 s attempts:
    the removal goes on behind the answer, the file's key reserved for the sweep meanwhile."""
    import threading
    import time

    from opencat.catalog import file_removal
    from opencat.files.local import LocalFileStore

    url = f"/api/1/datasets/{dataset_id}/upload/"
    made = _upload(client, url, owner, "a.csv", b"a\n").json()
    released, called = threading.Event(), threading.Event()
    original = LocalFileStore.delete

    def stuck(store: LocalFileStore, key: str) -> None:
        called.set()
        released.wait(30)
        original(store, key)

    monkeypatch.setattr(LocalFileStore, "delete", stuck)
    monkeypatch.setattr(file_removal, "REMOVAL_WAIT_SECONDS", 0.2)
    started = time.monotonic()
    deleted = client.delete(f"/api/1/datasets/{dataset_id}/resources/{made['id']}/", headers=owner.headers)
    assert deleted.status_code == 204
    assert time.monotonic() - started < 5
    assert called.is_set()
    assert client.get(f"/api/1/datasets/{dataset_id}/").json()["resources"] == []
    released.set()


def test_a_stale_if_match_is_refused_on_uploads_too(
    client: TestClient, catalog: Catalog, settings: Settings
) -> None:
    """A file replaced on a version another writer changed since overwrote their edit: 412, before
    the body is read, whether the file comes whole or in parts; nothing is stored. A community
    resource is no part of the dataset's version: its uploads read no ``If-Match``."""
    alice = make_user(catalog)
    view = make_dataset(
        catalog,
        alice,
        resources=[{"title": "link", "url": "https://example.org/a.csv", "filetype": "remote"}],
    )
    dataset_id, rid = view.dataset.id, view.resources[0].id
    url = f"/api/1/datasets/{dataset_id}/"
    stale = client.get(url).headers["etag"]
    assert (
        client.put(f"{url}resources/{rid}/", json={"title": "B's"}, headers=alice.headers).status_code == 200
    )
    current = client.get(url).headers["etag"]
    stale_headers = {**alice.headers, "If-Match": stale}
    file = {"file": ("data.csv", b"a,b\n1,2\n")}
    part = {"uuid": str(uuid.uuid4()), "partindex": "0", "totalparts": "2", "chunksize": "4"}
    for path, data in [
        (f"{url}upload/", {}),
        (f"{url}resources/{rid}/upload/", {}),
        (f"{url}upload/", part),
        (f"{url}resources/{rid}/upload/", part),
    ]:
        refused = client.post(path, files=file, data=data, headers=stale_headers)
        assert refused.status_code == 412, (path, data, refused.text)
    # Before the resource is looked for, as the resource's PUT answers a stale tag on an unknown one.
    unknown = f"{url}resources/00000000-0000-4000-8000-000000000000/"
    assert client.put(unknown, json={"title": "x"}, headers=stale_headers).status_code == 412
    assert client.post(f"{unknown}upload/", files=file, headers=stale_headers).status_code == 412
    after = client.get(url)
    assert after.headers["etag"] == current
    assert [resource["title"] for resource in after.json()["resources"]] == ["B's"]
    assert _files(settings) == []
    # A current one, or a list holding it, goes through.
    done = client.post(
        f"{url}resources/{rid}/upload/", files=file, headers={**alice.headers, "If-Match": current}
    )
    assert done.status_code == 200, done.text
    newer = client.get(url).headers["etag"]
    added = client.post(
        f"{url}upload/", files=file, headers={**alice.headers, "If-Match": f"{stale}, {newer}"}
    )
    assert added.status_code == 201, added.text
    proposed = client.post(
        f"{url}upload/community/", files=file, headers={**alice.headers, "If-Match": stale}
    )
    assert proposed.status_code == 201, proposed.text
