"""A Turtle writer for our graphs, about ten times faster than rdflib's (issue 5: a few milliseconds).

rdflib's serializer spends ~25 µs a triple ordering and nesting nodes; ours groups each subject's
triples, keeps blank nodes as ``_:labels`` and escapes literals on one line. The output is also valid
N3, and valid TriG once wrapped in braces. Subjects, predicates and objects are sorted, so the same
graph always gives the same bytes.
"""

import re
from functools import lru_cache
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from opencat.dcat.namespaces import PREFIXES, RDF

PROLOGUE = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in PREFIXES.items())
_NAMESPACES = {str(namespace): prefix for prefix, namespace in PREFIXES.items()}
# A conservative PN_LOCAL (Turtle 1.1 §6.5): letters, digits, "_" and "-", not starting with a digit.
_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
# ECHAR (Turtle 1.1 §6.4): the only characters a one-line string cannot hold as they are.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_TYPE = "a"


def document(graph: Graph) -> str:
    return PROLOGUE + "\n" + triples(graph)


def triples(graph: Graph) -> str:
    """Every triple of ``graph``, one block per subject, without prefixes."""
    sink = TurtleSink()
    for triple in graph:
        sink.add(triple)
    return sink.text()


class TurtleSink:
    """Collects triples as Turtle terms grouped by subject, without an rdflib graph store: the
    catalog export writes each dataset from one (filling a ``Graph`` cost it a third of its time).
    Identical triples are written once."""

    def __init__(self) -> None:
        self._subjects: dict[str, dict[str, dict[str, None]]] = {}
        self._triples: list[tuple[Node, Node, Node]] = []  # for ``value``, as NTriplesSink

    def add(self, triple: tuple[Node, Node, Node]) -> "TurtleSink":
        subject, predicate, obj = triple
        self._subjects.setdefault(term(subject), {}).setdefault(_verb(predicate), {})[term(obj)] = None
        self._triples.append(triple)
        return self

    def value(self, subject: Any = None, predicate: Any = None) -> Any:
        return next((o for s, p, o in self._triples if s == subject and p == predicate), None)

    def text(self) -> str:
        blocks = []
        for subject in sorted(self._subjects):
            predicates = self._subjects[subject]
            verbs = sorted(
                ((verb, ", ".join(sorted(objs))) for verb, objs in predicates.items()),
                key=lambda verb: (verb[0] != _TYPE, verb[0]),
            )
            body = " ;\n    ".join(f"{verb} {objs}" for verb, objs in verbs)
            blocks.append(f"{subject} {body} .\n")
        return "\n".join(blocks)


def _verb(predicate: Node) -> str:
    return _TYPE if predicate == RDF.type else term(predicate)


def term(node: Node) -> str:
    if isinstance(node, URIRef):
        return _iri(str(node))
    if isinstance(node, Literal):
        return _literal(node)
    if isinstance(node, BNode):
        return f"_:{node}"
    raise TypeError(f"Cannot write {node!r} in Turtle")


@lru_cache(maxsize=4096)
def _iri(value: str) -> str:
    split = max(value.rfind("#"), value.rfind("/")) + 1
    prefix = _NAMESPACES.get(value[:split])
    if prefix is not None and _LOCAL_NAME.fullmatch(value, split):
        return f"{prefix}:{value[split:]}"
    return f"<{value}>"


def _literal(literal: Literal) -> str:
    quoted = f'"{str(literal).translate(_ESCAPES)}"'
    if literal.language:
        return f"{quoted}@{literal.language}"
    if literal.datatype is not None:
        return f"{quoted}^^{_iri(str(literal.datatype))}"
    return quoted
