"""The data.json backend on real DCAT-US catalogs served locally."""

import json
from datetime import UTC, date, datetime

import pytest

from opencat.catalog.harvest_backends import BACKENDS
from opencat.catalog.harvest_backends.datajson import frequency_of_duration, read_entry
from opencat.domain.harvest import HarvestSourceError
from tests.harvest.backends.conftest import SAMPLES, CatalogServer, Reply, UrllibFetcher, collect


def _serve(remote: CatalogServer, name: str, body: bytes | None = None) -> str:
    remote.routes[f"/{name}"] = Reply(
        body if body is not None else (SAMPLES / name).read_bytes(), "application/json"
    )
    return remote.url(f"/{name}")


def test_datos_argentina(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    datasets, failures = collect(
        BACKENDS["datajson"].items(_serve(remote, "datos-gob-ar.data.json"), fetcher, {})
    )
    assert failures == []
    [dataset] = datasets
    assert dataset.remote_id == "99db6631-d1c9-470b-a73e-c62daa32c420"
    assert dataset.title == "Sistema de contrataciones electrónicas"
    assert dataset.tags == ("bienes", "compras", "contrataciones")
    assert dataset.license == "Open Data Commons Open Database License 1.0"  # the run matches it to odc-odbl
    assert dataset.frequency == "annual"
    assert (dataset.temporal_start, dataset.temporal_end) == (date(2015, 1, 1), date(2015, 12, 31))
    assert (
        dataset.remote_url
        == "http://datos.gob.ar/dataset/sistema-de-contrataciones-electronicas-argentina-compra"
    )
    assert dataset.modified_at == datetime(2016, 4, 19, 22, 48, 5, 433640, tzinfo=UTC)
    [resource] = dataset.resources
    assert resource.url.endswith(
        "/download/convocatorias-abiertas-anio-2015.csv"
    )  # downloadURL over accessURL
    assert (resource.format, resource.mime, resource.type, resource.filesize) == (
        "csv",
        "text/csv",
        "main",
        5120,
    )
    assert resource.title == "Convocatorias abiertas durante el año 2015"


def test_usda_and_arm(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    usda, _ = collect(BACKENDS["datajson"].items(_serve(remote, "usda-gov.data.json"), fetcher, {}))
    assert len(usda) == 3
    assert usda[0].remote_id == "USDA-DM-002"
    assert usda[0].license == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert usda[0].resources[0].mime == "application/vnd.ms-excel"
    assert usda[0].modified_at == datetime(2014, 10, 3, tzinfo=UTC)
    arm, _ = collect(BACKENDS["datajson"].items(_serve(remote, "arm-gov.data.json"), fetcher, {}))
    assert [dataset.remote_id for dataset in arm] == ["ncepgfsbrwpprof", "10.5439/1027266", "avhrr12"]
    # only an accessURL (a discovery page): kept as an API-like link, not a file
    assert [(resource.format, resource.type) for resource in arm[0].resources] == [("cdf", "api")]
    assert len(arm[1].tags) == len(set(arm[1].tags))  # arm repeats keywords


def test_entries_without_identifier_or_title_fail_alone(
    remote: CatalogServer, fetcher: UrllibFetcher
) -> None:
    catalog = json.loads((SAMPLES / "usda-gov.data.json").read_bytes())
    catalog["dataset"][1]["title"] = ""
    del catalog["dataset"][2]["identifier"]
    catalog["dataset"].append(42)
    url = _serve(remote, "broken.json", json.dumps(catalog).encode())
    datasets, failures = collect(BACKENDS["datajson"].items(url, fetcher, {}))
    assert [dataset.remote_id for dataset in datasets] == ["USDA-DM-002"]
    assert [failure.error for failure in failures] == [
        "The dataset has no title",
        "The dataset has no identifier",
        "A dataset is not a JSON object",
    ]
    assert failures[0].remote_id == catalog["dataset"][1]["identifier"]
    assert "Percent change in snow residence time" in failures[1].excerpt


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Not here</html>",
        b'{"dataset": "none"}',
        b'"just a string"',
        b'{"conformsTo": "x"}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_garbage_is_a_source_error(remote: CatalogServer, fetcher: UrllibFetcher, body: bytes) -> None:
    with pytest.raises(HarvestSourceError):
        list(BACKENDS["datajson"].items(_serve(remote, "data.json", body), fetcher, {}))


def test_a_bare_list_is_a_data_json_1_0_catalog(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    entries = json.loads((SAMPLES / "usda-gov.data.json").read_bytes())["dataset"][:1]
    datasets, _ = collect(
        BACKENDS["datajson"].items(_serve(remote, "old.json", json.dumps(entries).encode()), fetcher, {})
    )
    assert [dataset.remote_id for dataset in datasets] == ["USDA-DM-002"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("R/P1Y", "annual"),
        ("R/P3M", "quarterly"),
        ("R/P1D", "daily"),
        ("R/P0.33W", "threeTimesAWeek"),
        ("R/PT1H", "hourly"),
        ("irregular", "irregular"),
        ("Annual", "annual"),
        ("Three times a week", "threeTimesAWeek"),
        ("Continuously updated", "continuous"),
        ("R/P7Y", None),
        ("", None),
        (None, None),
    ],
)
def test_frequencies(value: str | None, expected: str | None) -> None:
    assert frequency_of_duration(value) == expected


def test_temporal_with_datetimes_or_a_duration() -> None:
    base = {"identifier": "x", "title": "T"}
    nasa = read_entry(base | {"temporal": "2017-10-21T00:00:00Z/2018-11-25T23:59:59.999Z"})
    assert (nasa.temporal_start, nasa.temporal_end) == (date(2017, 10, 21), date(2018, 11, 25))  # type: ignore[union-attr]
    open_ended = read_entry(base | {"temporal": "2019-01-01/P1Y"})
    assert (open_ended.temporal_start, open_ended.temporal_end) == (date(2019, 1, 1), None)  # type: ignore[union-attr]
