"""A response sent before the request body was read to its end tells the client to reconnect."""

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.conftest import Launcher
from tests.system.harness import Server, cli


def _exchange(url: str, head: bytes, body: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n\r\n", 1)[0].lower()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_file: Path
) -> Iterator[tuple[Server, str]]:
    """The server, and a publisher's API key."""
    root = tmp_path_factory.mktemp("unread")
    shutil.copyfile(migrated_sqlite_file, root / "opencat.db")  # a migrated copy: not what is tested here
    launcher = Launcher(root)
    env = launcher.env("node", f"sqlite:///{root / 'opencat.db'}")
    made = cli(env, "user", "create", "--email", "p@example.org", "--first-name", "P", "--last-name", "Q")
    yield launcher.start(env, workers=1), made["api_key"]
    launcher.stop_all()


def test_a_refusal_before_the_end_of_the_body_closes_the_connection(server: tuple[Server, str]) -> None:
    running, api_key = server
    declared = 50 * 1024 * 1024  # past OPENCAT_MAX_JSON_BYTES: refused on the declared length
    # Without a valid key, the caller is refused first (401), as udata asks before reading.
    for key, status in (
        (b"", b"401"),
        (b"X-API-KEY: not-a-key\r\n", b"401"),
        (b"X-API-KEY: " + api_key.encode() + b"\r\n", b"413"),
    ):
        head = (
            b"POST /api/1/datasets/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + key
            + f"Content-Length: {declared}\r\n\r\n".encode()
        )
        answer = _exchange(running.url, head, b"{" * 1000)
        assert answer.startswith(b"http/1.1 " + status)
        assert b"connection: close" in answer


def test_a_request_read_whole_keeps_its_connection(server: tuple[Server, str]) -> None:
    body = b"{}"
    head = (
        b"POST /api/1/datasets/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + b"X-API-KEY: " + server[1].encode() + b"\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )  # fmt: skip
    answer = _exchange(server[0].url, head, body)
    assert answer.startswith(b"http/1.1 400")  # read whole: its fields refused
    assert b"connection: close" not in answer


def test_a_write_without_a_key_is_refused_before_its_body_is_asked_for(server: tuple[Server, str]) -> None:
    """An anonymous write was answered 100 Continue, its body read (up to 10 MB a request), then
    401: the caller is refused before any of it."""
    head = (
        b"POST /api/1/datasets/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: 2000\r\n\r\n"
    )
    answer = _exchange(server[0].url, head, b"")
    assert answer.startswith(b"http/1.1 401"), answer
    assert b"connection: close" in answer
