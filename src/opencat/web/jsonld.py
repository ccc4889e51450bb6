"""A dataset as schema.org ``Dataset`` JSON-LD, for the search engines that read pages (Google Dataset
Search: https://developers.google.com/search/docs/appearance/structured-data/dataset)."""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from opencat.catalog.views import DatasetView
from opencat.domain.accounts import Organization, User
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.dates import iso, iso_date, utc_now
from opencat.domain.references import License
from opencat.domain.spatial import Zone
from opencat.domain.urls import Urls

JSONObject = dict[str, Any]

# Google reads at most this many characters of a description (and wants at least 50).
MAX_DESCRIPTION = 5000
# Documentation, code and the like describe the data; they are not a download of it.
_NOT_DATA = frozenset({"documentation", "code"})
# Inside <script>, "</script>" or "<!--" in a string would end or derail the element; JSON allows
# these characters escaped, and U+2028/U+2029 break older JavaScript parsers.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE = str.maketrans(_SCRIPT_ESCAPES)


# The first data files only: a dataset of hundreds of files would make the page heavy for no reader
# (the DCAT formats list them all).
MAX_DISTRIBUTIONS = 20


def dataset_jsonld(
    view: DatasetView,
    urls: Urls,
    *,
    license: License | None = None,
    zones: Mapping[str, Zone] | None = None,
    now: datetime | None = None,
) -> JSONObject:
    """``license``: the dataset's license from the referential (for its URL); ``zones``: its zones by
    id, as ``catalog.spatial.spatial_objects`` gives them (for their names)."""
    d = view.dataset
    page = urls.dataset_page(d.slug)
    data: JSONObject = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": page,
        "name": d.title,
        "description": _description(d),
        "url": page,
        "identifier": _identifiers(d),
        "alternateName": d.acronym,
        "keywords": list(d.tags) or None,
        "license": license.url if license is not None and license.id == d.license else None,
        "isAccessibleForFree": True if d.access_type == "open" else None,
        "dateCreated": iso(d.created_at),
        "dateModified": iso(view.last_update(now or utc_now())),
        "sameAs": _remote_page(d),
        "creator": _agent(view, urls),
        "publisher": _agent(view, urls),
        "temporalCoverage": _temporal(d),
        "spatialCoverage": _places(d, zones or {}),
        "distribution": [
            _download(item, urls, now or utc_now()) for item in view.resources if _is_data(item)
        ][:MAX_DISTRIBUTIONS],
        "includedInDataCatalog": {"@type": "DataCatalog", "url": urls.home},
    }
    return {key: value for key, value in data.items() if value not in (None, [])}


def script_block(data: Mapping[str, Any]) -> str:
    """The whole ``<script type="application/ld+json">`` element, safe to put in a page as it is:
    no character of the data can close the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_UNSAFE)
    return f'<script type="application/ld+json">{text}</script>'


def _description(d: Dataset) -> str:
    text = d.description.strip() or (d.description_short or "").strip() or d.title
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _identifiers(d: Dataset) -> list[str]:
    found = [d.id]
    if d.doi:
        found.append(d.doi if d.doi.startswith("http") else f"https://doi.org/{d.doi}")
    return found


def _remote_page(d: Dataset) -> str | None:
    remote = (d.harvest or {}).get("remote_url")
    return remote if isinstance(remote, str) and remote.startswith(("http://", "https://")) else None


def _agent(view: DatasetView, urls: Urls) -> JSONObject | None:
    if view.organization is not None:
        return _organization(view.organization, urls)
    if view.owner is not None:
        return _person(view.owner, urls)
    return None


def _organization(org: Organization, urls: Urls) -> JSONObject:
    found: JSONObject = {
        "@type": "Organization",
        "name": org.name,
        "url": urls.organization_page(org.slug),
    }
    if org.url:
        found["sameAs"] = org.url
    return found


def _person(user: User, urls: Urls) -> JSONObject:
    return {
        "@type": "Person",
        "name": f"{user.first_name} {user.last_name}".strip() or user.slug,
        "url": urls.user_page(user.slug),
    }


def _temporal(d: Dataset) -> str | None:
    """ISO 8601 intervals; an open end is ``..`` (schema.org's temporalCoverage)."""
    coverage = d.temporal_coverage
    if coverage is None:
        return None
    return f"{iso_date(coverage.start)}/{iso_date(coverage.end) or '..'}"


def _places(d: Dataset, zones: Mapping[str, Zone]) -> list[JSONObject]:
    """The dataset's zones by name; a zone missing from the referential has no name to give."""
    places: list[JSONObject] = []
    for zone_id in d.spatial.zones if d.spatial else ():
        zone = zones.get(zone_id)
        if zone is not None:
            place: JSONObject = {"@type": "Place", "name": zone.name, "identifier": zone.id}
            if zone.uri:
                place["sameAs"] = zone.uri
            places.append(place)
    return places


def _is_data(item: Resource) -> bool:
    return item.type not in _NOT_DATA and bool(item.url)


def _download(item: Resource, urls: Urls, now: datetime) -> JSONObject:
    data: JSONObject = {
        "@type": "DataDownload",
        "name": item.title,
        # The permalink: it follows the file when it is replaced, and counts the download.
        "contentUrl": urls.resource_latest(item.id),
        "encodingFormat": item.mime or item.format,
        "contentSize": None if item.filesize is None else f"{item.filesize} B",
        "dateModified": iso(item.last_modified(now)),
    }
    return {key: value for key, value in data.items() if value is not None}
