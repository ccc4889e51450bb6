"""The DCAT mapping of udata: udata/core/dataset/rdf.py, term by term, and what we add beyond udata."""

import io
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from opencat.dcat.formats import serialize
from opencat.dcat.graph import catalog_graph, dataset_graph
from opencat.dcat.inputs import DcatInput
from opencat.dcat.namespaces import ADMS, DCATAP, DCT, ELI, GEODCAT, GSP, HYDRA, LOCN, SPDX, VCARD
from opencat.dcat.stream import write_catalog
from opencat.dcat.vocabularies import FREQUENCIES
from opencat.domain.accounts import ContactPoint
from opencat.domain.datasets import Checksum
from opencat.domain.frequencies import PERIODS
from tests.dcat import examples
from tests.dcat.examples import API_ONLY, DATASET_ID, HARVESTED_ID, MINIMAL_ID, ORG_ID, SHA1, URLS, USER_ID

API = "https://opencat.example/api/1"
PAGE = URIRef(f"https://www.example.fr/datasets/{DATASET_ID}")
EU = "http://publications.europa.eu/resource/authority"
HVD = URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")


def resource_id(number: int) -> str:
    return f"30ee6453-bbbd-4261-9c83-d93c95d8c5{number:02d}"


def permalink(number: int) -> URIRef:
    """A distribution's accessURL: the resource's permalink."""
    return URIRef(f"{API}/datasets/r/{resource_id(number)}")


def distribution(number: int, dataset_id: str = DATASET_ID) -> URIRef:
    """A distribution's subject with a front-end configured: the dataset's page by id (udata: udata/core/dataset/rdf.py)."""
    return URIRef(f"https://www.example.fr/datasets/{dataset_id}?resource_id={resource_id(number)}")


def dt(text: str) -> Literal:
    return Literal(text, datatype=XSD.dateTime)


def one(graph: Graph, subject: Node, predicate: URIRef) -> Node:
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def test_minimal_dataset_has_udata_terms_and_our_uris() -> None:
    graph = dataset_graph(examples.minimal(), URLS)
    node = URIRef(f"https://www.example.fr/datasets/{MINIMAL_ID}")
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {node}
    assert one(graph, node, DCT.identifier) == Literal(MINIMAL_ID)
    assert one(graph, node, DCT.title) == Literal("Horaires")
    assert one(graph, node, DCT.description) == Literal("")  # mandatory in DCAT-AP
    assert one(graph, node, DCT.created) == dt("2024-01-02T03:04:05.678000+00:00")
    assert one(graph, node, DCT.issued) == dt("2024-01-02T03:04:05.678000+00:00")
    assert one(graph, node, DCT.modified) == dt("2024-01-02T03:04:05.678000+00:00")
    assert one(graph, node, DCAT.landingPage) == URIRef("https://www.example.fr/datasets/horaires")
    assert (URIRef("https://www.example.fr/datasets/horaires"), RDF.type, FOAF.Document) in graph
    rights = URIRef(f"{EU}/access-right/PUBLIC")
    assert one(graph, node, DCT.accessRights) == rights
    assert (rights, RDF.type, DCT.RightsStatement) in graph
    # No frequency stored: the JSON says "unknown", so does the RDF.
    assert one(graph, node, DCT.accrualPeriodicity) == URIRef(f"{EU}/frequency/UNKNOWN")
    for absent in (DCT.publisher, DCAT.distribution, DCT.temporal, DCT.license):
        assert graph.value(node, absent) is None


def test_without_a_front_end_the_api_uri_by_id_is_the_subject_and_our_page_the_landing_page() -> None:
    graph = dataset_graph(examples.minimal(), API_ONLY)
    node = URIRef(f"{API}/datasets/{MINIMAL_ID}/")
    assert (node, RDF.type, DCAT.Dataset) in graph
    assert one(graph, node, DCAT.landingPage) == URIRef("https://opencat.example/datasets/horaires/")


