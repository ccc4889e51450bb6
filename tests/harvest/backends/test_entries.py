"""CKAN packages and data.json entries one at a time: the edges real sources reach."""

from datetime import date

import pytest

from opencat.catalog.harvest_backends.ckan import read_package
from opencat.catalog.harvest_backends.datajson import read_entry
from opencat.domain.harvest import ItemFailure, RemoteDataset

SITE = "https://ckan.test"


def _package(**fields: object) -> RemoteDataset:
    read = read_package({"id": "p1", "name": "p-one", "title": "P"} | fields, SITE)
    assert isinstance(read, RemoteDataset)
    return read


@pytest.mark.parametrize(
    ("hash_", "expected"),
    [
        ("md5:" + "A" * 32, ("md5", "a" * 32)),
        ("sha-256:" + "b" * 64, ("sha256", "b" * 64)),
        ("c" * 40, ("sha1", "c" * 40)),
        ("d" * 128, ("sha512", "d" * 128)),
        ("e" * 33, None),  # no algorithm has that length
        ("crc32:1234abcd", None),
        ("not hex at all", None),
        ("", None),
    ],
)
def test_resource_hashes(hash_: str, expected: tuple[str, str] | None) -> None:
    [resource] = _package(resources=[{"url": "https://f.test/a.csv", "hash": hash_}]).resources
    assert resource.checksum == expected


def test_package_edges() -> None:
    assert read_package({"title": "No id"}, SITE) == ItemFailure(
        None, "The package has neither an id nor a name", '{"title": "No id"}'
    )
    named = _package(id=None, name="only-a-name", frequency="x")
    assert named.remote_id == "only-a-name"
    dataset = _package(
        extras=[
            {
                "key": "frequency",
                "value": "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
            },
            {"key": "temporal_start", "value": "not a date"},
            {"key": "spatial", "value": '{"type": "Point", "coordinates": [2.3, 48.8]}'},
            "garbage",
            {"key": "empty", "value": ""},
        ],
        tags=[{"name": "a"}, "b", {"name": "a"}, {"display_name": "no name"}, 3],
        resources=[{"url": ""}, "x", {"name": "no url"}, {"url": " https://f.test/b ", "size": True}],
        metadata_modified="yesterday-ish",
    )
    assert dataset.frequency == "weekly"
    assert dataset.temporal_start is None
    assert dataset.extras == {"spatial": '{"type": "Point", "coordinates": [2.3, 48.8]}'}
    assert dataset.tags == ("a", "b")
    assert [(resource.url, resource.filesize) for resource in dataset.resources] == [
        ("https://f.test/b", None)
    ]
    assert dataset.modified_at is None


def _entry(**fields: object) -> RemoteDataset:
    read = read_entry({"identifier": "e1", "title": "E"} | fields)
    assert isinstance(read, RemoteDataset)
    return read


def test_data_json_edges() -> None:
    dataset = _entry(
        keyword="water, quality ,  ,water",
        rights="http://creativecommons.org/licenses/by/4.0/",
        license="https://example.org/terms",
        temporal="2001",
        distribution=[
            "x",
            {"title": "no url"},
            {"downloadURL": "https://f.test/a", "byteSize": 12},
            {"downloadURL": "https://f.test/b", "byteSize": -1},
            {"downloadURL": "https://f.test/c", "byteSize": "about 3 MB"},
        ],
        issued="not a date",
        modified="R/P1D",
    )
    assert dataset.tags == ("water", "quality")
    assert dataset.license == "http://creativecommons.org/licenses/by/4.0/"  # the one the catalog knows
    assert (dataset.temporal_start, dataset.temporal_end) == (None, None)
    assert [resource.filesize for resource in dataset.resources] == [12, None, None]
    assert (dataset.issued_at, dataset.modified_at) == (None, None)
    assert _entry(temporal="2010-01-01/2012").temporal_end == date(2012, 1, 1)
