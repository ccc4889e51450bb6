"""Spatial references: geozones, levels and granularities, and the zones a dataset may cover."""

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

from opencat.catalog import indexing, listing
from opencat.catalog.context import Catalog
from opencat.db import geozones as db_geozones
from opencat.db.engine import Connection
from opencat.domain.datasets import Dataset
from opencat.domain.errors import Invalid, NotFound, Reason, problem
from opencat.domain.extras import UNKNOWN_ZONES_SAID
from opencat.domain.search import SearchFilters, SearchRequest
from opencat.domain.spatial import BASE_GRANULARITIES, GeoLevel, Zone, normalize_zone, referential_zone_id


@dataclass(frozen=True, slots=True)
class SpatialObjects:
    """What ``X-Get-Datasets-Full-Objects`` renders in place of ids (udata: udata/core/spatial/models.py)."""

    # Keyed by the zone ids the datasets store (a legacy spelling maps to its zone).
    zones: dict[str, Zone] = field(default_factory=dict)
    # Granularity id to its name in the requested language.
    granularities: dict[str, str] = field(default_factory=dict)


def get_zone(catalog: Catalog, zone_id: str) -> Zone:
    """The zone an id names, whatever its case or legacy spelling; NotFound otherwise."""
    with catalog.db.read() as conn:
        zone = db_geozones.find_zone(conn, referential_zone_id(zone_id))
    if zone is None:
        raise NotFound()
    return zone


def list_zones(catalog: Catalog, zone_ids: Sequence[str]) -> list[Zone]:
    """The zones in the order asked; NotFound when one of them is unknown."""
    wanted = [referential_zone_id(zone_id) for zone_id in zone_ids]
    with catalog.db.read() as conn:
        found = db_geozones.fetch_zones_ignoring_case(conn, wanted)
    if any(zone_id not in found for zone_id in wanted):
        raise NotFound()
    return [found[zone_id] for zone_id in wanted]


def _known_zones(
    catalog: Catalog, zone_ids: Iterable[str], conn: Connection | None = None
) -> dict[str, Zone]:
    """The zones among these ids that exist, by normalized id: those this process has not looked
    up yet are read in one query (on ``conn``, the caller's, when it holds one: never a second
    connection of the pool) and remembered (``Catalog.references``), unknown ones too."""
    wanted = {referential_zone_id(z) for z in zone_ids}
    cache = catalog.references
    with cache.lock:
        known = {z: cache.zones[z] for z in wanted if z in cache.zones}
    missing = wanted - known.keys()
    if missing:
        with nullcontext(conn) if conn is not None else catalog.db.read() as reading:
            found: dict[str, object] = dict(db_geozones.fetch_zones_ignoring_case(reading, missing))
        fetched = {z: found.get(z) for z in missing}
        cache.remember_zones(fetched)
        known.update(fetched)
    return {z: zone for z, zone in known.items() if isinstance(zone, Zone)}


def zone_names(catalog: Catalog, zone_ids: Sequence[str]) -> dict[str, str]:
    """The names of the zones among ``zone_ids`` that exist, by the ids as given."""
    found = _known_zones(catalog, zone_ids)
    return {z: zone.name for z in zone_ids if (zone := found.get(referential_zone_id(z))) is not None}


def list_levels(catalog: Catalog) -> list[GeoLevel]:
    """The geozone levels, in the referential's order, read once per process."""

    def load() -> list[GeoLevel]:
        with catalog.db.read() as conn:
            return db_geozones.fetch_levels(conn)

    return list(catalog.references.list_of("levels", load))


def _granularities(levels: Iterable[GeoLevel], language: str) -> list[tuple[str, str]]:
    return [(level.id, level.name(language)) for level in [*levels, *BASE_GRANULARITIES]]


def list_granularities(catalog: Catalog, language: str) -> list[tuple[str, str]]:
    """``(id, name)`` of every level, then udata's ``poi`` and ``other`` (udata's spatial_granularities)."""
    return _granularities(list_levels(catalog), language)


