"""Handlers of ``/api/1/spatial/``: the geozones referential, its levels and granularities."""

from typing import Any

from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.api.params import LANGUAGE, boolean, boolean_argument, integer, integer_argument
from opencat.api.serializers import dataset_reference
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


@describe("A zone, as a GeoJSON feature", "spatial_zone", returns="Zone", masked=False)  # udata's raw answer
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


ZONE_SIZE_HELP = "The amount of datasets to fetch"


@describe(
    "The public datasets whose spatial coverage names the zone (not its subdivisions), newest first",
    "spatial_zone_datasets",
    returns="DatasetReferenceList",
    query=(
        boolean_argument("dynamic", "Append dynamic datasets (none here: accepted, ignored)"),
        integer_argument("size", ZONE_SIZE_HELP, 25, use_cases.ZONE_DATASETS_LIMIT),
    ),
)
def list_zone_datasets(call: Call) -> Reply:
    boolean(call.params, "dynamic", "Append dynamic datasets")  # checked as udata's reqparse does
    size = integer(call.params, "size", 25, ZONE_SIZE_HELP)
    datasets = use_cases.zone_datasets(call.catalog, call.path("id"), size)
    return Reply([dataset_reference(dataset, call.urls) for dataset in datasets])


@describe(
    "Every zone of a level with how many public datasets name it, as a GeoJSON feature collection",
    "spatial_coverage",
    returns="CoverageCollection",
)
def level_coverage(call: Call) -> Reply:
    features = [
        {
            "id": zone.id,
            "type": "Feature",
            "geometry": None,  # udata's GeoJSONFeature model: no geometry is kept (as the zones')
            "properties": {"name": zone.name, "code": zone.code, "uri": zone.uri, "datasets": count},
        }
        for zone, count in use_cases.level_coverage(call.catalog, call.path("level"))
    ]
    return Reply({"type": "FeatureCollection", "features": features})
