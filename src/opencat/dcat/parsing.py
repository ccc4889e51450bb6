"""RDF documents of remote catalogs into the facts the mapping reads: the syntax by content type, else sniffed from the bytes."""

import codecs
import json
import logging
import re
import warnings
from typing import Any

from rdflib import Graph
from rdflib.plugins.parsers.rdfxml import RDFXMLHandler
from rdflib.plugins.shared.jsonld import context as jsonld_context

from opencat.dcat.ntriples import read_n_triples
from opencat.dcat.remote_terms import Facts
from opencat.domain.harvest import HarvestSourceError

# A remote literal not of its datatype (``"2021-13-45"^^xsd:date``) is kept as text by rdflib,
# which logs a warning with its traceback for each: the mapping reads such a value as absent, and
# a catalog of them filled the server's log.
logging.getLogger("rdflib.term").setLevel(logging.ERROR)

_ENTITY = re.compile(rb"<!ENTITY")
# One declaration after its keyword: a parameter mark, the name, then a quoted value or an
# external identifier (read as the XML grammar does: a ">" inside the value does not end it).
_DECLARATION = re.compile(rb"""\s+(%\s+)?([^\s%"'>]+)\s+(?:"([^"]*)"|'([^']*)'|(SYSTEM|PUBLIC)\b)""")
# What internal entities may add to a document by expansion: 1 MB, or the page's own size for a
# larger page (namespace entities used throughout a large dump add about a third of it). expat's
# own bound (100 times the input) let a 1.8 MB page become a 150 MB description.
ENTITY_EXPANSION_BYTES = 1_000_000

# Content type (without parameters) → rdflib parser name.
CONTENT_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "n3",
    "application/n-triples": "nt",
    "text/plain": "nt",  # what N-Triples was served as before it had a type of its own
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/trig": "trig",
}


def syntax_of(body: bytes, content_type: str | None) -> str:
    """The parser for ``body``: its declared type when we know it, else a guess from its first bytes."""
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if declared in CONTENT_TYPES and declared not in ("text/plain", "application/xml", "text/xml"):
        return CONTENT_TYPES[declared]
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if head.startswith(b"<?xml") or head.startswith(b"<rdf:RDF") or head.startswith(b"<!--"):
        return "xml"
    if head.startswith(b"@prefix") or head.startswith(b"@base") or head[:6].upper() in (b"PREFIX", b"BASE  "):
        return "turtle"
    if head.startswith(b"<") or head.startswith(b"_:"):
        # N-Triples is Turtle too: the Turtle parser reads both
        return "turtle"
    return CONTENT_TYPES.get(declared, "turtle")


class RemoteContextRefused(Exception):
    """A JSON-LD context the parser would have fetched (``@import``, a term's scoped context...)."""


def _refuse_context_fetch(*_args: Any, **_kwargs: Any) -> Any:
    raise RemoteContextRefused("The JSON-LD document names a remote @context, which is not fetched")


# rdflib fetches any context a document names by URL (http:, file:...) itself: no address guard,
# no timeout, no size cap, local files read. Whatever form names it (a top-level string, an
# ``@import``, a term's scoped context), nothing is ever fetched in this process.
jsonld_context.source_to_json = _refuse_context_fetch  # type: ignore[attr-defined]


_end_of_property = RDFXMLHandler.property_element_end


def _gather_text(handler: RDFXMLHandler, data: str) -> None:
    """rdflib adds each piece of a literal to the text so far (``data += piece``), and expat sends
    one piece a line or entity: a 1 MB literal of short lines took 26 s, a page at the size cap
    hours. The pieces are gathered in a list, joined once at the property's end."""
    current = handler.current
    if isinstance(current.data, list):
        current.data.append(data)
    elif current.data is not None:
        current.data = [current.data, data]


def _end_property(handler: RDFXMLHandler, name: Any, qname: Any) -> None:
    current = handler.current
    if isinstance(current.data, list):
        current.data = "".join(current.data)
    _end_of_property(handler, name, qname)


RDFXMLHandler.property_element_char = _gather_text  # type: ignore[method-assign,assignment]
RDFXMLHandler.property_element_end = _end_property  # type: ignore[method-assign,assignment]


def parse_facts(body: bytes, content_type: str | None, base: str) -> Facts:
    """``body``'s triples; HarvestSourceError when it is not RDF in any syntax we read, or holds
    no statement at all: a catalog says at least that it is one, and reading an empty answer as an
    empty catalog would archive every dataset of the source."""
    if not body.strip():
        raise HarvestSourceError("The document is empty: no catalog to read")
    body, settled = _in_utf8(body, _charset_of(content_type))
    syntax = syntax_of(body, content_type)
    if syntax == "xml":
        body = _xml_in_utf8(body, settled)
    if syntax in ("nt", "turtle") and body.lstrip()[:1] in (b"<", b"_", b"#"):
        fast = read_n_triples(body)  # None when a line needs the full parser
        if fast is not None:
            return fast
    if syntax == "json-ld":
        _refuse_remote_contexts(body)
    if syntax == "xml":
        _refuse_entity_tricks(body)
    # rdflib's JSON-LD, TriG and N3 parsers need a store that knows named graphs; the others take
    # the faster one ("Cannot parse N3 into non-context-aware store")
    store = "default" if syntax in ("json-ld", "trig", "n3") else "SimpleMemory"
    graph = Graph(store=store, bind_namespaces="none")
    try:
        with warnings.catch_warnings():
            # rdflib warns on odd literals (a date that is not one): the mapping copes with them
            warnings.simplefilter("ignore")
            graph.parse(data=body, format=syntax, publicID=base)
    except RemoteContextRefused as refused:
        raise HarvestSourceError(str(refused)) from None
    except Exception as error:  # every rdflib parser raises its own kind; all mean "not RDF"
        raise HarvestSourceError(f"Not an RDF document ({syntax}): {_first_line(error)}") from None
    if len(graph) == 0:
        raise HarvestSourceError(f"The document ({syntax}) holds no RDF statement: no catalog to read")
    return Facts.from_graph(graph)


