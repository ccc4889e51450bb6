"""Suffixes, content types and Accept negotiation (udata: udata/core/dataset/rdf.py); round trips; hostile input."""

import json
from dataclasses import replace
from xml.etree import ElementTree

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS

from opencat.dcat import turtle
from opencat.dcat.formats import SUFFIXES, find_format, negotiate, serialize
from opencat.dcat.graph import add_dataset, catalog_graph, dataset_graph
from opencat.dcat.sink import NTriplesSink
from opencat.dcat.terms import clean_text, iri
from opencat.domain.datasets import Spatial
from tests.dcat import examples
from tests.dcat.examples import URLS

# rdflib's own parsers use the ConjunctiveGraph API it deprecated (rdflib 7.6, notation3.py, trig.py).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")


@pytest.mark.parametrize(
    ("suffix", "content_type"),
    [
        ("xml", "application/rdf+xml"),
        ("rdf", "application/rdf+xml"),
        ("owl", "application/rdf+xml"),
        ("n3", "text/n3"),
        ("ttl", "application/x-turtle"),
        ("nt", "application/n-triples"),
        ("trig", "application/trig"),
        ("json", "application/ld+json"),
        ("jsonld", "application/ld+json"),
        ("json-ld", "application/ld+json"),
        ("TTL", "application/x-turtle"),
    ],
)
def test_suffix_table(suffix: str, content_type: str) -> None:
    found = find_format(suffix)
    assert found is not None
    assert found.content_type == content_type


@pytest.mark.parametrize("suffix", ["nope", "trix", "nq", "nquads", "html", "xhtml", "svg", ""])
def test_suffixes_udata_does_not_serve_are_unknown(suffix: str) -> None:
    assert find_format(suffix) is None