def test_modified_is_the_datasets_last_modified_not_its_newest_resource() -> None:
    item = examples.full()
    newer = replace(item.resources[0], last_modified_internal=examples.NOW)
    graph = dataset_graph(replace(item, resources=(newer, *item.resources[1:])), URLS)
    assert item.dataset.last_modified_internal < examples.NOW
    assert one(graph, PAGE, DCT.modified) == dt(
        "2024-05-06T07:08:09+00:00"
    )  # udata: udata/core/dataset/rdf.py


def test_full_dataset_texts_dates_frequency_and_temporal() -> None:
    graph = dataset_graph(examples.full(), URLS)
    assert one(graph, PAGE, SKOS.altLabel) == Literal("HB")
    assert set(graph.objects(PAGE, DCAT.keyword)) == {
        Literal("bus"),
        Literal("mobilite"),
        Literal("transport"),
    }
    assert one(graph, PAGE, DCT.modified) == dt("2024-05-06T07:08:09+00:00")
    frequency = URIRef(f"{EU}/frequency/MONTHLY")
    assert one(graph, PAGE, DCT.accrualPeriodicity) == frequency
    assert (frequency, RDF.type, DCT.Frequency) in graph
    period = one(graph, PAGE, DCT.temporal)
    assert period == URIRef(f"{API}/datasets/{DATASET_ID}/#temporal")
    assert (period, RDF.type, DCT.PeriodOfTime) in graph
    assert one(graph, period, DCAT.startDate) == Literal("2024-01-01", datatype=XSD.date)
    assert one(graph, period, DCAT.endDate) == Literal("2024-12-31", datatype=XSD.date)
    language = URIRef(f"{EU}/language/FRA")
    assert one(graph, PAGE, DCT.language) == language
    assert (language, RDF.type, DCT.LinguisticSystem) in graph


def test_organization_publishes_with_its_page_uri_and_type() -> None:
    graph = dataset_graph(examples.full(), URLS)
    org = URIRef(f"https://www.example.fr/organizations/{ORG_ID}")
    assert one(graph, PAGE, DCT.publisher) == org
    assert set(graph.objects(org, RDF.type)) == {FOAF.Organization, FOAF.Agent}
    assert one(graph, org, FOAF.name) == Literal("Oracle Org")
    assert one(graph, org, RDFS.label) == Literal("Oracle Org")
    assert one(graph, org, FOAF.homepage) == URIRef("https://oracle.example.fr")
    kind = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
    assert one(graph, org, DCT.type) == kind
    assert (kind, RDF.type, SKOS.Concept) in graph
    assert (kind, SKOS.prefLabel, Literal("Local Authority", lang="en")) in graph


def test_contact_points_by_role() -> None:
    graph = dataset_graph(examples.full(), URLS)
    contact = one(graph, PAGE, DCAT.contactPoint)
    assert contact == URIRef(f"{API}/contacts/6b08d1c436877ad9cd549200/")
    assert one(graph, contact, RDF.type) == VCARD.Kind
    assert one(graph, contact, VCARD.fn) == Literal("Desk contact")
    assert one(graph, contact, VCARD.hasEmail) == URIRef("mailto:contact@example.fr")
    assert one(graph, contact, VCARD.hasURL) == URIRef("https://example.fr/contact")
    for predicate in (DCT.creator, DCT.rightsHolder, GEODCAT.custodian, GEODCAT.user):
        agent = one(graph, PAGE, predicate)
        assert isinstance(agent, URIRef)
        assert (agent, RDF.type, FOAF.Agent) in graph
        assert str(one(graph, agent, FOAF.name)).startswith("Desk ")


