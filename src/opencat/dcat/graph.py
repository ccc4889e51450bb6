"""A dataset, or a page of the catalog, as a DCAT-AP 3 graph, one term at a time (udata: udata/core/dataset/rdf.py).

Written after udata's ``core/dataset/rdf.py`` but with URIs from ``Urls``; where udata's output is
not valid DCAT-AP 3 (literal media types and formats, byte sizes, rights) the shapes win, and the
comments say so. No blank node: a node that has no URI of its own (a period of time, a checksum, an
OGC service) gets a fragment of its dataset's API URI or of its distribution's permalink, so output
is the same on every request and several documents about one dataset merge without duplicates.
"""

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache

from rdflib import Graph, Literal, URIRef

from opencat.dcat.agents import add_agent, add_contact_points, add_organization, add_owner
from opencat.dcat.distributions import Shared, add_distribution, add_license_document
from opencat.dcat.inputs import DcatInput
from opencat.dcat.namespaces import ADMS, DCAT, DCATAP, DCT, ELI, FOAF, GSP, HYDRA, LOCN, RDF, SKOS
from opencat.dcat.sink import Triples
from opencat.dcat.terms import date_time, day, iri, own, parse_when, text, web_iri
from opencat.dcat.vocabularies import (
    ACCESS_RIGHTS,
    DATA_THEMES,
    FREQUENCY_URIS,
    HVD_CATEGORIES,
    HVD_LEGISLATION,
    LANGUAGE_EXTRAS,
    LANGUAGES,
    LIMITATIONS_ON_PUBLIC_ACCESS,
)
from opencat.domain.accounts import Organization
from opencat.domain.datasets import Dataset
from opencat.domain.frequencies import UNKNOWN as UNKNOWN_FREQUENCY
from opencat.domain.spatial import Zone
from opencat.domain.urls import Urls, comparable

_NO_CLOCK = datetime.max.replace(tzinfo=UTC)


DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme/"


def new_graph() -> Graph:
    """An empty graph in rdflib's context-free store (2.5x faster to fill than the default one).

    No prefix is bound: ``formats.serialize`` binds them for the serializers that use them.
    """
    return Graph(store="SimpleMemory", bind_namespaces="none")


def dataset_graph(item: DcatInput, urls: Urls, *, site_title: str | None = None) -> Graph:
    graph = new_graph()
    add_dataset(graph, item, urls, site_title=site_title)
    return graph


def dataset_node(dataset: Dataset, urls: Urls) -> URIRef:
    """The harvested URI, else the page by id, else the API URI by id (udata: udata/core/dataset/rdf.py).
    Not a harvested URI a consumer would follow as a script or a local file, nor one of this
    site's own addresses (a dataset of ours harvested back through another portal, or a record
    naming our catalog): that node is another's, and the two would merge into one of two titles,
    dates and publishers, which DCAT-AP refuses."""
    harvested = iri((dataset.harvest or {}).get("uri"))
    if harvested is None or _unusable(harvested, urls):
        return _permalink(dataset, urls)
    return harvested


# Schemes of addresses that run or read something where they are followed.
_UNSAFE_SCHEMES = frozenset({"javascript", "vbscript", "data", "file"})


def _unusable(node: URIRef, urls: Urls) -> bool:
    if str(node).split(":", 1)[0].casefold() in _UNSAFE_SCHEMES:
        return True
    # The addresses opencat mints (its API's, its dataset pages, its home page), however spelt:
    # another application on the same host (a GeoNetwork beside it) keeps its IRIs.
    found = comparable(str(node))
    home, minted = _ours(urls)
    return found == home or found.startswith(minted)


@cache
def _ours(urls: Urls) -> tuple[str, tuple[str, ...]]:
    """This site's home page and the roots of the addresses it mints, comparable: worked out once
    per configuration, not for each harvested dataset of a streamed catalog."""
    pages = urls.front or urls.base
    return comparable(urls.home), (comparable(f"{urls.base}/api/"), comparable(f"{pages}/datasets/"))


def _permalink(dataset: Dataset, urls: Urls) -> URIRef:
    # An identifier, not a link for people: the API URI unless an external front-end names the
    # datasets (our own pages do not change what a harvester already holds).
    return own(urls.dataset_page(dataset.id) if urls.front else urls.dataset_uri(dataset.id))


def _part(dataset: Dataset, urls: Urls, name: str) -> URIRef:
    """A node that only exists within the dataset's description, named under its API URI."""
    return own(f"{urls.dataset_uri(dataset.id)}#{name}")


