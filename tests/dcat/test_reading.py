"""Reading remote DCAT: real portals' documents in every syntax, and what they get wrong."""

import logging
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rdflib import Graph

from opencat.dcat import parsing
from opencat.dcat.parsing import syntax_of
from opencat.dcat.reading import read_catalog_page
from opencat.domain.harvest import HarvestSourceError, ItemFailure, RemoteDataset
from opencat.domain.slugs import normalize_tag

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "harvest"
BASE = "http://catalog.test/page"


def _datasets(body: bytes, content_type: str | None = None, **options: object) -> list[RemoteDataset]:
    items = read_catalog_page(body, content_type, BASE, **options).items  # type: ignore[arg-type]
    assert all(isinstance(item, RemoteDataset) for item in items), items
    return [item for item in items if isinstance(item, RemoteDataset)]


def test_datos_gob_es_in_turtle() -> None:
    [dataset] = _datasets((SAMPLES / "datos-gob-es.ttl").read_bytes(), "text/turtle")
    assert dataset.remote_id == "https://datos.madrid.es/egob/catalogo/300676-0-deporte-encuesta-escuelas"
    assert dataset.title.startswith("Estudio de Satisfacción")
    assert dataset.tags == ("deporte escolar", "escuelas", "promoción")
    assert dataset.license == "https://datos.madrid.es/egob/catalogo/aviso-legal"
    assert dataset.frequency == "annual"  # a time:DurationDescription of one year
    assert dataset.issued_at == datetime(2024, 4, 15, 7, 8, 2, tzinfo=UTC)
    [resource] = dataset.resources
    # dcat:accessURL given as a literal, the format as a described IMT node
    assert resource.url == "https://datos.madrid.es/egob/catalogo/300676-0-deporte-encuesta-escuelas.xlsx"
    assert (resource.format, resource.mime, resource.filesize) == ("xls", "application/vnd.ms-excel", 43008)


def test_opendata_hro_in_rdf_xml_sniffed() -> None:
    [dataset] = _datasets((SAMPLES / "opendata-hro-de.rdf").read_bytes(), None)
    assert dataset.remote_id == "c1be4007-d811-48fb-8818-2cb358b06a63"
    assert dataset.remote_url == "https://www.opendata-hro.de/dataset/c1be4007-d811-48fb-8818-2cb358b06a63"
    assert dataset.license == "http://dcat-ap.de/def/licenses/cc-zero"
    assert len(dataset.resources) == 9
    csv = next(resource for resource in dataset.resources if resource.url.endswith(".csv"))
    assert (csv.format, csv.mime, csv.filesize) == ("csv", "text/csv", 60744)
    # dcat-ap.de names the algorithm in its own vocabulary: the digest's length tells it
    assert csv.checksum == ("sha256", "7cc6d258c20d5b5b507c8466900a381de8a349bb1a8118361c1a613e1b59fb14")
    assert csv.modified_at == datetime(2024, 5, 7, 11, 58, 19, tzinfo=UTC)


def test_json_ld_with_a_graph_and_n_triples() -> None:
    [dataset] = _datasets((SAMPLES / "ckanext-dcat-graph.jsonld").read_bytes(), "application/ld+json")
    assert dataset.title == "Title dataset"
    assert [resource.url for resource in dataset.resources] == ["http://example2.org/files/download.zip"]
    n_triples = Graph().parse(SAMPLES / "datos-gob-es.ttl").serialize(format="nt", encoding="utf-8")
    assert syntax_of(n_triples, None) == "turtle"
    [again] = _datasets(n_triples, "application/n-triples")
    assert again.remote_id == "https://datos.madrid.es/egob/catalogo/300676-0-deporte-encuesta-escuelas"


def test_udatas_own_harvest_fixture_reads_as_udata_reads_it() -> None:
    """udata's ``catalog.xml`` with what its ``test_xml_catalog`` asserts of it: an HTML abstract
    as Markdown, a part (``dct:hasPart``) as an ``other`` resource, a distribution with a service
    as ``api``, an IANA media type's IRI as the format, an EU high-value category as its tag."""
    read = {item.dct_identifier: item for item in _datasets((SAMPLES / "udata-catalog.xml").read_bytes())}
    first = read["1"]
    assert first.description == "# h1 title\n\n## h2 title\n\n**and bold text**"
    resources = {resource.title: resource for resource in first.resources}
    assert len(resources) == 4
    one = resources["Resource 1-1"]
    assert (one.format, one.mime, one.filesize, one.type) == ("json", "application/json", 12323, "main")
    assert one.description == "A JSON resource"
    assert (resources["Resource 1-2"].format, resources["Resource 1-2"].type) == ("json", "main")
    part = resources["Resource 1-3"]
    assert (part.url, part.type, part.format) == (
        "http://data.test.org/datasets/1/resources/3",
        "other",
        "json",
    )
    service = resources["Resource 1-4"]
    assert (service.type, service.format) == ("api", None)
    assert service.description == "A resource pointing towards a Geo Service"
    assert {"observation-de-la-terre-et-environnement", "hvd"} <= {
        normalize_tag(tag) for tag in read["3"].tags
    }
    assert read["3"].description == "Dataset 3 description"


