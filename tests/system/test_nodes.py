"""Two nodes: two ``opencat serve`` with data directories (hence search indexes) of their own, on
one PostgreSQL database and one file store, behind one public address. A write on either is read
and found by search on the other at once (issue 9). PostgreSQL only: SQLite cannot be shared."""

import random
import string
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest

from opencat.catalog import accounts
from opencat.db.migrate import upgrade
from tests.s3 import BUCKET
from tests.system.conftest import Launcher, client_catalog
from tests.system.harness import Server, client, server_errors

pytestmark = pytest.mark.postgresql_only

# Both nodes answer for one public address (a load balancer's); URLs in responses use it.
PUBLIC = "http://catalog.example"


def word() -> str:
    return "zq" + "".join(random.choices(string.ascii_lowercase, k=10))


@pytest.fixture(scope="module")
def api_key(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    catalog = client_catalog(tmp_path_factory.mktemp("client"), module_database)
    upgrade(catalog.db)
    _, key = accounts.create_user(catalog, email="nodes@example.org", first_name="No", last_name="Des")
    catalog.db.dispose()
    return key


def _local_store(launch: Launcher, name: str, shared: Path) -> None:
    """No setting shares the local store (it is ``<data_dir>/files``): each node's is a link to one
    directory, as an operator would mount one network share at both paths."""
    (launch.root / name / "data" / "files").symlink_to(shared, target_is_directory=True)


@pytest.fixture(params=["local", "s3"])
def nodes(
    request: pytest.FixtureRequest, module_database: str, api_key: str, launch: Launcher
) -> tuple[Server, Server]:
    settings: dict[str, str] = {}
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        settings = {
            "storage_url": f"s3://{BUCKET}/{request.getfixturevalue('s3_prefix')}",
            "s3_endpoint_url": endpoint,
        }
    started = []
    for name in ("a", "b"):
        env = launch.env(name, module_database, PUBLIC, **settings)
        if request.param == "local":
            shared = launch.root / "shared-files"
            shared.mkdir(exist_ok=True)
            _local_store(launch, name, shared)
        started.append(launch.start(env, workers=1))
    return started[0], started[1]


def _ids(response: httpx2.Response) -> set[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["data"] if isinstance(body, dict) else body
    return {item["id"] for item in items}


def test_a_write_on_one_node_is_read_and_found_on_the_other(
    nodes: tuple[Server, Server], api_key: str
) -> None:
    node_a, node_b = nodes
    key = {"X-API-KEY": api_key}
    title, tag = word(), word()
    record: list[httpx2.Response] = []
    with client(node_a.url, record) as a, client(node_b.url, record) as b:
        made = a.post(
            "/api/1/datasets/",
            json={"title": f"Node {title}", "description": "x", "tags": [tag]},
            headers=key,
        )
        assert made.status_code == 201, made.text
        dataset = made.json()["id"]
        # Node B has never heard of it: its own index catches up from the database's outbox.
        assert b.get(f"/api/1/datasets/{dataset}/").status_code == 200
        assert dataset in _ids(b.get("/api/1/datasets/", params={"q": title}))
        assert dataset in _ids(b.get("/api/1/datasets/", params={"tag": tag}))
        assert dataset in _ids(b.get("/api/1/datasets/suggest/", params={"q": f"Node {title}"}))
        assert dataset in _ids(b.get("/api/2/datasets/search/", params={"q": title}))
        # A file uploaded through A is downloaded through B: the permalink, then the file.
        uploaded = a.post(
            f"/api/1/datasets/{dataset}/upload/", files={"file": ("shared.csv", b"a,b\n1,2\n")}, headers=key
        )
        assert uploaded.status_code == 201, uploaded.text
        permalink = b.get(f"/api/1/datasets/r/{uploaded.json()['id']}")
        assert permalink.status_code == 302
        location = permalink.headers["location"]
        # The local store: B serves the file at the public address's path; S3 serves its own.
        file = b.get(urlsplit(location).path) if location.startswith(PUBLIC) else httpx2.get(location)
        assert (file.status_code, file.content) == (200, b"a,b\n1,2\n")
        # An update through B is found by search on A, and the old title no longer is.
        renamed = word()
        edit = b.put(f"/api/1/datasets/{dataset}/", json={"title": f"Moved {renamed}"}, headers=key)
        assert edit.status_code == 200, edit.text
        assert dataset in _ids(a.get("/api/1/datasets/", params={"q": renamed}))
        assert dataset not in _ids(a.get("/api/1/datasets/", params={"q": title}))
        assert a.get(f"/api/1/datasets/{dataset}/").json()["title"] == f"Moved {renamed}"
    errors = server_errors(record)
    assert not errors, "server errors:\n" + "\n".join(errors)