def _refuse_remote_contexts(body: bytes) -> None:
    """A JSON-LD ``@context`` given by URL would make the parser fetch it unguarded: refused."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise HarvestSourceError(f"Not a JSON-LD document: {error}") from None
    if _has_remote_context(document, depth=0):
        raise HarvestSourceError("The JSON-LD document names a remote @context, which is not fetched")


def _refuse_entity_tricks(body: bytes) -> None:
    """Entities that expand other entities (the "billion laughs"), parameter entities, external
    ones and internal ones that would add more than the page or ``ENTITY_EXPANSION_BYTES`` are refused before
    expat sees them: its own limit trips only after minutes, or past a hundred times the page."""
    added, bound = 0, max(ENTITY_EXPANSION_BYTES, len(body))
    for found in _ENTITY.finditer(body):
        declared = _DECLARATION.match(body, found.end())
        if declared is None:
            raise HarvestSourceError("The XML document declares an entity that cannot be read")
        parameter, name, double, single, external = declared.groups()
        value = double if double is not None else single
        if parameter or external or value is None or b"&" in value or b"%" in value:
            raise HarvestSourceError("The XML document declares entities that expand others or load files")
        added += len(value) * body.count(b"&" + name + b";")
        if added > bound:
            raise HarvestSourceError(
                "The XML document's entities would more than double it (or add over 1 MB)"
            )


def _has_remote_context(value: Any, depth: int) -> bool:
    if depth > 64:
        raise HarvestSourceError("The JSON-LD document is nested too deeply")
    if isinstance(value, list):
        return any(_has_remote_context(item, depth + 1) for item in value)
    if not isinstance(value, dict):
        return False
    context = value.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if any(isinstance(item, str) for item in contexts):
        return True
    return any(_has_remote_context(item, depth + 1) for key, item in value.items() if key != "@context")


def _first_line(error: Exception) -> str:
    """The parser's reason, short: rdflib's Turtle errors start with a line that names only the
    place (``at line 1 of <>:``), the reason on the next one."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    said = " ".join(lines[:2]) if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    return said[:300]


# The charset a document is said to be in: the HTTP header's, then (XML) its declaration's.
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])([A-Za-z0-9._-]+)\2""")


def _charset_of(content_type: str | None) -> str | None:
    found = _CHARSET.search(content_type or "")
    return None if found is None else found[1]


# Byte order marks, UTF-32's first (its little-endian mark begins with UTF-16's).
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# An XML document without a mark, told by how ``<?`` is written (XML 1.0, appendix F), as expat
# itself tells it.
_UNMARKED = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
# The encodings a page may be in: the web's (WHATWG's list, as Python names them). Python's
# others (``undefined``, ``unicode_escape``, ``rot13``...) are no document's charset.
_WEB_ENCODINGS = frozenset(
    codecs.lookup(name).name
    for name in (
        "utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii",
        "latin-1", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6", "iso8859-7",
        "iso8859-8", "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15", "iso8859-16",
        "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
        "cp874", "cp866", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "gbk", "gb18030",
        "big5", "euc-jp", "iso2022-jp", "shift-jis", "euc-kr",
    )
)  # fmt: skip


def _in_utf8(body: bytes, charset: str | None) -> tuple[bytes, bool]:
    """``body`` in UTF-8, which every check and parser here reads, and whether its encoding is
    settled: by a byte order mark, by the charset the header names (RFC 7303: it wins over an XML
    declaration), or by how an XML declaration's first bytes are written. The checks on entities
    and contexts read bytes: a document left in UTF-16 would pass them unseen, so a page still
    holding NUL bytes once transcoded (an encoding it does not say) is refused."""
    if body.startswith(codecs.BOM_UTF8):
        return _without_nul(body[len(codecs.BOM_UTF8) :]), True
    for mark, encoding in _MARKS:
        if body.startswith(mark):
            return _without_nul(_transcoded(body, encoding)), True
    if charset is not None:
        return _without_nul(_transcoded(body, charset)), True
    for start, encoding in _UNMARKED:
        if body.startswith(start):
            return _without_nul(_transcoded(body, encoding)), True
    return _without_nul(body), False


def _without_nul(body: bytes) -> bytes:
    if b"\x00" in body:
        raise HarvestSourceError("The document holds NUL bytes: it is not in the encoding it says")
    return body


def _xml_in_utf8(body: bytes, settled: bool) -> bytes:
    """An XML document in UTF-8 whose declaration says so: one whose encoding is not settled yet
    is read in the encoding it declares (ISO-8859-1 catalogs of older portals), and a transcoded
    one must not declare its former encoding to the parser."""
    declared = _XML_ENCODING.match(body)
    if declared is None:
        return body
    if not settled:
        body = _transcoded(body, declared[3].decode("ascii"))
    return _XML_ENCODING.sub(lambda found: found[1] + found[2] + b"utf-8" + found[2], body, count=1)


def _transcoded(body: bytes, encoding: str) -> bytes:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in _WEB_ENCODINGS:
        raise HarvestSourceError(f"The document's encoding is unknown: {encoding[:40]}")
    try:
        if name == "utf-8":
            body.decode("utf-8")  # checked, said in our words rather than the parser's
            return body
        return body.decode(name).encode("utf-8")
    except UnicodeError as error:
        raise HarvestSourceError(
            f"The document is not in the encoding it declares ({encoding}): {error}"
        ) from None
