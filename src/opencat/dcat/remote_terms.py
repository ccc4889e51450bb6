"""Reading single values out of a remote graph, tolerant of what real portals publish.

Literals stand where IRIs are expected and the other way round, texts come in several languages
(French first, then English, then untagged), and dates come as dates, datetimes or free text.
"""

import re
import warnings
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import NamedTuple

from rdflib import BNode, Graph, Literal, URIRef

from opencat.dcat.namespaces import DCT, RDFS, SKOS
from opencat.domain.dates import parse_datetime
from opencat.domain.harvest import EXCERPT_LIMIT

# Languages a text is preferred in; an untagged text comes after them, any other language last.
PREFERRED_LANGUAGES = ("fr", "en")

_XSD = "http://www.w3.org/2001/XMLSchema#"
# The spellings of xsd:dateTime and xsd:date that rdflib and ``parse_datetime`` read to the same
# instant: those are read without rdflib's casting, any other goes through it as before.
_ISO_SPELLINGS = {
    f"{_XSD}dateTime": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?"),
    f"{_XSD}date": re.compile(r"\d{4}-\d{2}-\d{2}"),
}


class Text(NamedTuple):
    """A literal as the mapping reads it: its lexical form, language and datatype, cast to a
    Python value only when asked (rdflib casts every literal it makes: most of a page's time)."""

    lexical: str
    language: str | None = None
    datatype: str | None = None

    def __str__(self) -> str:
        return self.lexical

    def as_literal(self) -> Literal:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an ill-typed literal (a date that is not one) stays one
            return Literal(
                self.lexical, lang=self.language, datatype=URIRef(self.datatype) if self.datatype else None
            )

    def n3(self) -> str:
        return self.as_literal().n3()


# What stands in a triple: a subject is an IRI or a blank node, a value any of the three.
Term = URIRef | BNode | Text
# subject → predicate IRI → its values (a dict as an ordered set)
Index = dict[Term, dict[str, dict[Term, None]]]
_NO_PREDICATES: dict[str, dict[Term, None]] = {}
_NO_VALUES: dict[Term, None] = {}


class Facts:
    """A graph's triples indexed by subject then predicate (an IRI as a plain string), each
    subject's values kept once and in document order: the mapping asks some 80 questions per
    dataset, and a dict lookup answers each five times faster than rdflib's pattern matching."""

    def __init__(self, index: Index) -> None:
        self._index = index

    @classmethod
    def from_graph(cls, graph: Graph) -> "Facts":
        """The facts of a graph an rdflib parser filled (the syntaxes other than N-Triples)."""
        index: Index = {}
        for subject, predicate, value in graph:
            if not isinstance(subject, URIRef | BNode):
                continue  # a literal as a subject: N3's business, nothing the mapping reads
            term: Term
            if isinstance(value, Literal):
                term = Text(str(value), value.language, str(value.datatype) if value.datatype else None)
            elif isinstance(value, URIRef | BNode):
                term = value
            else:
                continue  # a formula or a variable (N3): nothing the mapping reads
            index.setdefault(subject, {}).setdefault(str(predicate), {})[term] = None
        return cls(index)

    def objects(self, node: Term, predicate: str) -> Collection[Term]:
        return self._index.get(node, _NO_PREDICATES).get(str(predicate), _NO_VALUES).keys()

    def subjects(self, predicate: str, value: Term) -> list[Term]:
        key = str(predicate)
        return [subject for subject, said in self._index.items() if value in said.get(key, _NO_VALUES)]

    def every_object(self, predicate: str) -> list[Term]:
        """The values of ``predicate`` whatever its subject."""
        key = str(predicate)
        return [value for said in self._index.values() for value in said.get(key, _NO_VALUES)]

    def triples(self) -> Iterator[tuple[Term, str, Term]]:
        for subject, said in self._index.items():
            for predicate, values in said.items():
                for value in values:
                    yield subject, predicate, value

    def ordered(self, nodes: Iterable[Term]) -> list[Term]:
        """Nodes in an order that depends on what they say, not on their names: a blank node is
        named anew at every parse, and a harvested record must read the same on every run."""
        return sorted(nodes, key=self._signature)

    def _signature(self, node: Term) -> tuple[str, str]:
        if not isinstance(node, BNode):
            return type(node).__name__, str(node)
        said = sorted(
            f"{predicate} {'_' if isinstance(value, BNode) else value.n3()}"
            for predicate, value in self.predicate_objects(node)
        )
        return "BNode", "\n".join(said)

    def predicate_objects(self, node: Term) -> list[tuple[str, Term]]:
        return [
            (predicate, value)
            for predicate, values in self._index.get(node, _NO_PREDICATES).items()
            for value in values
        ]


