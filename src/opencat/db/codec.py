"""Domain objects to and from the JSON documents stored in the ``doc`` columns."""

from datetime import date, datetime
from typing import Any

from opencat.domain.datasets import (
    Badge,
    Checksum,
    Dataset,
    IndexedResource,
    Resource,
    Spatial,
    TemporalCoverage,
)
from opencat.domain.dates import iso, parse_date, parse_datetime
from opencat.domain.numerals import whole_number

# Kept in columns of their own, never in the documents.
_DATASET_COUNTERS = (
    "revision",
    "resources_downloads",
    "followers",
    "followers_by_months",
    "stored_last_update",
)
_RESOURCE_COUNTERS = ("downloads",)
_DATASET_DATES = ("created_at_internal", "last_modified_internal", "frequency_date", "deleted", "archived")
_RESOURCE_DATES = ("created_at_internal", "last_modified_internal")


def _date_or_none(value: str | None) -> datetime | None:
    return None if value is None else parse_datetime(value)


def _day_or_none(value: str | None) -> date | None:
    return None if value is None else parse_date(value)


def coverage_from_doc(doc: dict[str, Any]) -> TemporalCoverage:
    """``{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD" | null}``, udata's shape too."""
    return TemporalCoverage(parse_date(doc["start"]), _day_or_none(doc.get("end")))


def spatial_from_doc(doc: dict[str, Any]) -> Spatial:
    """``{"zones": [...], "granularity": ..., "geom": ...}``, udata's shape too."""
    return Spatial(tuple(doc.get("zones") or ()), doc.get("granularity"), doc.get("geom"))


def dataset_to_doc(dataset: Dataset) -> dict[str, Any]:
    doc: dict[str, Any] = {
        name: getattr(dataset, name) for name in Dataset.__dataclass_fields__ if name not in _DATASET_COUNTERS
    }
    for name in _DATASET_DATES:
        doc[name] = iso(doc[name])
    coverage = dataset.temporal_coverage
    doc["temporal_coverage"] = (
        None
        if coverage is None
        else {"start": coverage.start.isoformat(), "end": coverage.end and coverage.end.isoformat()}
    )
    spatial = dataset.spatial
    doc["spatial"] = (
        None
        if spatial is None
        else {"zones": list(spatial.zones), "granularity": spatial.granularity, "geom": spatial.geom}
    )
    doc["badges"] = [
        {"kind": badge.kind, "created": iso(badge.created), "created_by": badge.created_by}
        for badge in dataset.badges
    ]
    return doc


def dataset_from_doc(
    doc: dict[str, Any],
    revision: int,
    resources_downloads: int = 0,
    followers: int = 0,
    followers_by_months: dict[str, int] | None = None,
    stored_last_update: datetime | None = None,
) -> Dataset:
    values = dict(doc)
    for name in _DATASET_DATES:
        values[name] = _date_or_none(values.get(name))
    coverage = values.get("temporal_coverage")
    values["temporal_coverage"] = None if coverage is None else coverage_from_doc(coverage)
    spatial = values.get("spatial")
    values["spatial"] = None if spatial is None else spatial_from_doc(spatial)
    values["badges"] = tuple(
        Badge(badge["kind"], _date_or_none(badge.get("created")), badge.get("created_by"))
        for badge in values.get("badges") or ()
    )
    for name in ("tags", "contact_point_ids", "access_audiences"):
        values[name] = tuple(values.get(name) or ())
    return Dataset(
        **values,
        revision=revision,
        resources_downloads=resources_downloads,
        followers=followers,
        followers_by_months=followers_by_months,
        stored_last_update=stored_last_update,
    )


def resource_to_doc(resource: Resource) -> dict[str, Any]:
    doc: dict[str, Any] = {
        name: getattr(resource, name)
        for name in Resource.__dataclass_fields__
        if name not in _RESOURCE_COUNTERS
    }
    for name in _RESOURCE_DATES:
        doc[name] = iso(doc[name])
    checksum = resource.checksum
    doc["checksum"] = None if checksum is None else {"type": checksum.type, "value": checksum.value}
    return doc


def resource_from_doc(doc: dict[str, Any], downloads: int = 0) -> Resource:
    values = dict(doc)
    for name in _RESOURCE_DATES:
        values[name] = parse_datetime(values[name])
    checksum = values.get("checksum")
    values["checksum"] = None if checksum is None else Checksum(checksum["type"], checksum["value"])
    size = values.get("filesize")
    if size is not None and type(size) is not int:  # stored as text by an import before 5 Dec 2026
        values["filesize"] = whole_number(size)
    return Resource(**values, downloads=downloads)


def indexed_resource_from_doc(doc: dict[str, Any]) -> IndexedResource:
    """The few fields search takes from a stored resource, without decoding the rest."""
    extras = doc.get("extras") or {}
    return IndexedResource(
        title=doc["title"],
        format=doc.get("format"),
        schema=doc.get("schema"),
        harvest=doc.get("harvest"),
        filetype=doc.get("filetype") or "file",
        analysed=extras.get("analysis:last-modified-at") if isinstance(extras, dict) else None,
        last_modified_internal=parse_datetime(doc["last_modified_internal"]),
    )