def test_udatas_own_answers_read_the_same_in_every_syntax() -> None:
    """udata's /datasets/{id}/rdf.{json,ttl,xml} as recorded in the shared spec (udata-responses §94-96)."""
    read = [
        _datasets((SAMPLES / name).read_bytes(), content_type)
        for name, content_type in (
            ("udata-dataset.jsonld", "application/ld+json"),
            ("udata-dataset.ttl", "application/x-turtle"),
            ("udata-dataset.rdf", "application/rdf+xml"),
        )
    ]
    assert read[0] == read[1] == read[2]
    [dataset] = read[0]
    assert (dataset.remote_id, dataset.title, dataset.acronym) == (
        "6b08d1c536877ad9cd54924c",
        "Horaires des bus 2024",
        "HB",
    )
    assert dataset.remote_url == "https://www.data.gouv.fr/datasets/horaires-des-bus-2024"
    assert dataset.frequency == "monthly"  # udata's Dublin Core freq: term
    assert (dataset.temporal_start, dataset.temporal_end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert (
        dataset.license == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    )  # on the distributions only
    fake = next(resource for resource in dataset.resources if resource.title == "fake.csv")
    assert fake.description is None  # udata's literal "None"
    assert (fake.format, fake.mime, fake.filesize) == (
        "csv",
        "text/csv",
        42,
    )  # literals where DCAT-AP wants IRIs
    assert fake.checksum == ("sha1", "20cc4226684dceabd18ec070bf704ce2e01b573d")


TOLERANCE = b"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix schema: <http://schema.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
[] a dcat:Dataset ;
   dct:identifier "blank-1" ;
   dct:title "Water quality"@en, "Qualit\xc3\xa9 de l'eau"@fr, "Wasserqualit\xc3\xa4t"@de ;
   dcat:keyword "water"@en, "eau"@fr, "qualit\xc3\xa9"@fr ;
   dct:license "CC-BY-4.0", <https://www.etalab.gouv.fr/licence-ouverte-open-licence> ;
   dct:accrualPeriodicity "http://purl.org/cld/freq/quarterly" ;
   dcat:landingPage "https://portal.test/water" ;
   dct:temporal [ a dct:PeriodOfTime ; schema:startDate "2019-01-01"^^xsd:date ; schema:endDate "2019-12-31T00:00:00"^^xsd:dateTime ] ;
   dct:spatial <https://portal.test/api/1/spatial/zone/fr:commune:13055/> ;
   dcat:distribution [ dcat:downloadURL "https://portal.test/water.csv" ; dct:format "CSV " ;
                       dcat:mediaType "text/csv" ; dcat:byteSize "2048" ] ,
                     [ dct:title "No link at all" ] .
<https://portal.test/untitled> a dcat:Dataset ; dct:description "Nobody named me" .
"""


def test_a_date_not_of_its_datatype_is_absent_and_logs_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """rdflib logged a warning with its traceback for each such literal, into the server's log."""
    body = TOLERANCE.replace(b'"2019-01-01"^^xsd:date', b'"2019-13-45"^^xsd:date')
    with caplog.at_level(logging.WARNING):
        [dataset] = _datasets(body.split(b"<https://portal.test/untitled>")[0], "text/turtle")
    assert dataset.temporal_start is None
    assert [record.getMessage() for record in caplog.records] == []


def test_tolerates_what_real_portals_publish() -> None:
    page = read_catalog_page(TOLERANCE, "text/turtle", BASE, known_license=lambda name: "etalab" in name)
    dataset, failure = sorted(page.items, key=lambda item: isinstance(item, ItemFailure))
    assert isinstance(dataset, RemoteDataset)
    assert isinstance(failure, ItemFailure)
    assert (dataset.remote_id, dataset.uri) == ("blank-1", None)
    assert dataset.title == "Qualité de l'eau"  # French first
    assert dataset.tags == ("eau", "qualité")  # the keywords of one language only
    assert dataset.license == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"  # the first known
    assert dataset.frequency == "quarterly"
    assert dataset.remote_url == "https://portal.test/water"
    assert (dataset.temporal_start, dataset.temporal_end) == (date(2019, 1, 1), date(2019, 12, 31))
    assert dataset.zones == ("fr:commune:13055",)
    [resource] = dataset.resources  # the distribution without a URL is left out
    assert (resource.url, resource.format, resource.mime, resource.filesize) == (
        "https://portal.test/water.csv",
        "csv",
        "text/csv",
        2048,
    )
    assert failure.remote_id == "https://portal.test/untitled"
    assert failure.error == "The dataset has no title"
    assert '"Nobody named me"' in failure.excerpt


def test_several_licenses_none_known_keeps_the_first() -> None:
    items = read_catalog_page(TOLERANCE, "text/turtle", BASE).items
    [dataset] = [item for item in items if isinstance(item, RemoteDataset)]
    assert dataset.license == "CC-BY-4.0"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>Maintenance</body></html>", "text/html"),
        (b"\x00\x01\x02garbage", None),
        (b"@prefix dcat: <http://www.w3.org/ns/dcat#> . <a> dcat:x", "text/turtle"),
        (b'{"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"}', "application/json"),
        (b"not json", "application/ld+json"),
    ],
)
def test_garbage_is_a_source_error(body: bytes, content_type: str | None) -> None:
    with pytest.raises(HarvestSourceError):
        read_catalog_page(body, content_type, BASE)


