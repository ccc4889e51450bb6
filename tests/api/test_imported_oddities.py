"""Documents imported as they come (exports, hand-made fixtures) are served whole, by the API and
as RDF, in every format: a field of the wrong type or an empty tag never makes a 500, nor cuts
the streamed catalog short."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from rdflib import DCAT, Graph
from rdflib.compare import isomorphic
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.imports import load_fixtures
from opencat.db.tables import resources
from opencat.domain.errors import Invalid

# rdflib's own parsers use the ConjunctiveGraph API it deprecated (rdflib 7.6).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")

DATASET = "6b00000000000000000000aa"
RESOURCE = "00000000-0000-4000-8000-0000000000aa"


def _load(
    catalog: Catalog, tmp_path: Path, dataset: dict[str, object] | None = None, **resource: object
) -> None:
    """The odd document, its resource's fields replaced by ``resource``, its own by ``dataset``."""
    document = {
        "id": DATASET,
        "title": "Odd document",
        "description": "d",
        "created_at": "2025-01-05T00:00:00+00:00",
        "last_modified": "2025-01-06T00:00:00+00:00",
        "tags": ["ok", " spaced tag ", "", "  "],
        "resources": [
            {
                "id": RESOURCE,
                "title": "r",
                "url": "https://example.org/r.csv",
                "format": "csv",
                "created_at": "2025-01-05T00:00:00+00:00",
                **resource,
            }
        ],
        **(dataset or {}),
    }
    path = tmp_path / "datasets.json"
    path.write_text(json.dumps([document]), encoding="utf-8")
    assert load_fixtures(catalog, path) == 1


