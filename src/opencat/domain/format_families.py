"""Format families of resource formats, the API v2 search's ``format_family`` filter.

udata files each resource format into one family and indexes a dataset under the families of
its resources' formats, or under ``other`` when none of its resources has a format
(udata/core/dataset/search.py, ``_compute_format_family``). The families hold udata's default
lists (its settings' ``TABULAR_FORMATS``, ``MACHINE_READABLE_FORMATS``, ``GEOGRAPHICAL_FORMATS``
and ``DOCUMENTS_FORMATS``), so that a family counts what data.gouv.fr's counts.
"""

from collections.abc import Iterable

TABULAR = "tabular"
MACHINE_READABLE = "machine_readable"
GEOGRAPHICAL = "geographical"
DOCUMENTS = "documents"
OTHER = "other"
FORMAT_FAMILIES = (TABULAR, MACHINE_READABLE, GEOGRAPHICAL, DOCUMENTS, OTHER)

# udata's lists, in the order its ``get_format_family`` tries them.
_MEMBERS = {
    TABULAR: "csv parquet xls xlsx ods tsv csv.gz",
    MACHINE_READABLE: "json xml rdf sql jsonl ndjson",
    GEOGRAPHICAL: "shp kml kmz gpx shx ovr geojson gpkg pmtiles mbtiles wms wfs ogc:wms ogc:wfs",
    DOCUMENTS: "pdf doc docx md txt html htm rtf odt",
}
_FAMILY_OF = {member: family for family, members in _MEMBERS.items() for member in members.split()}


def family_of(resource_format: str) -> str:
    """The family of one format, whatever its case and surrounding spaces (``other`` when unknown)."""
    return _FAMILY_OF.get(resource_format.strip().lower(), OTHER)


def format_families(resource_formats: Iterable[str | None]) -> tuple[str, ...]:
    """The families of a dataset's resource formats, each once; ``other`` when none has a format."""
    families = {family_of(value) for value in resource_formats if value}  # udata: ``if resource.format``
    return tuple(sorted(families)) or (OTHER,)
