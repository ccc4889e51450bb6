"""OPENCAT_READ_ONLY, udata's READ_ONLY_MODE: signed-in callers but sysadmins create nothing (423),
checked once the caller is known (401 first) and before their rights (403 after); edits and
deletions of what exists go on, and so do reads."""

import re
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from opencat.api.inputs import parse_community
from opencat.catalog import community
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.domain.changes import Submitted
from tests.conftest import BASE_URL
from tests.factories import make_dataset, make_user
from tests.web.publishing import hidden, sign_in

LOCKED = {"message": "Due to security reasons, the creation of new content is currently disabled."}
REMOTE = {"title": "r", "url": "https://example.org/r.csv", "filetype": "remote"}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, base_url=BASE_URL, read_only=True)


def _the_document_says_423_for_these(client: TestClient, creations: set[tuple[str, str]]) -> None:
    """The OpenAPI document lists 423 on exactly the operations that answer it here."""
    document = client.get("/api/1/swagger.json").json()
    listed = {
        (method, template)
        for template, operations in document["paths"].items()
        for method, operation in operations.items()
        if "423" in operation.get("responses", {})
    }
    templates = {
        template: re.compile(re.sub(r"\{[^}]+\}", "[^/]+", template)) for template in document["paths"]
    }
    answering = {
        (method, next(t for t, pattern in templates.items() if pattern.fullmatch(path)))
        for method, path in creations
    }
    assert listed == answering


def test_nothing_new_is_made_but_by_a_sysadmin(client: TestClient, catalog: Catalog) -> None:
    assert catalog.read_only  # from OPENCAT_READ_ONLY's setting
    before = replace(catalog, read_only=False)  # what existed when the catalog was locked
    alice, bob = make_user(before), make_user(before)
    admin = make_user(before, sysadmin=True)
    view = make_dataset(before, alice, resources=[REMOTE])
    dataset, rid = view.dataset, view.resources[0].id
    proposed = community.create_community_resource(
        before,
        bob.actor(before),
        Submitted.parse(lambda: parse_community({**REMOTE, "dataset": dataset.id}, None, creating=True)),
    )
    url = f"/api/1/datasets/{dataset.id}/"
    file = {"file": ("a.csv", b"a,b\n1,2\n")}
    creations = [
        ("post", "/api/1/datasets/", {"json": {"title": "t", "description": "d"}}),
        ("post", f"{url}resources/", {"json": REMOTE}),
        ("post", f"{url}upload/", {"files": file}),
        ("post", f"/api/1/datasets/{dataset.id}/resources/{rid}/upload/", {"files": file}),
        ("post", f"{url}upload/community/", {"files": file}),
        ("post", f"/api/1/datasets/community_resources/{proposed.item.id}/upload/", {"files": file}),
        ("post", "/api/1/datasets/community_resources/", {"json": {**REMOTE, "dataset": dataset.id}}),
        ("post", f"{url}followers/", {}),
        (
            "post",
            "/api/1/harvest/sources/",
            {"json": {"name": "s", "url": "https://example.org/", "backend": "dcat"}},
        ),
        ("post", "/api/1/contacts/", {"json": {"name": "C", "email": "c@example.org", "role": "contact"}}),
        (
            "post",
            "/api/1/harvest/source/preview/",
            {"json": {"name": "s", "url": "https://example.org/", "backend": "dcat"}},
        ),
        # udata answers 423 before it reads the body: an unreadable one is no 400 first.
        ("post", "/api/1/contacts/", {"content": b"{bad"}),
        ("post", "/api/1/harvest/sources/", {"content": b"[1]"}),
    ]
    _the_document_says_423_for_these(client, {(method, path) for method, path, _ in creations})
    for method, path, body in creations:
        assert getattr(client, method)(path, **body).status_code == 401, path  # who asks, first
        for account in (alice, bob):  # the owner, and a stranger (423 before the 403)
            answer = getattr(client, method)(path, headers=account.headers, **body)
            assert (answer.status_code, answer.json()) == (423, LOCKED), (path, answer.text)
    assert client.get("/api/1/datasets/", headers=alice.headers).json()["total"] == 1
    # What exists may still be edited and removed; reads go on.
    assert client.put(url, json={"acronym": "RO"}, headers=alice.headers).status_code == 200
    assert client.get(url).json()["acronym"] == "RO"
    # A sysadmin is not held.
    made = client.post("/api/1/datasets/", json={"title": "t", "description": "d"}, headers=admin.headers)
    assert made.status_code == 201
    added = client.post(f"{url}resources/", json={**REMOTE, "id": str(uuid.uuid4())}, headers=admin.headers)
    assert added.status_code == 201
    assert client.delete(url, headers=alice.headers).status_code == 204


def test_a_pages_form_meets_a_page_that_says_so(client: TestClient, catalog: Catalog) -> None:
    """A new dataset from the pages got the API's JSON 423."""
    before = replace(catalog, read_only=False)
    alice = make_user(before)
    sign_in(client, before, alice)
    form = client.get("/datasets/new/", headers={"Accept-Language": "fr"})
    fields = {
        "csrf_token": hidden(form.text, "csrf_token"),
        "title": "T",
        "description": "D",
        "action": "save",
    }
    refused = client.post(
        "/datasets/new/", data=fields, headers={"Accept": "text/html", "Accept-Language": "fr"}
    )
    assert refused.status_code == 423
    assert refused.headers["content-type"].startswith("text/html")
    assert "Rien de nouveau pour le moment" in refused.text
    assert client.get("/api/1/datasets/", headers=alice.headers).json()["total"] == 0


def test_an_unknown_dataset_is_a_404_before_the_423_where_udata_routes_to_it(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's route resolves ``<dataset:dataset>`` (``<crid:community>``) before the handler's
    read-only check: a creation under an unknown one's address is its 404. A follow names the dataset by a plain
    id, looked up inside the handler: 423 first there, as in udata."""
    before = replace(catalog, read_only=False)
    alice, bob = make_user(before), make_user(before)
    secret = make_dataset(before, alice, private=True).dataset.id
    file = {"file": ("a.csv", b"a,b\n1,2\n")}
    for dataset in ("0123456789abcdef01234567", "no-such-dataset", secret):
        url = f"/api/1/datasets/{dataset}/"
        for path, body in (
            (f"{url}resources/", {"json": REMOTE}),
            (f"{url}upload/", {"files": file}),
            (f"{url}resources/{uuid.uuid4()}/upload/", {"files": file}),
            (f"{url}upload/community/", {"files": file}),
        ):
            answer = client.post(path, headers=bob.headers, **body)
            assert answer.status_code == 404, (path, answer.text)
        assert client.post(f"{url}followers/", headers=bob.headers).status_code == 423
    # A community resource's file: udata's route finds the proposal first too.
    unknown = f"/api/1/datasets/community_resources/{uuid.uuid4()}/upload/"
    assert client.post(unknown, headers=bob.headers, files=file).status_code == 404
    # The owner of the private one sees it: locked.
    answer = client.post(f"/api/1/datasets/{secret}/resources/", json=REMOTE, headers=alice.headers)
    assert (answer.status_code, answer.json()) == (423, LOCKED)
