"""A remote dcat:Distribution read into a RemoteResource (the inverse of ``distributions.py``)."""

from rdflib import URIRef

from opencat.dcat.namespaces import DCAT, DCT, GEODCAT, RDF, SPDX
from opencat.dcat.remote_terms import Facts, Term, Text, best_text, first_reference, first_when, label
from opencat.dcat.remote_vocabularies import format_of, media_type_of
from opencat.domain.harvest import RemoteResource
from opencat.domain.html_markdown import html_as_markdown

# SPDX algorithm (its local name, as DCAT-AP and most portals write it) → udata's checksum type.
_ALGORITHMS = {"sha1": "sha1", "md5": "md5", "sha256": "sha256", "sha512": "sha512"}
# The digest's length tells the algorithm when the IRI is another vocabulary's (dcat-ap.de's),
# and must fit the one the IRI names.
_ALGORITHMS_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_HEX = frozenset("0123456789abcdefABCDEF")


def read_distribution(graph: Facts, node: Term, additional: bool = False) -> RemoteResource | None:
    """None for a distribution with no URL at all: there is nothing to link to. ``additional``: a
    document the dataset has as a part (``dct:hasPart``), linked by its IRI, of type ``other``;
    a distribution giving access to a service (``dcat:accessService``) is of type ``api``, as
    udata reads them (udata: udata/core/dataset/rdf.py, resource_from_rdf)."""
    if additional:
        url = str(node) if isinstance(node, URIRef) else None
    else:
        url = first_reference(graph, node, DCAT.downloadURL) or first_reference(graph, node, DCAT.accessURL)
    if url is None:
        return None
    mime = _media_type(graph, node)
    service = next(iter(graph.ordered(graph.objects(node, DCAT.accessService))), None)
    kind = "other" if additional else "api" if service is not None else "main"
    return RemoteResource(
        url=url,
        type=kind,
        title=best_text(graph, node, DCT.title),
        description=_description(graph, node),
        format=_service_protocol(graph, service) or _format(graph, node),
        mime=mime,
        filesize=_byte_size(graph, node),
        checksum=_checksum(graph, node),
        issued_at=first_when(graph, node, DCT.issued),
        modified_at=first_when(graph, node, DCT.modified),
        uri=str(node) if isinstance(node, URIRef) else None,
    )


def _description(graph: Facts, node: Term) -> str | None:
    text = best_text(graph, node, DCT.description)
    # udata writes Python's None as the literal "None" for a distribution without a description
    return None if text is None or text == "None" else html_as_markdown(text)


# OGC's standards, whose name is the format of a service's distribution (WMS, WFS...).
_OGC_STANDARDS = "http://www.opengeospatial.org/standards/"


def _service_protocol(graph: Facts, service: Term | None) -> str | None:
    """The OGC standard a distribution's service follows (GeoDCAT-AP 3's ``serviceProtocol``, else
    ``dct:conformsTo``): udata takes it as the format."""
    if service is None:
        return None
    for predicate in (GEODCAT.serviceProtocol, DCT.conformsTo):
        for standard in graph.ordered(graph.objects(service, predicate)):
            text = str(standard)
            if (
                isinstance(standard, URIRef)
                and text.startswith(_OGC_STANDARDS)
                and text[len(_OGC_STANDARDS) :]
            ):
                return text[len(_OGC_STANDARDS) :].lower()
    return None


def _format(graph: Facts, node: Term) -> str | None:
    for value in graph.ordered(graph.objects(node, DCT.format)):
        if isinstance(value, URIRef) and (media := media_type_of(str(value))) and "://" in str(value):
            return media.split("/")[-1]  # an IANA media type's IRI: its subtype, as udata reads it
        found = format_of(str(value)) if isinstance(value, URIRef | Text) else None
        if found is None and not isinstance(value, Text):
            # a described node: ours for an unknown format, a portal's IMT or its own vocabulary
            named = label(graph, value)
            found = named.lower() if named else None
        if found:
            return found
    return None


def _media_type(graph: Facts, node: Term) -> str | None:
    for value in graph.ordered(graph.objects(node, DCAT.mediaType)):
        found = media_type_of(str(value))
        if found:
            return found
    for value in graph.ordered(graph.objects(node, DCT.format)):
        if isinstance(value, URIRef) and media_type_of(str(value)):  # an IANA IRI as the format
            return media_type_of(str(value))
        for inner in graph.objects(value, RDF.value):  # an IMT node with its rdf:value
            found = media_type_of(str(inner))
            if found:
                return found
    return None


def _byte_size(graph: Facts, node: Term) -> int | None:
    for value in graph.objects(node, DCAT.byteSize):
        try:
            size = int(float(str(value).strip()))
        except (ValueError, OverflowError):
            continue
        if size >= 0:
            return size
    return None


def _checksum(graph: Facts, node: Term) -> tuple[str, str] | None:
    for checksum in graph.ordered(graph.objects(node, SPDX.checksum)):
        value = best_text(graph, checksum, SPDX.checksumValue)
        if not value or not set(value) <= _HEX:
            continue
        algorithm = first_reference(graph, checksum, SPDX.algorithm) or ""
        local = algorithm.rsplit("/", 1)[-1].rsplit("#", 1)[-1].removeprefix("checksumAlgorithm_").lower()
        kind = _ALGORITHMS_BY_LENGTH.get(len(value))
        if kind is not None and _ALGORITHMS.get(local, kind) == kind:  # a named algorithm must fit the digest
            return kind, value.lower()
    return None
