"""A remote dataset made into opencat's: license matching, harvest metadata, remote resources."""

from datetime import UTC, datetime

from opencat.catalog.harvest_mapping import References, dataset_fields, resources_of
from opencat.domain.harvest import RemoteDataset, RemoteResource
from opencat.domain.harvest_jobs import HarvestSource
from opencat.domain.references import License

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
LICENSES = [
    License("lov2", "Licence Ouverte / Open Licence version 2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", None, (), (), ("Licence Ouverte v2.0",)),
    License("odc-odbl", "Open Data Commons Open Database License (ODbL)", "https://opendatacommons.org/licenses/odbl/summary/", None, (), ("http://www.opendatacommons.org/licenses/odbl",), ()),
]  # fmt: skip
SOURCE = HarvestSource(
    "s" * 24, "Remote", "https://data.example.org/", "udata", NOW, NOW, organization_id="o" * 24
)


def fields(**values: object) -> dict[str, object]:
    remote = RemoteDataset(remote_id="r1", title="T", **values)  # type: ignore[arg-type]
    return dataset_fields(
        SOURCE, remote, References(LICENSES, {"country:fr": "country:fr", "nowhere": None}), NOW
    )


def test_licenses_match_by_id_url_or_title_else_none() -> None:
    assert fields(license="LOV2")["license"] == "lov2"
    assert fields(license="https://www.etalab.gouv.fr/licence-ouverte-open-licence")["license"] == "lov2"
    assert fields(license="licence ouverte v2.0")["license"] == "lov2"
    assert fields(license="https://www.opendatacommons.org/licenses/odbl/")["license"] == "odc-odbl"
    assert fields(license="Some licence of our own")["license"] is None


def test_harvest_metadata_in_udata_shape() -> None:
    issued = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    found = fields(remote_url="https://remote/d/1", uri="https://remote/d/1#it", issued_at=issued)

    assert found["harvest"] == {
        "backend": "udata",
        "source_id": "s" * 24,
        "remote_id": "r1",
        "domain": "data.example.org",
        "remote_url": "https://remote/d/1",
        "uri": "https://remote/d/1#it",
        # No creation date said, none invented from the issue date (udata's): a DCAT export of
        # the copy then states no dct:created the source never gave.
        "issued_at": "2020-01-02T03:04:05+00:00",
        "last_update": "2026-06-01T10:00:00+00:00",
    }
    assert (found["organization_id"], found["owner_id"]) == ("o" * 24, None)


def test_unknown_zones_are_dropped_and_tags_normalized() -> None:
    found = fields(zones=("country:fr", "nowhere"), tags=("Transport", "transport", "Vélo"))

    spatial = found["spatial"]
    assert getattr(spatial, "zones", None) == ("country:fr",)
    assert found["tags"] == ("transport", "velo")


def test_resources_keep_their_ids_when_they_come_again() -> None:
    ids = iter(f"id-{n}" for n in range(10))
    first = RemoteDataset(
        "r1",
        "T",
        resources=(RemoteResource("https://x/a.csv", uri="urn:a"), RemoteResource("https://x/b.csv")),
    )
    before = resources_of(first, [], NOW, lambda: next(ids))
    moved = RemoteDataset(
        "r1",
        "T",
        resources=(
            RemoteResource("https://x/b.csv", title="B"),
            RemoteResource("https://elsewhere/a.csv", uri="urn:a"),
            RemoteResource("https://x/c.csv"),
        ),
    )

    after = resources_of(moved, before, NOW, lambda: next(ids))

    assert [(r.id, r.url, r.title) for r in before] == [
        ("id-0", "https://x/a.csv", "a.csv"),
        ("id-1", "https://x/b.csv", "b.csv"),
    ]
    assert [(r.id, r.url, r.title) for r in after] == [
        ("id-1", "https://x/b.csv", "B"),
        ("id-0", "https://elsewhere/a.csv", "a.csv"),
        ("id-2", "https://x/c.csv", "c.csv"),
    ]
    assert {r.filetype for r in after} == {"remote"}
    assert after[1].harvest == {"uri": "urn:a", "last_update": "2026-06-01T10:00:00+00:00"}


def test_a_format_longer_than_any_is_dropped_not_stored() -> None:
    """Another catalog's junk in a format must not fail the record (PostgreSQL's column is bounded)."""
    remote = RemoteDataset(
        "urn:d",
        "D",
        resources=(
            RemoteResource("https://x/a", format=" CSV "),
            RemoteResource("https://x/b", format="y" * 255),
            RemoteResource("https://x/c", format="z" * 256),
        ),
    )
    ids = iter(["r1", "r2", "r3"])
    formats = [resource.format for resource in resources_of(remote, [], NOW, lambda: next(ids))]
    assert formats == ["csv", "y" * 255, None]


def test_a_resource_that_is_no_web_link_is_left_out() -> None:
    """A remote catalog's ``javascript:`` or ``file:`` address was stored, and the permalink then
    redirected browsers to it; the API refuses them."""
    kept = ["https://x/a.csv", "ftp://x/b.csv", "HTTP://X/c.csv"]
    refused = [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,x",
        "https://x/a b.csv",
        "https://",
    ]
    remote = RemoteDataset("urn:d", "D", resources=tuple(RemoteResource(url) for url in [*refused, *kept]))
    ids = iter(f"r{number}" for number in range(10))
    assert [resource.url for resource in resources_of(remote, [], NOW, lambda: next(ids))] == kept
