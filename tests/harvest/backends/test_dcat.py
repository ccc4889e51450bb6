"""The DCAT backend against a real local server: hydra paging, one big file, loops, failures half-way."""

import re

import pytest
from rdflib import Graph
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.harvest_backends import BACKENDS
from opencat.domain.harvest import HarvestSourceError, RemoteDataset
from tests.factories import make_dataset, make_user
from tests.harvest.backends.conftest import SAMPLES, CatalogServer, Reply, UrllibFetcher, collect

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HYDRA_NEXT = "http://www.w3.org/ns/hydra/core#next"
SPAIN = "https://datos.madrid.es/egob/catalogo/300676-0-deporte-encuesta-escuelas"
ROSTOCK = "c1be4007-d811-48fb-8818-2cb358b06a63"
JSON_LD = "https://ckan.example.org/dataset/d4ce4e6e-ab89-44cb-bf5c-33a162c234de#dataset"


def _turtle_page(remote: CatalogServer, this: str, following: str | None) -> Reply:
    body = (SAMPLES / "datos-gob-es.ttl").read_bytes()
    if following:
        body += f"\n<{remote.url(this)}> <{HYDRA_NEXT}> <{remote.url(following)}> .\n".encode()
    return Reply(body, "text/turtle; charset=utf-8")


def _rdf_xml_page(remote: CatalogServer, this: str, following: str) -> Reply:
    link = (
        f'<rdf:Description rdf:about="{remote.url(this)}">'
        f'<hydra:next xmlns:hydra="http://www.w3.org/ns/hydra/core#" rdf:resource="{remote.url(following)}"/>'
        "</rdf:Description></rdf:RDF>"
    )
    body = (SAMPLES / "opendata-hro-de.rdf").read_text("utf-8").replace("</rdf:RDF>", link)
    return Reply(body.encode(), "application/rdf+xml")


def _three_pages(remote: CatalogServer) -> None:
    remote.routes["/catalog?page=1"] = _turtle_page(remote, "/catalog?page=1", "/catalog?page=2")
    remote.routes["/catalog?page=2"] = _rdf_xml_page(remote, "/catalog?page=2", "/catalog?page=3")
    remote.routes["/catalog?page=3"] = Reply(
        (SAMPLES / "ckanext-dcat-graph.jsonld").read_bytes(), "application/ld+json"
    )


