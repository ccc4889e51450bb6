"""RDF serializations: URL suffixes, content types and ``Accept`` negotiation (udata: udata/core/dataset/rdf.py)."""

import json
from dataclasses import dataclass
from typing import Any

from rdflib import Graph

from opencat.dcat import turtle
from opencat.dcat.namespaces import DCAT, PREFIXES, bind_prefixes
from opencat.domain.accept import best_match


@dataclass(frozen=True, slots=True)
class Format:
    extension: str  # the suffix a negotiated redirect points to
    content_type: str


RDF_XML = Format("xml", "application/rdf+xml")
N3 = Format("n3", "text/n3")
TURTLE = Format("ttl", "application/x-turtle")
N_TRIPLES = Format("nt", "application/n-triples")
TRIG = Format("trig", "application/trig")
JSON_LD = Format("json", "application/ld+json")

# The suffixes udata serves (case-insensitive); any other suffix is a 404, never udata's 500.
SUFFIXES = {
    "xml": RDF_XML,
    "rdf": RDF_XML,
    "owl": RDF_XML,
    "n3": N3,
    "ttl": TURTLE,
    "nt": N_TRIPLES,
    "trig": TRIG,
    "json": JSON_LD,
    "jsonld": JSON_LD,
    "json-ld": JSON_LD,
}

# udata's ACCEPTED_MIME_TYPES, in the server's order of preference (udata/rdf.py).
PREFERENCES = (
    ("application/rdf+xml", RDF_XML),
    ("application/xml", RDF_XML),
    ("text/n3", N3),
    ("application/x-turtle", TURTLE),
    ("text/turtle", TURTLE),
    ("application/n-triples", N_TRIPLES),
    ("application/ld+json", JSON_LD),
    ("application/json", JSON_LD),
    ("application/trig", TRIG),
    ("text/xml", RDF_XML),
)
DEFAULT = JSON_LD  # no Accept header, or nothing acceptable (udata's ``negociate_content``)

# udata's JSON-LD context: ``@vocab`` = dcat and its short terms, so that clients reading
# ``title`` or ``accessURL`` find them. Two udata terms point at the wrong IRI (``hasEmail`` →
# vcard:email, ``startDate``/``endDate`` → schema:); ours keep the names with DCAT-AP's IRIs.
_XSD_DATE_TIME = "http://www.w3.org/2001/XMLSchema#dateTime"
_LINKS = ("dcat:accessURL", "spdx:algorithm", "dcat:dataset", "dcat:distribution", "dcat:downloadURL")
_HYDRA_LINKS = ("first", "last", "next", "previous", "view")
JSON_LD_CONTEXT: dict[str, object] = {
    "@vocab": str(DCAT),
    **{prefix: str(namespace) for prefix, namespace in PREFIXES.items()},
    "freq": "http://purl.org/cld/freq/",
    "org": "http://www.w3.org/ns/org#",
    "schema": "http://schema.org/",
    **{name.split(":")[1]: {"@id": name, "@type": "@id"} for name in _LINKS},
    **{name: {"@id": f"hydra:{name}", "@type": "@id"} for name in _HYDRA_LINKS},
    "homepage": {"@id": "foaf:homepage", "@type": "@id"},
    "publisher": {"@id": "dct:publisher", "@type": "@id"},
    "issued": {"@id": "dct:issued", "@type": _XSD_DATE_TIME},
    "modified": {"@id": "dct:modified", "@type": _XSD_DATE_TIME},
    "accrualPeriodicity": "dct:accrualPeriodicity",
    "checksum": "spdx:checksum",
    "checksumValue": "spdx:checksumValue",
    "description": "dct:description",
    "endDate": "dcat:endDate",
    "fn": "vcard:fn",
    "format": "dct:format",
    "hasEmail": "vcard:hasEmail",
    "identifier": "dct:identifier",
    "label": "rdfs:label",
    "language": "dct:language",
    "license": "dct:license",
    "name": "foaf:name",
    "rights": "dct:rights",
    "spatial": "dct:spatial",
    "startDate": "dcat:startDate",
    "subOrganizationOf": "org:subOrganizationOf",
    "temporal": "dct:temporal",
    "title": "dct:title",
    "totalItems": "hydra:totalItems",
}


def find_format(suffix: str) -> Format | None:
    return SUFFIXES.get(suffix.lower())


def negotiate(accept_header: str | None) -> str:
    """The extension to redirect to, chosen as werkzeug's ``best_match`` chooses for udata:
    ``*/*`` gives ``xml``, no header (or nothing acceptable) gives ``json``."""
    chosen = best_match(accept_header, [server_type for server_type, _ in PREFERENCES])
    return dict(PREFERENCES)[chosen].extension if chosen is not None else DEFAULT.extension


def serialize(graph: Graph, extension: str) -> bytes:
    """``graph`` in the serialization named by a suffix of ``SUFFIXES`` (KeyError otherwise)."""
    found = SUFFIXES[extension.lower()]
    if found in (TURTLE, N3):  # our Turtle is also N3
        return turtle.document(graph).encode()
    if found is TRIG:  # the triples in the default graph (rdflib would name it with a blank node)
        return f"{turtle.PROLOGUE}\n{{\n{turtle.triples(graph)}}}\n".encode()
    if found is N_TRIPLES:
        return graph.serialize(format="nt", encoding="utf-8")
    bind_prefixes(graph.namespace_manager)  # the RDF/XML and JSON-LD serializers use them
    if found is JSON_LD:
        return _in_one_order(graph.serialize(format="json-ld", context=JSON_LD_CONTEXT, encoding="utf-8"))
    return graph.serialize(format="xml", encoding="utf-8")


def _in_one_order(document: bytes) -> bytes:
    """rdflib's JSON-LD in one order whatever the process: its nodes and their values came in the
    order of a set of terms (Python's per-process string hashing), so that two workers, or one
    after a restart, answered the same graph in different bytes (no cache or diff could tell it
    unchanged). An ``@list`` keeps its order: only there does order mean something."""
    return json.dumps(
        _sorted(json.loads(document)), indent=2, separators=(",", ": "), sort_keys=True, ensure_ascii=False
    ).encode()


def _sorted(value: Any, ordered: bool = False) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(item, ordered=key == "@list") for key, item in value.items()}
    if isinstance(value, list):
        items = [_sorted(item) for item in value]
        return items if ordered else sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value