def test_hydra_next_and_the_older_next_page() -> None:
    hydra = b"""@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
    <http://c.test/catalog?page=1> a hydra:PartialCollectionView ; hydra:next <http://c.test/catalog?page=2> ."""
    assert read_catalog_page(hydra, "text/turtle", BASE).next_url == "http://c.test/catalog?page=2"
    legacy = hydra.replace(b"hydra:next ", b"hydra:nextPage ")
    assert read_catalog_page(legacy, "text/turtle", BASE).next_url == "http://c.test/catalog?page=2"
    assert read_catalog_page(b"<a:b> <c:d> <e:f> .", "text/turtle", BASE).next_url is None


_RDF = b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
_LAUGHS = b"".join(
    b'<!ENTITY l%d "%s">' % (level, b"".join(b"&l%d;" % (level - 1) for _ in range(10)))
    for level in range(1, 10)
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "application/ld+json"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">' + _LAUGHS + b"]>" + _RDF,
            "application/rdf+xml",
        ),
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + _RDF, None),
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p "x">]>' + _RDF, "application/rdf+xml"),
        (b"<a:b> <c:d> " + b"(" * 5000 + b")" * 5000 + b" .", "text/turtle"),
        # a ">" in a value ended the old guard's match before the references after it
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 ">lol"><!ENTITY l1 ">&l0;&l0;&l0;">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">'
            b'<rdf:Description rdf:about="http://a.test/d"><dct:title>&l1;</dct:title></rdf:Description></rdf:RDF>',
            "application/rdf+xml",
        ),
        # no nesting, but 250 bytes 20,000 times: 5 MB out of a 100 kB page (expat allows 100 times)
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a ">' + b"x" * 250 + b'">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">'
            b'<rdf:Description rdf:about="http://a.test/d"><dct:description>'
            + b"&a;" * 20_000
            + b"</dct:description></rdf:Description></rdf:RDF>",
            "application/rdf+xml",
        ),
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY >]>' + _RDF, "application/rdf+xml"),
    ],
    ids=[
        "deep-json",
        "billion-laughs",
        "external-entity",
        "parameter-entity",
        "deep-turtle",
        "laughs-behind-a-bracket",
        "wide-expansion",
        "unreadable-declaration",
    ],
)
def test_hostile_documents_are_refused_at_once(body: bytes, content_type: str | None) -> None:
    with pytest.raises(HarvestSourceError):
        read_catalog_page(body, content_type, BASE)


def test_plain_entities_still_read() -> None:
    """Protégé-style RDF/XML names namespaces with entities: nothing hostile in that."""
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY dct "http://purl.org/dc/terms/">]>'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#">'
        b'<dcat:Dataset rdf:about="http://a.test/d"><title xmlns="&dct;">Plain</title></dcat:Dataset></rdf:RDF>'
    )
    [dataset] = _datasets(body, "application/rdf+xml")
    assert dataset.title == "Plain"


