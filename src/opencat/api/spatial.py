"""Handlers of ``/api/1/spatial/``: the geozones referential, its levels and granularities."""

from typing import Any

from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.api.params import LANGUAGE
from opencat.catalog import spatial as use_cases
from opencat.domain.spatial import Zone


def _feature(zone: Zone) -> dict[str, Any]:
    """udata's ``GeoZone.toGeoJSON`` (udata/core/spatial/models.py): no geometry is kept."""
    return {
        "id": zone.id,
        "type": "Feature",
        "properties": {
            "slug": zone.slug,
            "name": zone.name,
            "code": zone.code,
            "uri": zone.uri,
            "level": zone.level,
        },
    }


@describe("A zone, as a GeoJSON feature", "spatial_zone", returns="Zone")
def get_zone(call: Call) -> Reply:
    return Reply(_feature(use_cases.get_zone(call.catalog, call.path("id"))))


@describe(
    "Zones (comma-separated ids), as a GeoJSON feature collection", "spatial_zones", returns="ZoneCollection"
)
def list_zones(call: Call) -> Reply:
    zones = use_cases.list_zones(call.catalog, [part for part in call.path("ids").split(",") if part])
    # udata marshals these with GeoJSONFeature, whose geometry we do not have.
    features = [{**_feature(zone), "geometry": None} for zone in zones]
    return Reply({"type": "FeatureCollection", "features": features})


@describe(
    "The geozone levels, named in the requested language",
    "spatial_levels",
    returns="NamedItemList",
    query=(LANGUAGE,),
)
def list_levels(call: Call) -> Reply:
    levels = use_cases.list_levels(call.catalog)
    return Reply([{"id": level.id, "name": level.name(call.language)} for level in levels])


@describe(
    "The spatial granularities (levels, then poi and other), named in the requested language",
    "spatial_granularities",
    returns="NamedItemList",
    query=(LANGUAGE,),
)
def list_granularities(call: Call) -> Reply:
    granularities = use_cases.list_granularities(call.catalog, call.language)
    return Reply([{"id": granularity, "name": name} for granularity, name in granularities])