def test_distribution_terms() -> None:
    graph = dataset_graph(examples.full(), URLS)
    node = distribution(1)
    assert set(graph.objects(PAGE, DCAT.distribution)) == {distribution(number) for number in (1, 2, 3, 4)}
    assert one(graph, node, RDF.type) == DCAT.Distribution
    assert one(graph, node, DCT.identifier) == Literal("30ee6453-bbbd-4261-9c83-d93c95d8c501")
    assert one(graph, node, DCT.title) == Literal("file-1.csv")
    assert one(graph, node, DCAT.downloadURL) == URIRef(
        "https://static.example.fr/resources/horaires/file-1.csv"
    )
    assert one(graph, node, DCAT.accessURL) == permalink(1)
    assert one(graph, node, DCT.issued) == dt("2024-01-02T03:04:05.678000+00:00")
    assert one(graph, node, DCT.modified) == dt("2024-05-06T07:08:09+00:00")
    license = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence")
    assert one(graph, node, DCT.license) == license
    assert (license, RDF.type, DCT.LicenseDocument) in graph
    assert one(graph, PAGE, DCT.license) == license  # beyond udata: the dataset's own
    assert one(graph, node, DCAT.byteSize) == Literal("42.0", datatype=XSD.decimal)
    media_type = URIRef("https://www.iana.org/assignments/media-types/text/csv")
    assert one(graph, node, DCAT.mediaType) == media_type
    assert (media_type, RDF.type, DCT.MediaType) in graph
    assert one(graph, node, DCT.format) == URIRef(f"{EU}/file-type/CSV")
    checksum = one(graph, node, SPDX.checksum)
    assert checksum == URIRef(f"{node}#checksum")
    assert one(graph, checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha1
    assert (SPDX.checksumAlgorithm_sha1, RDF.type, SPDX.ChecksumAlgorithm) in graph
    assert one(graph, checksum, SPDX.checksumValue) == Literal(SHA1, datatype=XSD.hexBinary)


def test_ogc_service_is_a_data_service() -> None:
    graph = dataset_graph(examples.full(), URLS)
    node = distribution(2)
    service = one(graph, node, DCAT.accessService)
    assert service == URIRef(f"{node}#service")
    assert one(graph, service, RDF.type) == DCAT.DataService
    assert one(graph, service, DCT.title) == Literal("Carte des lignes")
    assert one(graph, service, DCAT.endpointURL) == URIRef("https://geo.example.fr/wms")
    capabilities = URIRef("https://geo.example.fr/wms?SERVICE=WMS&REQUEST=GetCapabilities")
    assert one(graph, service, DCAT.endpointDescription) == capabilities
    standard = URIRef("http://www.opengeospatial.org/standards/wms")
    assert one(graph, service, DCT.conformsTo) == standard
    assert (standard, RDF.type, DCT.Standard) in graph
    assert one(graph, service, DCAT.servesDataset) == PAGE
    assert one(graph, node, DCT.format) == URIRef(f"{EU}/file-type/WMS_SRVC")
    for absent in (SPDX.checksum, DCAT.byteSize, DCAT.mediaType):
        assert graph.value(node, absent) is None


def test_formats_checksums_and_missing_descriptions() -> None:
    graph = dataset_graph(examples.full(), URLS)
    shapefile = distribution(3)
    assert one(graph, shapefile, DCT.format) == URIRef(f"{EU}/file-type/SHP")
    assert one(graph, one(graph, shapefile, SPDX.checksum), SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert graph.value(shapefile, DCT.description) is None  # udata writes "None"
    unknown = one(graph, distribution(4), DCT.format)
    assert unknown == URIRef(f"{distribution(4)}#format")  # no EU file type: described, never a literal
    assert one(graph, unknown, RDF.type) == DCT.MediaTypeOrExtent
    assert one(graph, unknown, RDFS.label) == Literal("arcgis geoservices rest api")
    assert graph.value(distribution(4), SPDX.checksum) is None  # crc has no SPDX algorithm


def test_high_value_dataset() -> None:
    graph = dataset_graph(examples.full(), URLS)
    assert (HVD, RDF.type, ELI.LegalResource) in graph
    holders = set(graph.subjects(DCATAP.applicableLegislation, HVD))
    assert holders == {
        PAGE,
        *(distribution(number) for number in (1, 2, 3, 4)),
        URIRef(f"{distribution(2)}#service"),
    }
    category = URIRef("http://data.europa.eu/bna/c_b79e35eb")
    assert one(graph, PAGE, DCATAP.hvdCategory) == category
    assert (category, SKOS.prefLabel, Literal("Mobilité", lang="fr")) in graph


def one_subject(graph: Graph, predicate: URIRef, value: Literal) -> URIRef:
    [subject] = list(graph.subjects(predicate, value))
    assert isinstance(subject, URIRef)
    return subject


def test_geozones_are_locations() -> None:
    graph = dataset_graph(examples.full(), URLS)
    france = URIRef(f"{API}/spatial/zone/country:fr/")
    europe = URIRef("http://id.insee.fr/geo/europe")
    # A zone outside the referential (kept as imported) has no page of ours to link to: it is a
    # node of the dataset's description, named by its identifier.
    unknown = one_subject(graph, DCT.identifier, Literal("fr:commune:56098@1943-01-01"))
    assert str(unknown).startswith(f"{API}/datasets/")
    assert "#zone-" in str(unknown)
    assert set(graph.objects(PAGE, DCT.spatial)) == {france, europe, unknown}
    assert set(graph.subjects(RDF.type, DCT.Location)) == {france, europe, unknown}
    assert one(graph, france, SKOS.prefLabel) == Literal("France")
    assert one(graph, europe, SKOS.prefLabel) == Literal("Union Européenne")
    assert graph.value(unknown, SKOS.prefLabel) is None


def test_harvested_dataset_keeps_its_uri_identifier_and_dates() -> None:
    graph = dataset_graph(examples.harvested(), URLS, site_title="opencat")
    node = URIRef("https://remote.example.eu/dataset/horaires")
    assert one(graph, node, RDF.type) == DCAT.Dataset
    assert one(graph, node, DCT.identifier) == Literal("urn:remote:horaires")
    identifier = one(graph, node, ADMS.identifier)
    assert identifier == URIRef(f"{API}/datasets/{HARVESTED_ID}/#identifier")
    assert one(graph, identifier, RDF.type) == ADMS.Identifier
    assert one(graph, identifier, SKOS.notation) == Literal(f"https://www.example.fr/datasets/{HARVESTED_ID}")
    assert one(graph, identifier, DCT.creator) == Literal("opencat")
    assert one(graph, node, DCT.created) == dt("2020-01-01T00:00:00+00:00")
    assert one(graph, node, DCT.issued) == dt("2020-02-01T00:00:00+00:00")
    assert one(graph, node, DCT.modified) == dt("2023-12-24T09:00:00+00:00")
    assert one(graph, node, DCAT.landingPage) == URIRef("https://remote.example.eu/catalog/horaires")
    # A harvested date in the future is not a modification date (as in the JSON API).
    assert one(graph, distribution(11, HARVESTED_ID), DCT.modified) == dt("2024-05-06T07:08:09+00:00")


def test_harvested_dates_are_omitted_when_absent() -> None:
    item = examples.harvested()
    item = replace(item, dataset=replace(item.dataset, harvest={"uri": "https://remote.example.eu/d"}))
    graph = dataset_graph(item, URLS)
    node = URIRef("https://remote.example.eu/d")
    for absent in (DCT.created, DCT.issued, DCT.modified):
        assert graph.value(node, absent) is None
    assert one(graph, node, DCT.identifier) == Literal(HARVESTED_ID)


def test_publisher_contact_makes_the_owner_a_distributor() -> None:
    graph = dataset_graph(examples.harvested(), URLS)
    node = URIRef("https://remote.example.eu/dataset/horaires")
    assert one(graph, node, DCT.publisher) == URIRef(f"{API}/contacts/6b08d1c436877ad9cd549210/")
    owner = one(graph, node, GEODCAT.distributor)
    assert owner == URIRef(f"https://www.example.fr/users/{USER_ID}")
    assert set(graph.objects(owner, RDF.type)) == {FOAF.Person, FOAF.Agent}
    assert one(graph, owner, FOAF.name) == Literal("Jane Doe")


def test_restricted_dataset_rights() -> None:
    graph = dataset_graph(examples.harvested(), URLS)
    node = URIRef("https://remote.example.eu/dataset/horaires")
    assert one(graph, node, DCT.accessRights) == URIRef(f"{EU}/access-right/NON_PUBLIC")
    limitation = URIRef(
        "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1f"
    )
    assert one(graph, distribution(11, HARVESTED_ID), DCT.rights) == limitation
    assert (limitation, RDF.type, DCT.RightsStatement) in graph
    assert graph.value(distribution(11, HARVESTED_ID), DCT.license) is None


def test_drawn_geometry_is_geojson() -> None:
    graph = dataset_graph(examples.harvested(), URLS)
    location = one(graph, URIRef("https://remote.example.eu/dataset/horaires"), DCT.spatial)
    geometry = one(graph, location, LOCN.geometry)
    assert isinstance(geometry, Literal)
    assert geometry.datatype == GSP.geoJSONLiteral
    assert str(geometry).startswith('{"type":"MultiPolygon"')


def test_license_without_url_is_a_rights_statement() -> None:
    item = examples.full()
    item = replace(item, dataset=replace(item.dataset, license="notspecified"))
    graph = dataset_graph(item, URLS)
    statement = one(graph, distribution(1), DCT.rights)
    assert statement == URIRef(f"{distribution(1)}#rights")
    assert one(graph, statement, RDF.type) == DCT.RightsStatement
    assert one(graph, statement, RDFS.label) == Literal("License Not Specified")
    assert graph.value(PAGE, DCT.license) is None


def test_every_udata_frequency_has_an_eu_term() -> None:
    eu_terms = {
        "1MIN", "5MIN", "10MIN", "15MIN", "30MIN", "HOURLY", "BIHOURLY", "TRIHOURLY", "12HRS", "CONT",
        "UPDATE_CONT", "DAILY", "DAILY_2", "WEEKLY", "WEEKLY_2", "WEEKLY_3", "WEEKLY_5", "BIWEEKLY",
        "MONTHLY", "MONTHLY_2", "MONTHLY_3", "BIMONTHLY", "QUARTERLY", "ANNUAL", "ANNUAL_2", "ANNUAL_3",
        "BIENNIAL", "TRIENNIAL", "QUADRENNIAL", "QUINQUENNIAL", "DECENNIAL", "BIDECENNIAL",
        "TRIDECENNIAL", "IRREG", "NEVER", "NOT_PLANNED", "OTHER", "UNKNOWN", "AS_NEEDED", "OP_DATPRO",
    }  # fmt: skip
    assert list(FREQUENCIES) == list(PERIODS)
    assert set(FREQUENCIES.values()) <= eu_terms


def test_no_blank_node() -> None:
    for item in (examples.full(), examples.harvested()):
        graph = catalog_graph([item], URLS, page=1, page_size=1, total=1, site_title="opencat")
        assert not [term for triple in graph for term in triple if isinstance(term, BNode)]


def test_two_datasets_harvested_with_one_iri_are_two_nodes() -> None:
    """They merged into one node of two titles, dates and frequencies (DCAT-AP refuses it): the
    second is named by its own URI, in a page of the catalog and in the streamed export."""
    twin = examples.harvested_twin()
    remote, own_uri = (
        URIRef("https://remote.example.eu/dataset/horaires"),
        URIRef(f"https://www.example.fr/datasets/{examples.TWIN_ID}"),
    )
    page = catalog_graph(
        [examples.harvested(), twin], URLS, page=1, page_size=2, total=2, site_title="opencat"
    )
    streamed = io.BytesIO()
    write_catalog([examples.harvested(), twin], URLS, streamed, "nt", site_title="opencat")
    for graph in (page, Graph().parse(data=streamed.getvalue(), format="nt")):
        assert set(graph.objects(URIRef(f"{API}/site/catalog"), DCAT.dataset)) == {remote, own_uri}
        assert one(graph, remote, DCT.title) == Literal(examples.harvested().dataset.title)
        assert one(graph, own_uri, DCT.title) == Literal("Horaires (bis)")


def _harvested_as(uri: str, number: int) -> DcatInput:
    item = examples.harvested()
    ident = f"{number:024x}"
    harvest = {**(item.dataset.harvest or {}), "uri": uri}
    dataset = replace(item.dataset, id=ident, slug=f"copy-{number}", title=f"Copy {number}", harvest=harvest)
    return replace(item, dataset=dataset, resources=())


def test_a_harvested_iri_naming_one_of_our_nodes_or_a_script_is_not_used() -> None:
    """A dataset of ours harvested back through another portal, a record naming our catalog, a
    ``javascript:`` IRI: the copy merged into our node (two titles, publishers and frequencies,
    refused by DCAT-AP's shapes) or named itself by a script. Each is named by its own URI, on a
    page, in the stream and in its own document."""
    ours = f"https://www.example.fr/datasets/{DATASET_ID}"
    copies = [
        _harvested_as(ours, 1),
        _harvested_as(f"{API}/site/catalog", 2),
        _harvested_as("javascript:alert(1)", 3),
        _harvested_as("https://OPENCAT.example/api/1/datasets/something/", 4),  # our host in capitals
    ]
    items = [copies[0], examples.full(), *copies[1:]]
    page = catalog_graph(items, URLS, page=1, page_size=5, total=5, site_title="opencat")
    streamed = io.BytesIO()
    write_catalog(items, URLS, streamed, "nt", site_title="opencat")
    own_nodes = {URIRef(f"https://www.example.fr/datasets/{copy.dataset.id}") for copy in copies}
    for graph in (page, Graph().parse(data=streamed.getvalue(), format="nt")):
        catalog = URIRef(f"{API}/site/catalog")
        assert set(graph.objects(catalog, DCAT.dataset)) == {URIRef(ours), *own_nodes}
        assert one(graph, URIRef(ours), DCT.title) == Literal(examples.full().dataset.title)
        assert one(graph, catalog, DCT.title) == Literal("opencat")
        assert (catalog, RDF.type, DCAT.Dataset) not in graph
        assert not [s for s in graph.subjects() if str(s).startswith("javascript:")]
    alone = dataset_graph(copies[2], URLS)
    # the same places however spelt; another application on our hosts keeps its IRIs
    for spelt in (
        f"http://www.example.fr:80/datasets/{DATASET_ID}",
        f"https://WWW.example.fr.:443/datasets/{DATASET_ID}",
        "http://opencat.example/api/1/site/catalog",
        "https://www.example.fr/",
    ):
        node = next(iter(dataset_graph(_harvested_as(spelt, 5), URLS).subjects(RDF.type, DCAT.Dataset)))
        assert node == URIRef(f"https://www.example.fr/datasets/{5:024x}"), spelt
    for theirs in ("https://www.example.fr/geonetwork/srv/api/records/abc", "https://opencat.example/x/1"):
        node = next(iter(dataset_graph(_harvested_as(theirs, 6), URLS).subjects(RDF.type, DCAT.Dataset)))
        assert node == URIRef(theirs)
    assert set(alone.subjects(RDF.type, DCAT.Dataset)) == {
        URIRef(f"https://www.example.fr/datasets/{3:024x}")
    }


def test_the_catalog_says_its_language() -> None:
    """udata's ``build_catalog`` sets ``dct:language`` from DEFAULT_LANGUAGE (as a literal, which
    DCAT-AP's range shapes refuse: the EU vocabulary's URI here)."""
    graph = catalog_graph(
        [examples.full()], URLS, page=1, page_size=1, total=1, site_title="o", language="fr"
    )
    fra = URIRef("http://publications.europa.eu/resource/authority/language/FRA")
    assert one(graph, URIRef(f"{API}/site/catalog"), DCT.language) == fra
    streamed = io.BytesIO()
    write_catalog([examples.full()], URLS, streamed, "nt", site_title="o", language="en")
    parsed = Graph().parse(data=streamed.getvalue(), format="nt")
    eng = URIRef("http://publications.europa.eu/resource/authority/language/ENG")
    assert one(parsed, URIRef(f"{API}/site/catalog"), DCT.language) == eng


def test_same_input_gives_the_same_bytes() -> None:
    first = serialize(dataset_graph(examples.full(), URLS), "ttl")
    assert serialize(dataset_graph(examples.full(), URLS), "ttl") == first
    assert serialize(dataset_graph(examples.full(), URLS), "nt") == serialize(
        dataset_graph(examples.full(), URLS), "nt"
    )


def test_catalog_page_with_hydra_paging() -> None:
    items = [examples.minimal(), examples.full()]
    graph = catalog_graph(items, URLS, page=2, page_size=2, total=5, site_title="opencat", extension="ttl")
    catalog = URIRef(f"{API}/site/catalog")
    assert set(graph.objects(catalog, RDF.type)) == {DCAT.Catalog, HYDRA.Collection}
    assert one(graph, catalog, DCT.title) == Literal("opencat")
    assert set(graph.objects(catalog, DCAT.dataset)) == {
        URIRef(f"https://www.example.fr/datasets/{MINIMAL_ID}"),
        PAGE,
    }
    publisher = one(graph, catalog, DCT.publisher)
    assert publisher == URIRef(f"{API}/site/#publisher")
    assert one(graph, publisher, FOAF.name) == Literal("opencat")
    assert one(graph, catalog, FOAF.homepage) == URIRef("https://www.example.fr")
    assert one(graph, catalog, HYDRA.totalItems) == Literal(5)

    def page(number: int) -> URIRef:
        return URIRef(f"{API}/site/catalog.ttl?page={number}&page_size=2")

    view = one(graph, catalog, HYDRA.view)
    assert view == page(2)
    assert set(graph.objects(view, RDF.type)) == {HYDRA.PartialCollectionView, HYDRA.PagedCollection}
    links = {HYDRA.first: 1, HYDRA.last: 3, HYDRA.next: 3, HYDRA.previous: 1}
    links |= {HYDRA.firstPage: 1, HYDRA.lastPage: 3, HYDRA.nextPage: 3, HYDRA.previousPage: 1}
    for predicate, number in links.items():
        assert one(graph, view, predicate) == page(number)
    assert one(graph, view, HYDRA.itemsPerPage) == Literal(2)


def test_first_and_only_catalog_page_has_no_next_or_previous() -> None:
    graph = catalog_graph([], URLS, page=1, page_size=20, total=0, site_title="opencat")
    view = URIRef(f"{API}/site/catalog.json?page=1&page_size=20")
    assert one(graph, view, HYDRA.last) == view
    for absent in (HYDRA.next, HYDRA.previous, HYDRA.nextPage, HYDRA.previousPage):
        assert graph.value(view, absent) is None


def test_odd_input_is_described_as_far_as_it_can_be() -> None:
    item = examples.full()
    dataset = replace(
        item.dataset,
        badges=(),
        temporal_coverage=replace(item.dataset.temporal_coverage, end=None),  # type: ignore[type-var]
        access_type="unheard-of",
        harvest={
            "created_at": datetime(2020, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
            "issued_at": "not a date",
            "modified_at": 12,
        },
    )
    resources = (
        examples.resource(1, checksum=Checksum("sha1", "not hexadecimal")),
        examples.resource(2, checksum=Checksum("md5", SHA1)),  # a SHA-1 is not an MD5
        examples.resource(3, format="", url="https://geo.example.fr/ows?request=GetCapabilities&service=WFS"),
        examples.resource(4, format="wms", url="/relative/wms"),
        examples.resource(5, format="WMTS", url="https://geo.example.fr/wmts"),
    )
    contacts = (
        ContactPoint("c1", None, None, None, "contact", None, None),
        ContactPoint("c2", None, None, None, "creator", None, None),
        ContactPoint("c3", "Someone", "x@example.fr", None, "not-a-role", None, None),
    )
    graph = dataset_graph(replace(item, dataset=dataset, resources=resources, contact_points=contacts), URLS)
    assert one(graph, PAGE, DCT.created) == dt("2020-01-01T00:00:00+00:00")
    assert graph.value(PAGE, DCT.issued) is None
    assert graph.value(PAGE, DCT.modified) is None
    assert graph.value(PAGE, DCT.accessRights) is None
    assert graph.value(URIRef(f"{API}/datasets/{DATASET_ID}/#temporal"), DCAT.endDate) is None
    assert graph.value(distribution(1), SPDX.checksum) is None
    assert graph.value(distribution(2), SPDX.checksum) is None
    service = one(graph, distribution(3), DCAT.accessService)
    assert one(graph, service, DCT.conformsTo) == URIRef("http://www.opengeospatial.org/standards/wfs")
    assert graph.value(service, DCATAP.applicableLegislation) is None
    assert graph.value(distribution(4), DCAT.accessService) is None  # no endpoint URL to give
    assert one(graph, distribution(4), DCAT.downloadURL) == permalink(4)
    tiles = one(graph, distribution(5), DCAT.accessService)
    assert one(graph, tiles, DCAT.endpointURL) == URIRef("https://geo.example.fr/wmts")
    assert graph.value(tiles, DCAT.endpointDescription) is None
    vcard = one(graph, PAGE, DCAT.contactPoint)
    assert set(graph.predicate_objects(vcard)) == {(RDF.type, VCARD.Kind)}
    creator = one(graph, PAGE, DCT.creator)
    assert one(graph, creator, FOAF.name) == Literal("c2")  # the agent needs a name: its id
    assert not list(graph.subjects(None, URIRef(f"{API}/contacts/c3/")))


def test_configured_themes_become_eu_data_themes() -> None:
    from rdflib import URIRef
    from rdflib.namespace import DCAT

    from opencat.dcat.graph import dataset_graph, dataset_node

    item = examples.full()
    graph = dataset_graph(item, examples.URLS)
    themes = set(graph.objects(dataset_node(item.dataset, examples.URLS), DCAT.theme))
    assert themes == {URIRef("http://publications.europa.eu/resource/authority/data-theme/TRAN")}


def test_the_reason_access_is_limited_comes_with_the_license() -> None:
    item = examples.full()
    dataset = replace(item.dataset, access_type_reason_category="intellectual_property_rights")
    graph = dataset_graph(replace(item, dataset=dataset), URLS)
    node = distribution(1)
    assert one(graph, node, DCT.license) == URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence")
    limitation = one(graph, node, DCT.rights)
    assert str(limitation).startswith(
        "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
    )
    assert (limitation, RDF.type, DCT.RightsStatement) in graph


def test_frequencies_udata_reads_back_as_the_same() -> None:
    assert FREQUENCIES["punctual"] == "AS_NEEDED"  # udata's EUFREQ_TERM_TO_UDATA, both ways
    assert FREQUENCIES["severalTimesADay"] == "CONT"
    assert FREQUENCIES["never"] == "NEVER"
