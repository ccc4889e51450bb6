"""OPENCAT_MAX_RESOURCES_PER_DATASET: every path that adds resources stops at the cap, with a clear
400 and nothing written."""

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.api import wording
from opencat.catalog import uploads
from opencat.catalog.context import Catalog
from opencat.catalog.imports import load_fixtures
from opencat.config import Settings
from opencat.domain.errors import BadRequest, Invalid
from tests.conftest import BASE_URL
from tests.factories import Account, make_dataset, make_user

CAP = 3
URL = "/api/1/datasets/"
TOO_MANY = f"A dataset cannot have more than {CAP} resources."


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=database_url, base_url=BASE_URL, max_resources_per_dataset=CAP
    )


@pytest.fixture
def owner(catalog: Catalog) -> Account:
    return make_user(catalog)


def _resources(count: int) -> list[dict[str, Any]]:
    return [{"title": f"r{n}", "url": f"https://example.org/{n}", "filetype": "remote"} for n in range(count)]


def _dataset(catalog: Catalog, owner: Account, count: int) -> str:
    """A dataset with ``count`` resources, made past the cap if asked (as under a higher cap)."""
    roomy = dataclasses.replace(catalog, max_resources=max(count, CAP))
    return make_dataset(roomy, owner, resources=_resources(count)).dataset.id


def _count(client: TestClient, dataset_id: str, owner: Account) -> int:
    return len(client.get(f"{URL}{dataset_id}/", headers=owner.headers).json()["resources"])


def _files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file() and ".spool" not in p.parts]


def test_the_catalog_takes_the_cap_from_the_settings(catalog: Catalog) -> None:
    assert catalog.max_resources == CAP


def test_create_with_resources_up_to_the_cap(client: TestClient, owner: Account) -> None:
    body = {"title": "t", "description": "d", "resources": _resources(CAP)}
    created = client.post(URL, json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    assert len(created.json()["resources"]) == CAP


def test_create_past_the_cap_is_a_form_error_and_writes_nothing(client: TestClient, owner: Account) -> None:
    body = {"title": "t", "description": "d", "resources": _resources(CAP + 1)}
    refused = client.post(URL, json=body, headers=owner.headers)
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"resources": [TOO_MANY]}}
    assert client.get(URL, headers=owner.headers).json()["total"] == 0


def test_update_up_to_the_cap(client: TestClient, catalog: Catalog, owner: Account) -> None:
    dataset_id = _dataset(catalog, owner, 1)
    url = f"{URL}{dataset_id}/"
    current = client.get(url).json()["resources"]
    updated = client.put(url, json={"resources": current + _resources(CAP - 1)}, headers=owner.headers)
    assert updated.status_code == 200, updated.text
    assert _count(client, dataset_id, owner) == CAP


def test_update_past_the_cap_is_a_form_error_and_writes_nothing(
    client: TestClient, catalog: Catalog, owner: Account
) -> None:
    dataset_id = _dataset(catalog, owner, 1)
    url = f"{URL}{dataset_id}/"
    before = client.get(url).json()
    body = {"title": "Changed", "resources": before["resources"] + _resources(CAP)}
    refused = client.put(url, json=body, headers=owner.headers)
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"resources": [TOO_MANY]}}
    assert client.get(url).json() == before


def test_a_dataset_past_a_lowered_cap_can_be_edited_but_not_grow(
    client: TestClient, catalog: Catalog, owner: Account
) -> None:
    dataset_id = _dataset(catalog, owner, CAP + 2)
    url = f"{URL}{dataset_id}/"
    current = client.get(url).json()["resources"]
    assert client.put(url, json={"title": "Renamed"}, headers=owner.headers).status_code == 200
    kept = client.put(url, json={"resources": current}, headers=owner.headers)
    assert kept.status_code == 200, kept.text
    shrunk = client.put(url, json={"resources": current[:-1]}, headers=owner.headers)
    assert shrunk.status_code == 200, shrunk.text
    grown = client.put(url, json={"resources": current + _resources(1)}, headers=owner.headers)
    assert grown.status_code == 400
    assert grown.json() == {"errors": {"resources": [TOO_MANY]}}
    assert (
        client.put(
            f"{url}resources/", json=[r["id"] for r in current[:-1]], headers=owner.headers
        ).status_code
        == 200
    )
    assert _count(client, dataset_id, owner) == CAP + 1


