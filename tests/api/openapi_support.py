"""A catalog holding one of everything the API answers about, and the path values that reach it:
shared by the OpenAPI tests (documented arguments, answers against their schemas, fuzzing)."""

import re
from dataclasses import dataclass

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.harvest_sources import SourceFields, create_source
from opencat.db import harvest as db_harvest
from opencat.domain.harvest_jobs import Counts, HarvestJob, ItemStatus, JobItem, JobStatus
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
        "level": "fr:departement",
        "identifier": owner.user.id,
        "contact": client.post(
            "/api/1/contacts/",
            json={"name": "Service", "email": "service@example.org", "organization": org.id},
            headers=owner.headers,
        ).json()["id"],
        "size": "40",
    }
    values["organization"] = org.slug
    values.update(_harvest_sample(catalog, admin, org.id, dataset_id))
    return Sample(owner, admin, values)


def _harvest_sample(catalog: Catalog, admin: Account, org_id: str, dataset_id: str) -> dict[str, str]:
    """A harvest source with one ended job that created a dataset and failed on an entry."""
    # A reserved name (RFC 2606): a preview of it fails at once, with or without a network.
    fields = SourceFields(name="Remote", url="https://remote.invalid/", backend="udata", organization=org_id)
    source = create_source(catalog, admin.actor(catalog), fields).source
    now = catalog.clock()
    job = HarvestJob(
        catalog.new_object_id(), source.id, JobStatus.DONE_ERRORS, now, now, now, counts=Counts(1, 0, 0, 0, 1)
    )
    created = JobItem("r1", ItemStatus.CREATED, now, dataset_id)
    failed = JobItem("r2", ItemStatus.FAILED, now, None, "a dataset without a title", '{"id": "r2"}')
    with catalog.db.write() as conn:
        db_harvest.insert_job(conn, job)
        db_harvest.insert_items(conn, job.id, [created, failed])
    return {"source": source.id, "job": job.id}
