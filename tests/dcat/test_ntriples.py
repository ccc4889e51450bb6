"""The fast N-Triples reader says exactly what rdflib's parser says, or steps aside."""

import warnings
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from opencat.dcat.ntriples import read_n_triples
from opencat.dcat.parsing import parse_facts
from opencat.dcat.remote_terms import Facts, Text

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "harvest"


def _rdflib(body: bytes) -> Graph:
    graph = Graph()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph.parse(data=body, format="nt")
    return graph


def _graph(facts: Facts) -> Graph:
    """The facts back as an rdflib graph, literals made by rdflib from their lexical form."""
    graph = Graph()
    for subject, predicate, value in facts.triples():
        graph.add((subject, URIRef(predicate), value.as_literal() if isinstance(value, Text) else value))
    return graph


@pytest.mark.parametrize(("name", "syntax"), [("datos-gob-es.ttl", "turtle"), ("opendata-hro-de.rdf", "xml")])
def test_same_graph_as_rdflib_on_real_documents(name: str, syntax: str) -> None:
    body = Graph().parse(SAMPLES / name, format=syntax).serialize(format="nt", encoding="utf-8")
    fast = read_n_triples(body)
    assert fast is not None
    assert isomorphic(_graph(fast), _rdflib(body))
    assert len(list(fast.triples())) > 20


def test_escapes_languages_datatypes_blank_nodes_and_comments() -> None:
    body = (
        "# a comment\n"
        '<http://a.test/d> <http://purl.org/dc/terms/title> "Qualit\\u00E9 \\"de\\" l\'eau\\n\\tbis"@fr-FR .\n'
        '<http://a.test/d> <http://purl.org/dc/terms/issued> "2024-01-02"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
        '_:b1 <http://www.w3.org/ns/dcat#keyword> "caf\u00e9 \\U0001F600" .  # trailing\n'
        "<http://a.test/d> <http://purl.org/dc/terms/temporal> _:b1 .\n"
        "\n"
    ).encode()
    fast = read_n_triples(body)
    assert fast is not None
    assert isomorphic(_graph(fast), _rdflib(body))


@pytest.mark.parametrize(
    "line",
    [
        '<relative> <http://p.test/> "x" .',  # a relative IRI: rdflib resolves it against the base
        '<http://s.test/> <http://p.test/> "bad \\q escape" .',
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .",  # Turtle, not N-Triples
        '<http://s.test/> <http://p.test/> "x"',  # no final dot
    ],
)
def test_steps_aside_for_what_it_does_not_read(line: str) -> None:
    assert read_n_triples(line.encode()) is None


def test_parse_facts_takes_the_fast_path_and_falls_back() -> None:
    body = b'<http://s.test/> <http://p.test/> "x" .\n'
    assert len(list(parse_facts(body, "application/n-triples", "http://base.test/").triples())) == 1
    escaped = b'<http://s.test/caf\\u00E9> <http://p.test/> "x" .\n'  # an escape in an IRI: rdflib's parser
    [(subject, _, _)] = parse_facts(escaped, "application/n-triples", "http://base.test/").triples()
    assert str(subject) == "http://s.test/caf\u00e9"


def test_a_triple_said_twice_is_one_and_literals_are_told_apart() -> None:
    body = (
        b'<http://s.test/> <http://p.test/> "1" .\n'
        b'<http://s.test/> <http://p.test/> "1" .\n'
        b'<http://s.test/> <http://p.test/> "1"@fr .\n'
        b'<http://s.test/> <http://p.test/> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
        b"<http://s.test/> <http://p.test/> <http://o.test/> .\n"
    )
    fast = read_n_triples(body)
    assert fast is not None
    assert list(fast.objects(URIRef("http://s.test/"), URIRef("http://p.test/"))) == [
        Text("1"),
        Text("1", "fr"),
        Text("1", None, "http://www.w3.org/2001/XMLSchema#integer"),
        URIRef("http://o.test/"),
    ]