def add_dataset(
    graph: Triples,
    item: DcatInput,
    urls: Urls,
    *,
    site_title: str | None = None,
    taken: set[URIRef] | None = None,
) -> URIRef:
    """Add the triples of one dataset, its agents and distributions; return the dataset's node.
    ``taken``: the harvested IRIs already in the same document. Two datasets harvested with one
    IRI (two sources reaching one catalog) would merge into one node of two titles, dates and
    frequencies, which DCAT-AP refuses: the second is named by its own URI instead."""
    dataset = item.dataset
    node = dataset_node(dataset, urls)
    if taken is not None and (dataset.harvest or {}).get("uri"):
        if node in taken:
            node = _permalink(dataset, urls)
        else:
            taken.add(node)
    graph.add((node, RDF.type, DCAT.Dataset))
    _add_identifiers(graph, node, dataset, urls, site_title)
    _add_texts(graph, node, dataset)
    _add_dates(graph, node, dataset)
    _add_landing_page(graph, node, dataset, urls)
    _add_temporal(graph, node, dataset, urls)
    _add_frequency(graph, node, dataset.frequency or UNKNOWN_FREQUENCY)  # as the JSON shows it
    _add_access_rights(graph, node, dataset.access_type)
    add_contact_points(graph, node, item.contact_points, urls)
    add_owner(graph, node, item.organization, item.owner, urls)
    _add_spatial(graph, node, dataset, item.zones, urls)
    _add_language(graph, node, dataset.extras)
    _add_themes(graph, node, item.themes)
    hvd = any(badge.kind == "hvd" for badge in dataset.badges)
    if hvd:
        _add_high_value(graph, node, dataset.tags)
    shared = _shared(node, item, hvd, urls)
    if shared.license is not None and shared.license_url is not None:
        # Beyond udata: the license at dataset level. udata's license belongs to the dataset, so
        # every distribution shares it.
        graph.add((node, DCT.license, shared.license_url))
        add_license_document(graph, shared.license_url, shared.license)
    for resource in item.resources:
        graph.add((node, DCAT.distribution, add_distribution(graph, resource, shared, urls)))
    return node


def _add_themes(graph: Triples, node: URIRef, themes: Sequence[str]) -> None:
    """Beyond udata: ``dcat:theme`` from the operator's tag-to-theme mapping (EU data themes)."""
    for code in sorted(set(themes) & set(DATA_THEMES)):
        theme = URIRef(f"{DATA_THEME}{code}")
        graph.add((node, DCAT.theme, theme))
        graph.add((theme, RDF.type, SKOS.Concept))
        graph.add((theme, SKOS.prefLabel, Literal(DATA_THEMES[code], lang="en")))
        graph.add((theme, SKOS.inScheme, URIRef(DATA_THEME.rstrip("/"))))


def _shared(node: URIRef, item: DcatInput, hvd: bool, urls: Urls) -> Shared:
    dataset = item.dataset
    license = item.licenses.get(dataset.license) if dataset.license else None
    category = dataset.access_type_reason_category
    limitation = LIMITATIONS_ON_PUBLIC_ACCESS.get(category) if category else None
    return Shared(
        dataset=node,
        page=urls.dataset_page(dataset.id) if urls.front else None,
        license=license,
        license_url=iri(license.url) if license is not None else None,
        limitation=URIRef(limitation) if limitation else None,
        hvd=hvd,
        now=item.now or _NO_CLOCK,
    )


def _add_identifiers(
    graph: Triples, node: URIRef, dataset: Dataset, urls: Urls, site_title: str | None
) -> None:
    """The harvested dct:identifier, kept with ours as an adms:Identifier; else our id (udata: udata/core/dataset/rdf.py)."""
    harvested = (dataset.harvest or {}).get("dct_identifier")
    if not isinstance(harvested, str) or not harvested:
        graph.add((node, DCT.identifier, Literal(dataset.id)))
        return
    graph.add((node, DCT.identifier, text(harvested)))
    identifier = _part(dataset, urls, "identifier")
    graph.add((node, ADMS.identifier, identifier))
    graph.add((identifier, RDF.type, ADMS.Identifier))
    graph.add((identifier, SKOS.notation, Literal(str(_permalink(dataset, urls)))))
    if site_title:
        graph.add((identifier, DCT.creator, text(site_title)))


def _add_texts(graph: Triples, node: URIRef, dataset: Dataset) -> None:
    graph.add((node, DCT.title, text(dataset.title)))
    graph.add((node, DCT.description, text(dataset.description)))  # raw Markdown, as udata
    if dataset.acronym:
        graph.add((node, SKOS.altLabel, text(dataset.acronym)))
    for tag in dataset.tags:
        if tag.strip():  # JSON-LD drops an empty keyword: every format must carry the same graph
            graph.add((node, DCAT.keyword, text(tag)))


