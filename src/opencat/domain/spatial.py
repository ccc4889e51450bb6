"""Spatial coverage vocabulary: granularities and zone identifiers (udata-behaviour §2.10)."""

# The geozone levels of data.gouv.fr, then udata's base granularities.
GRANULARITIES = (
    "country-group", "country", "country-subset", "fr:region", "fr:departement",
    "fr:arrondissement", "fr:commune", "fr:iris", "fr:canton", "fr:collectivite", "fr:epci",
    "poi", "other",
)  # fmt: skip


def normalize_zone(zone: str) -> str:
    """Accept the legacy ``/`` separator and drop an ``@validity`` suffix."""
    return zone.strip().split("@", 1)[0].replace("/", ":")


def _is_position(value: object) -> bool:
    return (
        isinstance(value, list)
        and 2 <= len(value) <= 3
        and all(isinstance(n, int | float) and not isinstance(n, bool) for n in value)
    )


def is_multipolygon(geom: dict[str, object]) -> bool:
    """A GeoJSON MultiPolygon: polygons of closed rings (4+ positions) of 2D or 3D positions."""
    polygons = geom.get("coordinates")
    if geom.get("type") != "MultiPolygon" or not isinstance(polygons, list) or not polygons:
        return False
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return False
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4 or not all(_is_position(p) for p in ring):
                return False
    return True