def test_a_size_given_as_text_is_read_as_a_number(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    _load(catalog, tmp_path, filesize="12")
    assert client.get(f"/api/1/datasets/{DATASET}/").json()["resources"][0]["filesize"] == 12
    turtle = client.get(f"/api/1/datasets/{DATASET}/rdf.ttl")
    assert turtle.status_code == 200
    sizes = Graph().parse(data=turtle.text, format="turtle").objects(None, DCAT.byteSize)
    assert [size.toPython() for size in sizes] == [12]


def test_a_size_stored_as_text_earlier_is_read_as_a_number(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """An import before the fix stored the text as it came."""
    _load(catalog, tmp_path, filesize=12)
    with catalog.db.write() as conn:
        doc = conn.execute(sa.select(resources.c.doc).where(resources.c.id == RESOURCE)).scalar_one()
        stored = json.loads(doc) if isinstance(doc, str) else dict(doc)
        conn.execute(
            resources.update().where(resources.c.id == RESOURCE).values(doc={**stored, "filesize": "12"})
        )
    assert client.get(f"/api/1/datasets/{DATASET}/").json()["resources"][0]["filesize"] == 12
    assert client.get(f"/api/1/datasets/{DATASET}/rdf.ttl").status_code == 200
    with client.stream("GET", "/api/1/site/catalog.nt?page_size=0") as streamed:
        assert streamed.status_code == 200
        assert f"/datasets/{DATASET}/".encode() in b"".join(streamed.iter_bytes())
    assert client.get("/datasets/odd-document/").status_code == 200  # the page shows its size


def test_tags_are_normalized_and_every_format_carries_the_same_graph(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    _load(catalog, tmp_path, filesize="not a size")
    data = client.get(f"/api/1/datasets/{DATASET}/").json()
    assert data["tags"] == ["spaced-tag"]  # as udata stores tags; "ok" and "" too short for its API
    assert data["resources"][0]["filesize"] is None
    graphs = {
        suffix: Graph().parse(data=client.get(f"/api/1/datasets/{DATASET}/rdf.{suffix}").text, format=parser)
        for suffix, parser in (("ttl", "turtle"), ("json", "json-ld"), ("xml", "xml"), ("nt", "nt"))
    }
    assert all(isomorphic(graphs["ttl"], graph) for graph in graphs.values())


def _good(number: int) -> dict[str, object]:
    return {
        "id": f"6b0000000000000000000{number:03d}",
        "title": f"Good {number}",
        "created_at": "2025-01-05T00:00:00+00:00",
        "last_modified": "2025-01-06T00:00:00+00:00",
        "resources": [],
    }


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ({"extras": [1, 2]}, "extras must be an object"),
        ({"tags": "a,b"}, "tags must be a list of texts"),
        ({"tags": ["x" * 300]}, "a tag is longer than 96 characters"),
        ({"title": None}, "a dataset needs a title"),
        ({"slug": "s" * 400}, "slug is longer than 255 characters"),
        ({"license": "l" * 70}, "license is longer than 64 characters"),
        ({"created_at": "not a date"}, "not a date"),
        ({"resources": {"a": 1}}, "a resource must be an object"),
        ({"resources": [{"title": "no id", "url": "https://example.org/x"}]}, "a resource needs a UUID"),
        ({"resources": [{"id": RESOURCE, "extras": "x", "created_at": "2025-01-05T00:00:00+00:00"}]}, "extras"),
        ({"resources": [{"id": RESOURCE, "filesize": 10**30, "created_at": "2025-01-05T00:00:00+00:00"}]}, "range"),
    ],
    ids=["extras-list", "tags-text", "long-tag", "no-title", "long-slug", "long-license", "bad-date",
         "resources-object", "resource-without-id", "resource-extras-text", "huge-filesize"],
)  # fmt: skip
def test_a_malformed_document_is_refused_before_anything_is_written(
    client: TestClient, catalog: Catalog, tmp_path: Path, bad: dict[str, object], said: str
) -> None:
    """Such a document was stored (``extras: [1, 2]`` made the whole site's DCAT catalog a 500, a
    text of tags became its characters), or failed the import half-way with a traceback, the
    datasets before it committed (200 of 250, in a review)."""
    documents = [_good(number) for number in range(250)]
    documents[230] = {**documents[230], **bad}
    path = tmp_path / "datasets.json"
    path.write_text(json.dumps(documents), encoding="utf-8")
    with pytest.raises(Invalid) as refused:
        load_fixtures(catalog, path)
    message = str(refused.value.errors)
    assert documents[230]["id"] in message
    assert said in message
    assert client.get("/api/1/datasets/").json()["total"] == 0


def test_a_date_in_year_9999_with_a_frequency_is_no_500(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """9999-12-31, a "no end" sentinel of INSPIRE metadata, harvested or imported as a dataset's
    date: the expected next update overflowed, and every list showing the dataset answered 500."""
    document = {
        "id": DATASET,
        "title": "Never ends",
        "description": "d",
        "frequency": "annual",
        "created_at": "2025-01-05T00:00:00+00:00",
        "last_modified": "9999-12-31T23:59:59.999999",
        "resources": [],
    }
    path = tmp_path / "datasets.json"
    path.write_text(json.dumps([document]), encoding="utf-8")
    assert load_fixtures(catalog, path) == 1
    for url in (f"/api/1/datasets/{DATASET}/", "/api/1/datasets/", "/api/2/datasets/search/?q=never"):
        answer = client.get(url)
        assert answer.status_code == 200, url
    assert client.get(f"/api/1/datasets/{DATASET}/").json()["quality"]["update_fulfilled_in_time"] is True
    assert client.get("/api/1/site/datasets.jsonl").text.count("\n") == 1


def test_a_url_with_a_broken_ip_literal_leaves_rdf_xml_readable(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """``http://[::1`` (imported as it came: the API refuses it) was written as is, and RDF/XML
    parsers, which resolve every IRI against the page's address, failed the whole document: a
    harvest of the catalog's RDF/XML stopped there."""
    _load(catalog, tmp_path, url="http://[::1")
    for path in (f"/api/1/datasets/{DATASET}/rdf.xml", "/api/1/site/catalog.xml?page_size=10"):
        answer = client.get(path)
        assert answer.status_code == 200
        graph = Graph().parse(data=answer.text, format="xml", publicID=f"http://testserver{path}")
        urls = {str(url) for url in graph.objects(None, DCAT.downloadURL)}
        # No address (its host is no IP literal, nor a name): the permalink stands for it.
        assert f"http://testserver/api/1/datasets/r/{RESOURCE}" in urls, urls


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("https://example.org:abc/", None),  # a port that is no number: no address
        ("http://", None),
        ("https://example.org/\u202e\u200b", "https://example.org/%E2%80%AE\u200b"),  # bidi escaped
        ("https://example.org/path/[1]/{x}|y", "https://example.org/path/%5B1%5D/%7Bx%7D%7Cy"),
        ("http://[::1]:8080/a[b]", "http://[::1]:8080/a%5Bb%5D"),  # the IP literal's brackets stay
        ("javascript:alert(1)", None),  # no download: the permalink refuses it too
        ("http://a[2606:4700::1111]b/", None),  # brackets around part of a host: no host
        ("http://[2606:4700::1111]@example.org/", "http://%5B2606:4700::1111%5D@example.org/"),
        ("http://u:p@ss@example.org/", "http://u:p%40ss@example.org/"),  # one @ ends the user part
        ("https://example.org/\U000e0001", "https://example.org/%F3%A0%80%81"),  # a tag: no ucschar
    ],
)
def test_a_download_url_is_a_valid_iri_or_the_permalink(
    client: TestClient, catalog: Catalog, tmp_path: Path, stored: str, written: str | None
) -> None:
    """Strict IRI checkers (Jena's, which DCAT harvesters use) refused these as they came out."""
    _load(catalog, tmp_path, url=stored)
    graph = Graph().parse(data=client.get(f"/api/1/datasets/{DATASET}/rdf.ttl").text, format="turtle")
    [url] = {str(url) for url in graph.objects(None, DCAT.downloadURL)}
    assert url == (written or f"http://testserver/api/1/datasets/r/{RESOURCE}")


def test_a_lone_surrogate_is_loaded_as_a_replacement_character(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """JSON may escape a lone surrogate (``\\udcff``): no database stores it, and the load stopped
    on a traceback. A pair of escapes is one character, kept."""
    _load(catalog, tmp_path, url="https://example.org/\udcff", title="r \ud83d\ude00")
    [resource] = client.get(f"/api/1/datasets/{DATASET}/").json()["resources"]
    assert (resource["url"], resource["title"]) == ("https://example.org/\ufffd", "r \U0001f600")


def test_no_link_of_the_rdf_leads_to_a_script(client: TestClient, catalog: Catalog, tmp_path: Path) -> None:
    """A ``javascript:`` remote page (a load of documents, a data.json's ``landingPage``) became
    the ``dcat:landingPage``, and such a service's address its ``dcat:endpointURL``."""
    remote = {
        "title": "Scripted",
        "harvest": {"backend": "DCAT", "remote_id": "x", "remote_url": "javascript:alert(1)"},
    }
    _load(
        catalog,
        tmp_path,
        remote,
        url="javascript:alert(1)//?request=GetCapabilities&service=WMS",
        format="wms",
    )
    text = client.get(f"/api/1/datasets/{DATASET}/rdf.nt").text
    assert "javascript:" not in text
    assert "<http://testserver/datasets/scripted/>" in text  # its own page stands for the remote one