def _add_dates(graph: Triples, node: URIRef, dataset: Dataset) -> None:
    """Harvested dates, each only when the source gave it; else ours (udata: udata/core/dataset/rdf.py). ``dct:modified`` is
    the dataset's ``last_modified``, as udata: a metadata edit is a change harvesters must see."""
    if dataset.harvest:
        dates = [parse_when(dataset.harvest.get(key)) for key in ("created_at", "issued_at", "modified_at")]
    else:
        dates = [dataset.created_at_internal, dataset.created_at_internal, dataset.last_modified_internal]
    for predicate, value in zip((DCT.created, DCT.issued, DCT.modified), dates, strict=True):
        if value is not None:
            graph.add((node, predicate, date_time(value)))


def _add_landing_page(graph: Triples, node: URIRef, dataset: Dataset, urls: Urls) -> None:
    page = web_iri((dataset.harvest or {}).get("remote_url")) or own(urls.dataset_page(dataset.slug))
    if page == node:
        # The dataset's IRI is its page (OpenDataSoft's): typed foaf:Document, for the range
        # DCAT-AP checks, it would call the dataset a web page; the page is said by the IRI.
        return
    graph.add((node, DCAT.landingPage, page))
    graph.add((page, RDF.type, FOAF.Document))  # the range DCAT-AP checks (range.ttl)


def _add_temporal(graph: Triples, node: URIRef, dataset: Dataset, urls: Urls) -> None:
    coverage = dataset.temporal_coverage
    if coverage is None:
        return
    period = _part(dataset, urls, "temporal")
    graph.add((node, DCT.temporal, period))
    graph.add((period, RDF.type, DCT.PeriodOfTime))
    graph.add((period, DCAT.startDate, day(coverage.start)))
    if coverage.end is not None:
        graph.add((period, DCAT.endDate, day(coverage.end)))


def _add_frequency(graph: Triples, node: URIRef, frequency: str | None) -> None:
    uri = FREQUENCY_URIS.get(frequency) if frequency else None
    if uri is not None:
        graph.add((node, DCT.accrualPeriodicity, uri))
        graph.add((uri, RDF.type, DCT.Frequency))


def _add_access_rights(graph: Triples, node: URIRef, access_type: str) -> None:
    uri = ACCESS_RIGHTS.get(access_type)
    if uri is not None:
        graph.add((node, DCT.accessRights, uri))
        graph.add((uri, RDF.type, DCT.RightsStatement))


def _add_spatial(
    graph: Triples, node: URIRef, dataset: Dataset, zones: Mapping[str, Zone], urls: Urls
) -> None:
    """Beyond udata: each geozone as a dct:Location, and a drawn geometry as GeoJSON."""
    spatial = dataset.spatial
    if spatial is None:
        return
    for number, zone_id in enumerate(spatial.zones):
        zone = zones.get(zone_id)
        if zone is None:
            # A zone of udata's older referential, kept as imported: no page of ours names it, so
            # it is described within the dataset, by its identifier.
            location = _part(dataset, urls, f"zone-{number}")
            graph.add((location, DCT.identifier, text(zone_id)))  # imported as is: any character
        else:
            location = iri(zone.uri) or own(urls.api(f"spatial/zone/{zone.id}/"))
            graph.add((location, SKOS.prefLabel, text(zone.name)))
        graph.add((node, DCT.spatial, location))
        graph.add((location, RDF.type, DCT.Location))
    if spatial.geom:
        drawn = _part(dataset, urls, "geometry")
        # What the API shows of it (members a client added besides are not published), every
        # character escaped: XML cannot hold some of what a string of JSON may.
        shown = {"type": spatial.geom.get("type"), "coordinates": spatial.geom.get("coordinates")}
        geometry = json.dumps(shown, separators=(",", ":"))
        graph.add((node, DCT.spatial, drawn))
        graph.add((drawn, RDF.type, DCT.Location))
        graph.add((drawn, LOCN.geometry, Literal(geometry, datatype=GSP.geoJSONLiteral)))


def _add_language(graph: Triples, node: URIRef, extras: object) -> None:
    """Beyond udata: the language some harvested records carry in their extras, when we know it
    (extras stored in another shape by an older import say nothing: the catalog must not fail)."""
    if not isinstance(extras, dict):
        return
    for key in LANGUAGE_EXTRAS:
        value = extras.get(key)
        uri = LANGUAGES.get(value.strip().lower()) if isinstance(value, str) else None
        if uri is not None:
            graph.add((node, DCT.language, uri))
            graph.add((uri, RDF.type, DCT.LinguisticSystem))
            return


def _add_high_value(graph: Triples, node: URIRef, tags: Sequence[str]) -> None:
    """The HVD regulation, and the HVD categories named by tags (udata: udata/core/dataset/rdf.py, udata/rdf.py)."""
    legislation = URIRef(HVD_LEGISLATION)
    graph.add((node, DCATAP.applicableLegislation, legislation))
    graph.add((legislation, RDF.type, ELI.LegalResource))
    for tag in tags:
        if tag in HVD_CATEGORIES:
            uri, label = HVD_CATEGORIES[tag]
            category = URIRef(uri)
            graph.add((node, DCATAP.hvdCategory, category))
            graph.add((category, RDF.type, SKOS.Concept))
            graph.add((category, SKOS.prefLabel, Literal(label, lang="fr")))


