"""What a publisher's script does with udata's own Python client (datagouv-client), against an
opencat server: ``python datagouv_client_flow.py BASE_URL API_KEY ORG_ID WORK_DIR`` (the key's
user an admin of the organization) prints one JSON
object of what the client saw, and fails (non-zero) on the first call the client refuses.

Run by tests/system/test_client_libraries.py with the interpreter of .venv-clients, never imported
by the test suite (the client is not installed in the project's environment)."""

import json
import sys
from pathlib import Path
from typing import Any

from datagouv import Client, Dataset, Resource  # type: ignore[import-not-found]


def _client(base_url: str, api_key: str | None = None) -> Any:
    client = Client(api_key=api_key, verbose=False)
    client.base_url = base_url  # the client knows data.gouv.fr's hosts only
    return client


def main(base_url: str, api_key: str, org_id: str, work: Path) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    publisher, anonymous = _client(base_url, api_key), _client(base_url)

    dataset = publisher.create_dataset(
        {
            "title": "Horaires des navettes",
            "description": "Les horaires",
            "frequency": "daily",
            "license": "lov2",
        }
    )
    seen["created"] = {"title": dataset.title, "frequency": dataset.frequency, "license": dataset.license}
    dataset.update({"tags": ["transport", "navettes"], "title": "Horaires des navettes fluviales"})
    seen["updated"] = {"title": dataset.title, "tags": dataset.tags}

    dataset.update_extras({"source": "script", "temporary": "x"})
    dataset.delete_extras(["temporary"])
    seen["extras"] = dataset.extras

    remote = dataset.create_remote(
        {"title": "Flux temps réel", "url": "https://example.org/flux.json", "format": "json"}
    )
    table = work / "navettes.csv"
    table.write_text("ligne,heure\nA,08:00\n", encoding="utf-8")
    static = dataset.create_static(str(table), {"title": "Horaires", "description": "Le tableau"})
    seen["static"] = {
        "title": static.title,
        "description": static.description,
        "format": static.format,
        "filesize": static.filesize,
        "checksum": static.checksum,
    }
    table.write_text("ligne,heure\nA,08:00\nB,09:30\n", encoding="utf-8")
    static.update({"title": "Horaires d'hiver"}, file_to_upload=str(table))
    seen["replaced"] = {"title": static.title, "filesize": static.filesize}

    remote.update_extras({"check:available": True, "check:status": 200})
    remote.delete_extras(["check:status"])
    seen["remote_extras"] = remote.extras
    seen["by_id_alone"] = Resource(static.id, _client=anonymous).dataset_id == dataset.id

    dataset.refresh()
    dataset.sort_resources(by="title.asc")
    read = anonymous.dataset(dataset.id)
    seen["resources"] = [resource.title for resource in read.resources]
    downloaded = work / "downloaded.csv"
    next(resource for resource in read.resources if resource.id == static.id).download(path=downloaded)
    seen["downloaded"] = downloaded.read_text(encoding="utf-8")

    listed = anonymous.get_all_from_api_query("api/1/datasets/?q=navettes&page_size=1", mask="data{id,title}")
    seen["listed"] = [item["title"] for item in listed]
    found = anonymous.get_all_from_api_query("api/2/datasets/?q=navettes&page_size=1", cast_as=Dataset)
    seen["listed_v2"] = [(item.title, len(item.resources)) for item in found]

    organization = publisher.organization(org_id)
    organization.create_dataset(
        {"title": "Arrêts des navettes", "description": "Les arrêts", "private": True}
    )
    seen["organization"] = {
        "name": organization.name,
        "datasets": sorted(item.title for item in organization.datasets),
        "seen_by_anyone": [item.title for item in anonymous.organization(org_id).datasets],
    }

    static.delete()
    dataset.delete()
    seen["after_delete"] = anonymous.session.get(f"{base_url}/api/1/datasets/{dataset.id}/").status_code
    return seen


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]))))
