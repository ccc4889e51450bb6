"""Remote DCAT at its edges: what few portals publish but some do."""

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from opencat.catalog.harvest_mapping import References, checked_fingerprint, dataset_fields, harvest_metadata
from opencat.dcat.parsing import syntax_of
from opencat.dcat.reading import read_catalog_page
from opencat.domain.datasets import Dataset, Spatial
from opencat.domain.harvest import EXCERPT_LIMIT, HarvestSourceError, ItemFailure, RemoteDataset
from opencat.domain.harvest_jobs import HarvestSource

BASE = "http://catalog.test/"
PREFIXES = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix spdx: <http://spdx.org/rdf/terms#> . @prefix time: <http://www.w3.org/2006/time#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def _items(body: bytes) -> tuple[RemoteDataset | ItemFailure, ...]:
    return read_catalog_page(PREFIXES + body, "text/turtle", BASE).items


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'  {"@graph": []}', "json-ld"),
        (b"\xef\xbb\xbf@prefix dcat: <http://www.w3.org/ns/dcat#> .", "turtle"),
        (b'<?xml version="1.0"?><rdf:RDF/>', "xml"),
        (b"<http://a/> <http://b/> <http://c/> .", "turtle"),
        (b"PREFIX dcat: <http://www.w3.org/ns/dcat#>", "turtle"),
    ],
)
def test_sniffing(head: bytes, expected: str) -> None:
    assert syntax_of(head, None) == expected
    assert syntax_of(head, "text/plain; charset=utf-8") == expected  # a generic type says nothing


def test_a_blank_dataset_without_identifier_fails_alone() -> None:
    [failure] = _items(b'[] a dcat:Dataset ; dct:title "Anonymous" .')
    assert isinstance(failure, ItemFailure)
    assert failure.remote_id is None
    assert "Anonymous" in failure.excerpt


def test_a_literal_listed_as_a_dataset_is_no_dataset() -> None:
    items = _items(
        b'<http://a.test/catalog> dcat:dataset "http://a.test/d", <http://a.test/e> . <http://a.test/e> dct:title "E" .'
    )
    assert [item.remote_id for item in items] == ["http://a.test/e"]


def test_the_excerpt_is_cut_at_the_limit() -> None:
    keywords = ", ".join(f'"keyword number {number}"' for number in range(300))
    [failure] = _items(f"<http://a.test/d> a dcat:Dataset ; dcat:keyword {keywords} .".encode())
    assert isinstance(failure, ItemFailure)
    assert len(failure.excerpt) <= EXCERPT_LIMIT


def test_odd_values_are_left_out() -> None:
    [dataset] = _items(
        b"""<http://a.test/d> a dcat:Dataset ; dct:title "T" ;
        dct:accrualPeriodicity [ rdf:value [ time:months "one" ] ], "fortnighly" ;
        dct:issued "sometime" ; dct:modified "2024-02-03"^^xsd:date ;
        dcat:distribution [ dcat:downloadURL <http://a.test/f> ; dcat:byteSize "big", "-3", "1e400" ;
                            spdx:checksum [ spdx:checksumValue "not hex" ] ,
                                          [ spdx:checksumValue "abcd" ; spdx:algorithm spdx:checksumAlgorithm_sha1 ] ,
                                          [ spdx:checksumValue "%s" ; spdx:algorithm spdx:checksumAlgorithm_md5 ] ,
                                          [ spdx:checksumValue "%s" ; spdx:algorithm spdx:checksumAlgorithm_sha1 ] ] ."""
        % (b"ab" * 20, b"CD" * 20)
    )
    assert isinstance(dataset, RemoteDataset)
    assert dataset.frequency == "biweekly"  # udata's legacy alias
    assert dataset.issued_at is None
    assert dataset.modified_at is not None
    [resource] = dataset.resources
    # "abcd" fits no algorithm, a 40-digit digest is no MD5
    assert (resource.filesize, resource.checksum) == (None, ("sha1", "cd" * 20))


def test_a_deeply_nested_json_ld_document_is_refused() -> None:
    nested: dict[str, object] = {"@id": "http://a/"}
    for _ in range(70):
        nested = {"@graph": [nested]}
    with pytest.raises(HarvestSourceError, match="nested too deeply"):
        read_catalog_page(json.dumps(nested).encode(), "application/ld+json", BASE)


def test_not_utf8_n_triples_goes_to_the_full_parser() -> None:
    body = '<http://a.test/d> <http://purl.org/dc/terms/title> "é" .'.encode("latin-1")
    with pytest.raises(HarvestSourceError):
        read_catalog_page(body, "application/n-triples", BASE)


