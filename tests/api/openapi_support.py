"""A catalog holding one of everything the API answers about, and the path values that reach it:
shared by the OpenAPI tests (documented arguments, answers against their schemas, fuzzing)."""

import re
from dataclasses import dataclass

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import Account, make_dataset, make_org, make_user


@dataclass
class Sample:
    owner: Account
    admin: Account
    values: dict[str, str]  # path parameter name -> a value that exists

    def fill(self, path: str) -> str:
        values = dict(self.values)
        if path.startswith("/api/1/organizations/"):
            values["ident"] = values["organization"]
        elif path.startswith("/api/1/users/"):
            values["ident"] = self.owner.user.id
        return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def populate(client: TestClient, catalog: Catalog) -> Sample:
    owner, admin = make_user(catalog), make_user(catalog, sysadmin=True)
    org = make_org(catalog, **{owner.user.id: "admin"})
    view = make_dataset(
        catalog,
        owner,
        tags=["transport"],
        temporal_coverage=None,
        resources=[{"title": "Timetable", "url": "https://example.org/bus.csv", "filetype": "remote"}],
    )
    dataset_id = view.dataset.id
    upload = client.post(
        f"/api/1/datasets/{dataset_id}/upload/",
        files={"file": ("stops.csv", b"id,name\n1,Gare\n")},
        headers=owner.headers,
    )
    assert upload.status_code == 201, upload.text
    community = client.post(
        "/api/1/datasets/community_resources/",
        json={
            "title": "Cleaned",
            "url": "https://example.org/c.csv",
            "filetype": "remote",
            "dataset": {"id": dataset_id},
        },
        headers=owner.headers,
    )
    assert community.status_code == 201, community.text
    assert client.post(f"/api/1/datasets/{dataset_id}/followers/", headers=owner.headers).status_code == 201
    values = {
        "ident": dataset_id,
        "rid": view.resources[0].id,
        "community": community.json()["id"],
        "key": upload.json()["url"].split("/resources/", 1)[1],
        "format": "ttl",
        "id": "fr:commune:13055",
        "ids": "fr:departement:13,country:fr",
        "uuid": "00000000-0000-4000-8000-000000000000",
        "badge_kind": "spd",
    }
    values["organization"] = org.slug
    return Sample(owner, admin, values)
