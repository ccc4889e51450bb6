"""What the dataset page shows, gathered from the dataset's view and the reference lists."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from markupsafe import Markup

from opencat.catalog import references, spatial
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView
from opencat.domain.datasets import BADGE_LABELS, Resource
from opencat.domain.errors import NotFound
from opencat.domain.urls import Urls
from opencat.web.render import json_for_script, plain_paragraphs

# Resource types in udata's order of importance, with their headings (translated in the template).
RESOURCE_TYPES = ("main", "documentation", "update", "api", "code", "other")
RDF_FORMATS = (("ttl", "text/turtle"), ("xml", "application/rdf+xml"), ("json", "application/ld+json"))
PREVIEWABLE = ("csv", "tsv")


def resources_by_type(resources: Sequence[Resource]) -> list[tuple[str, list[Resource]]]:
    grouped: dict[str, list[Resource]] = {}
    for resource in resources:
        kind = resource.type if resource.type in RESOURCE_TYPES else "other"
        grouped.setdefault(kind, []).append(resource)
    return [(kind, grouped[kind]) for kind in RESOURCE_TYPES if kind in grouped]


def _zone_names(catalog: Catalog, zone_ids: Sequence[str]) -> list[str]:
    names = []
    for zone_id in zone_ids:
        try:
            names.append(spatial.get_zone(catalog, zone_id).name)
        except NotFound:
            names.append(zone_id)
    return names


def structured_data(view: DatasetView, urls: Urls, page_url: str) -> Markup:
    """schema.org's Dataset, for the search engines that read it (Google Dataset Search)."""
    dataset = view.dataset
    document: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": dataset.title,
        "description": dataset.description or dataset.title,
        "url": page_url,
        "identifier": urls.dataset_uri(dataset.id),
        "keywords": list(dataset.tags),
        "dateCreated": dataset.created_at.isoformat(),
        "dateModified": dataset.last_modified.isoformat(),
        "distribution": [
            {
                "@type": "DataDownload",
                "name": resource.title,
                "contentUrl": urls.resource_latest(resource.id),
                **({"encodingFormat": resource.format} if resource.format else {}),
            }
            for resource in view.resources
        ],
    }
    if view.organization is not None:
        document["creator"] = {"@type": "Organization", "name": view.organization.name}
    return json_for_script(orjson.dumps(document).decode())


def dataset_page_context(
    catalog: Catalog, urls: Urls, view: DatasetView, language: str, now: datetime
) -> dict[str, Any]:
    dataset = view.dataset
    licenses = {item.id: item for item in references.list_licenses(catalog)}
    frequencies = {item.id: item.label(language) for item in references.list_frequencies(catalog)}
    api_url = urls.api(f"datasets/{dataset.id}/")
    page_url = f"{urls.base}/datasets/{dataset.slug}/"
    return {
        "view": view,
        "dataset": dataset,
        "description": plain_paragraphs(dataset.description),
        "groups": resources_by_type(view.resources),
        "license": licenses.get(dataset.license or ""),
        "frequency": frequencies.get(dataset.frequency or "", dataset.frequency),
        "zones": _zone_names(catalog, dataset.spatial.zones if dataset.spatial else ()),
        "badges": [BADGE_LABELS.get(badge.kind, badge.kind) for badge in dataset.badges],
        "last_update": view.last_update(now),
        "now": now,
        "api_url": api_url,
        "rdf": [(suffix, kind, f"{api_url}rdf.{suffix}") for suffix, kind in RDF_FORMATS],
        "feed_url": urls.api("datasets/recent.atom"),
        "latest": urls.resource_latest,
        "previewable": PREVIEWABLE,
        "jsonld": structured_data(view, urls, page_url),
    }