def test_add_resource_up_to_the_cap_then_a_message(
    client: TestClient, catalog: Catalog, owner: Account
) -> None:
    dataset_id = _dataset(catalog, owner, CAP - 1)
    url = f"{URL}{dataset_id}/resources/"
    added = client.post(url, json=_resources(1)[0], headers=owner.headers)
    assert added.status_code == 201, added.text
    refused = client.post(url, json=_resources(1)[0], headers=owner.headers)
    assert refused.status_code == 400
    assert refused.json() == {"message": TOO_MANY}
    assert _count(client, dataset_id, owner) == CAP


def _upload(client: TestClient, url: str, owner: Account) -> Any:
    return client.post(url, files={"file": ("data.csv", b"a,b\n1,2\n")}, headers=owner.headers)


def test_upload_of_a_new_resource_up_to_the_cap_then_a_message(
    client: TestClient, catalog: Catalog, owner: Account, settings: Settings
) -> None:
    dataset_id = _dataset(catalog, owner, CAP - 1)
    url = f"{URL}{dataset_id}/upload/"
    added = _upload(client, url, owner)
    assert added.status_code == 201, added.text
    stored = _files(settings)
    refused = _upload(client, url, owner)
    assert refused.status_code == 400
    assert refused.json() == {"message": TOO_MANY}
    assert _count(client, dataset_id, owner) == CAP
    assert _files(settings) == stored
    # A new file for a resource it has, and a community resource, add nothing to the dataset.
    replaced = _upload(client, f"{URL}{dataset_id}/resources/{added.json()['id']}/upload/", owner)
    assert replaced.status_code == 200, replaced.text
    assert _upload(client, f"{URL}{dataset_id}/upload/community/", owner).status_code == 201


def test_the_upload_counts_again_in_its_write_transaction(
    client: TestClient, catalog: Catalog, owner: Account, settings: Settings
) -> None:
    # The early check (before the file is read) passed; the dataset filled up meanwhile.
    dataset_id = _dataset(catalog, owner, CAP - 1)
    actor = owner.actor(catalog)
    destination = uploads.authorize(catalog, actor, uploads.UploadTarget(dataset_id))
    added = client.post(f"{URL}{dataset_id}/resources/", json=_resources(1)[0], headers=owner.headers)
    assert added.status_code == 201, added.text
    spool = uploads.open_spool(catalog)
    spool.write(b"a,b\n1,2\n")
    command = uploads.SimpleUpload(spool.finish(), "late.csv")
    with pytest.raises(BadRequest) as refused:
        uploads.run(catalog, actor, destination, command)
    assert wording.message(refused.value) == TOO_MANY
    assert _count(client, dataset_id, owner) == CAP
    assert _files(settings) == []


def _fixture(tmp_path: Path, count: int) -> Path:
    when = "2020-01-01T00:00:00+00:00"
    document = {
        "id": "5a5a5a5a5a5a5a5a5a5a5a5a",
        "title": "Many",
        "created_at": when,
        "last_modified": when,
        "resources": [
            {
                "id": f"0b0b0b0b-0b0b-4b0b-8b0b-{n:012d}",
                "title": f"r{n}",
                "url": f"https://example.org/{n}",
                "created_at": when,
                "last_modified": when,
            }
            for n in range(count)
        ],
    }
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps([document]))
    return path


def test_load_fixtures_up_to_the_cap(client: TestClient, catalog: Catalog, tmp_path: Path) -> None:
    assert load_fixtures(catalog, _fixture(tmp_path, CAP)) == 1
    assert len(client.get(f"{URL}5a5a5a5a5a5a5a5a5a5a5a5a/").json()["resources"]) == CAP


def test_load_fixtures_refuses_a_record_past_the_cap(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    with pytest.raises(Invalid) as refused:
        load_fixtures(catalog, _fixture(tmp_path, CAP + 1))
    assert wording.worded(refused.value.errors) == {"resources": [f"5a5a5a5a5a5a5a5a5a5a5a5a: {TOO_MANY}"]}
    assert client.get(URL).json()["total"] == 0
