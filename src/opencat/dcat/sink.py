"""Where the builders put triples: an rdflib Graph, or a sink writing N-Triples straight away."""

from typing import Any, Protocol

from rdflib import Literal, URIRef
from rdflib.term import Node, _is_valid_uri


class Triples(Protocol):
    """The part of rdflib's Graph the builders use."""

    def add(self, triple: tuple[Node, Node, Node]) -> Any: ...

    def value(self, subject: Any = ..., predicate: Any = ...) -> Any: ...


def _iri(node: URIRef) -> str:
    if not _is_valid_uri(node):  # as rdflib's serializer: never a broken line
        raise ValueError(f'"{node}" does not look like a valid URI, cannot serialize it as N-Triples')
    return f"<{node}>"


def _literal(node: Literal) -> str:
    """The N-Triples form rdflib writes (``_quoteLiteral``), without its per-call overhead."""
    quoted = node.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r")
    if node.language:
        return f'"{quoted}"@{node.language}'
    if node.datatype:
        return f'"{quoted}"^^<{node.datatype}>'
    return f'"{quoted}"'


def _term(node: Node) -> str:
    kind = type(node)
    if kind is URIRef:
        return _iri(node)  # type: ignore[arg-type]
    if kind is Literal:
        return _literal(node)  # type: ignore[arg-type]
    return node.n3()  # a blank node, or a subclass of the above


class NTriplesSink:
    """Collects one dataset's triples as N-Triples lines, without an in-memory graph store.

    Streaming the whole catalog spends most of its time filling and serializing rdflib graphs;
    writing each triple's line directly halves that. Identical triples are written once.
    """

    def __init__(self) -> None:
        self._lines: dict[str, None] = {}
        # Kept as added: rdflib terms compare in Python, so indexing them costs more than the
        # rare ``value`` lookup (once per dataset) scanning them.
        self._triples: list[tuple[Node, Node, Node]] = []

    def add(self, triple: tuple[Node, Node, Node]) -> "NTriplesSink":
        subject, predicate, value = triple
        self._lines[f"{_term(subject)} {_term(predicate)} {_term(value)} .\n"] = None
        self._triples.append(triple)
        return self

    def value(self, subject: Any = None, predicate: Any = None) -> Any:
        return next((o for s, p, o in self._triples if s == subject and p == predicate), None)

    def text(self) -> str:
        return "".join(self._lines)
