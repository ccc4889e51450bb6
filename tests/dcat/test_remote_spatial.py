"""Drawn areas and one-literal periods of remote DCAT, in the spellings real portals use, read as
udata's harvester reads them (``spatial_from_rdf``, ``temporal_from_literal``)."""

from datetime import date

import pytest

from opencat.dcat.reading import read_catalog_page
from opencat.dcat.remote_datasets import period_of_text
from opencat.domain.harvest import RemoteDataset

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix locn: <http://www.w3.org/ns/locn#> . @prefix gsp: <http://www.opengis.net/ont/geosparql#> .
"""
SQUARE = [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]]
OTHER = [[[2.0, 2.0], [3.0, 2.0], [3.0, 3.0], [2.0, 2.0]]]


def _read(spatial: str) -> RemoteDataset:
    body = f'<http://c.test/d> a dcat:Dataset ; dct:title "T" ; {spatial} .'
    items = read_catalog_page((PREFIXES + body).encode(), "text/turtle", "http://c.test/").items
    assert isinstance(items[0], RemoteDataset), items
    return items[0]


def _geom(spatial: str) -> object:
    return _read(spatial).geom


def test_a_wkt_polygon_with_its_reference_system() -> None:
    wkt = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> Polygon((0 0, 1 0, 1 1, 0 1, 0 0))"
    assert _geom(f'dct:spatial [ a dct:Location ; dcat:bbox "{wkt}"^^gsp:wktLiteral ]') == {
        "type": "MultiPolygon",
        "coordinates": [SQUARE],
    }


def test_a_wkt_multipolygon_and_geojson_are_merged_each_polygon_once() -> None:
    wkt = "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 1, 0 0)), ((2 2, 3 2, 3 3, 2 2)))"
    geojson = '{\\"type\\": \\"Polygon\\", \\"coordinates\\": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}'
    spatial = (
        f'dct:spatial [ locn:geometry "{geojson}"^^gsp:geoJSONLiteral ; '
        f'dcat:bbox "{wkt}"^^<http://www.opengis.net/rdf#wktLiteral> ]'
    )
    assert _geom(spatial) == {"type": "MultiPolygon", "coordinates": [SQUARE, OTHER]}


def test_a_bare_box_in_dct_spatial() -> None:
    # ArcGIS Hub's spelling: west,south,east,north.

    geom = _geom('dct:spatial "-5.1,41.3,9.6,51.1"')
    assert geom == {
        "type": "MultiPolygon",
        "coordinates": [[[[-5.1, 41.3], [9.6, 41.3], [9.6, 51.1], [-5.1, 51.1], [-5.1, 41.3]]]],
    }


@pytest.mark.parametrize(
    "spatial",
    [
        'dct:spatial [ locn:geometry "POINT(2 48)"^^gsp:wktLiteral ]',  # a point is no area
        'dct:spatial [ locn:geometry "POLYGON((0 0, 1 0, 1 1))"^^gsp:wktLiteral ]',  # not closed, too short
        'dct:spatial [ locn:geometry "POLYGON((0 0, 1 x, 1 1, 0 0))"^^gsp:wktLiteral ]',
        'dct:spatial [ locn:geometry "POLYGON(((0 0, 1 0, 1 1, 0 0)"^^gsp:wktLiteral ]',
        'dct:spatial "1,2,3"',
        'dct:spatial "nan,1,2,3"',  # no number, no area (it was served as null coordinates)
        'dct:spatial [ locn:geometry "POLYGON((1e400 0, 1 0, 1 1, 1e400 0))"^^gsp:wktLiteral ]',
        'dct:spatial "Lyon"',
    ],
)
def test_what_draws_no_area_is_left_out(spatial: str) -> None:
    assert _geom(spatial) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019", (date(2019, 1, 1), date(2019, 12, 31))),
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("2020-01-15/2021-06-30", (date(2020, 1, 15), date(2021, 6, 30))),
        (" 2020/2021 ", (date(2020, 1, 1), date(2021, 1, 1))),
        ("2020-13", None),
        ("2020-01-15", None),  # one day is no period udata reads
        ("soon/later", None),
        ("0000", None),
    ],
)
def test_a_period_written_as_one_literal(text: str, expected: tuple[date, date] | None) -> None:
    assert period_of_text(text) == expected


def test_a_literal_period_is_the_datasets_coverage() -> None:
    remote = _read('dct:temporal "2018-01-01/2018-12-31"')
    assert (remote.temporal_start, remote.temporal_end) == (date(2018, 1, 1), date(2018, 12, 31))
