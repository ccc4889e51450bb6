"""A remote dataset's drawn area, read as udata's harvester reads it (udata/core/dataset/rdf.py,
``spatial_from_rdf``): every polygon its ``dct:spatial`` locations hold, as GeoJSON or WKT literals
(``locn:geometry``, ``dcat:bbox``...) or as a bare ``west,south,east,north`` box, merged into the
one MultiPolygon udata stores, each polygon once. Points, lines and unreadable literals are left out."""

import json
import re

from opencat.dcat.namespaces import DCT, GSP, LOCN
from opencat.dcat.remote_terms import Facts, Term, Text
from opencat.domain.spatial import is_multipolygon

# A drawn area larger than this is not read (a literal of megabytes is no coverage anyone draws).
MAX_GEOMETRY_CHARACTERS = 1_000_000
_GEOJSON_TYPES = frozenset(
    {str(GSP.geoJSONLiteral), "https://www.iana.org/assignments/media-types/application/vnd.geo+json"}
)
_WKT_TYPES = frozenset({str(GSP.wktLiteral), "http://www.opengis.net/rdf#wktLiteral"})
# A GeoSPARQL WKT literal may name its reference system first: ``<…/CRS84> POLYGON((…))``.
_CRS = re.compile(r"^\s*<[^>]*>\s*")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_POSITION = re.compile(rf"\s*({_NUMBER})\s+({_NUMBER})(?:\s+{_NUMBER})?\s*")

Polygon = list[list[list[float]]]


def drawn_geometry(graph: Facts, node: Term) -> dict[str, object] | None:
    polygons: list[Polygon] = []
    for place in graph.ordered(graph.objects(node, DCT.spatial)):
        if isinstance(place, Text):  # some ArcGIS portals put the box right there
            found = [_box(place.lexical)]
        else:
            found = [
                _literal_polygons(value, predicate == str(LOCN.geometry))
                for predicate, value in _literals(graph, place)
            ]
        for shapes in found:
            for polygon in shapes or ():
                if polygon not in polygons:
                    polygons.append(polygon)
    if not polygons:
        return None
    geometry: dict[str, object] = {"type": "MultiPolygon", "coordinates": polygons}
    return geometry if is_multipolygon(geometry) else None


def _literals(graph: Facts, place: Term) -> list[tuple[str, Text]]:
    said = [
        (predicate, value) for predicate, value in graph.predicate_objects(place) if isinstance(value, Text)
    ]
    return sorted(said, key=lambda pair: (pair[0], pair[1].lexical))


def _literal_polygons(value: Text, geometry_predicate: bool) -> list[Polygon] | None:
    if len(value.lexical) > MAX_GEOMETRY_CHARACTERS:
        return None
    if value.datatype in _WKT_TYPES:
        return _wkt(value.lexical)
    # GeoJSON by its type, or any JSON given as a locn:geometry (what opencat read before).
    if value.datatype in _GEOJSON_TYPES or (geometry_predicate and value.datatype is None):
        return _geojson(value.lexical)
    return None


def geojson_area(text: str) -> dict[str, object] | None:
    """A GeoJSON Polygon or MultiPolygon (its text) as the MultiPolygon udata stores; None for
    any other shape, or one too large or malformed (a CKAN package's ``spatial`` extra)."""
    if len(text) > MAX_GEOMETRY_CHARACTERS:
        return None
    polygons = _geojson(text)
    return None if polygons is None else {"type": "MultiPolygon", "coordinates": polygons}


def _geojson(text: str) -> list[Polygon] | None:
    try:
        shape = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: a hostile source's nesting
        return None
    if not isinstance(shape, dict):
        return None
    if shape.get("type") == "Polygon":
        shape = {"type": "MultiPolygon", "coordinates": [shape.get("coordinates")]}
    if shape.get("type") == "MultiPolygon" and is_multipolygon(shape):
        return list(shape["coordinates"])
    return None


def _box(text: str) -> list[Polygon] | None:
    """``west,south,east,north`` as the one rectangle it draws."""
    parts = text.strip().split(",")
    if len(parts) != 4:
        return None
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        return None
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return [[ring]]


def _wkt(text: str) -> list[Polygon] | None:
    """WKT's POLYGON and MULTIPOLYGON (any case, an optional reference system first)."""
    body = _CRS.sub("", text).strip()
    upper = body.upper()
    try:
        if upper.startswith("MULTIPOLYGON"):
            return [_polygon(part) for part in _groups(_inside(body[len("MULTIPOLYGON") :]))]
        if upper.startswith("POLYGON"):
            return [_polygon(_inside(body[len("POLYGON") :]))]
    except ValueError:
        return None
    return None


def _inside(text: str) -> str:
    """What one pair of outer parentheses holds."""
    text = text.strip()
    if text.upper().startswith("Z ") or text.upper().startswith("M "):
        text = text[2:].strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise ValueError("not a parenthesized list")
    return text[1:-1]


def _groups(text: str) -> list[str]:
    """The top-level parenthesized parts of ``text``, each without its parentheses."""
    parts: list[str] = []
    depth, start = 0, -1
    for index, character in enumerate(text):
        if character == "(":
            if depth == 0:
                start = index
            depth += 1
        elif character == ")":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced parentheses")
            if depth == 0:
                parts.append(text[start + 1 : index])
        elif depth == 0 and not (character.isspace() or character == ","):
            raise ValueError("text between rings")
    if depth != 0 or not parts:
        raise ValueError("unbalanced parentheses")
    return parts


def _polygon(text: str) -> Polygon:
    return [_ring(ring) for ring in _groups(text)]


def _ring(text: str) -> list[list[float]]:
    ring: list[list[float]] = []
    for position in text.split(","):
        found = _POSITION.fullmatch(position)
        if found is None:
            raise ValueError(f"not a position: {position!r}")
        ring.append([float(found.group(1)), float(found.group(2))])
    return ring