@pytest.mark.parametrize(
    ("accept", "extension"),
    [
        (None, "json"),  # no Accept header at all
        ("", "json"),
        ("*/*", "xml"),  # recorded call 92
        ("text/turtle", "ttl"),  # recorded call 93
        ("application/x-turtle", "ttl"),
        ("application/rdf+xml", "xml"),
        ("application/xml", "xml"),
        ("text/xml", "xml"),
        ("text/n3", "n3"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json"),
        ("application/json", "json"),
        ("application/trig", "trig"),
        ("text/html", "json"),  # nothing acceptable: the default
        ("text/*", "n3"),  # text/n3 is the earliest text/ type the server prefers
        ("application/*", "xml"),
        ("text/turtle;q=0.5, application/ld+json", "json"),
        ("application/ld+json;q=0.5, text/turtle;q=0.9", "ttl"),
        ("*/*, text/turtle", "ttl"),  # equal quality: the more specific range wins
        ("*/*;q=0.1, text/html", "xml"),
        ("text/turtle;q=0, */*", "xml"),  # q=0 is "not acceptable"
        ("text/turtle;q=2", "json"),  # an invalid quality is ignored
        ("text/turtle;q=x", "json"),
        ("text/turtle; charset=utf-8", "ttl"),
        ("TEXT/TURTLE", "ttl"),
        ("*", "json"),
        ("*/turtle", "json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "xml"),  # a browser
    ],
)
def test_negotiation(accept: str | None, extension: str) -> None:
    assert negotiate(accept) == extension


# rdflib's parser for each format we serve.
PARSERS = {"xml": "xml", "n3": "n3", "ttl": "turtle", "nt": "nt", "trig": "trig", "json": "json-ld"}


def parse(data: bytes, extension: str) -> Graph:
    name = PARSERS[SUFFIXES[extension].extension]
    if name == "trig":
        dataset = Dataset()
        dataset.parse(data=data, format="trig")
        default: Graph = dataset.default_graph
        return default
    graph = Graph()
    graph.parse(data=data, format=name)
    return graph


def round_trips(graph: Graph) -> None:
    for extension in sorted({found.extension for found in SUFFIXES.values()}):
        data = serialize(graph, extension)
        back = parse(data, extension)
        assert isomorphic(graph, back), extension


def test_every_serialization_round_trips() -> None:
    items = [examples.minimal(), examples.full(), examples.harvested(), *examples.real_indicator(12)]
    round_trips(catalog_graph(items, URLS, page=1, page_size=20, total=15, site_title="opencat"))


def test_json_ld_has_a_dcat_vocabulary_context() -> None:
    document = json.loads(serialize(dataset_graph(examples.minimal(), URLS), "json"))
    assert document["@context"]["@vocab"] == "http://www.w3.org/ns/dcat#"
    assert document["@context"]["dct"] == "http://purl.org/dc/terms/"


def test_trig_puts_the_triples_in_the_default_graph() -> None:
    graph = dataset_graph(examples.full(), URLS)
    dataset = Dataset()
    dataset.parse(data=serialize(graph, "trig"), format="trig")
    assert len(dataset.default_graph) == len(graph)
    assert [named for named in dataset.graphs() if named.identifier != dataset.default_graph.identifier] == []


HOSTILE = 'Bus\x00 \x0b\x1f\ud800 "quotes" <tags> {braces} \\back\\slash\r\nline\rend \ufffe\uffff é 😀 \t'


def test_hostile_text_and_urls_never_break_a_serialization() -> None:
    item = examples.full()
    dataset = replace(item.dataset, title=HOSTILE, description=HOSTILE, tags=(HOSTILE,), acronym=HOSTILE)
    urls = [
        'https://x.example/a b"c"{d}|e^f`g\\h<i>',
        "https://x.example/\x00\x07\x1f\x7f\x85?q=1&r=%zz#frag#ment",
        "https://x.example/données/\ud800😀",
        "relative/path.csv",
        "",
        "javascript:alert(1)",
        "ftp://files.example/data.csv",
    ]
    resources = [
        replace(
            examples.resource(
                number, url=url, title=HOSTILE, description=HOSTILE, format=HOSTILE, mime=HOSTILE
            )
        )
        for number, url in enumerate(urls)
    ]
    # Media type names of RFC 6838's characters an IRI may not hold as they are ("^", "#").
    resources += [
        examples.resource(len(resources) + number, mime=mime)
        for number, mime in enumerate(("text/x^y", "text/a#b#c"))
    ]
    hostile = replace(item, dataset=dataset, resources=resources)
    graph = dataset_graph(hostile, URLS)
    round_trips(graph)
    # A zone imported as is (load-fixtures) and a drawn geometry with a member of its own, each
    # with characters XML cannot hold; each made RDF/XML that was no XML.
    for spatial in (
        Spatial(zones=("bad\x01zone\r\nx\ufffe",)),
        Spatial(
            geom={
                "type": "MultiPolygon",
                "coordinates": [[[[0, 0], [0, 1], [1, 0], [0, 0]]]],
                "name": "x\ufffey",
            }
        ),
    ):
        placed = replace(hostile, dataset=replace(dataset, spatial=spatial))
        round_trips(dataset_graph(placed, URLS))
        ElementTree.fromstring(
            serialize(dataset_graph(placed, URLS), "xml")
        )  # well-formed, by a strict parser
    sink = NTriplesSink()  # the export's writer: the same lines as rdflib's
    add_dataset(sink, hostile, URLS)
    assert set(sink.text().splitlines()) == set(graph.serialize(format="nt").splitlines()) - {""}
    node = URIRef(f"https://www.example.fr/datasets/{examples.DATASET_ID}")
    assert graph.value(node, DCTERMS.title) == Literal(clean_text(HOSTILE))
    downloads = {
        str(graph.value(distribution, DCAT.downloadURL))
        for distribution in graph.objects(node, DCAT.distribution)
    }
    assert "https://x.example/a%20b%22c%22%7Bd%7D%7Ce%5Ef%60g%5Ch%3Ci%3E" in downloads
    assert "https://x.example/%00%07%1F%7F%C2%85?q=1&r=%25zz#frag%23ment" in downloads
    assert "https://x.example/donn%C3%A9es/😀" not in downloads  # é is a valid IRI character
    assert "https://x.example/données/😀" in downloads
    assert str(examples.URLS.resource_latest(resources[3].id)) in downloads  # relative URL → permalink
    assert "javascript:alert(1)" not in downloads  # no download: its permalink stands for it
    assert str(examples.URLS.resource_latest(resources[5].id)) in downloads


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.fr/a.csv", "https://example.fr/a.csv"),
        ("  https://example.fr/a.csv  ", "https://example.fr/a.csv"),
        ("https://example.fr/a b.csv", "https://example.fr/a%20b.csv"),
        ("https://example.fr/%41%zz", "https://example.fr/%41%25zz"),
        ("https://exemple.fr/données", "https://exemple.fr/données"),
        ("https://exemple.fr/\ue000", "https://exemple.fr/%EE%80%80"),  # private use: not ucschar
        ("mailto:a b@example.fr", "mailto:a%20b@example.fr"),
        ("example.fr/a.csv", None),
        ("/datasets/r/1", None),
        ("", None),
        (None, None),
    ],
)
def test_iri(url: str | None, expected: str | None) -> None:
    found = iri(url)
    assert (None if found is None else str(found)) == expected


def test_text_marks_xml_illegal_characters_and_drops_carriage_returns() -> None:
    assert clean_text("a\x00b\x0bc\r\nd\re\ud800f\ufffeg\th\ni") == "a?b?c\nd\ne?f?g\th\ni"


def test_turtle_writer_keeps_blank_nodes_and_refuses_other_terms() -> None:
    graph = Graph()
    node = BNode("b1")
    graph.add((node, DCTERMS.title, Literal("x")))
    assert "_:b1 dct:title" in turtle.document(graph)
    with pytest.raises(TypeError):
        turtle.term(Variable("x"))


_JSON_LD_OF_A_GRAPH = """
import sys
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF
from opencat.dcat.formats import serialize
graph = Graph()
for number in range(20):
    dataset = URIRef(f"http://a.test/d{number}")
    graph.add((dataset, RDF.type, DCAT.Dataset))
    for other in range(4):
        graph.add((dataset, DCAT.keyword, Literal(f"k{other}-{number}")))
        graph.add((dataset, DCAT.distribution, URIRef(f"http://a.test/d{number}/r{other}")))
sys.stdout.buffer.write(serialize(graph, "jsonld"))
"""


def test_json_ld_is_the_same_bytes_in_every_process() -> None:
    """Its nodes and values came in the order of Python's per-process string hashing: two workers,
    or one after a restart, answered one graph in different bytes."""
    import os
    import subprocess
    import sys

    answers = {
        subprocess.run(
            [sys.executable, "-c", _JSON_LD_OF_A_GRAPH],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(answers) == 1
    [document] = answers
    assert json.loads(document)["@graph"][0]["@id"] == "http://a.test/d0"