def test_a_media_type_iri_as_the_format() -> None:
    body = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <http://a.test/d> a dcat:Dataset ; dct:title "T" ;
        dcat:distribution [ dcat:accessURL <http://a.test/f> ;
                            dct:format <http://www.iana.org/assignments/media-types/text/csv> ] ."""
    [dataset] = _datasets(body, "text/turtle")
    [resource] = dataset.resources
    # udata takes the subtype as the format (its catalog.xml fixture: ``json``), for the https
    # namespace; the http spelling is read the same rather than kept as an IRI.
    assert (resource.url, resource.mime, resource.format) == ("http://a.test/f", "text/csv", "csv")
    [dataset] = _datasets(body.replace(b"http://www.iana", b"https://www.iana"), "text/turtle")
    assert (dataset.resources[0].mime, dataset.resources[0].format) == ("text/csv", "csv")


@pytest.mark.parametrize(
    "context",
    [
        '{"@import": "file://SECRET", "dct": "http://purl.org/dc/terms/"}',
        '{"dct": "http://purl.org/dc/terms/", "x": {"@id": "http://a.test/x", "@context": "file://SECRET"}}',
        '["file://SECRET"]',
    ],
    ids=["import", "scoped", "top-level"],
)
def test_no_json_ld_context_is_ever_fetched(tmp_path: Path, context: str) -> None:
    """However a document names a context by URL (``@import``, a term's scoped context), rdflib
    would fetch it itself, unguarded: a local file was read and applied (a dataset titled with
    its value), a private address asked, a slow one waited for past the harvest's timeout."""
    secret = tmp_path / "secret.json"
    secret.write_text('{"@context": {"x": "http://purl.org/dc/terms/title"}}')
    body = (
        '{"@context": CONTEXT, "@id": "http://a.test/d", "@type": "http://www.w3.org/ns/dcat#Dataset",'
        ' "http://purl.org/dc/terms/title": "t", "x": {"@id": "http://a.test/y"}}'
    ).replace("CONTEXT", context.replace("file://SECRET", secret.as_uri()))
    with pytest.raises(HarvestSourceError, match="remote @context"):
        read_catalog_page(body.encode(), "application/ld+json", BASE)


def test_n3_is_read() -> None:
    """udata and opencat serve ``catalog.n3``: a source served as N3 could not be read."""
    body = (
        b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        b'<http://a.test/d> a dcat:Dataset ; dct:title "En N3" .\n'
    )
    [dataset] = _datasets(body, "text/n3")
    assert dataset.title == "En N3"


def test_a_long_literal_of_short_lines_reads_in_linear_time() -> None:
    """rdflib added each line of a literal to the text so far: 1 MB of short lines took 26 s, a
    page at the size cap hours (2 MB: over a minute). The text read is the text written."""
    lines = "a\n" * 1_000_000
    body = (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">'
        '<dcat:Dataset rdf:about="http://a.test/d"><dct:title>T &amp; U</dct:title>'
        f"<dct:description>{lines}</dct:description></dcat:Dataset></rdf:RDF>"
    ).encode()
    started = time.monotonic()
    [dataset] = _datasets(body, "application/rdf+xml")
    # Quadratic reading takes over 100 s here (26 s for half this text); linear, 1.5 s (up to
    # 25 s under coverage on a loaded machine): the bound catches the one, not the other.
    assert time.monotonic() - started < 60
    assert (dataset.title, dataset.description) == ("T & U", lines.strip())


def test_namespace_entities_of_a_large_dump_still_read() -> None:
    """Protégé-style entities used throughout a 3.8 MB dump add about 1.1 MB: refused by an
    absolute 1 MB bound (20,000 datasets: 1.2 MB), read again under one relative to the page."""
    head = (
        b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY xsd "http://www.w3.org/2001/XMLSchema#">'
        b'<!ENTITY dcat "http://www.w3.org/ns/dcat#">]>'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">'
    )
    node = (
        '<rdf:Description rdf:about="http://a.test/d{n}"><rdf:type rdf:resource="&dcat;Dataset"/>'
        '<dct:title>T{n}</dct:title><dct:issued rdf:datatype="&xsd;dateTime">2020-01-01T00:00:00</dct:issued>'
        "</rdf:Description>"
    )
    body = head + "".join(node.format(n=n) for n in range(20_000)).encode() + b"</rdf:RDF>"
    assert len(body) > 4_000_000
    parsing._refuse_entity_tricks(body)  # the guard alone: parsing 4 MB takes seconds
    [one] = _datasets(head + node.format(n=0).encode() + b"</rdf:RDF>", "application/rdf+xml")
    assert one.title == "T0"