LATIN_CATALOG = """<?xml version="1.0" encoding="iso-8859-1"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#"
  xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Catalog rdf:about="http://catalog.test/"><dcat:dataset>
    <dcat:Dataset rdf:about="http://catalog.test/d/1"><dct:identifier>1</dct:identifier>
      <dct:title>Qualité de l'air à Orléans</dct:title></dcat:Dataset>
  </dcat:dataset></dcat:Catalog>
</rdf:RDF>
"""


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (LATIN_CATALOG.encode("latin-1"), "application/rdf+xml"),  # as its declaration says
        (LATIN_CATALOG.encode("latin-1"), "application/rdf+xml; charset=ISO-8859-1"),
        (LATIN_CATALOG.encode("latin-1"), 'text/xml;charset="latin1"'),
        # The header wins over the declaration (RFC 7303): here the document is really UTF-8.
        (LATIN_CATALOG.encode("utf-8"), "application/rdf+xml; charset=utf-8"),
        (LATIN_CATALOG.encode("utf-16"), "application/rdf+xml"),  # by its byte order mark
        (LATIN_CATALOG.encode("utf-32"), "application/rdf+xml; charset=utf-32"),  # UTF-32's mark first
        # Without a mark, by how its declaration's ``<?`` is written (XML 1.0, appendix F).
        (LATIN_CATALOG.replace("iso-8859-1", "UTF-16").encode("utf-16-le"), "application/rdf+xml"),
        (LATIN_CATALOG.replace("iso-8859-1", "UTF-16").encode("utf-16-be"), "application/rdf+xml"),
        (
            (
                PREFIXES
                + b"<http://catalog.test/d/1> a <http://www.w3.org/ns/dcat#Dataset> ; "
                + 'dct:identifier "1" ; dct:title "Qualité de l\'air à Orléans" .'.encode("latin-1")
            ),
            "text/turtle; charset=iso-8859-1",
        ),
    ],
)
def test_a_catalog_in_the_encoding_it_declares_is_read(body: bytes, content_type: str) -> None:
    """udata reads ``response.text`` (the header's charset, else a guess); a Latin-1 catalog of an
    older portal failed the whole job (``'utf-8' codec can't decode byte 0xe9``)."""
    (item,) = read_catalog_page(body, content_type, BASE).items
    assert isinstance(item, RemoteDataset)
    assert item.title == "Qualité de l'air à Orléans"


def test_an_encoding_a_document_does_not_hold_is_said() -> None:
    with pytest.raises(HarvestSourceError, match="encoding is unknown: klingon"):
        read_catalog_page(LATIN_CATALOG.encode("latin-1"), "application/rdf+xml; charset=klingon", BASE)
    # Python's codecs that are no web page's charset: one raised a bare UnicodeError (a 500).
    for codec in ("undefined", "unicode_escape", "rot13", "palmos"):
        with pytest.raises(HarvestSourceError, match=f"encoding is unknown: {codec}"):
            read_catalog_page(b"<http://a/> <http://b/> <http://c/> .", f"text/turtle; charset={codec}", BASE)
    with pytest.raises(HarvestSourceError, match="NUL bytes"):  # UTF-16 without a mark or a declaration
        read_catalog_page("<http://a/> <http://b/> <http://c/> .".encode("utf-16-le"), "text/turtle", BASE)
    with pytest.raises(HarvestSourceError, match=r"not in the encoding it declares \(utf-8\)"):
        read_catalog_page(LATIN_CATALOG.encode("latin-1"), "application/rdf+xml; charset=utf-8", BASE)


def test_entities_in_utf16_are_refused_as_in_utf8() -> None:
    """The entity checks read bytes: a UTF-16 document would pass them unseen once parsed by its BOM."""
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&b;</rdf:RDF>'
    )
    with pytest.raises(HarvestSourceError, match="expand others"):
        read_catalog_page(laughs.encode("utf-16"), "application/rdf+xml", BASE)
    # Without a byte order mark, as expat reads it anyway (XML 1.0, appendix F): it passed the
    # checks, and 90 references to a 1 MB entity made a 90-million-character title.
    unmarked = laughs.replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    for encoding in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        with pytest.raises(HarvestSourceError, match="expand others"):
            read_catalog_page(unmarked.encode(encoding), "application/rdf+xml", BASE)


def test_a_parse_error_says_its_reason_not_only_its_place() -> None:
    """rdflib's first line names only the place (``at line 1 of <>:``)."""
    with pytest.raises(HarvestSourceError, match=r"at line 1 of <>: Bad syntax"):
        read_catalog_page(b"<html><body>Maintenance</body></html>", "text/turtle", BASE)


