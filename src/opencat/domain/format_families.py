"""Format families of resource formats, the API v2 search's ``format_family`` filter.

udata files each resource format into one family and indexes a dataset under the families of
its resources' formats, or under ``other`` when none of its resources has a format
(udata/core/dataset/search.py, ``_compute_format_family``). The table below is opencat's own:
which formats fall in which family is documented in docs/compatibility.md.
"""

from collections.abc import Iterable

TABULAR = "tabular"
MACHINE_READABLE = "machine_readable"
GEOGRAPHICAL = "geographical"
DOCUMENTS = "documents"
OTHER = "other"
FORMAT_FAMILIES = (TABULAR, MACHINE_READABLE, GEOGRAPHICAL, DOCUMENTS, OTHER)

_MEMBERS = {
    TABULAR: "csv csv.gz tsv xls xlsx xlsm xlsb ods fods parquet",
    MACHINE_READABLE: (
        "json jsonl ndjson json-ld jsonld xml rdf rdf/xml ttl turtle n3 nt nq trig yaml yml sql"
        " sqlite api gtfs gtfs-rt netex siri"
    ),
    GEOGRAPHICAL: (
        "geojson topojson shp shapefile kml kmz gpx gml gpkg geopackage geotiff mbtiles pmtiles"
        " fgb flatgeobuf geoparquet dxf dwg mif ecw las laz gdb filegdb wms wfs wmts ogc:wms"
        " ogc:wfs ogc:wmts"
    ),
    DOCUMENTS: "pdf doc docx odt rtf txt md html htm ppt pptx odp epub",
}
_FAMILY_OF = {member: family for family, members in _MEMBERS.items() for member in members.split()}


def family_of(resource_format: str) -> str:
    """The family of one format, whatever its case and surrounding spaces (``other`` when unknown)."""
    return _FAMILY_OF.get(resource_format.strip().lower(), OTHER)


def format_families(resource_formats: Iterable[str | None]) -> tuple[str, ...]:
    """The families of a dataset's resource formats, each once; ``other`` when none has a format."""
    families = {family_of(value) for value in resource_formats if value and value.strip()}
    return tuple(sorted(families)) or (OTHER,)
