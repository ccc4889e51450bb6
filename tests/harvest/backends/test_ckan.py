"""The CKAN backend against a local package_search that pages real packages with rows/start."""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from opencat.catalog.harvest_backends.ckan import CkanBackend
from opencat.domain.harvest import HarvestSourceError, ItemFailure
from opencat.links.harvest_fetch import GuardedFetcher, HarvestPolicy
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
    read = []
    with pytest.raises(HarvestSourceError, match="same packages"):
        read.extend(item.remote_id for item in items)  # type: ignore[union-attr]
    # Three pages in a row of packages just read (one such page is no loop: a listing may repeat).
    assert read == [PACKAGES[0]["id"], PACKAGES[1]["id"]] * 3


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


def test_a_server_cycling_between_two_pages_is_a_paging_loop(
    remote: CatalogServer, fetcher: UrllibFetcher
) -> None:
    """Each page differs from the one before it, yet brings nothing new: the run ended only when
    the fake did (a million-package count, 10,000 'listed twice' failures in 10 s)."""

    def cycling(path: str) -> Reply:
        start = int(parse_qs(urlsplit(path).query)["start"][0])
        pair = PACKAGES[:1] if (start // 1) % 2 == 0 else PACKAGES[1:2]
        envelope = {"success": True, "result": {"count": 1_000_000, "results": pair}}
        return Reply(json.dumps(envelope).encode(), "application/json")

    remote.routes[SEARCH] = cycling
    items = CkanBackend().items(remote.base, fetcher, {"page_size": 1})
    read = []
    with pytest.raises(HarvestSourceError, match="same packages"):
        read.extend(item.remote_id for item in items)  # type: ignore[union-attr]
    assert read == [PACKAGES[0]["id"], PACKAGES[1]["id"]] * 2


def test_what_is_no_public_dataset_is_left_out(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    """udata-ckan skips ckanext-harvest's sources and private packages; a draft is not published."""
    normal = PACKAGES[0]
    others = [
        {**PACKAGES[1], "type": "harvest"},
        {**PACKAGES[1], "id": "private-one", "private": True},
        {**PACKAGES[1], "id": "draft-one", "state": "draft"},
        {**PACKAGES[2], "type": "dataset", "private": False, "state": "active"},
    ]
    remote.routes[SEARCH] = _search([normal, *others])
    datasets, failures = collect(CkanBackend().items(remote.base, fetcher, {"page_size": 2}))
    assert failures == []
    assert [dataset.remote_id for dataset in datasets] == [normal["id"], PACKAGES[2]["id"]]


def test_a_period_given_as_a_year_or_a_month_ends_on_its_last_day(
    remote: CatalogServer, fetcher: UrllibFetcher
) -> None:
    """udata-ckan's ``daterange_end``: ``2020`` ends on 31 December (it was 1 January)."""

    def with_extras(package_id: str, start: str, end: str) -> dict[str, object]:
        extras = [{"key": "temporal_start", "value": start}, {"key": "temporal_end", "value": end}]
        return {**PACKAGES[0], "id": package_id, "extras": extras}

    packages = [
        with_extras("a", "2019", "2020"),
        with_extras("b", "2019-02", "2019-02"),
        with_extras("c", "2019-06-03", "2019-06-05"),
    ]
    remote.routes[SEARCH] = _search(packages)
    datasets, _ = collect(CkanBackend().items(remote.base, fetcher, {}))
    assert [(d.temporal_start, d.temporal_end) for d in datasets] == [
        (date(2019, 1, 1), date(2020, 12, 31)),
        (date(2019, 2, 1), date(2019, 2, 28)),
        (date(2019, 6, 3), date(2019, 6, 5)),
    ]


def test_the_spatial_extra_is_the_drawn_area(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    """ckanext-spatial's GeoJSON, as udata's CKAN harvester reads it (a Polygon wrapped as a
    MultiPolygon, a MultiPolygon, an object rather than its text); it stayed an extra."""
    ring = [[2.0, 48.0], [3.0, 48.0], [3.0, 49.0], [2.0, 48.0]]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    multi = {"type": "MultiPolygon", "coordinates": [[ring]]}
    point = {"type": "Point", "coordinates": [2.0, 48.0]}

    def with_spatial(package_id: str, value: object) -> dict[str, object]:
        return {**PACKAGES[0], "id": package_id, "extras": [{"key": "spatial", "value": value}]}

    packages = [
        with_spatial("polygon", json.dumps(polygon)),
        with_spatial("multi", json.dumps(multi)),
        with_spatial("object", polygon),
        with_spatial("point", json.dumps(point)),
        with_spatial("garbage", "{not json"),
    ]
    remote.routes[SEARCH] = _search(packages)
    datasets, _ = collect(CkanBackend().items(remote.base, fetcher, {}))
    found = {d.remote_id: d for d in datasets}
    for name in ("polygon", "multi", "object"):
        assert found[name].geom == multi, name
        assert "spatial" not in found[name].extras
    for name in ("point", "garbage"):
        assert found[name].geom is None
        assert "spatial" in found[name].extras  # kept as the source wrote it


def test_a_resource_is_known_by_its_page_at_the_source(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    """Its identity across runs: a file replaced at the source (a new URL) keeps its id here."""
    remote.routes[SEARCH] = _search(PACKAGES[:1])
    datasets, _ = collect(CkanBackend().items(remote.base, fetcher, {}))
    package = PACKAGES[0]
    expected = [f"{remote.base}/dataset/{package['id']}/resource/{r['id']}" for r in package["resources"]]
    assert [resource.uri for resource in datasets[0].resources] == expected


def test_gone_is_what_package_show_does_not_give_as_a_public_dataset(remote: CatalogServer) -> None:
    guarded = GuardedFetcher(HarvestPolicy(timeout=5, allow_private=True))
    show = "/api/3/action/package_show"

    def shown(package: dict[str, object], status: int = 200) -> Reply:
        body = {"success": status == 200, "result": package} if status == 200 else {"success": False}
        return Reply(json.dumps(body).encode(), "application/json", status)

    backend = CkanBackend()
    answers = {
        "live": shown({"id": "live", "state": "active"}),
        "deleted": shown({"id": "deleted", "state": "deleted"}),
        "private": shown({"id": "private", "private": True}),
        "refused": shown({}, 403),
    }
    remote.routes[show] = lambda path: answers.get(parse_qs(urlsplit(path).query)["id"][0])
    assert backend.gone(remote.base, guarded, {}, "live") is False
    assert [backend.gone(remote.base, guarded, {}, name) for name in ("deleted", "private")] == [True, True]
    with pytest.raises(HarvestSourceError):  # a 403 may be a firewall's: it confirms nothing
        backend.gone(remote.base, guarded, {}, "refused")
    assert backend.gone(remote.base, guarded, {}, "unknown") is True  # the server's 404
    answers["broken"] = Reply(b"{}", "application/json", 500)
    with pytest.raises(HarvestSourceError):
        backend.gone(remote.base, guarded, {}, "broken")


def test_html_notes_become_markdown_and_a_size_in_text_is_read(
    remote: CatalogServer, fetcher: UrllibFetcher
) -> None:
    """udata-ckan stores ``parse_html(notes)`` (and the resources' descriptions): HTML notes were
    stored as HTML in a Markdown field; a size given as text (``"51654"``, older CKANs) was dropped."""
    resource = {
        **PACKAGES[0]["resources"][0],
        "description": "<p>The <em>main</em> file</p>",
        "size": "51654",
    }
    packages = [
        {
            **PACKAGES[0],
            "id": "html",
            "notes": "<p>Intro with <b>bold</b> and 2*3*4, a &lt;b&gt; literal</p><ul><li>one</li></ul>",
            "resources": [resource],
        },
        {**PACKAGES[0], "id": "markdown", "notes": "Already **Markdown**, 2*3", "resources": []},
    ]
    remote.routes[SEARCH] = _search(packages)
    datasets, _ = collect(CkanBackend().items(remote.base, fetcher, {}))
    found = {d.remote_id: d for d in datasets}
    assert found["html"].description == "Intro with **bold** and 2\\*3\\*4, a \\<b> literal\n\n* one"
    assert found["html"].resources[0].description == "The *main* file"
    assert found["html"].resources[0].filesize == 51654
    assert found["markdown"].description == "Already **Markdown**, 2*3"  # Markdown as it is
