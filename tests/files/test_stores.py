"""One contract, every FileStore: local disk and an S3-compatible bucket."""

import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from opencat.files.base import FileStore, check_key
from opencat.files.local import LocalFileStore
from opencat.files.s3 import PROBE_TIMEOUT_SECONDS, S3FileStore
from tests.s3 import BUCKET


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FileStore]:
    if request.param == "local":
        yield LocalFileStore(tmp_path / "files", "http://testserver/resources")
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    prefix = request.getfixturevalue("s3_prefix")
    yield S3FileStore(f"s3://{BUCKET}/{prefix}", tmp_path / "spool", endpoint_url=endpoint)


def _spooled(store: FileStore, content: bytes) -> Path:
    path = store.spool_dir / "incoming"
    path.write_bytes(content)
    return path


def test_put_then_open_exists_and_delete(store: FileStore) -> None:
    key = "a-dataset/20240101-000000/data.csv"
    assert not store.exists(key)
    source = _spooled(store, b"a,b\n1,2\n")
    store.put(key, source, "text/csv")
    assert not source.exists(), "put consumes the spooled file"
    assert store.exists(key)
    with store.open(key) as stored:
        assert stored.read() == b"a,b\n1,2\n"
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting twice is fine


def test_opening_a_missing_key_is_file_not_found(store: FileStore) -> None:
    """Every store says a missing file the same way (S3's NoSuchKey was raised as is: a 500)."""
    with pytest.raises(FileNotFoundError):
        store.open("a-dataset/20240101-000000/nothing.csv")


def test_put_replaces_an_existing_key(store: FileStore) -> None:
    key = ".uploads/session/0"
    store.put(key, _spooled(store, b"first"), "application/octet-stream")
    store.put(key, _spooled(store, b"second"), "application/octet-stream")
    with store.open(key) as stored:
        assert stored.read() == b"second"


def test_url_serves_the_object(store: FileStore) -> None:
    key = "d/20240101-000000/file.json"
    store.put(key, _spooled(store, b'{"a": 1}'), "application/json")
    url = store.url(key)
    assert url.endswith("/d/20240101-000000/file.json")
    if isinstance(store, S3FileStore):
        with urllib.request.urlopen(url) as response:
            assert response.read() == b'{"a": 1}'
            assert response.headers["Content-Type"] == "application/json"
        assert store.local_path(key) is None
    else:
        local = store.local_path(key)
        assert local is not None
        assert local.read_bytes() == b'{"a": 1}'


@pytest.mark.parametrize("key", ["../x", "a/../b", "/abs", "a//b", "a/./b", "", "a b", "a\\b", "é"])
def test_unsafe_keys_are_refused(store: FileStore, key: str) -> None:
    with pytest.raises(ValueError, match="unsafe storage key"):
        check_key(key)
    with pytest.raises(ValueError, match="unsafe storage key"):
        store.exists(key)


def test_local_delete_prunes_empty_folders_but_never_the_root(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files", "http://x/resources")
    store.put("d/t/f.csv", _spooled(store, b"x"), "text/csv")
    store.delete("d/t/f.csv")
    assert not (tmp_path / "files" / "d").exists()
    assert (tmp_path / "files").is_dir()


def test_check_passes_while_files_can_be_stored(store: FileStore) -> None:
    store.check()


def test_check_fails_when_files_cannot_be_stored(store: FileStore, tmp_path: Path) -> None:
    if isinstance(store, S3FileStore):
        store.bucket = "no-such-bucket"  # deleted, or never made
    else:
        store.spool_dir.rmdir()
        store.spool_dir.write_bytes(b"")  # a file where the directory was: nothing can go in
    with pytest.raises(Exception):  # noqa: B017, PT011 - botocore's ClientError, or an OSError
        store.check()


def test_the_s3_probe_fails_fast_on_an_endpoint_that_never_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A black hole (connections taken, nothing answered) fails the readiness check in seconds."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "probe")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "probe")
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)  # the kernel completes the handshakes; nobody reads or answers
        endpoint = f"http://127.0.0.1:{hole.getsockname()[1]}"
        store = S3FileStore(
            "s3://bucket/prefix", tmp_path / "spool", endpoint_url=endpoint, region="us-east-1"
        )
        started = time.monotonic()
        with pytest.raises(Exception, match=r"(?i)timeout|timed out"):
            store.check()
    assert time.monotonic() - started < 3 * PROBE_TIMEOUT_SECONDS


def test_an_s3_store_that_refuses_or_never_answers_is_unavailable_in_bounded_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every call was a 500 (botocore's own errors), and an endpoint that never answers held an
    upload, and the dataset row its transaction locks, for three minutes: now a 503
    (``Unavailable``) within the requests' own bounds."""
    from opencat.domain.errors import Unavailable
    from opencat.files.base import delete_after_commit
    from opencat.files.s3 import ATTEMPTS, CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "probe")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "probe")
    monkeypatch.setattr("opencat.files.s3.READ_TIMEOUT_SECONDS", 1)
    with socket.socket() as hole, socket.socket() as closed:
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        for port in (closed.getsockname()[1], hole.getsockname()[1]):
            store = S3FileStore(
                "s3://bucket/prefix",
                tmp_path / "spool",
                endpoint_url=f"http://127.0.0.1:{port}",
                region="us-east-1",
            )
            started = time.monotonic()
            with pytest.raises(Unavailable):
                store.put("a/b.csv", _spooled(store, b"x"), "text/csv")
            with pytest.raises(Unavailable):
                store.exists("a/b.csv")
            with pytest.raises(Unavailable):
                store.delete("a/b.csv")
            delete_after_commit(store, "a/b.csv")  # a committed write's clean-up: logged, not raised
            assert time.monotonic() - started < 8 * ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + 1)
    assert READ_TIMEOUT_SECONDS <= 30
