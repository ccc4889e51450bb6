"""The whole catalog as N-Triples or Turtle, written one dataset at a time in constant memory.

Each dataset gets its own small graph, written and forgotten before the next one is read. The
catalog node comes first and each dataset brings its own ``dcat:dataset`` link, so nothing
accumulates whatever the catalog's size. Blank nodes carry stable labels, unique per dataset, so
the blocks make one document; Turtle declares its prefixes once, at the top.
"""

from collections.abc import Iterable
from typing import BinaryIO, Literal

from rdflib import Graph, URIRef

from opencat.dcat import turtle
from opencat.dcat.graph import add_catalog, add_dataset, new_graph
from opencat.dcat.inputs import DcatInput
from opencat.dcat.namespaces import DCAT
from opencat.dcat.sink import NTriplesSink
from opencat.domain.urls import Urls

StreamFormat = Literal["nt", "ttl"]


def write_catalog(
    items: Iterable[DcatInput],
    urls: Urls,
    out: BinaryIO,
    fmt: StreamFormat,
    *,
    site_title: str = "opencat",
    site_description: str | None = None,
    language: str | None = None,
) -> int:
    """Write the catalog and every item to ``out``; return how many datasets were written."""
    if fmt not in ("nt", "ttl"):
        raise ValueError(f"Cannot stream the catalog as {fmt!r}")
    write = _write_turtle if fmt == "ttl" else _write_n_triples
    if fmt == "ttl":
        out.write(turtle.PROLOGUE.encode())
    graph = new_graph()
    catalog = add_catalog(graph, urls, site_title, site_description=site_description, language=language)
    write(graph, out)
    count = 0
    # The harvested IRIs written so far (our own are unique): a second dataset harvested with one
    # is written under its own URI (graph.add_dataset).
    taken: set[URIRef] = set()
    for item in items:
        if fmt == "nt":
            sink = NTriplesSink()
            sink.add(
                (catalog, DCAT.dataset, add_dataset(sink, item, urls, site_title=site_title, taken=taken))
            )
            out.write(sink.text().encode())
        else:
            turtle_sink = turtle.TurtleSink()
            turtle_sink.add(
                (
                    catalog,
                    DCAT.dataset,
                    add_dataset(turtle_sink, item, urls, site_title=site_title, taken=taken),
                )
            )
            out.write(b"\n" + turtle_sink.text().encode())
        count += 1
    return count


def _write_n_triples(graph: Graph, out: BinaryIO) -> None:
    out.write(graph.serialize(format="nt", encoding="utf-8"))


def _write_turtle(graph: Graph, out: BinaryIO) -> None:
    out.write(b"\n" + turtle.triples(graph).encode())