def catalog_path(organization: Organization | None = None) -> str:
    """The catalog's address under the API: the site's, or an organization's (udata's
    ``organization_rdf``)."""
    return "site/catalog" if organization is None else f"organizations/{organization.id}/catalog"


def catalog_node(urls: Urls, organization: Organization | None = None) -> URIRef:
    return own(urls.api(catalog_path(organization)))


def add_catalog(
    graph: Triples,
    urls: Urls,
    site_title: str,
    *,
    site_description: str | None = None,
    language: str | None = None,
    organization: Organization | None = None,
) -> URIRef:
    """The dcat:Catalog node, with what DCAT-AP makes mandatory: a description and a publisher;
    an ``organization``'s (udata's ``build_org_catalog``) is published by it, on its page."""
    node = catalog_node(urls, organization)
    graph.add((node, RDF.type, DCAT.Catalog))
    if organization is None:
        graph.add((node, DCT.title, text(site_title)))
        description = site_description or f"Open datasets published on {site_title}."
        publisher = own(urls.api("site/#publisher"))
        add_agent(graph, publisher, FOAF.Organization, site_title)
        homepage = own(urls.front or urls.base)
    else:
        graph.add((node, DCT.title, text(organization.name)))
        description = f"Open datasets published by {organization.name} on {site_title}."
        publisher = add_organization(graph, organization, urls)
        homepage = own(urls.organization_page(organization.slug))
    graph.add((node, DCT.description, text(description)))
    graph.add((node, DCT.publisher, publisher))
    graph.add((node, FOAF.homepage, homepage))
    graph.add((homepage, RDF.type, FOAF.Document))
    language_uri = LANGUAGES.get(language.lower()) if language else None
    if language_uri is not None:
        graph.add((node, DCT.language, language_uri))
        graph.add((language_uri, RDF.type, DCT.LinguisticSystem))
    return node


def catalog_graph(
    datasets: Sequence[DcatInput],
    urls: Urls,
    page: int,
    page_size: int,
    total: int,
    site_title: str,
    *,
    extension: str = "json",
    site_description: str | None = None,
    language: str | None = None,
    arguments: str = "",
    organization: Organization | None = None,
) -> Graph:
    """One page of the catalog with its datasets and hydra paging links (udata's ``build_catalog``,
    or ``build_org_catalog`` for an ``organization``'s). ``arguments``: the page's other query
    arguments (its filters), already URL-encoded."""
    graph = new_graph()
    node = add_catalog(
        graph,
        urls,
        site_title,
        site_description=site_description,
        language=language,
        organization=organization,
    )
    taken: set[URIRef] = set()
    for item in datasets:
        graph.add((node, DCAT.dataset, add_dataset(graph, item, urls, site_title=site_title, taken=taken)))
    path = catalog_path(organization)
    _add_paging(graph, node, urls, (page, page_size, total), f"{path}.{extension}", arguments)
    return graph


def _add_paging(
    graph: Triples,
    node: URIRef,
    urls: Urls,
    paging: tuple[int, int, int],
    address: str,
    arguments: str,
) -> None:
    """udata's hydra:Collection with a PartialCollectionView (first/last/next/previous), also typed
    as the older hydra:PagedCollection with its terms, which CKAN's and udata's harvesters read."""
    page, page_size, total = paging
    pages = max(1, math.ceil(total / max(page_size, 1)))
    rest = f"&{arguments}" if arguments else ""

    def url(number: int) -> URIRef:
        return own(urls.api(f"{address}?page={number}&page_size={page_size}{rest}"))

    view = url(page)
    links = {HYDRA.first: 1, HYDRA.last: pages}
    links |= {HYDRA.next: page + 1} if page < pages else {}
    links |= {HYDRA.previous: page - 1} if page > 1 else {}
    legacy = {HYDRA.first: HYDRA.firstPage, HYDRA.last: HYDRA.lastPage}
    legacy |= {HYDRA.next: HYDRA.nextPage, HYDRA.previous: HYDRA.previousPage}
    graph.add((node, RDF.type, HYDRA.Collection))
    graph.add((node, HYDRA.totalItems, Literal(total)))
    graph.add((node, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, RDF.type, HYDRA.PagedCollection))
    graph.add((view, HYDRA.totalItems, Literal(total)))
    graph.add((view, HYDRA.itemsPerPage, Literal(page_size)))
    for predicate, number in links.items():
        graph.add((view, predicate, url(number)))
        graph.add((view, legacy[predicate], url(number)))
