"""Every answer, the API's JSON included, says ``X-Content-Type-Options: nosniff`` once
(``app.EVERY_ANSWER``, added by the outermost layer)."""

from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.catalog import references
from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_user


def _no_sniff(response: Any) -> list[str]:
    return [value for name, value in response.headers.multi_items() if name == "x-content-type-options"]


def test_the_apis_answers_and_errors_say_nosniff(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner, title="Horaires").dataset
    answers = [
        client.get(f"/api/1/datasets/{dataset.id}/"),
        client.get("/api/1/datasets/?page_size=1"),
        client.get("/api/1/datasets/not-there/"),  # 404 JSON
        client.get("/api/1/datasets/?page=zero"),  # 400 JSON
        client.post("/api/1/datasets/", json={}),  # 401 JSON
        client.get(f"/api/1/datasets/{dataset.id}/rdf.ttl"),
    ]
    etag = answers[0].headers["etag"]
    answers.append(client.get(f"/api/1/datasets/{dataset.id}/", headers={"If-None-Match": etag}))
    assert [answer.status_code for answer in answers] == [200, 200, 404, 400, 401, 200, 304]
    assert [_no_sniff(answer) for answer in answers] == [["nosniff"]] * len(answers)


def test_pages_files_and_the_docs_page_say_it_once(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner, title="Horaires").dataset
    uploaded = client.post(
        f"/api/1/datasets/{dataset.id}/upload/",
        files={"file": ("arrets.csv", b"a,b\n1,2\n")},
        headers=owner.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    served = client.get(uploaded.json()["url"].removeprefix("http://testserver"))
    page = client.get("/datasets/")
    docs = client.get("/api/1/")
    assert (served.status_code, page.status_code, docs.status_code) == (200, 200, 200)
    assert _no_sniff(served) == _no_sniff(page) == _no_sniff(docs) == ["nosniff"]


def test_a_500_says_nosniff(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(catalog: Catalog) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(references, "list_licenses", broken)
    response = client.get("/api/1/datasets/licenses/")
    assert response.status_code == 500
    assert _no_sniff(response) == ["nosniff"]
