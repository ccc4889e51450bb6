"""Where the builders put triples: an rdflib Graph, or a sink writing N-Triples straight away."""

from typing import Any, Protocol

from rdflib.plugins.serializers.nt import _nt_row
from rdflib.term import Node


class Triples(Protocol):
    """The part of rdflib's Graph the builders use."""

    def add(self, triple: tuple[Node, Node, Node]) -> Any: ...

    def value(self, subject: Any = ..., predicate: Any = ...) -> Any: ...


class NTriplesSink:
    """Collects one dataset's triples as N-Triples lines, without an in-memory graph store.

    Streaming the whole catalog spends most of its time filling and serializing rdflib graphs;
    writing each triple's line directly halves that. Identical triples are written once.
    """

    def __init__(self) -> None:
        self._lines: dict[str, None] = {}
        self._values: dict[tuple[Node, Node], Node] = {}

    def add(self, triple: tuple[Node, Node, Node]) -> "NTriplesSink":
        self._lines[_nt_row(triple)] = None
        self._values.setdefault((triple[0], triple[1]), triple[2])
        return self

    def value(self, subject: Any = None, predicate: Any = None) -> Any:
        return self._values.get((subject, predicate))

    def text(self) -> str:
        return "".join(self._lines)
