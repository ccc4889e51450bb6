"""A fast N-Triples reader: one regular expression per line, straight into the mapping's index.

N-Triples is what opencat (and udata) stream whole catalogs in, so it is what a large harvest
reads. The triples go into ``Facts`` directly, literals as light ``Text`` values: no rdflib graph
to fill and no literal cast to a Python value until the mapping asks (both were most of a page's
reading time). A line this reader does not understand makes it give up (``None``), and the
caller parses the document with rdflib instead: the fast path never changes what a document means.
"""

import re

from rdflib import BNode, URIRef

from opencat.dcat.remote_terms import Facts, Index, Term, Text

_IRI = r"<([^<>\"{}|^`\\\x00-\x20]*)>"
_BLANK = r"_:([A-Za-z0-9_][A-Za-z0-9_.\-]*)"
_LITERAL = r'"((?:[^"\\\n\r]|\\.)*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^' + _IRI + ")?"
_LINE = re.compile(
    rf"[ \t]*(?:{_IRI}|{_BLANK})[ \t]+{_IRI}[ \t]+(?:{_IRI}|{_BLANK}|{_LITERAL})[ \t]*\.[ \t]*(?:#.*)?"
)
_SKIPPED = re.compile(r"[ \t]*(?:#.*)?")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class _NotSimple(Exception):
    pass


def read_n_triples(body: bytes) -> Facts | None:
    """The facts of an N-Triples document, or None when a line needs rdflib's full parser."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    index: Index = {}
    iris: dict[str, URIRef] = {}
    blanks: dict[str, BNode] = {}
    plain: dict[str, str] = {}
    try:
        for line in text.splitlines():
            found = _LINE.fullmatch(line)
            if found is None:
                if _SKIPPED.fullmatch(line):
                    continue
                return None
            subject_iri, subject_blank, predicate, object_iri, object_blank, value, language, datatype = (
                found.groups()
            )
            subject = _iri(subject_iri, iris) if subject_iri is not None else _blank(subject_blank, blanks)
            term: Term
            if object_iri is not None:
                term = _iri(object_iri, iris)
            elif object_blank is not None:
                term = _blank(object_blank, blanks)
            else:
                term = Text(_unescape(value), language, _plain(datatype, iris, plain) if datatype else None)
            said = index.get(subject)
            if said is None:
                said = index[subject] = {}
            key = _plain(predicate, iris, plain)
            values = said.get(key)
            if values is None:
                said[key] = {term: None}
            else:
                values[term] = None  # a triple said twice is one triple
    except _NotSimple:
        return None
    return Facts(index)


def _iri(text: str, iris: dict[str, URIRef]) -> URIRef:
    found = iris.get(text)
    if found is None:
        if "\\" in text or ":" not in text:  # escapes in an IRI, or a relative one: rdflib's job
            raise _NotSimple
        found = iris[text] = URIRef(text)
    return found


def _plain(text: str, iris: dict[str, URIRef], plain: dict[str, str]) -> str:
    """A predicate's or a datatype's IRI as a plain string (what ``Facts`` is keyed by), one
    string for the page's thousands of repeats of it."""
    found = plain.get(text)
    if found is None:
        found = plain[text] = str.__str__(_iri(text, iris))
    return found


def _blank(label: str, blanks: dict[str, BNode]) -> BNode:
    found = blanks.get(label)
    if found is None:
        found = blanks[label] = BNode()
    return found


def _unescape(value: str) -> str:
    return _ESCAPE.sub(_replace, value) if "\\" in value else value


def _replace(found: re.Match[str]) -> str:
    short, long, simple = found.groups()
    if short or long:
        return chr(int(short or long, 16))
    if simple in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[simple]
    raise _NotSimple
