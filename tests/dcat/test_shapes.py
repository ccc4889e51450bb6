"""Our DCAT is valid DCAT-AP 3.0.0: the official SHACL shapes find no violation (issue 5, Validity).

One data graph holds every case (a minimal dataset, one with every field, a harvested one, real
data.gouv.fr documents, a catalog page and a streamed catalog), so pyshacl runs once per shapes file.
The recommended shapes' warnings are printed, and must be about fields we truly lack.
"""

import io
from collections import Counter
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, FOAF, RDF, SH
from rdflib.term import Node

from opencat.dcat.graph import catalog_graph, dataset_graph
from opencat.dcat.namespaces import DCATAP, DCT, bind_prefixes
from opencat.dcat.stream import write_catalog
from tests.dcat import examples
from tests.dcat.conftest import RECOMMENDED
from tests.dcat.examples import URLS

SHAPES = Path(__file__).parent / "shapes"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")

# (class of the focus node, path) → why we cannot fill it.
LACKING = {
    (DCAT.Dataset, DCAT.theme): "no theme taxonomy is configured",
    (DCAT.Dataset, DCAT.contactPoint): "the dataset has no contact point",
    (DCAT.Dataset, DCAT.keyword): "the dataset has no tag",
    (DCAT.Dataset, DCT.temporal): "the dataset has no temporal coverage",
    (DCAT.Dataset, DCT.spatial): "the dataset has no geozone",
    (DCAT.Dataset, DCT.publisher): "the dataset has no owner",
    (DCAT.Dataset, DCAT.distribution): "the dataset has no resource",
    (DCAT.Distribution, DCATAP.availability): "udata records no planned availability",
    (DCAT.Distribution, DCT.description): "the resource has no description",
    (DCAT.Distribution, DCT.license): "no license, or one without a URL (dct:rights instead)",
    (DCAT.Distribution, DCT.format): "the resource has no format",
    (DCAT.DataService, DCAT.contactPoint): "an OGC service's own contact is unknown",
    (DCAT.DataService, DCT.publisher): "an OGC service's own publisher is unknown",
    (DCAT.DataService, DCAT.theme): "no theme taxonomy is configured",
    (DCAT.DataService, DCAT.keyword): "an OGC service has no keyword of its own",
    (FOAF.Agent, DCT.type): "a contact point, or an organization without a typing badge",
    (DCT.Location, DCAT.bbox): "the geozone referential has no geometry",
    (DCT.Location, DCAT.centroid): "the geozone referential has no geometry",
    (DCT.PeriodOfTime, DCAT.endDate): "the temporal coverage is open-ended",
    (DCT.LicenseDocument, DCT.type): "a license outside data.gouv.fr's list",
    (DCAT.Catalog, DCT.issued): "the site's creation date is not configured",
    (DCAT.Catalog, DCT.modified): "not known without reading the whole catalog",
    (DCAT.Catalog, DCT.license): "the metadata license is not configured",
    (DCAT.Catalog, DCT.spatial): "the site's coverage is not configured",
    (DCAT.Catalog, DCAT.themeTaxonomy): "no theme taxonomy is configured",
    (DCAT.Catalog, DCT.language): "the site language was not given",
}


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    for item in (examples.minimal(), examples.full(), examples.harvested(), *examples.real_indicator(40)):
        graph += dataset_graph(item, URLS, site_title="opencat")
    graph += catalog_graph(
        examples.real_fixtures(), URLS, page=2, page_size=15, total=40, site_title="opencat", language="fr"
    )
    # An organization's catalog (udata's build_org_catalog): its own node and publisher.
    graph += catalog_graph(
        [examples.full()],
        URLS,
        page=1,
        page_size=20,
        total=1,
        site_title="opencat",
        organization=examples.organization(),
    )
    out = io.BytesIO()
    twins = [examples.full(), examples.harvested(), examples.harvested_twin()]
    write_catalog(twins, URLS, out, "nt", site_title="opencat")
    graph.parse(data=out.getvalue(), format="nt")
    return graph


def shapes(name: str) -> Graph:
    return Graph().parse(SHAPES / name, format="turtle")


def results(report: Graph, severity: URIRef) -> list[Node]:
    return list(report.subjects(SH.resultSeverity, severity))


def test_no_violation_of_the_mandatory_shapes(data: Graph) -> None:
    conforms, _, text = validate(data, shacl_graph=shapes("shapes.ttl"), inference="none")
    assert conforms, text


def test_no_violation_of_the_range_shapes(data: Graph) -> None:
    conforms, _, text = validate(data, shacl_graph=shapes("range.ttl"), inference="none")
    assert conforms, text


def test_recommended_properties_are_missing_only_where_we_lack_the_field(
    data: Graph, pytestconfig: pytest.Config
) -> None:
    _, report, _ = validate(data, shacl_graph=shapes("shapes_recommended.ttl"), inference="none")
    assert results(report, SH.Violation) == []
    found: Counter[tuple[URIRef, URIRef]] = Counter()
    for result in results(report, SH.Warning):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        kinds = set(data.objects(focus, RDF.type))
        kind = next(kind for kind in (*LACKING_CLASSES, *kinds) if kind in kinds)
        assert isinstance(kind, URIRef)
        assert isinstance(path, URIRef)
        found[(kind, path)] += 1
    lines = pytestconfig.stash.setdefault(RECOMMENDED, [])
    for (kind, path), count in sorted(found.items(), key=lambda entry: -entry[1]):
        reason = LACKING.get((kind, path), "UNEXPECTED")
        lines.append(f"{count:4d} x {data.qname(kind)} {data.qname(path)}: {reason}")
    assert set(found) <= set(LACKING)


def test_a_dataset_with_every_field_misses_only_what_udata_cannot_know(data: Graph) -> None:
    graph = Graph()  # pyshacl wants a context-aware store; ours is rdflib's SimpleMemory
    graph += catalog_graph(
        [examples.full()], URLS, page=1, page_size=1, total=1, site_title="t", language="fr"
    )
    _, report, _ = validate(graph, shacl_graph=shapes("shapes_recommended.ttl"), inference="none")
    paths = {report.value(result, SH.resultPath) for result in results(report, SH.Warning)}
    # Availability and themes; an OGC service's own contact, publisher and keywords; the catalog's
    # unconfigured metadata; the contact points' agent type; the resource without a description;
    # the geometry of geozones.
    assert paths == {
        DCAT.bbox,
        DCAT.centroid,
        DCATAP.availability,
        DCAT.theme,
        DCAT.contactPoint,
        DCT.publisher,
        DCAT.keyword,
        DCT.type,
        DCT.description,
        DCT.issued,
        DCT.modified,
        DCT.license,
        DCT.spatial,
        DCAT.themeTaxonomy,
    }


# Most specific first: an organization is reported as an agent, a dataset as a dataset.
LACKING_CLASSES = (
    DCAT.Catalog,
    DCAT.Dataset,
    DCAT.Distribution,
    DCAT.DataService,
    FOAF.Agent,
    DCT.Location,
    DCT.PeriodOfTime,
    DCT.LicenseDocument,
)
