"""The streamed catalog export: one document, written as the datasets come (issue 5, Whole catalog)."""

import io
from collections.abc import Iterator

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, RDF

from opencat.dcat import turtle
from opencat.dcat.graph import add_catalog, add_dataset, dataset_graph, new_graph
from opencat.dcat.inputs import DcatInput
from opencat.dcat.sink import NTriplesSink
from opencat.dcat.stream import write_catalog
from tests.dcat import examples
from tests.dcat.examples import URLS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")
CATALOG = URIRef("https://opencat.example/api/1/site/catalog")
PARSERS = {"nt": "nt", "ttl": "turtle"}


def items() -> list[DcatInput]:
    return [examples.minimal(), examples.full(), examples.harvested(), *examples.real_fixtures()]


def expected(batch: list[DcatInput]) -> Graph:
    graph = Graph()
    catalog = new_graph()
    add_catalog(catalog, URLS, "opencat")
    graph += catalog
    for item in batch:
        single = dataset_graph(item, URLS, site_title="opencat")
        graph += single
        graph.add((CATALOG, DCAT.dataset, next(iter(single.subjects(RDF.type, DCAT.Dataset)))))
    return graph


@pytest.mark.parametrize("fmt", ["nt", "ttl"])
def test_the_export_is_one_document_with_every_dataset(fmt: str) -> None:
    batch = items()
    out = io.BytesIO()
    assert write_catalog(iter(batch), URLS, out, fmt, site_title="opencat") == len(batch)  # type: ignore[arg-type]
    parsed = Graph().parse(data=out.getvalue(), format=PARSERS[fmt])
    assert len(set(parsed.objects(CATALOG, DCAT.dataset))) == len(batch)
    assert isomorphic(parsed, expected(batch))


def test_turtle_declares_its_prefixes_once() -> None:
    out = io.BytesIO()
    write_catalog(items(), URLS, out, "ttl")
    assert out.getvalue().count(b"@prefix dcat:") == 1


class Recorder(io.BytesIO):
    """Counts the writes, to see that each dataset is written before the next one is read."""

    writes = 0

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.writes += 1
        return super().write(data)


@pytest.mark.parametrize("fmt", ["nt", "ttl"])
def test_each_dataset_is_written_before_the_next_is_read(fmt: str) -> None:
    out = Recorder()
    seen: list[int] = []

    def lazily() -> Iterator[DcatInput]:
        for item in items():
            seen.append(out.writes)
            yield item

    write_catalog(lazily(), URLS, out, fmt)  # type: ignore[arg-type]
    assert seen == sorted(set(seen))  # one write or more between two reads


def test_only_line_based_formats_stream() -> None:
    with pytest.raises(ValueError, match="json"):
        write_catalog([], URLS, io.BytesIO(), "json")  # type: ignore[arg-type]


def test_the_sink_writes_the_lines_rdflib_writes() -> None:
    for item in items():
        graph = dataset_graph(item, URLS, site_title="opencat")
        sink = NTriplesSink()
        add_dataset(sink, item, URLS, site_title="opencat")
        by_rdflib = {line for line in graph.serialize(format="nt").splitlines() if line}
        assert set(sink.text().splitlines()) == by_rdflib


def test_the_turtle_sink_writes_what_the_graph_gives() -> None:
    for item in items():
        graph = dataset_graph(item, URLS, site_title="opencat")
        sink = turtle.TurtleSink()
        add_dataset(sink, item, URLS, site_title="opencat")
        assert sink.text() == turtle.triples(graph)
        assert sink.text().count(" .\n") == len(set(graph.subjects()))
