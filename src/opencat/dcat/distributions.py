"""One dcat:Distribution per resource, with its checksum, formats and OGC service (udata: udata/core/dataset/rdf.py)."""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from rdflib import Literal, URIRef

from opencat.dcat.namespaces import DCAT, DCATAP, DCT, IANA_MEDIA_TYPE, RDF, RDFS, SKOS, SPDX, XSD
from opencat.dcat.sink import Triples
from opencat.dcat.terms import date_time, hex_binary, own, text, web_iri
from opencat.dcat.vocabularies import (
    CHECKSUM_ALGORITHMS,
    FILE_TYPES,
    HVD_LEGISLATION,
    LICENCE_TYPE_SCHEME,
    LICENCE_TYPES,
    OGC_SERVICES,
    OGC_STANDARD,
)
from opencat.domain.datasets import Checksum, Resource
from opencat.domain.references import License
from opencat.domain.urls import Urls

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+\-]*/[a-z0-9][a-z0-9!#$&^_.+\-]*")


@dataclass(frozen=True, slots=True)
class Shared:
    """What every distribution of one dataset carries: its dataset's license, access and HVD status."""

    dataset: URIRef
    page: str | None  # the dataset's page by id, when a front-end is configured
    license: License | None
    license_url: URIRef | None
    limitation: URIRef | None
    hvd: bool
    now: datetime


def add_distribution(graph: Triples, resource: Resource, shared: Shared, urls: Urls) -> URIRef:
    # udata's subject: the dataset's page by id with the resource's id, or the resource's
    # permalink when no front-end is configured (udata: udata/core/dataset/rdf.py). Both are stable across renames.
    permalink = own(urls.resource_latest(resource.id))
    node = own(f"{shared.page}?resource_id={resource.id}") if shared.page else permalink
    add = graph.add
    add((node, RDF.type, DCAT.Distribution))
    add((node, DCT.identifier, Literal(resource.id)))
    add((node, DCT.title, text(resource.title)))
    if resource.description:  # udata writes the literal "None" for a missing description
        add((node, DCT.description, text(resource.description)))
    # A URL that cannot be made an IRI is dropped: the permalink redirects to it anyway. One no
    # browser should follow (``javascript:``, a load of documents may hold it) is no download.
    add((node, DCAT.downloadURL, web_iri(resource.url) or permalink))
    add((node, DCAT.accessURL, permalink))
    add((node, DCT.issued, date_time(resource.created_at)))
    add((node, DCT.modified, date_time(resource.last_modified(shared.now))))
    add_rights(graph, node, shared)
    if resource.filesize is not None and resource.filesize >= 0:
        # DCAT 3 says xsd:nonNegativeInteger, but DCAT-AP 3.0.0's shapes.ttl checks xsd:decimal;
        # written in its canonical form, which the Turtle and N3 serializers print (XSD 1.0 §3.2.3.2).
        add((node, DCAT.byteSize, Literal(f"{resource.filesize}.0", datatype=XSD.decimal)))
    _add_media_type(graph, node, resource.mime)
    _add_format(graph, node, resource.format)
    if resource.checksum is not None:
        _add_checksum(graph, node, resource.checksum)
    service = _ogc_service(resource)
    if service is not None:
        _add_data_service(graph, node, resource, service, shared)
    if shared.hvd:
        add((node, DCATAP.applicableLegislation, URIRef(HVD_LEGISLATION)))
    return node


def add_rights(graph: Triples, node: URIRef, shared: Shared) -> None:
    """dct:license when the license has a URL (described once, by the dataset), else a rights
    statement: DCAT-AP wants a node, not udata's literal title."""
    license = shared.license
    if shared.license_url is not None:
        graph.add((node, DCT.license, shared.license_url))
    elif license is not None:
        statement = URIRef(f"{node}#rights")
        graph.add((node, DCT.rights, statement))
        graph.add((statement, RDF.type, DCT.RightsStatement))
        graph.add((statement, RDFS.label, text(license.title)))
    if shared.limitation is not None:  # the reason access is limited, whatever the license
        graph.add((node, DCT.rights, shared.limitation))
        graph.add((shared.limitation, RDF.type, DCT.RightsStatement))


def add_license_document(graph: Triples, url: URIRef, license: License) -> None:
    """The license's URL as a dct:LicenseDocument, with its ADMS licence types when we know them."""
    graph.add((url, RDF.type, DCT.LicenseDocument))
    graph.add((url, DCT.title, text(license.title)))
    for uri, label in LICENCE_TYPES.get(license.id, ()):
        kind = URIRef(uri)
        graph.add((url, DCT.type, kind))
        graph.add((kind, RDF.type, SKOS.Concept))
        graph.add((kind, SKOS.prefLabel, Literal(label, lang="en")))
        graph.add((kind, SKOS.inScheme, URIRef(LICENCE_TYPE_SCHEME)))


def _add_media_type(graph: Triples, node: URIRef, mime: str | None) -> None:
    """An IANA media type URI: DCAT-AP 3 wants a dct:MediaType node, not udata's literal."""
    essence = (mime or "").split(";", 1)[0].strip().lower()
    if _MEDIA_TYPE.fullmatch(essence):
        # RFC 6838's names may hold "#" and "^", which an IRI may not hold as they are.
        media_type = IANA_MEDIA_TYPE[quote(essence, safe="/!$&_.+-")]
        graph.add((node, DCAT.mediaType, media_type))
        graph.add((media_type, RDF.type, DCT.MediaType))


def _add_format(graph: Triples, node: URIRef, name: str | None) -> None:
    """The EU file type when known, else a described node: dct:format must not be a literal."""
    spelling = (name or "").strip().lower()
    if not spelling:
        return
    file_type = FILE_TYPES.get(spelling)
    if file_type is None:
        described = URIRef(f"{node}#format")
        graph.add((node, DCT.format, described))
        graph.add((described, RDF.type, DCT.MediaTypeOrExtent))
        graph.add((described, RDFS.label, text(spelling)))
    else:
        graph.add((node, DCT.format, file_type))
        graph.add((file_type, RDF.type, DCT.MediaTypeOrExtent))


def _add_checksum(graph: Triples, node: URIRef, checksum: Checksum) -> None:
    value = hex_binary(checksum.value)
    if value is None:
        return
    algorithm = CHECKSUM_ALGORITHMS.get((checksum.type, len(value)))
    if algorithm is None:
        return
    described = URIRef(f"{node}#checksum")
    graph.add((node, SPDX.checksum, described))
    graph.add((described, RDF.type, SPDX.Checksum))
    graph.add((described, SPDX.algorithm, algorithm))
    graph.add((algorithm, RDF.type, SPDX.ChecksumAlgorithm))  # the range DCAT-AP's SHACL checks
    graph.add((described, SPDX.checksumValue, value))


def _ogc_service(resource: Resource) -> str | None:
    """``wms``/``wfs``/``wmts`` from the format (``ogc:`` prefix allowed) or a GetCapabilities URL."""
    name = (resource.format or "").strip().lower().removeprefix("ogc:")
    if name in OGC_SERVICES:
        return name
    url = resource.url.lower()
    if "request=getcapabilities" in url:
        return next((kind for kind in OGC_SERVICES if f"service={kind}" in url), None)
    return None


def _add_data_service(graph: Triples, node: URIRef, resource: Resource, kind: str, shared: Shared) -> None:
    endpoint = web_iri(resource.url.split("?", 1)[0])
    if endpoint is None:
        return
    service = URIRef(f"{node}#service")
    add = graph.add
    add((node, DCAT.accessService, service))
    add((service, RDF.type, DCAT.DataService))
    add((service, DCT.title, text(resource.title)))
    add((service, DCAT.endpointURL, endpoint))
    if "request=getcapabilities" in resource.url.lower():
        add((service, DCAT.endpointDescription, web_iri(resource.url) or endpoint))
    standard = URIRef(f"{OGC_STANDARD}{kind}")
    add((service, DCT.conformsTo, standard))
    add((standard, RDF.type, DCT.Standard))
    add((service, DCAT.servesDataset, shared.dataset))
    if shared.hvd:
        add((service, DCATAP.applicableLegislation, URIRef(HVD_LEGISLATION)))
