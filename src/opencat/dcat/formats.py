"""RDF serializations: URL suffixes, content types and ``Accept`` negotiation (udata: udata/core/dataset/rdf.py)."""

from dataclasses import dataclass

from rdflib import Graph

from opencat.dcat import turtle
from opencat.dcat.namespaces import DCAT, PREFIXES, bind_prefixes


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
    """The extension to redirect to, chosen as werkzeug's ``best_match`` chooses for udata.

    The best quality wins; at equal quality the more specific client range wins, then the earliest
    server type: ``*/*`` gives ``xml``, no header (or nothing acceptable) gives ``json``. Unlike
    werkzeug, media-type parameters other than ``q`` are ignored rather than required to be equal.
    """
    client = _parse_accept(accept_header or "")
    best: Format | None = None
    best_quality = -1.0
    best_specificity: tuple[int, ...] = (-1,)
    for server_type, candidate in PREFERENCES:
        for client_type, quality, specificity in client:
            if quality <= 0 or quality < best_quality:
                continue
            better = quality > best_quality or specificity > best_specificity
            if better and _matches(server_type, client_type):
                best, best_quality, best_specificity = candidate, quality, specificity
    return (best or DEFAULT).extension


def _parse_accept(header: str) -> list[tuple[str, float, tuple[int, ...]]]:
    """(media range, quality, specificity), most specific first, then by quality (werkzeug's order)."""
    ranges: list[tuple[str, float, tuple[int, ...]]] = []
    for item in header.split(","):
        media_range, *parameters = item.split(";")
        media_range = media_range.strip().lower()
        quality = _quality(parameters)
        if media_range and quality is not None:
            specificity = tuple(int(part != "*") for part in media_range.split("/", 1))
            ranges.append((media_range, quality, specificity))
    ranges.sort(key=lambda entry: (entry[2], entry[1]), reverse=True)
    return ranges


def _quality(parameters: list[str]) -> float | None:
    """The ``q`` parameter (1 when absent); None when it is not a number within [0, 1]."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return None
            return quality if 0 <= quality <= 1 else None
    return 1.0


def _matches(server_type: str, client_range: str) -> bool:
    if "/" not in client_range:
        return False
    client_main, client_sub = client_range.split("/", 1)
    if client_main == "*":
        return client_sub == "*"
    server_main, server_sub = server_type.split("/", 1)
    return client_main == server_main and client_sub in ("*", server_sub)


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
        return graph.serialize(format="json-ld", context=JSON_LD_CONTEXT, encoding="utf-8")
    return graph.serialize(format="xml", encoding="utf-8")