def test_follows_hydra_over_pages_of_every_syntax(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    _three_pages(remote)
    datasets, failures = collect(BACKENDS["dcat"].items(remote.url("/catalog?page=1"), fetcher, {}))
    assert [dataset.remote_id for dataset in datasets] == [SPAIN, ROSTOCK, JSON_LD]
    assert failures == []
    assert remote.requests == ["/catalog?page=1", "/catalog?page=2", "/catalog?page=3"]
    assert (
        datasets[1].license == "http://dcat-ap.de/def/licenses/cc-zero"
    )  # known: the run matches it to cc-zero


def test_harvests_another_opencats_paged_catalog(
    client: TestClient, catalog: Catalog, remote: CatalogServer, fetcher: UrllibFetcher
) -> None:
    """opencat's own /site/catalog, one dataset a page, served as it answered (its links moved to our server)."""
    alice = make_user(catalog)
    made = {
        make_dataset(catalog, alice, title=f"Jeu {number}", tags=("n" + str(number),)).dataset.id
        for number in range(3)
    }
    for page in (1, 2, 3):
        path = f"/api/1/site/catalog.ttl?page={page}&page_size=1"
        answer = client.get(path)
        assert answer.status_code == 200
        body = answer.content.replace(b"http://testserver", remote.base.encode())
        remote.routes[path] = Reply(body, answer.headers["content-type"])
    datasets, failures = collect(
        BACKENDS["dcat"].items(remote.url("/api/1/site/catalog.ttl?page=1&page_size=1"), fetcher, {})
    )
    assert failures == []
    assert {dataset.remote_id for dataset in datasets} == made
    assert len(remote.requests) == 3


def test_harvests_another_opencats_whole_catalog_stream(
    client: TestClient, catalog: Catalog, remote: CatalogServer, fetcher: UrllibFetcher
) -> None:
    """The whole catalog in one N-Triples file (``page_size=0``), read by the fast reader."""
    alice = make_user(catalog)
    made = {make_dataset(catalog, alice, title=f"Flux {number}").dataset.id for number in range(4)}
    answer = client.get("/api/1/site/catalog.nt?page_size=0")
    assert answer.status_code == 200
    remote.routes["/all.nt"] = Reply(answer.content, answer.headers["content-type"])
    datasets, failures = collect(BACKENDS["dcat"].items(remote.url("/all.nt"), fetcher, {}))
    assert failures == []
    assert {dataset.remote_id for dataset in datasets} == made
    assert {dataset.title for dataset in datasets} == {f"Flux {number}" for number in range(4)}


def test_one_big_file_without_paging(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    graph = Graph()
    for name, syntax in (("datos-gob-es.ttl", "turtle"), ("opendata-hro-de.rdf", "xml")):
        graph.parse(SAMPLES / name, format=syntax)
    remote.routes["/all.nt"] = Reply(graph.serialize(format="nt", encoding="utf-8"), "application/n-triples")
    datasets, _ = collect(BACKENDS["dcat"].items(remote.url("/all.nt"), fetcher, {}))
    assert sorted(dataset.remote_id for dataset in datasets) == sorted([SPAIN, ROSTOCK])


def test_a_paging_loop_fails_the_source(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    remote.routes["/catalog?page=1"] = _turtle_page(remote, "/catalog?page=1", "/catalog?page=2")
    remote.routes["/catalog?page=2"] = _rdf_xml_page(remote, "/catalog?page=2", "/catalog?page=1")
    items = BACKENDS["dcat"].items(remote.url("/catalog?page=1"), fetcher, {})
    assert isinstance(next(items), RemoteDataset)
    assert isinstance(next(items), RemoteDataset)
    with pytest.raises(HarvestSourceError, match="loops back"):
        next(items)
    assert remote.requests == ["/catalog?page=1", "/catalog?page=2"]


def test_pages_that_only_repeat_themselves_fail_the_source(
    remote: CatalogServer, fetcher: UrllibFetcher
) -> None:
    """A catalog whose every page number answers the same page, always with a next one."""

    def endless(path: str) -> Reply:
        number = int(re.search(r"page=(\d+)", path).group(1))  # type: ignore[union-attr]
        return _turtle_page(remote, path, f"/catalog?page={number + 1}")

    remote.routes["/catalog"] = endless
    items = BACKENDS["dcat"].items(remote.url("/catalog?page=1"), fetcher, {})
    read = []
    with pytest.raises(HarvestSourceError, match="only repeat datasets already read"):
        read.extend(item.remote_id for item in items)  # type: ignore[union-attr]
    # Three pages in a row of what was read: a page repeated once is no loop (below).
    assert read == [SPAIN] * 3
    assert remote.requests == [f"/catalog?page={number}" for number in range(1, 5)]


def test_a_page_of_datasets_listed_again_is_no_loop(remote: CatalogServer, fetcher: UrllibFetcher) -> None:
    """A catalog may list a dataset twice under one IRI (a dataset and a harvested copy of it,
    once a page of them): it was taken for a paging loop, and the rest was never read."""
    remote.routes["/catalog?page=1"] = _turtle_page(remote, "/catalog?page=1", "/catalog?page=2")
    remote.routes["/catalog?page=2"] = _turtle_page(remote, "/catalog?page=2", "/catalog?page=3")
    remote.routes["/catalog?page=3"] = _rdf_xml_page(remote, "/catalog?page=3", "/catalog?end")
    remote.routes["/catalog?end"] = Reply(
        (SAMPLES / "ckanext-dcat-graph.jsonld").read_bytes(), "application/ld+json"
    )
    datasets, _ = collect(BACKENDS["dcat"].items(remote.url("/catalog?page=1"), fetcher, {}))
    assert [dataset.remote_id for dataset in datasets] == [SPAIN, SPAIN, ROSTOCK, JSON_LD]


@pytest.mark.parametrize(
    "broken",
    [
        Reply(b"Internal Server Error", "text/plain", 500),
        Reply(b"<html><body>Maintenance</body></html>", "text/html"),
        Reply(b"", "text/turtle", delay=1.5),
    ],
    ids=["http-500", "garbage", "timeout"],
)
def test_a_failure_half_way_keeps_what_came_before(remote: CatalogServer, broken: Reply) -> None:
    remote.routes["/catalog?page=1"] = _turtle_page(remote, "/catalog?page=1", "/catalog?page=2")
    remote.routes["/catalog?page=2"] = broken
    items = BACKENDS["dcat"].items(remote.url("/catalog?page=1"), UrllibFetcher(timeout=0.5), {})
    assert next(items).remote_id == SPAIN  # yielded before the failure
    with pytest.raises(HarvestSourceError):
        next(items)
