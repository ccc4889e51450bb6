"""Spatial coverage vocabulary: granularities and zone identifiers (udata: udata/core/spatial/models.py)."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The geozone levels of data.gouv.fr, then udata's base granularities.
GRANULARITIES = (
    "country-group", "country", "country-subset", "fr:region", "fr:departement",
    "fr:arrondissement", "fr:commune", "fr:iris", "fr:canton", "fr:collectivite", "fr:epci",
    "poi", "other",
)  # fmt: skip


def normalize_zone(zone: str) -> str:
    """Accept the legacy ``/`` separator and drop an ``@validity`` suffix."""
    return zone.strip().split("@", 1)[0].replace("/", ":")


# udata's older referential filed the overseas collectivities (Polynésie française, 987...) under a
# level of their own; data.gouv.fr's geozones now file them under ``fr:departement`` with the
# same code (shared/refdata/README.md). Datasets imported from before keep the old id.
_LEGACY_LEVELS = {"fr:collectivite:": "fr:departement:"}


def referential_zone_id(zone: str) -> str:
    """The id this catalog's referential gives the zone a stored or asked id names: normalized
    (``normalize_zone``), an older level's id read as the level that holds its zone now
    (``fr:collectivite:987@2004-02-27`` is ``fr:departement:987``). For reading what is stored or
    asked; a write names zones of the referential itself (``catalog/spatial.check_zones``)."""
    normalized = normalize_zone(zone)
    for old, new in _LEGACY_LEVELS.items():
        if normalized.lower().startswith(old):
            return new + normalized[len(old) :]
    return normalized


def _is_position(value: object) -> bool:
    return (
        isinstance(value, list)
        and 2 <= len(value) <= 3
        and all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in value)
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
            if ring[0] != ring[-1]:  # closed: it ends where it starts (RFC 7946 §3.1.6)
                return False
    return True


@dataclass(frozen=True, slots=True)
class Zone:
    """A geozone of the referential (udata's GeoZone): ``id`` is ``level:code``."""

    id: str
    name: str
    slug: str
    code: str
    level: str
    uri: str | None
    parents: tuple[str, ...] = ()
    ancestors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GeoLevel:
    """A level of the referential (udata's GeoLevel), named in English and French."""

    id: str
    name_en: str
    name_fr: str
    admin_level: int | None = None

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" else self.name_en


# udata's BASE_GRANULARITIES, listed after the levels (udata/core/spatial/constants.py).
BASE_GRANULARITIES = (GeoLevel("poi", "POI", "Point d'Intérêt"), GeoLevel("other", "Other", "Autre"))


def with_ancestors(zone_ids: Sequence[str], known: Mapping[str, Zone]) -> tuple[str, ...]:
    """The zones as stored, then the referential's id and every ancestor of the known ones, each once."""
    found = dict.fromkeys(zone_ids)
    for zone_id in zone_ids:
        zone = known.get(zone_id)
        if zone is not None:
            found.update(dict.fromkeys((zone.id, *zone.ancestors)))
    return tuple(found)
