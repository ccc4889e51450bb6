"""RDF endpoints: negotiation, serializations, visibility, the catalog by pages and streamed."""

import io
import threading
import warnings
from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, RDF, SKOS
from rdflib.namespace import DCTERMS as DCT
from sqlalchemy import event
from starlette.testclient import TestClient

from opencat.api.rdf import write_json_lines
from opencat.catalog import rdf as catalog_rdf
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from opencat.catalog.rdf import dataset_document, export_catalog
from opencat.catalog.resources import store_dataset
from opencat.db import datasets as db_datasets
from opencat.domain.accounts import ANONYMOUS
from opencat.domain.datasets import Spatial
from opencat.domain.errors import BadRequest
from opencat.domain.urls import Urls
from tests.factories import make_dataset, make_org, make_user

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONTENT_TYPES = {
    "xml": "application/rdf+xml", "rdf": "application/rdf+xml", "owl": "application/rdf+xml",
    "ttl": "application/x-turtle", "n3": "text/n3", "nt": "application/n-triples", "trig": "application/trig",
    "json": "application/ld+json", "jsonld": "application/ld+json", "json-ld": "application/ld+json",
}  # fmt: skip
PARSERS = {
    "xml": "xml", "rdf": "xml", "owl": "xml", "ttl": "turtle", "n3": "n3", "nt": "nt", "trig": "trig",
    "json": "json-ld", "jsonld": "json-ld", "json-ld": "json-ld",
}  # fmt: skip


def _parse(content: bytes, suffix: str) -> Graph:
    graph = Graph()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph.parse(data=content, format=PARSERS[suffix])
    return graph


@pytest.fixture
def dataset_id(catalog: Catalog) -> str:
    alice = make_user(catalog)
    org = make_org(catalog, "Oracle Org", **{alice.user.id: "admin"})
    resources = [
        {"title": "Horaires", "url": "https://example.org/h.csv", "format": "csv", "filetype": "remote"}
    ]
    return make_dataset(
        catalog,
        alice,
        title="Horaires des bus",
        organization=org.id,
        tags=("bus",),
        license="lov2",
        resources=resources,
    ).dataset.id