def test_blank_nodes_read_the_same_on_every_run() -> None:
    """Blank nodes get new names at every parse: the record, and its fingerprint, must not move."""
    distributions = ", ".join(
        f'[ dcat:downloadURL <http://a.test/{name}> ; dct:license "L{name}" ; '
        f'spdx:checksum [ spdx:checksumValue "{digit * 40}" ], [ spdx:checksumValue "{digit * 32}" ] ]'
        for name, digit in zip("pqrstuvw", "01234567", strict=True)
    )
    body = f'[] a dcat:Dataset ; dct:identifier "b" ; dct:title "B" ; dcat:distribution {distributions} .'.encode()
    first, second = (_items(body)[0] for _ in range(2))
    assert isinstance(first, RemoteDataset)
    assert isinstance(second, RemoteDataset)
    assert checked_fingerprint(first) == checked_fingerprint(second)
    assert [resource.url for resource in first.resources] == [f"http://a.test/{name}" for name in "pqrstuvw"]


def test_a_creation_date_alone_makes_the_copys_created_at() -> None:
    """A dataset harvested upstream says dct:created and no dct:issued (as udata writes it): its
    copy took the harvest's time as its creation."""
    [dataset] = _items(
        b"""<http://a.test/d> a dcat:Dataset ; dct:title "T" ; dct:identifier "d" ;
        dct:created "2022-10-13T08:00:00+00:00"^^xsd:dateTime ."""
    )
    assert isinstance(dataset, RemoteDataset)
    assert (dataset.issued_at, dataset.created_at) == (None, datetime(2022, 10, 13, 8, tzinfo=UTC))
    now = datetime(2026, 12, 6, tzinfo=UTC)
    source = HarvestSource("s" * 24, "Source", "http://a.test/catalog.ttl", "dcat", now, now)
    harvest = harvest_metadata(source, dataset, now)
    assert (harvest["created_at"], "issued_at" in harvest) == ("2022-10-13T08:00:00+00:00", False)
    copy = Dataset(
        id="c" * 24,
        slug="t",
        title="T",
        description="",
        created_at_internal=now,
        last_modified_internal=now,
        harvest=harvest,
    )
    assert copy.created_at == datetime(2022, 10, 13, 8, tzinfo=UTC)


def test_a_drawn_area_is_read_as_the_multipolygon_udata_stores() -> None:
    """GeoDCAT-AP's locn:geometry, as opencat and udata write a drawn area: it was dropped."""
    square = [[[0, 0], [0, 1], [1, 1], [0, 0]]]
    body = b"""@prefix locn: <http://www.w3.org/ns/locn#> . @prefix gsp: <http://www.opengis.net/ont/geosparql#> .
    <http://a.test/m> a dcat:Dataset ; dct:title "M" ; dct:identifier "m" ; dct:spatial <http://a.test/m#g> .
    <http://a.test/m#g> a dct:Location ; locn:geometry "%s"^^gsp:geoJSONLiteral .
    <http://a.test/p> a dcat:Dataset ; dct:title "P" ; dct:identifier "p" ;
        dct:spatial [ locn:geometry "%s"^^gsp:geoJSONLiteral ] .
    <http://a.test/w> a dcat:Dataset ; dct:title "W" ; dct:identifier "w" ;
        dct:spatial [ locn:geometry "POLYGON((0 0, 0 1, 1 1, 0 0))"^^gsp:wktLiteral ],
                    [ locn:geometry "{\\"type\\": \\"Point\\", \\"coordinates\\": [0, 0]}" ] .
    """ % (
        json.dumps({"type": "MultiPolygon", "coordinates": [square]}).replace('"', '\\"').encode(),
        json.dumps({"type": "Polygon", "coordinates": square}).replace('"', '\\"').encode(),
    )
    read = {item.remote_id: item for item in _items(body) if isinstance(item, RemoteDataset)}
    multipolygon = {"type": "MultiPolygon", "coordinates": [square]}
    # WKT is read too (udata's geomet does), a point beside it is no area.
    assert (read["m"].geom, read["p"].geom, read["w"].geom) == (multipolygon, multipolygon, multipolygon)
    now = datetime(2026, 12, 6, tzinfo=UTC)
    source = HarvestSource("s" * 24, "Source", "http://a.test/catalog.ttl", "dcat", now, now)
    references = References(licenses=(), zones={"fr:commune:69123": "fr:commune:69123"})
    assert dataset_fields(source, read["m"], references, now)["spatial"] == Spatial((), None, multipolygon)
    # Zones and a drawn area exclude each other, as in udata's form: the zones win.
    zoned = replace(read["m"], zones=("fr:commune:69123",))
    assert dataset_fields(source, zoned, references, now)["spatial"] == Spatial(
        ("fr:commune:69123",), None, None
    )


