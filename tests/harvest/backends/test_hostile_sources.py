"""Sources that never end or send what no reader expects: each is bounded, and one bad entry
fails alone (a review's hostile server found every case below unbounded, or fatal to the run)."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from opencat.catalog.harvest_backends.ckan import LEFT_OUT_PAGES, CkanBackend
from opencat.catalog.harvest_backends.dcat import DcatBackend
from opencat.catalog.harvest_backends.paging import EMPTY_PAGES
from opencat.catalog.harvest_backends.udata import UdataBackend
from opencat.catalog.harvest_mapping import checked_fingerprint
from opencat.domain.harvest import HarvestSourceError, RemoteDataset
from tests.harvest.backends.conftest import CatalogServer, Reply, UrllibFetcher, collect


def _page_number(path: str) -> int:
    return int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])


def test_udata_pages_that_never_end_empty_stop_as_a_loop(
    remote: CatalogServer, fetcher: UrllibFetcher
) -> None:
    def endless(path: str) -> Reply:
        following = remote.url(f"/api/1/datasets/?page={_page_number(path) + 1}")
        return Reply(json.dumps({"data": [], "next_page": following}).encode(), "application/json")

    remote.routes["/api/1/datasets/"] = endless
    with pytest.raises(HarvestSourceError, match="paging loops"):
        collect(UdataBackend().items(remote.url("/api/1/datasets/"), fetcher, {}))
    assert len(remote.requests) == EMPTY_PAGES  # 9,000 requests in 20 s before


def test_dcat_pages_that_never_end_empty_stop(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    def endless(path: str) -> Reply:
        following = remote.url(f"/catalog.ttl?page={_page_number(path) + 1}")
        body = (
            "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
            f"<{remote.url(path)}> a hydra:PartialCollectionView ; hydra:next <{following}> .\n"
        )
        return Reply(body.encode(), "text/turtle")

    remote.routes["/catalog.ttl"] = endless
    with pytest.raises(HarvestSourceError, match="paging never ends"):
        collect(DcatBackend().items(remote.url("/catalog.ttl?page=1"), fetcher, {}))
    assert len(remote.requests) <= EMPTY_PAGES + 2  # the read-ahead may have asked one more


def test_ckan_pages_of_private_packages_only_stop(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    def private_only(path: str) -> Reply:
        start = int(parse_qs(urlsplit(path).query)["start"][0])
        packages = [
            {"id": f"p{start + number}", "name": f"p{start + number}", "title": "t", "private": True}
            for number in range(10)
        ]
        answer = {"success": True, "result": {"count": 10**12, "results": packages}}
        return Reply(json.dumps(answer).encode(), "application/json")

    remote.routes["/api/3/action/package_search"] = private_only
    with pytest.raises(HarvestSourceError, match="hold no public dataset"):
        collect(CkanBackend().items(remote.url("/"), fetcher, {"page_size": 10}))
    assert len(remote.requests) == LEFT_OUT_PAGES


def test_an_id_that_is_a_list_fails_its_entry_alone(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    entries = [
        {"id": "ds-1", "title": "Un"},
        {"id": ["a", "b"], "title": "x"},
        {"id": {"nested": 1}, "title": "y"},
        {"id": "ds-2", "title": "Deux"},
    ]
    remote.routes["/api/1/datasets/"] = Reply(
        json.dumps({"data": entries, "next_page": None}).encode(), "application/json"
    )
    datasets, failures = collect(UdataBackend().items(remote.url("/api/1/datasets/"), fetcher, {}))
    # it was "TypeError: unhashable type: 'list'", the job failed and nothing was created
    assert [item.remote_id for item in datasets] == ["ds-1", "ds-2"]
    assert [failure.error for failure in failures] == ["a dataset without an id"] * 2


def test_a_lone_surrogate_fails_its_entry_alone() -> None:
    entry = RemoteDataset(remote_id="s-1", title="a\ud800b", description="")
    assert checked_fingerprint(entry) == (None, "it holds text that is not valid Unicode (a lone surrogate)")
    fine = RemoteDataset(remote_id="s-2", title="ab", description="")
    assert checked_fingerprint(fine)[0] is not None