@pytest.mark.parametrize(
    ("accept", "suffix"),
    [
        (None, "json"),
        ("*/*", "xml"),
        ("text/turtle", "ttl"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json"),
    ],
)
def test_negotiation_redirects_by_id(
    client: TestClient, dataset_id: str, accept: str | None, suffix: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    if accept is None:
        client.headers.pop("accept", None)
    response = client.get("/api/1/datasets/horaires-des-bus/rdf", headers=headers)
    assert response.status_code == 302
    assert response.headers["location"] == f"/api/1/datasets/{dataset_id}/rdf.{suffix}"
    # Chosen by Accept: a shared cache must key it by that header (it gave one client's format to others).
    assert "Accept" in [part.strip() for part in response.headers["vary"].split(",")]
    catalog_redirect = client.get("/api/1/site/catalog", headers=headers)
    assert "Accept" in [part.strip() for part in catalog_redirect.headers["vary"].split(",")]


def test_the_data_portal_address_and_the_json_ld_context_are_udatas(
    client: TestClient, dataset_id: str
) -> None:
    """``/site/data.{format}`` (data.gouv.fr's ``site/data.rdf`` addresses) leads to the catalog in
    that format, its query left behind as udata's ``url_for`` leaves it; ``/site/context.jsonld``
    gives the context's terms, which the catalog's JSON-LD uses."""
    portal = client.get("/api/1/site/data.ttl?page=2")
    assert (portal.status_code, portal.headers["location"]) == (302, "/api/1/site/catalog.ttl")
    assert _parse(client.get(portal.headers["location"]).content, "ttl")
    assert client.get("/api/1/site/data.nope", follow_redirects=True).status_code == 404
    context = client.get("/api/1/site/context.jsonld")
    assert (context.status_code, context.headers["content-type"]) == (200, "application/ld+json")
    terms = context.json()
    assert terms["@vocab"] == "http://www.w3.org/ns/dcat#"
    assert terms["downloadURL"] == {"@id": "dcat:downloadURL", "@type": "@id"}
    assert client.get("/api/1/site/catalog.jsonld").json()["@context"] == terms


@pytest.mark.parametrize("suffix", sorted(CONTENT_TYPES))
def test_every_serialization_parses_and_describes_the_dataset(
    client: TestClient, dataset_id: str, suffix: str
) -> None:
    response = client.get(f"/api/1/datasets/{dataset_id}/rdf.{suffix}")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPES[suffix]  # no charset, even for text/n3
    graph = _parse(response.content, suffix)
    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 1
    assert len(list(graph.objects(datasets[0], DCAT.distribution))) == 1


def test_json_ld_speaks_udatas_terms_and_says_the_same_as_turtle(client: TestClient, dataset_id: str) -> None:
    body = client.get(f"/api/1/datasets/{dataset_id}/rdf.json").json()
    assert body["@context"]["@vocab"] == "http://www.w3.org/ns/dcat#"
    assert body["@context"]["accessURL"] == {"@id": "dcat:accessURL", "@type": "@id"}
    nodes = {node["@type"]: node for node in body["@graph"] if isinstance(node.get("@type"), str)}
    dataset, distribution = nodes["Dataset"], nodes["Distribution"]
    assert dataset["title"] == "Horaires des bus"
    assert isinstance(dataset["issued"], str)
    assert isinstance(dataset["publisher"], str)
    assert distribution["accessURL"].endswith(f"/api/1/datasets/r/{distribution['identifier']}")
    assert distribution["title"] == "Horaires"
    as_json_ld = _parse(client.get(f"/api/1/datasets/{dataset_id}/rdf.json").content, "json")
    as_turtle = _parse(client.get(f"/api/1/datasets/{dataset_id}/rdf.ttl").content, "ttl")
    assert isomorphic(as_json_ld, as_turtle)


def test_unknown_formats_and_visibility(client: TestClient, catalog: Catalog, dataset_id: str) -> None:
    for suffix in ("nope", "trix", "nq", "html"):
        assert client.get(f"/api/1/datasets/{dataset_id}/rdf.{suffix}").status_code == 404
    alice = make_user(catalog)
    hidden = make_dataset(catalog, alice, private=True).dataset
    assert client.get(f"/api/1/datasets/{hidden.id}/rdf.ttl").status_code == 404
    assert client.get(f"/api/1/datasets/{hidden.id}/rdf.ttl", headers=alice.headers).status_code == 200
    gone = make_dataset(catalog, alice).dataset
    delete_dataset(catalog, alice.actor(catalog), gone.id)
    gone_response = client.get(f"/api/1/datasets/{gone.id}/rdf.ttl")
    assert gone_response.status_code == 410
    assert gone_response.json()["message"].endswith("please contact the author of this page.")  # werkzeug's
    assert client.get("/api/1/datasets/000000000000000000000000/rdf").status_code == 404


def test_a_private_datasets_slug_is_redirected_only_for_those_who_may_see_it(
    client: TestClient, catalog: Catalog
) -> None:
    """The redirect names the id: a 302 told anyone a private dataset of that title exists."""
    alice = make_user(catalog)
    hidden = make_dataset(catalog, alice, private=True, title="Projet confidentiel").dataset
    by_slug = "/api/1/datasets/projet-confidentiel/rdf"
    refused = client.get(by_slug)
    assert refused.status_code == 404
    assert "location" not in refused.headers
    assert client.get(by_slug, headers=alice.headers).status_code == 302
    assert client.get(f"/api/1/datasets/{hidden.id}/rdf").status_code == 302  # the id is known already


def test_catalog_pages_with_hydra_links(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    for number in range(3):
        make_dataset(catalog, alice, title=f"Dataset {number}")
    make_dataset(catalog, alice, title="Private", private=True)
    assert (
        client.get("/api/1/site/catalog", headers={"Accept": "text/turtle"}).headers["location"]
        == "/api/1/site/catalog.ttl?page=1&page_size=100"
    )
    # udata's redirect parses the arguments first (a bad one is its own 400), keeps those it
    # knows and says the page and its size.
    refused = client.get("/api/1/site/catalog?sort=bogus")
    assert (refused.status_code, refused.json()["message"]) == (400, "Input payload validation failed")
    kept = client.get(
        "/api/1/site/catalog?bogus=1&tag=a&tag=b&page_size=7&credit=x", headers={"Accept": "text/turtle"}
    )
    assert kept.headers["location"] == "/api/1/site/catalog.ttl?tag=a&tag=b&page_size=7&credit=x&page=1"
    response = client.get("/api/1/site/catalog.ttl?page=1&page_size=2")
    assert response.status_code == 200
    graph = _parse(response.content, "ttl")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 2
    assert (None, RDF.type, DCAT.Catalog) in graph
    hydra = "http://www.w3.org/ns/hydra/core#"
    totals = {int(value) for value in graph.objects(None, URIRef(f"{hydra}totalItems"))}
    assert totals == {3}
    assert client.get("/api/1/site/catalog.ttl?page=2&page_size=3").status_code == 404  # past the end
    # udata's catalog says the site's DEFAULT_LANGUAGE (the test settings': English), whatever
    # the caller's; the streamed catalog too
    english = URIRef("http://publications.europa.eu/resource/authority/language/ENG")
    assert set(graph.objects(None, DCT.language)) == {english}
    streamed = _parse(client.get("/api/1/site/catalog.nt?page_size=0&lang=fr").content, "nt")
    assert set(streamed.objects(None, DCT.language)) == {english}
    assert client.get("/api/1/site/catalog.nope").status_code == 404
    assert client.get("/api/1/site/catalog.xml?page_size=0").status_code == 400


def test_an_organizations_catalog_is_its_datasets_under_its_address(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's ``/organizations/{org}/catalog[.{format}]`` (a 404 here): the organization's
    public datasets, neither private nor archived, published by it, paged under its address."""
    alice = make_user(catalog)
    org = make_org(catalog, "Métropole", **{alice.user.id: "admin"})
    for number in range(3):
        make_dataset(catalog, alice, title=f"Jeu {number}", organization=org.id)
    make_dataset(catalog, alice, title="Privé", organization=org.id, private=True)
    make_dataset(catalog, alice, title="Ailleurs")
    asked = client.get(
        f"/api/1/organizations/{org.slug}/catalog?page_size=2", headers={"Accept": "text/turtle"}
    )
    assert (asked.status_code, asked.headers["location"]) == (
        302,
        f"/api/1/organizations/{org.id}/catalog.ttl?page_size=2&page=1",
    )
    page = client.get(asked.headers["location"])
    assert page.status_code == 200
    graph = _parse(page.content, "ttl")
    node = URIRef(f"http://testserver/api/1/organizations/{org.id}/catalog")
    assert (node, RDF.type, DCAT.Catalog) in graph
    assert len(list(graph.objects(node, DCAT.dataset))) == 2
    publisher = graph.value(node, URIRef("http://purl.org/dc/terms/publisher"))
    assert str(graph.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "Métropole"
    hydra = "http://www.w3.org/ns/hydra/core#"
    assert {int(value) for value in graph.objects(None, URIRef(f"{hydra}totalItems"))} == {3}
    following = {str(value) for value in graph.objects(None, URIRef(f"{hydra}next"))}
    assert following == {f"http://testserver/api/1/organizations/{org.id}/catalog.ttl?page=2&page_size=2"}
    assert client.get(f"/api/1/organizations/{org.id}/catalog.ttl?page_size=0").status_code == 400
    assert client.get(f"/api/1/organizations/{'0' * 24}/catalog.ttl").status_code == 404
    assert client.get(f"/api/1/organizations/{org.id}/catalog.nope").status_code == 404


@pytest.mark.parametrize("suffix", ["nt", "ttl"])
def test_whole_catalog_streams(client: TestClient, catalog: Catalog, suffix: str) -> None:
    alice = make_user(catalog)
    for number in range(7):
        make_dataset(
            catalog,
            alice,
            title=f"Streamed {number}",
            resources=[{"title": "r", "url": f"https://example.org/{number}"}],
        )
    make_dataset(catalog, alice, title="Private", private=True)
    with client.stream("GET", f"/api/1/site/catalog.{suffix}?page_size=0") as response:
        assert response.status_code == 200
        content = b"".join(response.iter_bytes())
    graph = _parse(content, suffix)
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 7


def test_json_lines_export(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    ids = {make_dataset(catalog, alice, title=f"Line {number}").dataset.id for number in range(5)}
    make_dataset(catalog, alice, title="Private", private=True)
    with client.stream("GET", "/api/1/site/datasets.jsonl") as response:
        lines = b"".join(response.iter_bytes()).splitlines()
    documents = [orjson.loads(line) for line in lines]
    assert {document["id"] for document in documents} == ids
    assert "community_resources" not in documents[0]
    assert documents[0]["permissions"] == {"delete": False, "edit": False, "edit_resources": False}


def test_cli_exports(
    catalog: Catalog, settings: object, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:

    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Exported")
    out = io.BytesIO()
    assert export_catalog(catalog, Urls("http://testserver"), out, "nt", "opencat") == 1
    assert b"http://www.w3.org/ns/dcat#Dataset" in out.getvalue()
    lines = io.BytesIO()
    assert write_json_lines(catalog, Urls("http://testserver"), lines) == 1


def test_configured_tag_themes_reach_the_dcat(catalog: Catalog, dataset_id: str) -> None:
    themed = replace(catalog, dcat_themes={"bus": "TRAN"})
    body, _ = dataset_document(themed, ANONYMOUS, dataset_id, "nt", Urls("http://testserver"), "opencat")
    assert b"<http://publications.europa.eu/resource/authority/data-theme/TRAN>" in body
    plain, _ = dataset_document(catalog, ANONYMOUS, dataset_id, "nt", Urls("http://testserver"), "opencat")
    assert b"data-theme" not in plain


def test_modified_is_last_modified_even_when_last_update_differs(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    remote = {
        "title": "r",
        "url": "https://x.org/a.csv",
        "filetype": "remote",
        "extras": {"analysis:last-modified-at": "2020-01-02T03:04:05+00:00"},
    }
    view = make_dataset(catalog, alice, resources=[remote])
    dataset = client.get(f"/api/1/datasets/{view.dataset.id}/").json()
    assert dataset["last_update"] != dataset["last_modified"]
    graph = _parse(client.get(f"/api/1/datasets/{view.dataset.id}/rdf.nt").content, "nt")
    node = next(graph.subjects(RDF.type, DCAT.Dataset))
    modified = graph.value(node, URIRef("http://purl.org/dc/terms/modified"))
    assert modified is not None
    assert modified.toPython() == datetime.fromisoformat(dataset["last_modified"])


HYDRA = "http://www.w3.org/ns/hydra/core#"


def _catalog_graph(client: TestClient, query: str, headers: dict[str, str] | None = None) -> Graph:
    response = client.get(f"/api/1/site/catalog.ttl?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return _parse(response.content, "ttl")


def _titles(graph: Graph) -> set[str]:
    title = URIRef("http://purl.org/dc/terms/title")
    return {str(graph.value(node, title)) for node in graph.subjects(RDF.type, DCAT.Dataset)}


def test_catalog_takes_the_list_filters_and_keeps_them_in_its_links(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    for number in range(3):
        make_dataset(catalog, alice, title=f"Bus {number}", tags=("bus",), organization=org.id)
    make_dataset(catalog, alice, title="Tram", tags=("tram",))
    make_dataset(catalog, alice, title="Bus privé", tags=("bus",), private=True)
    assert _titles(_catalog_graph(client, "tag=tram")) == {"Tram"}
    assert _titles(_catalog_graph(client, f"organization={org.id}")) == {"Bus 0", "Bus 1", "Bus 2"}
    assert _titles(_catalog_graph(client, "q=tram")) == {"Tram"}
    graph = _catalog_graph(client, "tag=bus&page=2&page_size=2&sort=title")
    assert _titles(graph) == {"Bus 2"}
    assert {int(value) for value in graph.objects(None, URIRef(f"{HYDRA}totalItems"))} == {3}
    first = next(graph.objects(None, URIRef(f"{HYDRA}first")))
    assert str(first).endswith("/api/1/site/catalog.ttl?page=1&page_size=2&tag=bus&sort=title")


def test_catalog_filters_are_validated_as_the_lists(client: TestClient, catalog: Catalog) -> None:
    badge = client.get("/api/1/site/catalog.ttl?badge=nope")
    assert (badge.status_code, badge.json()["errors"]) == (
        400,
        {"badge": "The value 'nope' is not a valid choice for 'badge'."},
    )
    assert client.get("/api/1/site/catalog.ttl?sort=bad").status_code == 400
    assert client.get("/api/1/site/catalog.ttl?organization=nope").status_code == 400
    assert client.get("/api/1/site/catalog.ttl?private=true").status_code == 401
    assert client.get("/api/1/site/catalog.nt?page_size=0&private=true").status_code == 401
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Privé", private=True)
    mine = client.get("/api/1/site/catalog.ttl?private=true", headers=alice.headers)
    assert _titles(_parse(mine.content, "ttl")) == set()  # the catalog is public datasets only
    # The public datasets are none of the hidden kinds: asking for those finds nothing (the paging
    # links repeat the filter), asking for the others changes nothing.
    make_dataset(catalog, alice, title="Public")
    for name in ("private", "archived", "deleted"):
        for value, titles in (("true", set()), ("false", {"Public"})):
            graph = _catalog_graph(client, f"{name}={value}", alice.headers)
            assert _titles(graph) == titles, (name, value)
            assert {int(n) for n in graph.objects(None, URIRef(f"{HYDRA}totalItems"))} == {len(titles)}
            with client.stream(
                "GET", f"/api/1/site/catalog.nt?page_size=0&{name}={value}", headers=alice.headers
            ) as whole:
                assert _titles(_parse(b"".join(whole.iter_bytes()), "nt")) == titles, (name, value)


@pytest.mark.parametrize("suffix", ["nt", "ttl"])
def test_streamed_catalog_follows_the_filters(client: TestClient, catalog: Catalog, suffix: str) -> None:
    alice = make_user(catalog)
    for number in range(4):
        make_dataset(catalog, alice, title=f"Bus {number}", tags=("bus",))
    make_dataset(catalog, alice, title="Tram", tags=("tram",))
    with client.stream("GET", f"/api/1/site/catalog.{suffix}?page_size=0&tag=bus") as response:
        assert response.status_code == 200
        content = b"".join(response.iter_bytes())
    assert _titles(_parse(content, suffix)) == {f"Bus {number}" for number in range(4)}
    with client.stream("GET", f"/api/1/site/catalog.{suffix}?page_size=0&q=%2A") as response:
        assert _titles(_parse(b"".join(response.iter_bytes()), suffix)) == set()


def test_an_export_that_fails_at_once_is_an_error_not_an_empty_catalog(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*_: object, **_named: object) -> int:
        raise BadRequest("the export could not start")

    monkeypatch.setattr(catalog_rdf, "export_catalog", failing)
    response = client.get("/api/1/site/catalog.nt?page_size=0")
    assert (response.status_code, response.json()) == (400, {"message": "the export could not start"})


def test_a_catalog_page_carries_an_etag_and_answers_304_to_it(client: TestClient, catalog: Catalog) -> None:
    """A harvester that kept a page asks with its ETag: a 304 while the page is the same, the new
    page once a dataset on it changed."""
    alice = make_user(catalog)
    made = make_dataset(catalog, alice, title="Dataset 1")
    path = "/api/1/site/catalog.nt?page=1&page_size=5"
    first = client.get(path)
    tag = first.headers["etag"]
    assert first.status_code == 200
    assert {"X-API-KEY", "Cookie"} <= {part.strip() for part in first.headers["vary"].split(",")}

    same = client.get(path, headers={"If-None-Match": f'"other", {tag}'})
    assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", tag)
    # Compared weakly, as every If-None-Match (a compressing proxy makes the tag weak); ``*`` too.
    for sent in (f"W/{tag}", "*"):
        assert client.get(path, headers={"If-None-Match": sent}).status_code == 304, sent
    assert client.get(path.replace(".nt", ".ttl"), headers={"If-None-Match": tag}).status_code == 200

    answer = client.put(
        f"/api/1/datasets/{made.dataset.id}/", json={"title": "Dataset one"}, headers=alice.headers
    )
    assert answer.status_code == 200
    changed = client.get(path, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    assert b"Dataset one" in changed.content


def test_a_zone_stored_with_its_validity_is_the_referentials_zone(
    client: TestClient, catalog: Catalog
) -> None:
    """Imported from data.gouv.fr as ``fr:commune:13055@1943-01-01``: the API resolves it, the RDF
    described it as an unlabelled node within the dataset (and a DCAT harvest then dropped it)."""
    made = make_dataset(catalog, make_user(catalog), title="Marseille")
    with catalog.db.write() as conn:
        dataset = db_datasets.find_by_id(conn, made.dataset.id)
        assert dataset is not None
        dated = replace(dataset, spatial=Spatial(("fr:commune:13055@1943-01-01",), None, None))
        store_dataset(conn, replace(dated, revision=dated.revision + 1))
    held: Counter[int] = Counter()
    most = 0

    def checkout(*_: Any) -> None:
        nonlocal most
        held[threading.get_ident()] += 1
        most = max(most, held[threading.get_ident()])

    def checkin(*_: Any) -> None:
        held[threading.get_ident()] -= 1

    event.listen(catalog.db.engine, "checkout", checkout)
    event.listen(catalog.db.engine, "checkin", checkin)
    try:
        turtle = client.get(f"/api/1/datasets/{made.dataset.id}/rdf.ttl").content
    finally:
        event.remove(catalog.db.engine, "checkout", checkout)
        event.remove(catalog.db.engine, "checkin", checkin)
    assert most == 1  # the zone (not yet known to the process) read on the request's connection
    graph = _parse(turtle, "ttl")
    zone = URIRef("http://testserver/api/1/spatial/zone/fr:commune:13055/")
    assert (None, DCT.spatial, zone) in graph
    assert str(graph.value(zone, SKOS.prefLabel)) == "Marseille"
    assert b"#zone-" not in turtle


def test_large_documents_take_turns_small_ones_do_not_wait(client: TestClient, catalog: Catalog) -> None:
    """A dataset of thousands of resources is seconds of CPU in RDF, and anyone may ask: a dozen
    asks at once held every handler slot (a list page took 5 s meanwhile). A few large documents
    are built at once; the others are told to retry, as link checks are."""
    from opencat.catalog.context import CONCURRENT_LARGE_RDF, LARGE_RDF_RESOURCES

    owner = make_user(catalog)
    many = [
        {"title": f"r{n}", "url": f"https://example.org/{n}.csv", "filetype": "remote"}
        for n in range(LARGE_RDF_RESOURCES + 1)
    ]
    large = make_dataset(catalog, owner, title="Large", resources=many).dataset.id
    small = make_dataset(catalog, owner, title="Small").dataset.id
    for _ in range(CONCURRENT_LARGE_RDF):  # every turn taken, as by other requests
        assert catalog.large_rdf.acquire(blocking=False)
    try:
        busy = client.get(f"/api/1/datasets/{large}/rdf.ttl")
        assert busy.status_code == 429
        assert busy.headers["retry-after"] == "5"
        assert "retry" in busy.json()["message"]
        assert client.get("/api/1/site/catalog.ttl?page_size=20").status_code == 429  # its page holds them
        assert client.get(f"/api/1/datasets/{small}/rdf.ttl").status_code == 200
    finally:
        for _ in range(CONCURRENT_LARGE_RDF):
            catalog.large_rdf.release()
    assert client.get(f"/api/1/datasets/{large}/rdf.ttl").status_code == 200
    assert client.get("/api/1/site/catalog.ttl?page_size=20").status_code == 200


def test_whole_catalog_streams_take_turns_and_give_them_back(client: TestClient, catalog: Catalog) -> None:
    """The DCAT stream, JSON Lines and the CSV exports each read every public dataset, and anyone
    may ask: a few run at once in a process, one more is told to retry, and each gives its turn
    back once written (or refused)."""
    from opencat.catalog.context import CONCURRENT_STREAMED_EXPORTS

    make_dataset(catalog, make_user(catalog), title="Streamed")
    streams = (
        "/api/1/site/catalog.nt?page_size=0",
        "/api/1/site/datasets.jsonl",
        "/api/1/site/datasets.csv",
        "/api/1/site/resources.csv",
    )
    for _ in range(CONCURRENT_STREAMED_EXPORTS):
        assert catalog.streamed_exports.acquire(blocking=False)
    try:
        for url in streams:
            busy = client.get(url)
            assert (busy.status_code, busy.headers["retry-after"]) == (429, "5"), url
            assert "retry" in busy.json()["message"]
    finally:
        for _ in range(CONCURRENT_STREAMED_EXPORTS):
            catalog.streamed_exports.release()
    for url in streams:
        assert client.get(url).status_code == 200, url
    assert client.get("/api/1/site/catalog.nt?page_size=0&private=maybe").status_code == 400  # refused before
    for _ in range(CONCURRENT_STREAMED_EXPORTS):  # every turn back
        assert catalog.streamed_exports.acquire(blocking=False)
    for _ in range(CONCURRENT_STREAMED_EXPORTS):
        catalog.streamed_exports.release()
