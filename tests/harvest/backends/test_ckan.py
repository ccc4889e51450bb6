"""The CKAN backend against a local package_search that pages real packages with rows/start."""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from opencat.catalog.harvest_backends.ckan import CkanBackend
from opencat.domain.harvest import HarvestSourceError, ItemFailure
from tests.harvest.backends.conftest import SAMPLES, CatalogServer, Reply, UrllibFetcher, collect

PACKAGES = json.loads((SAMPLES / "ckan-packages.json").read_text("utf-8"))
SEARCH = "/api/3/action/package_search"


def _search(packages: list[object]) -> Callable[[str], Reply]:
    def answer(path: str) -> Reply:
        query = parse_qs(urlsplit(path).query)
        rows, start = int(query["rows"][0]), int(query["start"][0])
        envelope = {
            "help": "http://ckan.test/api/3/action/help_show?name=package_search",
            "success": True,
            "result": {
                "count": len(packages),
                "sort": query["sort"][0],
                "results": packages[start : start + rows],
            },
        }
        return Reply(json.dumps(envelope).encode(), "application/json")

    return answer


def test_pages_real_packages_with_rows_and_start(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    remote.routes[SEARCH] = _search(PACKAGES)
    datasets, failures = collect(CkanBackend().items(remote.base + "/", fetcher, {"page_size": 2}))
    assert failures == []
    assert [dataset.remote_id for dataset in datasets] == [package["id"] for package in PACKAGES]
    assert [urlsplit(path).query for path in remote.requests] == [
        "rows=2&start=0&sort=metadata_created+asc",
        "rows=2&start=2&sort=metadata_created+asc",
    ]
    hdx, schleswig, bgs = datasets
    assert hdx.title == "Afghanistan - Subnational Administrative Boundaries"
    assert hdx.remote_url == f"{remote.base}/dataset/cod-ab-afg"
    assert hdx.tags == (
        "administrative divisions",
        "common operational dataset - cod",
        "gazetteer",
        "geodata",
    )
    assert hdx.license == "cc-by-igo"  # none of id, URL or title is known: the id, for the run to report
    assert hdx.frequency == "annual"  # HDX's data_update_frequency, in days
    assert hdx.modified_at == datetime(2022, 2, 3, 15, 50, 27, 452866, tzinfo=UTC)
    xlsx, service = hdx.resources
    assert (xlsx.format, xlsx.filesize, xlsx.type) == ("xlsx", 142757, "main")
    assert xlsx.mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (service.format, service.filesize, service.type) == ("geoservice", None, "api")
    assert (schleswig.temporal_start, schleswig.temporal_end) == (date(2017, 1, 1), date(2017, 3, 31))
    assert schleswig.description.startswith("Dies ist ein Testdatensatz")
    assert schleswig.extras == {"issued": "2019-07-07T00:00:00", "subject_text": "Tätigkeitsbericht"}
    assert schleswig.resources == ()
    assert bgs.description.startswith("During the period 1982-86")
    assert [resource.url for resource in bgs.resources] == ["http://www.bgs.ac.uk/gbase/geochemcd/home.html"]
    assert bgs.resources[0].format == "text/html"


@pytest.mark.parametrize("suffix", ["", "/", "/api/3", "/api/3/action/package_search?q=x"])
def test_the_source_is_the_portal_or_its_api(
    remote: CatalogServer, fetcher: UrllibFetcher, suffix: str
) -> None:
    remote.routes[SEARCH] = _search(PACKAGES[:1])
    datasets, _ = collect(CkanBackend().items(remote.base + suffix, fetcher, {}))
    assert datasets[0].remote_url == f"{remote.base}/dataset/cod-ab-afg"
    assert remote.requests[0].startswith(SEARCH + "?rows=100&start=0")


def test_a_known_license_wins_and_untitled_packages_fail_alone(
    remote: CatalogServer, fetcher: UrllibFetcher
) -> None:
    titled = dict(PACKAGES[1], license_id="dl-zero", license_title="Creative Commons CCZero")
    untitled = dict(PACKAGES[2], title="  ")
    remote.routes[SEARCH] = _search([titled, untitled, "not a package"])
    datasets, failures = collect(CkanBackend().items(remote.base, fetcher, {}))
    assert [dataset.license for dataset in datasets] == ["Creative Commons CCZero"]
    assert [(failure.remote_id, failure.error) for failure in failures] == [
        (PACKAGES[2]["id"], "The package has no title"),
        (None, "A package is not a JSON object"),
    ]
    assert '"Zimbabwe Regional' not in failures[0].excerpt  # the title was blanked
    assert PACKAGES[2]["id"] in failures[0].excerpt


def test_a_server_ignoring_start_is_a_paging_loop(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    def stuck(path: str) -> Reply:
        envelope = {"success": True, "result": {"count": 10, "results": PACKAGES[:2]}}
        return Reply(json.dumps(envelope).encode(), "application/json")

    remote.routes[SEARCH] = stuck
    items = CkanBackend().items(remote.base, fetcher, {"page_size": 2})
    assert [next(items).remote_id, next(items).remote_id] == [PACKAGES[0]["id"], PACKAGES[1]["id"]]
    with pytest.raises(HarvestSourceError, match="same packages"):
        next(items)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(b"<html>CKAN is down</html>", "text/html"),
        Reply(b'{"success": false, "error": {"message": "Search error"}}', "application/json"),
        Reply(b'{"success": true, "result": {"results": "nope"}}', "application/json"),
        Reply(b"{}", "application/json", 500),
        Reply(b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ],
    ids=["html", "unsuccessful", "no-list", "http-500", "too-deep"],
)
def test_garbage_half_way_fails_the_source(
    remote: CatalogServer, fetcher: UrllibFetcher, reply: Reply
) -> None:
    first = _search(PACKAGES)

    def page(path: str) -> Reply:
        return first(path) if "start=0" in path else reply

    remote.routes[SEARCH] = page
    items = CkanBackend().items(remote.base, fetcher, {"page_size": 1})
    assert not isinstance(next(items), ItemFailure)
    with pytest.raises(HarvestSourceError):
        next(items)