def check_zones(conn: Connection, zones: tuple[str, ...], kept: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The referential's ids for these zones, matched ignoring case: udata lower-cases geoids while
    INSEE codes keep theirs (``fr:departement:2A``). Unknown ones are refused (udata: udata/core/spatial/models.py),
    but for the zones the dataset already holds (``kept``), which are sent again as stored: an
    imported ``fr:collectivite:987@2004-02-27`` is no zone of ours, and an edit that leaves the
    zones alone must neither be refused for it nor rewrite it."""
    stored = {normalize_zone(zone_id).lower(): zone_id for zone_id in kept}
    fresh = tuple(zone_id for zone_id in zones if zone_id.lower() not in stored)
    found = db_geozones.fetch_zones_ignoring_case(conn, fresh) if fresh else {}
    unknown = [zone_id for zone_id in dict.fromkeys(fresh) if zone_id not in found]
    if len(unknown) > UNKNOWN_ZONES_SAID:
        said, more = ", ".join(unknown[:UNKNOWN_ZONES_SAID]), len(unknown) - UNKNOWN_ZONES_SAID
        raise Invalid({"spatial": {"zones": [problem(Reason.ZONES_UNKNOWN_MANY, zones=said, more=more)]}})
    if unknown:
        raise Invalid({"spatial": {"zones": [problem(Reason.ZONE_UNKNOWN, zones=", ".join(unknown))]}})
    return tuple(stored.get(zone_id.lower()) or found[zone_id].id for zone_id in zones)


def spatial_objects(catalog: Catalog, datasets: Iterable[Dataset], language: str) -> SpatialObjects:
    """The zones of all these datasets and the granularity names, for full objects (reference
    data, read once per process)."""
    stored = {zone_id for dataset in datasets if dataset.spatial for zone_id in dataset.spatial.zones}
    return SpatialObjects(zones_of(catalog, stored), dict(_granularities(list_levels(catalog), language)))


def zones_of(catalog: Catalog, zone_ids: Iterable[str], conn: Connection | None = None) -> dict[str, Zone]:
    """The referential's zone of each zone id as stored, in any spelling the API reads (the
    legacy ``/``, a ``@validity`` suffix, another case); unknown ones are left out."""
    stored = set(zone_ids)
    found = _known_zones(catalog, stored, conn)
    return {z: zone for z in stored if (zone := found.get(referential_zone_id(z))) is not None}


# Datasets of a zone at most (udata's ``size`` is a Mongo limit, where 0 meant no limit).
ZONE_DATASETS_LIMIT = 1000


def zone_datasets(catalog: Catalog, zone_id: str, size: int) -> list[Dataset]:
    """The public datasets whose own zones hold this zone (not its subdivisions), newest first,
    at most ``size`` (udata's ``ZoneDatasetsAPI``); an unknown zone is ``NotFound``."""
    zone = get_zone(catalog, zone_id)
    limit = size if 0 < size <= ZONE_DATASETS_LIMIT else ZONE_DATASETS_LIMIT
    request = SearchRequest(filters=SearchFilters(own_zone=zone.id), limit=limit)
    with catalog.db.read() as conn:
        return listing.datasets_page(catalog, conn, request)[0]


def level_coverage(catalog: Catalog, level_id: str) -> list[tuple[Zone, int]]:
    """Every zone of a level with how many public datasets cover it, in their own zones (udata's
    ``SpatialCoverageAPI``, counted now rather than by a nightly job); an unknown level is
    ``NotFound``."""
    if level_id not in {level.id for level in list_levels(catalog)}:
        raise NotFound()

    def load() -> list[Zone]:
        with catalog.db.read() as conn:
            return db_geozones.fetch_zones_of_level(conn, level_id)

    zones: list[Zone] = catalog.references.list_of(f"zones of {level_id}", load)
    with catalog.db.read() as conn:
        indexing.sync(catalog, conn)
    # Every own zone's count: a term per zone any public dataset names (both spellings of a
    # legacy id: the referential's is counted once per dataset).
    counted = dict(catalog.search.facets(SearchRequest(limit=0), ["own_zones"], size=1_000_000)["own_zones"])
    return [(zone, counted.get(zone.id, 0)) for zone in zones]
