"""A database that cannot be reached is a 503 with udata's error shape, never a 500 (issue 9)."""

import socket
from pathlib import Path

from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.config import Settings
from tests.conftest import BASE_URL


def test_every_request_is_a_503_with_a_message_while_the_database_is_down(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(
        data_dir=tmp_path, database_url=f"postgresql://postgres@127.0.0.1:{port}/gone", base_url=BASE_URL
    )
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        for method, path in [
            ("GET", "/api/1/datasets/"),
            ("GET", "/api/1/datasets/?q=water"),
            ("GET", "/api/1/datasets/6b10f43a3426e677c6716bf8/"),
            ("POST", "/api/1/datasets/"),
        ]:
            key = {"X-API-KEY": "opencat_some-key"}  # checking it needs the database too
            response = client.request(method, path, json={} if method == "POST" else None, headers=key)
            assert response.status_code == 503, (path, response.text)
            assert response.json() == {"message": "The database is unavailable, please retry later"}
            assert response.headers["Retry-After"] == "5"
