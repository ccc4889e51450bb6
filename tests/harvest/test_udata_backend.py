"""udata's API v1 read into remote datasets: real data.gouv.fr answers served on loopback."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from opencat.catalog.harvest_backends import BACKENDS
from opencat.catalog.harvest_backends.udata import UdataBackend, first_page
from opencat.catalog.harvest_mapping import checked_fingerprint
from opencat.domain.harvest import HarvestSourceError, ItemFailure, RemoteDataset, SourceUnchanged
from opencat.links.harvest_fetch import GuardedFetcher, HarvestPolicy, Validators
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Document, Site, SiteServer


def fetcher() -> GuardedFetcher:
    return GuardedFetcher(HarvestPolicy(timeout=5, allow_private=True))


def base(remote: SiteServer) -> str:
    return remote.url("")


def test_every_page_is_read_and_each_dataset_mapped(site: Site, remote: SiteServer) -> None:
    datasets = real_datasets(7)
    publish_pages(site, base(remote), datasets, page_size=3)

    items = list(UdataBackend().items(base(remote), fetcher(), {"page_size": 3}))

    assert [item.remote_id for item in items] == [doc["id"] for doc in datasets]
    assert len(site.requests) == 3
    first = items[0]
    assert isinstance(first, RemoteDataset)
    source = datasets[0]
    assert first.title == source["title"]
    assert first.license == "fr-lo"
    assert first.frequency == "annual"
    assert (first.temporal_start, first.temporal_end) == (date(1999, 1, 1), date(2011, 12, 31))
    assert (first.zones, first.granularity) == (("country:fr",), "fr:departement")
    assert first.remote_url == "https://www.data.gouv.fr/fr/datasets/accidents-de-la-route/"
    assert first.issued_at == datetime(2013, 12, 16, 15, 50, 20, 702000, tzinfo=UTC)
    assert len(first.resources) == len(source["resources"])
    resource = first.resources[0]
    assert resource.url == source["resources"][0]["url"]
    assert (resource.title, resource.type, resource.format) == ("Accidents de la route", "main", None)
    assert BACKENDS["udata"].name == "udata"


def test_the_site_or_its_endpoint_may_be_given() -> None:
    assert (
        first_page("https://example.org/", {})
        == "https://example.org/api/1/datasets/?page_size=100&sort=created"
    )
    assert first_page("https://example.org/api/1/datasets/", {"page_size": 20, "organization": "abc"}) == (
        "https://example.org/api/1/datasets/?page_size=20&sort=created&organization=abc"
    )
    assert (
        first_page("https://example.org/api/1/datasets/?tag=x", {})
        == "https://example.org/api/1/datasets/?tag=x"
    )
    assert first_page("https://example.org", {"page_size": 10**6}).endswith("page_size=100&sort=created")
    # The site's own query is kept, the endpoint's path put on the site's (it was put after ``?``).
    assert first_page("https://example.org/portal/?lang=fr", {}) == (
        "https://example.org/portal/api/1/datasets/?lang=fr&page_size=100&sort=created"
    )


def test_a_paging_loop_fails_the_source(site: Site, remote: SiteServer) -> None:
    publish_pages(site, base(remote), real_datasets(4), page_size=2)
    looping = json.loads(site.documents["/api/1/datasets/?page_size=2&page=2"].body)
    looping["next_page"] = remote.url("/api/1/datasets/?page_size=2&page=1")
    site.documents["/api/1/datasets/?page_size=2&page=2"] = Document(json.dumps(looping).encode())

    items = UdataBackend().items(base(remote), fetcher(), {"page_size": 2})
    with pytest.raises(HarvestSourceError, match="paging loops"):
        list(items)


def test_garbage_fails_the_source(site: Site, remote: SiteServer) -> None:
    site.documents["/api/1/datasets/?page_size=100&sort=created"] = Document(
        b"<html>maintenance</html>", "text/html"
    )

    with pytest.raises(HarvestSourceError, match="did not answer JSON"):
        list(UdataBackend().items(base(remote), fetcher(), {}))

    site.documents["/api/1/datasets/?page_size=100&sort=created"] = Document(b'{"message": "nope"}')
    with pytest.raises(HarvestSourceError, match="no 'data' list"):
        list(UdataBackend().items(base(remote), fetcher(), {}))


def test_an_unreadable_entry_is_a_failed_item_with_its_excerpt(site: Site, remote: SiteServer) -> None:
    good = real_datasets(1)[0]
    page = {"data": [{"id": "x1", "title": ""}, 42, good], "next_page": None}
    site.documents["/api/1/datasets/?page_size=100&sort=created"] = Document(json.dumps(page).encode())

    items = list(UdataBackend().items(base(remote), fetcher(), {}))

    assert isinstance(items[0], ItemFailure)
    assert (items[0].remote_id, items[0].error, items[0].excerpt) == (
        "x1",
        "a dataset without a title",
        '{"id": "x1", "title": ""}',
    )
    assert items[1] == ItemFailure(None, "a dataset entry is not an object", "42")
    assert isinstance(items[2], RemoteDataset)


def test_an_unchanged_first_page_reads_nothing(site: Site, remote: SiteServer) -> None:
    publish_pages(site, base(remote), real_datasets(2), page_size=100)
    site.documents["/api/1/datasets/?page_size=100&sort=created"].etag = '"same"'
    url = remote.url("/api/1/datasets/?page_size=100&sort=created")
    kept = GuardedFetcher(HarvestPolicy(allow_private=True), {url: Validators('"same"')})

    with pytest.raises(SourceUnchanged):  # the run takes it as "every record unchanged"
        next(UdataBackend().items(base(remote), kept, {}))
    assert kept.not_modified == [url]


def fingerprint_of(remote: RemoteDataset, context: str = "") -> str | None:
    return checked_fingerprint(remote, context)[0]


def test_the_runs_fingerprint_tells_entries_apart(site: Site, remote: SiteServer) -> None:
    """The run's fingerprint (orjson, with the mapping context): stable, and changed by any field,
    nested ones included, or the context."""
    publish_pages(site, base(remote), real_datasets(20), page_size=100)

    items = [
        item for item in UdataBackend().items(base(remote), fetcher(), {}) if isinstance(item, RemoteDataset)
    ]

    assert len(items) == 20
    assert len({fingerprint_of(item) for item in items}) == 20
    first = next(item for item in items if item.resources)
    assert fingerprint_of(first) == fingerprint_of(replace(first))
    changes: list[dict[str, object]] = [
        {"title": first.title + "!"},
        {"tags": (*first.tags, "one-more")},
        {"extras": {**first.extras, "added": [1, {"deep": True}]}},
        {
            "resources": (
                replace(first.resources[0], url=first.resources[0].url + "?v=2"),
                *first.resources[1:],
            )
        },
        {"modified_at": None if first.modified_at else first.issued_at},
    ]
    for change in changes:
        assert fingerprint_of(replace(first, **change)) != fingerprint_of(first), change  # type: ignore[arg-type]
    assert fingerprint_of(first, "another context") != fingerprint_of(first)


def test_pages_that_only_repeat_datasets_read_are_a_paging_loop(site: Site, remote: SiteServer) -> None:
    """Every page has its own URL, but the same datasets: the job ran on, failing each as listed
    twice (26,000 items in a review), and the source could not be run again meanwhile."""
    docs = real_datasets(3)
    for number in range(1, 6):
        following = remote.url(f"/api/1/datasets/?page_size=3&page={number + 1}")
        envelope = json.dumps({"data": docs, "next_page": following}).encode()
        key = (
            "/api/1/datasets/?page_size=3&sort=created"
            if number == 1
            else f"/api/1/datasets/?page_size=3&page={number}"
        )
        site.documents[key] = Document(envelope)

    items = UdataBackend().items(base(remote), fetcher(), {"page_size": 3})
    read = []
    with pytest.raises(HarvestSourceError, match="lists only datasets already read"):
        read.extend(item.remote_id for item in items)  # type: ignore[union-attr]
    # Three pages in a row of them (one such page is no loop: a listing may repeat datasets).
    assert read == [doc["id"] for doc in docs] * 3


def test_gone_asks_the_dataset_itself(site: Site, remote: SiteServer) -> None:
    doc = real_datasets(1)[0]
    backend = UdataBackend()
    path = f"/api/1/datasets/{doc['id']}/"
    site.documents[path] = Document(json.dumps(doc).encode())
    assert backend.gone(base(remote), fetcher(), {}, doc["id"]) is False
    assert (
        backend.gone(base(remote), fetcher(), {"organization": doc["organization"]["id"]}, doc["id"]) is False
    )
    assert backend.gone(base(remote), fetcher(), {"organization": "another"}, doc["id"]) is True
    for flag in ("deleted", "archived"):
        site.documents[path] = Document(json.dumps({**doc, flag: "2024-01-01T00:00:00+00:00"}).encode())
        assert backend.gone(base(remote), fetcher(), {}, doc["id"]) is True
    assert backend.gone(base(remote), fetcher(), {}, "unknown") is True  # the site's 404
    # A source filtering its listing otherwise: what one dataset's answer cannot tell, absence tells
    site.documents[path] = Document(json.dumps(doc).encode())
    assert backend.gone(remote.url("/api/1/datasets/?tag=transport"), fetcher(), {}, doc["id"]) is True
    assert backend.gone(remote.url("/?lang=fr"), fetcher(), {}, doc["id"]) is False
    site.documents[path] = Document(b"oops", status=500)
    with pytest.raises(HarvestSourceError):
        backend.gone(base(remote), fetcher(), {}, doc["id"])


def test_a_drawn_area_and_the_resources_permalinks_are_read(site: Site, remote: SiteServer) -> None:
    doc = real_datasets(1)[0]
    area = {"type": "MultiPolygon", "coordinates": [[[[2.0, 48.0], [3.0, 48.0], [3.0, 49.0], [2.0, 48.0]]]]}
    irve = {"name": "etalab/schema-irve-statique", "version": "2.3.0", "url": None}
    resources = [{**doc["resources"][0], "schema": irve}, *doc["resources"][1:]]
    drawn = {**doc, "spatial": {**doc["spatial"], "geom": area}, "schema": irve, "resources": resources}
    publish_pages(site, base(remote), [drawn], page_size=100)
    [item] = list(UdataBackend().items(base(remote), fetcher(), {}))
    assert isinstance(item, RemoteDataset)
    assert item.geom == area
    assert [resource.uri for resource in item.resources] == [r["latest"] for r in doc["resources"]]
    # the dataset's and the resource's schemas (they were dropped), their null keys left out
    named = {"name": "etalab/schema-irve-statique", "version": "2.3.0"}
    assert (item.schema, item.resources[0].schema) == (named, named)


def test_a_source_leading_to_this_catalogs_own_api_is_refused(site: Site, remote: SiteServer) -> None:
    """A source whose page 2 redirected to the harvesting catalog's own API copied each of its
    datasets into itself (5,734 in 19 s in a review), the loop guards seeing new ids each page."""
    from opencat.domain.urls import comparable

    own = GuardedFetcher(
        HarvestPolicy(timeout=5, allow_private=True, own_api=comparable("https://data.example.org/api/"))
    )
    for url in (
        "https://data.example.org/api/1/datasets/",
        "http://DATA.example.org.:80/api/1/datasets/?page=2",
    ):
        with pytest.raises(HarvestSourceError, match="this catalog's own API"):
            own.get(url)
    assert site.requests == []  # refused before anything was asked
    site.documents["/api/1/datasets/"] = Document(
        b"", status=302, location="https://data.example.org/api/1/datasets/"
    )
    with pytest.raises(HarvestSourceError, match="this catalog's own API"):
        own.get(remote.url("/api/1/datasets/"))
    # Another application on the same host is not this catalog.
    other = GuardedFetcher(
        HarvestPolicy(timeout=5, allow_private=True, own_api=comparable(remote.url("/opencat/api/")))
    )
    site.documents["/geonetwork/"] = Document(b"{}")
    assert other.get(remote.url("/geonetwork/")).status == 200