def ordered(nodes: Iterable[Term]) -> list[Term]:
    """Nodes in a stable order (a graph has none): blank nodes, then literals, then IRIs."""
    return sorted(nodes, key=lambda node: (type(node).__name__, str(node)))


def _rank(literal: Text) -> tuple[int, str]:
    language = (literal.language or "").lower().split("-", 1)[0]
    if language in PREFERRED_LANGUAGES:
        return PREFERRED_LANGUAGES.index(language), str(literal)
    return (len(PREFERRED_LANGUAGES) if not language else len(PREFERRED_LANGUAGES) + 1), str(literal)


def best_text(graph: Facts, node: Term, predicate: URIRef) -> str | None:
    """The predicate's literal in the preferred language, stripped; None when there is none."""
    literals = [value for value in graph.objects(node, predicate) if isinstance(value, Text)]
    literals = [value for value in literals if str(value).strip()]
    if not literals:
        return None
    return str(min(literals, key=_rank)).strip()


def texts_in_one_language(graph: Facts, node: Term, predicate: URIRef) -> tuple[str, ...]:
    """The predicate's literals in the best language present (keywords are often given twice)."""
    literals = [value for value in graph.objects(node, predicate) if isinstance(value, Text)]
    literals = [value for value in literals if str(value).strip()]
    if not literals:
        return ()
    best = _rank(min(literals, key=_rank))[0]
    return tuple(sorted({str(value).strip() for value in literals if _rank(value)[0] == best}))


def reference(value: Term | None) -> str | None:
    """An IRI, or a literal standing for one (``dcat:accessURL "https://..."``), as a string."""
    if isinstance(value, URIRef | Text):
        text = str(value).strip()
        return text or None
    return None


def first_reference(graph: Facts, node: Term, predicate: URIRef) -> str | None:
    found = sorted(filter(None, (reference(value) for value in graph.objects(node, predicate))))
    return found[0] if found else None


def label(graph: Facts, node: Term) -> str | None:
    """A node's own name: rdfs:label, skos:prefLabel or dct:title."""
    for predicate in (RDFS.label, SKOS.prefLabel, DCT.title):
        found = best_text(graph, node, predicate)
        if found:
            return found
    return None


def when(value: Term | None) -> datetime | None:
    """A date or datetime literal in UTC (a naive one is UTC); None when unreadable."""
    if not isinstance(value, Text):
        return None
    spelling = _ISO_SPELLINGS.get(value.datatype or "")
    if spelling is not None and spelling.fullmatch(value.lexical):
        try:
            return parse_datetime(value.lexical)
        except ValueError:  # a 30th of February
            return None
    python = value.as_literal().toPython()
    if isinstance(python, datetime):
        return parse_datetime(python.isoformat())
    if isinstance(python, date):
        return parse_datetime(python.isoformat())
    try:
        return parse_datetime(str(value))
    except ValueError:
        return None


def first_when(graph: Facts, node: Term, predicate: URIRef) -> datetime | None:
    found = sorted(filter(None, (when(value) for value in graph.objects(node, predicate))))
    return found[0] if found else None


def first_day(graph: Facts, node: Term, predicates: Sequence[URIRef]) -> date | None:
    for predicate in predicates:
        found = first_when(graph, node, predicate)
        if found is not None:
            return found.date()
    return None


def excerpt(graph: Facts, nodes: Iterable[Term]) -> str:
    """The triples about ``nodes`` in N-Triples, as much as a job report keeps."""
    lines: list[str] = []
    size = 0
    for node in nodes:
        subject = f"_:{node}" if isinstance(node, BNode) else node.n3()
        said = sorted(
            f"{subject} <{predicate}> {value.n3()} ." for predicate, value in graph.predicate_objects(node)
        )
        for line in said:
            lines.append(line)
            size += len(line) + 1
            if size > EXCERPT_LIMIT:
                return "\n".join(lines)
    return "\n".join(lines)
