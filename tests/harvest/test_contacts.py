"""Contact points a source names become the source organization's, each found again rather than
made twice, on every run; one udata's model would refuse is left out, and a dataset whose entry
names none keeps its own (udata's harvester: ``get_or_create``, then ``or dataset.contact_points``)."""

from collections.abc import Iterator, Mapping
from dataclasses import replace

import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.harvesting import run_source
from opencat.db import datasets as db_datasets
from opencat.db import harvest as db_harvest
from opencat.db.tables import contact_points
from opencat.domain.harvest import Fetcher, RemoteContact, RemoteDataset
from opencat.domain.harvest_jobs import JobStatus
from tests.harvest.site import SiteServer
from tests.harvest.test_run import OPTIONS, harvested, source_of, use_backend

SIG = RemoteContact("contact", "Service SIG", "sig@example.org")
PUBLISHER = RemoteContact("publisher", "Région Test")
REFUSED = (
    RemoteContact("contact", "No way to reach"),  # a contact needs an email or a form
    RemoteContact("creator", "Bad", "not-an-email"),
    RemoteContact("creator", "See https://spam.example"),  # udata refuses URLs in names
    RemoteContact("creator", "Formless", None, "javascript:alert(1)"),
    RemoteContact("sponsor", "Unknown role", "x@example.org"),
    RemoteContact("creator", "x" * 256, "x@example.org"),
    RemoteContact("custodian", "Broken form", None, "http://[::1"),  # it failed the whole job
)


class _Backend:
    name = "contacts"
    label = "Contacts"

    def __init__(self) -> None:
        self.entries = [
            RemoteDataset("a", "First", contacts=(SIG, PUBLISHER, *REFUSED)),
            RemoteDataset("b", "Second", contacts=(PUBLISHER,)),
            RemoteDataset("c", "Third"),
        ]

    def items(self, url: str, fetcher: Fetcher, config: Mapping[str, object]) -> Iterator[RemoteDataset]:
        yield from self.entries


def _points(catalog: Catalog) -> list[tuple[str, str | None, str, str | None, str | None]]:
    with catalog.db.read() as conn:
        rows = conn.execute(sa.select(contact_points).order_by(contact_points.c.name))
        return [(row.name, row.email, row.role, row.owner_id, row.organization_id) for row in rows]


def test_named_contacts_become_the_organizations_once(
    catalog: Catalog, client: TestClient, remote: SiteServer
) -> None:
    source_id = source_of(catalog, remote)
    use_backend(catalog, source_id, "contacts")
    backend = _Backend()
    with catalog.db.read() as conn:
        source = db_harvest.find_source(conn, source_id)
    assert source is not None
    assert source.organization_id is not None
    org = source.organization_id

    job = run_source(catalog, source_id, OPTIONS, backends={"contacts": backend})

    assert (job.status, job.counts.created) == (JobStatus.DONE, 3)
    assert _points(catalog) == [
        ("Région Test", None, "publisher", None, org),
        ("Service SIG", "sig@example.org", "contact", None, org),
    ]
    stored = harvested(catalog, source_id)
    ids = {point.name: point.id for point in _named(catalog)}
    assert stored["a"].contact_point_ids == (ids["Service SIG"], ids["Région Test"])
    assert stored["b"].contact_point_ids == (ids["Région Test"],)
    assert stored["c"].contact_point_ids == ()
    api = client.get(f"/api/1/datasets/{stored['a'].id}/").json()["contact_points"]
    assert [(point["name"], point["role"], point["organization"]["id"]) for point in api] == [
        ("Service SIG", "contact", org),
        ("Région Test", "publisher", org),
    ]

    # A run that changes an entry finds the same points again; an entry naming none keeps the
    # dataset's own (set here by its publisher).
    with catalog.db.write() as conn:
        local = replace(stored["c"], contact_point_ids=(ids["Service SIG"],))
        db_datasets.update(conn, local, local.last_update([], catalog.clock()), stored["c"].slug)
    backend.entries = [
        replace(backend.entries[0], title="First, renamed"),
        replace(backend.entries[1], contacts=(PUBLISHER, SIG)),
        replace(backend.entries[2], title="Third, renamed"),
    ]
    again = run_source(catalog, source_id, OPTIONS, backends={"contacts": backend})

    assert (again.status, again.counts.updated) == (JobStatus.DONE, 3)
    assert len(_points(catalog)) == 2
    stored = harvested(catalog, source_id)
    assert stored["a"].contact_point_ids == (ids["Service SIG"], ids["Région Test"])
    assert stored["b"].contact_point_ids == (ids["Région Test"], ids["Service SIG"])
    assert stored["c"].contact_point_ids == (ids["Service SIG"],)


def _named(catalog: Catalog) -> list[sa.Row[tuple[str, str]]]:
    with catalog.db.read() as conn:
        return list(conn.execute(sa.select(contact_points.c.id, contact_points.c.name)))