def test_a_hostile_geometry_leaves_the_dataset_read() -> None:
    """json.loads raises RecursionError, no ValueError, on 100,000 nested brackets: it ended
    the reading of the whole page."""
    nested = "[" * 100_000 + "]" * 100_000
    [dataset] = _items(
        b"""@prefix locn: <http://www.w3.org/ns/locn#> .
        <http://a.test/h> a dcat:Dataset ; dct:title "H" ; dct:identifier "h" ;
            dct:spatial [ locn:geometry "%s" ] ."""
        % nested.encode()
    )
    assert isinstance(dataset, RemoteDataset)
    assert (dataset.title, dataset.geom) == ("H", None)


def test_a_catalog_reference_the_document_does_not_describe_is_no_dataset() -> None:
    """A GeoNetwork's catalog lists another address of its record: udata reads typed nodes only,
    and each run reported that reference as a failed dataset."""
    items = _items(
        b"""<http://catalog.test/> a dcat:Catalog ; dcat:dataset <http://catalog.test/metadata/1>,
           <http://catalog.test/datasets/1> .
        <http://catalog.test/datasets/1> a dcat:Dataset ; dct:title "Chemistry" ."""
    )
    assert [item.title for item in items if isinstance(item, RemoteDataset)] == ["Chemistry"]
    assert not [item for item in items if isinstance(item, ItemFailure)]


def test_geodcat_records_give_their_abstract_themes_and_address() -> None:
    """udata's reading of GeoDCAT-AP: ``dct:abstract`` when there is no description, the themes'
    labels among the tags, and the dataset's IRI as its remote address without a landing page."""
    [item] = _items(
        b"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <http://catalog.test/datasets/2> a dcat:Dataset ; dct:title "Geodesy" ;
            dct:abstract "Data of type chemistry" ; dcat:keyword "gps" ;
            dcat:theme "geodesy", <http://catalog.test/themes/env> .
        <http://catalog.test/themes/env> skos:prefLabel "environment"@en ."""
    )
    assert isinstance(item, RemoteDataset)
    assert item.description == "Data of type chemistry"
    assert item.tags == ("environment", "geodesy", "gps")
    assert item.remote_url == "http://catalog.test/datasets/2"


def test_a_remote_address_is_a_valid_web_address_or_none() -> None:
    """udata's ``remote_url_from_rdf``: the landing page, else the IRI, the first its URI check
    accepts (its test of a GeoNetwork catalog: an IRI holding a space gives none)."""
    [scripted] = _items(
        b"""<http://catalog.test/datasets/3> a dcat:Dataset ; dct:title "Scripted" ;
            dcat:landingPage <javascript:alert(1)> ."""
    )
    assert isinstance(scripted, RemoteDataset)
    assert scripted.remote_url == "http://catalog.test/datasets/3"
    xml = b"""<?xml version="1.0" encoding="utf-8"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
             xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
      <dcat:Dataset rdf:about="https://geo.test/srv/datasets/0c45 https://geo.test/srv/0c45">
        <dct:title>Spaced</dct:title>
        <dct:identifier>0c45</dct:identifier>
      </dcat:Dataset>
    </rdf:RDF>"""
    [spaced] = read_catalog_page(xml, "application/rdf+xml", BASE).items
    assert isinstance(spaced, RemoteDataset)
    assert (spaced.remote_id, spaced.remote_url) == ("0c45", None)  # was the spaced IRI


def test_access_rights_and_inspire_limitations_are_read_as_udata_reads_them() -> None:
    """A restricted dataset exported by an opencat (or a udata) stays restricted, on its ground."""
    limitation = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1e"
    items = _items(
        b"""<http://catalog.test/d/1> a dcat:Dataset ; dct:title "Restricted" ;
            dct:accessRights <http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC> ;
            dcat:distribution <http://catalog.test/r/1> .
        <http://catalog.test/r/1> a dcat:Distribution ; dcat:accessURL <http://catalog.test/f.csv> ;
            dct:rights <"""
        + limitation.encode()
        + b"""> .
        <http://catalog.test/d/2> a dcat:Dataset ; dct:title "Non public" ;
            dct:accessRights <http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC> .
        <http://catalog.test/d/3> a dcat:Dataset ; dct:title "Public" ;
            dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ."""
    )
    found = {
        item.title: (item.access_type, item.access_type_reason_category)
        for item in items
        if isinstance(item, RemoteDataset)
    }
    assert found == {
        "Restricted": ("restricted", "intellectual_property_rights"),
        "Non public": ("restricted", None),
        "Public": (None, None),
    }
